package wallet

import (
	"context"
	"testing"
)

// BlockCount counts the blocks in a wallet's store, for the external tests.
func BlockCount(t testing.TB, w *Wallet) int {
	t.Helper()
	ch, err := w.store.Blockstore().AllKeysChan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range ch {
		n++
	}
	return n
}
