package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// farClock is a clock far ahead of the test genesis, so that blocks sealed
// back to back at increasing times are never "from the future".
func farClock() time.Time { return time.Unix(chaintest.GenesisTime+1_000_000_000, 0) }

func openLedger(t testing.TB, dir string, g *chain.Genesis) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), Config{Dir: dir, Genesis: g, Now: farClock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func newLedger(t testing.TB, g *chain.Genesis) *Ledger {
	t.Helper()
	return openLedger(t, filepath.Join(t.TempDir(), "ledger"), g)
}

// sealNext seals the next block on l's head with signer name, one period
// after its parent.
func sealNext(t testing.TB, l *Ledger, name string, allowEmpty bool) *chain.Block {
	t.Helper()
	blk, err := l.Seal(context.Background(), chaintest.Key(name), 0, allowEmpty)
	if err != nil {
		t.Fatalf("seal by %s on %d: %v", name, l.Head().Number, err)
	}
	return blk
}

func mustInsert(t testing.TB, l *Ledger, blks ...*chain.Block) {
	t.Helper()
	for _, b := range blks {
		if err := l.InsertBlock(context.Background(), b); err != nil && !errors.Is(err, ErrKnownBlock) {
			t.Fatalf("insert block %d: %v", b.Header.Number, err)
		}
	}
}

func mustAddTx(t testing.TB, l *Ledger, txs ...*chain.Tx) {
	t.Helper()
	for _, tx := range txs {
		if err := l.AddTx(context.Background(), tx); err != nil {
			t.Fatalf("add tx %s: %v", tx.Hash(), err)
		}
	}
}
