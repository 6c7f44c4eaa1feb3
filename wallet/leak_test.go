package wallet_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/wallet"
)

// TestCloseLeavesNoGoroutine opens a wallet, uses every store, closes it and
// checks that nothing it started is still running.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, err := w.ImportFile(ctx, bundleFiles(t)[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Read(ctx, rep.IDs[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}
