package rx

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// testKey derives a fixed Ed25519 key from a name.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("healthwallet-rx-test/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testPub(name string) chain.PublicKey { return chain.PublicKeyOf(testKey(name)) }

// testID is the Health Wallet ID of a named test person.
func testID(name string) string {
	return identity.IDFromSigningKey(testKey(name).Public().(ed25519.PublicKey)).String()
}

// testWritten is when test prescriptions are written.
var testWritten = time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)

// realisticOrder is what a GP writes for a patient on a blood-pressure
// medicine: RxNorm code, instruction, a month's supply, five refills, a year.
func realisticOrder() Order {
	return Order{
		Medication: Coding{System: RxNorm, Code: "197361", Display: "amlodipine 5 MG Oral Tablet"},
		Dosage:     "Take 1 tablet by mouth once daily in the morning. Do not stop taking without talking to your doctor.",
		Quantity:   30,
		Unit:       "tablet",
		Refills:    5,
		ValidUntil: testWritten.AddDate(1, 0, 0),
		Note:       "Ankle swelling on 10 mg: keep at 5 mg. Generic substitution allowed.",
	}
}

// detReader is a deterministic stream of bytes (SHA-256 in counter mode), for
// salts and ids in golden vectors.
type detReader struct {
	seed string
	n    int
	buf  []byte
}

func (r *detReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		h := sha256.Sum256([]byte(r.seed + string(rune('A'+r.n))))
		r.n++
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// writeTest writes o as dr-x for the patient "alice", deterministically.
func writeTest(t testing.TB, o Order, written time.Time) *Prescription {
	t.Helper()
	p, err := write(o, testKey("dr-x"), "Dr. Xavier Okafor", testID("alice"), written, &detReader{seed: "rx"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const testChain = "hw-rx-test"

// ledger is a real chain state with a test chain applied to it: two clinic
// signers, and blocks made and applied as chain/state's own tests do.
type ledger struct {
	t       testing.TB
	st      *state.State
	signers []chain.PublicKey
	nonces  map[chain.PublicKey]uint64
	number  uint64
	parent  chain.Hash
	time    uint64 // of the head block
}

func newLedger(t testing.TB, start time.Time) *ledger {
	t.Helper()
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &ledger{t: t, st: st, signers: []chain.PublicKey{testPub("clinic-a"), testPub("clinic-b")},
		nonces: map[chain.PublicKey]uint64{}, time: uint64(start.Unix())}
}

// apply puts txs in the next block, at its time, and applies it.
func (l *ledger) apply(at time.Time, txs ...*chain.Tx) error {
	l.t.Helper()
	h := chain.Header{ChainID: testChain, ParentHash: l.parent, Number: l.number + 1, Time: uint64(at.Unix()),
		Difficulty: chain.DiffInTurn, Signer: l.signers[0]}
	b := chain.NewBlock(h, txs)
	if err := l.st.ApplyBlock(context.Background(), b, l.signers); err != nil {
		return err
	}
	l.number, l.parent, l.time = h.Number, b.Hash(), h.Time
	for _, tx := range txs {
		l.nonces[tx.Sender()] = tx.Nonce() + 1
	}
	return nil
}

// now is the head block's time.
func (l *ledger) now() time.Time { return time.Unix(int64(l.time), 0).UTC() }

// send signs body by name and applies it alone in a block at time at.
func (l *ledger) send(at time.Time, name string, body chain.Body) error {
	l.t.Helper()
	k := testKey(name)
	tx, err := chain.Sign(k, testChain, l.nonces[chain.PublicKeyOf(k)], body)
	if err != nil {
		l.t.Fatal(err)
	}
	return l.apply(at, tx)
}

// must is send that fails the test on refusal; the block is 2 s after the head.
func (l *ledger) must(name string, body chain.Body) {
	l.t.Helper()
	if err := l.send(l.now().Add(2*time.Second), name, body); err != nil {
		l.t.Fatalf("%T from %s: %v", body, name, err)
	}
}

// admit has both signers vote name in as an authority for kinds.
func (l *ledger) admit(name, display string, kinds ...chain.CredentialKind) {
	l.t.Helper()
	v := chain.AuthorityVote{Key: testPub(name), Admit: true, Name: display, Kinds: chain.KindsOf(kinds...)}
	l.must("clinic-a", v)
	l.must("clinic-b", v)
}

// remove has both signers vote name out.
func (l *ledger) remove(name string) {
	l.t.Helper()
	l.must("clinic-a", chain.AuthorityVote{Key: testPub(name)})
	l.must("clinic-b", chain.AuthorityVote{Key: testPub(name)})
}

// issue anchors a credential of kind from issuer to subject, valid from a day
// before the head to a year after, and returns its hash.
func (l *ledger) issue(issuer, subject string, kind chain.CredentialKind) chain.Hash {
	l.t.Helper()
	h := chain.Hash(sha256.Sum256([]byte(issuer + "/" + subject + "/" + kind.String())))
	l.must(issuer, chain.CredentialAnchor{Credential: h, Subject: testPub(subject), Kind: kind,
		ValidFrom: l.time - 86400, ValidUntil: l.time + 365*86400})
	return h
}

// world is the usual cast: the signers admitted a medical board (prescribers)
// and a pharmacy board; the board licensed dr-x to prescribe, the pharmacy
// board licensed two pharmacists.
func newWorld(t testing.TB) *ledger {
	l := newLedger(t, testWritten.Add(-time.Hour))
	l.admit("board", "Demo Medical Board", chain.KindPhysician, chain.KindPrescriber)
	l.admit("pharmacy-board", "Demo Pharmacy Board", chain.KindPharmacist)
	l.issue("board", "dr-x", chain.KindPrescriber)
	l.issue("pharmacy-board", "pharm-1", chain.KindPharmacist)
	l.issue("pharmacy-board", "pharm-2", chain.KindPharmacist)
	return l
}

// commit has name commit p in a block at p's writing time.
func (l *ledger) commit(name string, p *Prescription) error {
	l.t.Helper()
	return l.send(p.Written, name, p.Commit())
}
