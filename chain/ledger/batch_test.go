package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// batchChain seals n blocks of a few transactions each on a fresh ledger.
func batchChain(t *testing.T, g *chain.Genesis, n int) []*chain.Block {
	t.Helper()
	l := newLedger(t, g)
	acct := chaintest.NewAccounts()
	var blks []*chain.Block
	for i := range n {
		for j := range 1 + i%3 {
			name := fmt.Sprintf("batch-%d", j)
			mustAddTx(t, l, acct.Sign(name, chaintest.Anchor(name, fmt.Sprintf("r%d", i))))
		}
		blks = append(blks, sealNext(t, l, "clinic-a", false))
	}
	return blks
}

func TestInsertBlocks(t *testing.T) {
	ctx := context.Background()
	g := chaintest.Genesis(2, "clinic-a")
	blks := batchChain(t, g, 12)
	want := newLedger(t, g)
	mustInsert(t, want, blks...)

	l := newLedger(t, g)
	if n, err := l.InsertBlocks(ctx, nil); n != 0 || err != nil {
		t.Fatalf("no blocks: %d, %v", n, err)
	}
	if n, err := l.InsertBlocks(ctx, blks[:5]); n != 5 || err != nil {
		t.Fatalf("first 5: %d, %v", n, err)
	}
	// A known block stops the batch where InsertBlock would have failed.
	if n, err := l.InsertBlocks(ctx, blks[3:]); n != 0 || !errors.Is(err, ErrKnownBlock) {
		t.Fatalf("from a known block: %d, %v", n, err)
	}
	if n, err := l.InsertBlocks(ctx, blks[5:]); n != len(blks)-5 || err != nil {
		t.Fatalf("the rest: %d, %v", n, err)
	}
	if l.Head() != want.Head() {
		t.Fatalf("head %+v, InsertBlock gives %+v", l.Head(), want.Head())
	}
	for j := range 3 {
		k := chaintest.Pub(fmt.Sprintf("batch-%d", j))
		a, _ := l.State().Nonce(k)
		b, _ := want.State().Nonce(k)
		if a != b || a == 0 {
			t.Fatalf("batch-%d's nonce %d, InsertBlock gives %d", j, a, b)
		}
	}
}

// A bad block stops the batch: the blocks before it are in, it and the
// ones after are not, and the error is InsertBlock's.
func TestInsertBlocksStopsAtBadBlock(t *testing.T) {
	ctx := context.Background()
	g := chaintest.Genesis(2, "clinic-a")
	blks := batchChain(t, g, 8)
	badSeal := &chain.Block{Header: blks[4].Header, Txs: blks[4].Txs}
	badSeal.Header.Signature[0] ^= 1
	forged := chain.NewBlock(blks[4].Header, append([]*chain.Tx{chaintest.Forge("mallory", "batch-9", 0, chaintest.Anchor("batch-9", "x"))}, blks[4].Txs...))
	forged.Header.StateRoot = StateRoot(blks[3].Header.StateRoot, 5, forged.Header.TxRoot, []chain.PublicKey{chaintest.Pub("clinic-a")})
	if err := forged.Header.Seal(chaintest.Key("clinic-a")); err != nil {
		t.Fatal(err)
	}
	with := func(b *chain.Block) []*chain.Block { // blks with b as block 5
		return append(append(append([]*chain.Block{}, blks[:4]...), b), blks[5:]...)
	}
	cases := []struct {
		name  string
		batch []*chain.Block
		want  error
	}{
		{"bad seal", with(badSeal), ErrInvalidBlock},
		{"forged transaction", with(forged), ErrInvalidBlock},
		{"unknown parent", append(append([]*chain.Block{}, blks[:4]...), blks[5:]...), ErrUnknownParent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLedger(t, g)
			batch := c.batch
			n, err := l.InsertBlocks(ctx, batch)
			if n != 4 || !errors.Is(err, c.want) {
				t.Fatalf("got %d, %v; want 4, %v", n, err, c.want)
			}
			if l.Head().Number != 4 {
				t.Fatalf("head %d", l.Head().Number)
			}
			if ok, _ := l.HasBlock(ctx, batch[4].Hash()); ok {
				t.Fatal("bad block stored")
			}
			// The honest chain still goes in after it.
			if n, err := l.InsertBlocks(ctx, blks[4:]); n != len(blks)-4 || err != nil {
				t.Fatalf("honest rest: %d, %v", n, err)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		l := newLedger(t, g)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if n, err := l.InsertBlocks(cctx, blks); n != 0 || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %d, %v", n, err)
		}
		if l.Head().Number != 0 {
			t.Fatalf("head %d", l.Head().Number)
		}
	})
}
