package state

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
)

// BenchmarkApplyBlock commits blocks of 100 transactions (checks, applies,
// fsyncs): 80 patients anchoring their own records, 10 clinicians anchoring
// under write grants (a grant lookup each), 10 new grants.
func BenchmarkApplyBlock(b *testing.B) { benchBlocks(b, false) }

// BenchmarkVerifyAndApplyBlock adds chain.Block.Verify (seal, root and the
// 100 signatures, in parallel): transactions verified and committed per
// second, the figure, to compare with BenchmarkEd25519VerifyAllCores.
func BenchmarkVerifyAndApplyBlock(b *testing.B) { benchBlocks(b, true) }

const perBlock = 100

func benchBlocks(b *testing.B, verify bool) {
	e := newEnv(b)
	ctx := context.Background()
	patients := make([]string, 80)
	for i := range patients {
		patients[i] = fmt.Sprintf("p%d", i)
	}
	clinicians := make([]string, 10)
	var setup []*chain.Tx
	for i := range clinicians {
		clinicians[i] = fmt.Sprintf("c%d", i)
		setup = append(setup, e.sign(patients[i], chain.ConsentGrant{Grantee: testPub(clinicians[i]), Scope: chain.NewScope(nil, []chain.Category{chain.CategoryObservations}),
			Actions: chain.ActionWrite, Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: 1 << 40}))
	}
	if _, err := e.apply(setup...); err != nil {
		b.Fatal(err)
	}
	keys := map[string]ed25519.PrivateKey{}
	key := func(n string) ed25519.PrivateKey {
		if k, ok := keys[n]; ok {
			return k
		}
		keys[n] = testKey(n)
		return keys[n]
	}
	cid := testCID(b, "bench")
	build := func(round int) *chain.Block {
		txs := make([]*chain.Tx, 0, perBlock)
		add := func(name string, body chain.Body) {
			k := key(name)
			pub := chain.PublicKeyOf(k)
			tx, err := chain.Sign(k, testChain, e.nonces[pub], body)
			if err != nil {
				b.Fatal(err)
			}
			e.nonces[pub]++
			txs = append(txs, tx)
		}
		for _, p := range patients {
			add(p, chain.RecordAnchor{Patient: testPub(p), RecordID: fmt.Sprintf("r%d", round), CID: cid, Category: chain.CategoryConditions, Time: 1})
		}
		for i, c := range clinicians {
			add(c, chain.RecordAnchor{Patient: testPub(patients[i]), RecordID: fmt.Sprintf("o%d", round), CID: cid, Category: chain.CategoryObservations, Time: 1})
		}
		for i := range 10 {
			add(patients[10+i], chain.ConsentGrant{Grantee: testPub(clinicians[i]), Scope: chain.NewScope([]string{fmt.Sprintf("r%d", round)}, nil),
				Actions: chain.ActionRead, Purpose: chain.PurposeTREAT, NotBefore: 0, Expiry: 1 << 40, Capsule: cid})
		}
		h := chain.Header{ChainID: testChain, ParentHash: e.parent, Number: e.number + 1, Time: e.time + 2, Difficulty: chain.DiffInTurn, Signer: e.signers[0]}
		blk := chain.NewBlock(h, txs)
		if err := blk.Header.Seal(testKey("clinic-a")); err != nil {
			b.Fatal(err)
		}
		return blk
	}
	// Build the blocks first (signing is not what is measured here).
	blocks := make([]*chain.Block, b.N)
	for i := range blocks {
		blocks[i] = build(i)
		e.number, e.parent, e.time = blocks[i].Header.Number, blocks[i].Hash(), blocks[i].Header.Time
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if verify {
			if err := blocks[i].Verify(testChain); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.st.ApplyBlock(ctx, blocks[i], e.signers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perBlock)/time.Since(start).Seconds(), "tx/s")
}

// BenchmarkEd25519VerifyAllCores is the machine's limit the issue compares
// against: Ed25519 verifications per second on all cores.
func BenchmarkEd25519VerifyAllCores(b *testing.B) {
	k := testKey("bench")
	msg := []byte("healthwallet-chain-tx-v1 a typical signing message of about a hundred bytes ..........")
	sig := ed25519.Sign(k, msg)
	pub := k.Public().(ed25519.PublicKey)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if !ed25519.Verify(pub, msg, sig) {
					panic("verify")
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "verify/s")
}
