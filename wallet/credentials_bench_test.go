package wallet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
)

// benchKey is a deterministic key for a name.
func benchKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("healthwallet-credential-bench/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// credentialState is a chain state with two admitted authorities and
// clinicians clinicians, each holding a physician licence, a prescriber
// credential and a training certificate, every tenth licence suspended:
// a regional network's worth of staff.
func credentialState(b *testing.B, clinicians int) (*state.State, []chain.PublicKey, uint64) {
	b.Helper()
	st, err := state.Open(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	const chainID = "hw-credential-bench"
	signer := chain.PublicKeyOf(benchKey("clinic"))
	signers := []chain.PublicKey{signer}
	nonces := map[chain.PublicKey]uint64{}
	sign := func(k ed25519.PrivateKey, body chain.Body) *chain.Tx {
		pub := chain.PublicKeyOf(k)
		tx, err := chain.Sign(k, chainID, nonces[pub], body)
		if err != nil {
			b.Fatal(err)
		}
		nonces[pub]++
		return tx
	}
	var parent chain.Hash
	var number uint64
	now := uint64(1_790_000_000)
	apply := func(txs []*chain.Tx) {
		number++
		now += 2
		blk := chain.NewBlock(chain.Header{ChainID: chainID, ParentHash: parent, Number: number, Time: now, Difficulty: chain.DiffInTurn, Signer: signer}, txs)
		if err := st.ApplyBlock(context.Background(), blk, signers); err != nil {
			b.Fatal(err)
		}
		parent = blk.Hash()
	}
	board, training := benchKey("board"), benchKey("training-office")
	apply([]*chain.Tx{
		sign(benchKey("clinic"), chain.AuthorityVote{Key: chain.PublicKeyOf(board), Admit: true, Name: "Demo Medical Board", Kinds: chain.KindsOf(chain.KindPhysician, chain.KindPrescriber)}),
		sign(benchKey("clinic"), chain.AuthorityVote{Key: chain.PublicKeyOf(training), Admit: true, Name: "Training Office", Kinds: chain.KindsOf(chain.KindTraining)}),
	})
	var keys []chain.PublicKey
	var txs []*chain.Tx
	flush := func() {
		if len(txs) > 0 {
			apply(txs)
			txs = nil
		}
	}
	for i := range clinicians {
		k := chain.PublicKeyOf(benchKey(fmt.Sprint("clinician-", i)))
		keys = append(keys, k)
		anchor := func(kind chain.CredentialKind, years uint64) chain.CredentialAnchor {
			return chain.CredentialAnchor{Credential: sha256.Sum256(fmt.Appendf(nil, "%d/%v", i, kind)), Subject: k, Kind: kind,
				ValidFrom: now - 86400, ValidUntil: now + years*365*86400}
		}
		txs = append(txs, sign(board, anchor(chain.KindPhysician, 5)), sign(board, anchor(chain.KindPrescriber, 5)), sign(training, anchor(chain.KindTraining, 1)))
		if len(txs) >= 99 {
			flush()
		}
	}
	flush()
	for i := 0; i < clinicians; i += 10 {
		txs = append(txs, sign(board, chain.CredentialStatusChange{Credential: sha256.Sum256(fmt.Appendf(nil, "%d/%v", i, chain.KindPhysician)), Status: chain.StatusSuspended}))
		if len(txs) >= 99 {
			flush()
		}
	}
	flush()
	return st, keys, now
}

// BenchmarkVerifyClinician is a real-time credential check from the local
// chain state alone, as a patient's wallet makes it for each request: every
// credential anchored for the key judged (validity, status history,
// issuer's standing) and summarised, among 3,000 clinicians' 9,000
// credentials.
func BenchmarkVerifyClinician(b *testing.B) {
	st, keys, now := credentialState(b, 3000)
	w := &Wallet{dir: b.TempDir(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		v, err := w.verifyClinician(st, keys[i%len(keys)], now)
		if err != nil || len(v.Credentials) != 3 {
			b.Fatalf("verdict %+v, %v", v, err)
		}
		i += 7
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}
