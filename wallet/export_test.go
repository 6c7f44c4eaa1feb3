package wallet

import (
	"context"
	"crypto/ed25519"
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

// SigningKeyOf is the wallet's Ed25519 key, for the external tests that
// play a party signing outside the wallet's own calls (a forger, a
// prescriber whose licence was revoked).
func SigningKeyOf(w *Wallet) ed25519.PrivateKey { return w.id.SigningKey() }

// CommissionNoWait is CommissionBatch up to the transaction's submission,
// for the benchmark of commissioning (the block period is not its cost).
func CommissionNoWait(ctx context.Context, w *Wallet, gtin, lot, expiry string, serials []string) (Commissioned, error) {
	return w.commission(ctx, gtin, lot, expiry, serials)
}
