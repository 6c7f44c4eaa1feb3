package chain

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func poolTx(t testing.TB, who string, nonce uint64, note string) *Tx {
	t.Helper()
	tx, err := Sign(testKey(who), testChain, nonce, AccessRequest{
		Patient:  testPub("patient"),
		Scope:    NewScope(nil, []Category{CategoryConditions}),
		Purpose:  PurposeTREAT,
		Duration: 86400,
		Note:     note,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// nonces is a state stub: the next nonce per account.
type nonces map[PublicKey]uint64

func (n nonces) next(k PublicKey) uint64 { return n[k] }

func TestMempoolAddRules(t *testing.T) {
	state := nonces{testPub("a"): 5}
	m := NewMempool(nil)
	tests := []struct {
		name string
		tx   *Tx
		want error
	}{
		{"next nonce", poolTx(t, "a", 5, "x"), nil},
		{"same tx again", poolTx(t, "a", 5, "x"), ErrKnownTx},
		{"nonce taken by another tx", poolTx(t, "a", 5, "y"), ErrNonceTaken},
		{"replayed old nonce", poolTx(t, "a", 4, "x"), ErrNonceTooLow},
		{"future nonce within the gap", poolTx(t, "a", 7, "x"), nil},
		{"nonce too far ahead", poolTx(t, "a", 5+MaxPoolNonceGap, "x"), ErrNonceGap},
		{"another account", poolTx(t, "b", 0, "x"), nil},
	}
	for _, tt := range tests {
		if err := m.Add(tt.tx, state.next); !errors.Is(err, tt.want) {
			t.Errorf("%s: Add = %v, want %v", tt.name, err, tt.want)
		}
	}
	if m.Len() != 3 {
		t.Fatalf("pool holds %d, want 3", m.Len())
	}
}

func TestMempoolPendingOrder(t *testing.T) {
	state := nonces{testPub("a"): 0, testPub("b"): 3}
	m := NewMempool(nil)
	// Added out of order, with a gap for a (nonce 3 missing).
	for _, tx := range []*Tx{
		poolTx(t, "a", 2, ""), poolTx(t, "a", 0, ""), poolTx(t, "a", 4, ""), poolTx(t, "a", 1, ""),
		poolTx(t, "b", 4, ""), poolTx(t, "b", 3, ""),
	} {
		if err := m.Add(tx, state.next); err != nil {
			t.Fatal(err)
		}
	}
	got := m.Pending(state.next, 100, 1<<20)
	perAccount := map[PublicKey][]uint64{}
	for _, tx := range got {
		perAccount[tx.Sender()] = append(perAccount[tx.Sender()], tx.Nonce())
	}
	if fmt.Sprint(perAccount[testPub("a")]) != "[0 1 2]" || fmt.Sprint(perAccount[testPub("b")]) != "[3 4]" {
		t.Fatalf("pending per account = %v; want a [0 1 2] (stops at the gap), b [3 4]", perAccount)
	}
	// The same pool gives the same block, and limits cut it.
	again := m.Pending(state.next, 100, 1<<20)
	for i := range got {
		if got[i].Hash() != again[i].Hash() {
			t.Fatal("Pending is not deterministic")
		}
	}
	if n := len(m.Pending(state.next, 2, 1<<20)); n != 2 {
		t.Errorf("Pending(max 2) gave %d", n)
	}
}

func TestMempoolPrune(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	m := NewMempool(func() time.Time { return clock })
	state := nonces{}
	included, old, fresh, invalid := poolTx(t, "a", 0, ""), poolTx(t, "b", 0, ""), poolTx(t, "c", 0, ""), poolTx(t, "d", 0, "bad")
	for _, tx := range []*Tx{included, old} {
		m.Add(tx, state.next)
	}
	clock = clock.Add(time.Hour)
	for _, tx := range []*Tx{fresh, invalid} {
		m.Add(tx, state.next)
	}
	state[testPub("a")] = 1 // a block included a's tx
	dropped := m.Prune(state.next, 30*time.Minute, func(tx *Tx) error {
		if tx.Hash() == invalid.Hash() {
			return errors.New("invalid against the new state")
		}
		return nil
	})
	if dropped != 3 || m.Len() != 1 || !m.Has(fresh.Hash()) {
		t.Fatalf("Prune dropped %d, left %d (fresh kept: %v)", dropped, m.Len(), m.Has(fresh.Hash()))
	}
	// After a reorg drops the block, its transaction comes back.
	state[testPub("a")] = 0
	if err := m.Add(included, state.next); err != nil {
		t.Fatalf("re-adding a reorged-out transaction: %v", err)
	}
}

func TestMempoolBounds(t *testing.T) {
	m := NewMempool(nil)
	state := nonces{}
	for i := uint64(0); i < MaxPoolTxsPerAccount; i++ {
		if err := m.Add(poolTx(t, "a", i, ""), state.next); err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	if err := m.Add(poolTx(t, "a", MaxPoolTxsPerAccount, ""), state.next); !errors.Is(err, ErrAccountLimit) && !errors.Is(err, ErrNonceGap) {
		t.Fatalf("over the account limit: %v", err)
	}
}
