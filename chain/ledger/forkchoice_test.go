package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

var threeSigners = []string{"clinic-a", "clinic-b", "clinic-c"}

// grow returns prefix extended by one block per pick: pick 0 seals with the
// in-turn signer if it may seal, pick k with the k-th (modulo) of the
// signers allowed to seal, in-turn first, the others by name, and each block carries one
// transaction of a fresh account named tag+i.
func grow(t *testing.T, g *chain.Genesis, prefix []*chain.Block, tag string, picks ...int) []*chain.Block {
	t.Helper()
	l := newLedger(t, g)
	mustInsert(t, l, prefix...)
	out := slices.Clone(prefix)
	for i, pick := range picks {
		var allowed []string // the in-turn signer first
		number := l.Head().Number + 1
		for _, n := range threeSigners {
			if k := clique.Signer(chaintest.Pub(n)); l.head.snap.CanSeal(number, k) == nil {
				if l.head.snap.InTurn(number, k) {
					allowed = append([]string{n}, allowed...)
				} else {
					allowed = append(allowed, n)
				}
			}
		}
		mustAddTx(t, l, chaintest.SignNonce(fmt.Sprintf("%s%d", tag, i), 0, chaintest.Anchor(fmt.Sprintf("%s%d", tag, i), "r")))
		out = append(out, sealNext(t, l, allowed[pick%len(allowed)], false))
	}
	return out
}

// deliver inserts blocks in the given order, holding back a block whose
// parent has not arrived (as sync would fetch it) until it has.
func deliver(t *testing.T, l *Ledger, blocks []*chain.Block) {
	t.Helper()
	pending := slices.Clone(blocks)
	for len(pending) > 0 {
		var next []*chain.Block
		for _, b := range pending {
			err := l.InsertBlock(context.Background(), b)
			switch {
			case errors.Is(err, ErrUnknownParent):
				next = append(next, b)
			case err != nil && !errors.Is(err, ErrKnownBlock):
				t.Fatalf("insert %d: %v", b.Header.Number, err)
			}
		}
		if len(next) == len(pending) {
			t.Fatalf("%d blocks never connect", len(next))
		}
		pending = next
	}
}

// fingerprint is the state a test can compare across nodes: every test
// account's nonce.
func fingerprint(t *testing.T, l *Ledger, accounts []string) string {
	t.Helper()
	s := ""
	for _, a := range accounts {
		n, err := l.State().Nonce(chaintest.Pub(a))
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("%s=%d ", a, n)
	}
	return s
}

// Every arrival order of the same blocks ends on the same head and the same
// state, and that head is the best block by clique.Better computed
// directly.
func TestForkChoiceOrderIndependence(t *testing.T) {
	g := chaintest.Genesis(2, threeSigners...)
	main := grow(t, g, nil, "m", 0, 0, 0, 0)
	forkA := grow(t, g, nil, "a", 1, 1, 1)            // out of turn from block 1
	forkB := grow(t, g, main[:2], "b", 1, 0, 1, 0, 1) // longer, forks at 3
	forkC := grow(t, g, main[:3], "c", 1)             // a sibling of main's block 4
	seen := map[chain.Hash]*chain.Block{}
	var all []*chain.Block
	for _, br := range [][]*chain.Block{main, forkA, forkB, forkC} {
		for _, b := range br {
			if seen[b.Hash()] == nil {
				seen[b.Hash()] = b
				all = append(all, b)
			}
		}
	}
	// The expected head, from total difficulties computed here.
	td := map[chain.Hash]uint64{}
	var tips []clique.ChainTip
	for _, b := range all { // each branch lists parents first
		td[b.Hash()] = td[b.Header.ParentHash] + 1 + uint64(b.Header.Difficulty)
		if b.Header.ParentHash.IsZero() {
			t.Fatal("genesis in the list")
		}
		tips = append(tips, clique.ChainTip{Hash: b.Hash(), Number: b.Header.Number, TotalDifficulty: td[b.Hash()]})
	}
	want, _ := clique.Head(tips)
	var accounts []string
	for _, tag := range []string{"m", "a", "b", "c"} {
		for i := range 5 {
			accounts = append(accounts, fmt.Sprintf("%s%d", tag, i))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var wantState string
	for round := range 12 {
		order := slices.Clone(all)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		if round == 0 {
			slices.Reverse(order) // children before parents throughout
		}
		l := newLedger(t, g)
		deliver(t, l, order)
		if l.Head().Hash != chain.Hash(want.Hash) {
			t.Fatalf("round %d: head %d %s, want %d %x", round, l.Head().Number, l.Head().Hash, want.Number, want.Hash)
		}
		fp := fingerprint(t, l, accounts)
		if round == 0 {
			wantState = fp
		} else if fp != wantState {
			t.Fatalf("round %d: state %s, want %s", round, fp, wantState)
		}
		l.Close()
	}
}

// A reorg puts the state where a node that only saw the winning branch has
// it, and returns the losing branch's transactions to the mempool.
func TestReorgRequeuesDroppedTxs(t *testing.T) {
	g := chaintest.Genesis(2, threeSigners...)
	short := grow(t, g, nil, "s", 1, 1)   // out of turn: low difficulty
	long := grow(t, g, nil, "w", 0, 0, 0) // in turn
	l := newLedger(t, g)
	mustInsert(t, l, short...)
	if l.Head().Hash != short[len(short)-1].Hash() {
		t.Fatal("not on the short branch")
	}
	mustInsert(t, l, long...)
	if l.Head().Hash != long[len(long)-1].Hash() {
		t.Fatalf("head %d, want the in-turn branch", l.Head().Number)
	}
	for _, b := range short[1:] { // block 1 may be shared
		for _, tx := range b.Txs {
			if !l.Pool().Has(tx.Hash()) {
				t.Fatalf("dropped tx %s not back in the pool", tx.Hash())
			}
		}
	}
	ref := newLedger(t, g)
	mustInsert(t, ref, long...)
	accts := []string{"s0", "s1", "w0", "w1", "w2"}
	if a, b := fingerprint(t, l, accts), fingerprint(t, ref, accts); a != b {
		t.Fatalf("state after reorg %s, fresh node %s", a, b)
	}
	h1, _ := l.State().History(context.Background(), chaintest.Pub("s0"))
	h2, _ := ref.State().History(context.Background(), chaintest.Pub("s0"))
	if len(h1) != len(h2) {
		t.Fatalf("history of s0: %d events after reorg, %d on a fresh node", len(h1), len(h2))
	}
	// Sealing on the new head includes the requeued transactions.
	for l.Pool().Len() > 0 {
		var signer string
		for _, n := range threeSigners {
			if l.head.snap.CanSeal(l.Head().Number+1, clique.Signer(chaintest.Pub(n))) == nil {
				signer = n
				break
			}
		}
		sealNext(t, l, signer, false)
	}
	if n, _ := l.State().Nonce(chaintest.Pub("s1")); n != 1 {
		t.Fatalf("s1's requeued tx not applied: nonce %d", n)
	}
}
