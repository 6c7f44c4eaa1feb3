package wallet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
)

// onChain reopens a wallet directory as a full node of the chain g on
// loopback.
func onChain(t *testing.T, dir string, g *chain.Genesis) *wallet.Wallet {
	t.Helper()
	opts := testOpts
	opts.Network = &ipfs.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}
	opts.Chain = &wallet.ChainConfig{Genesis: g, SyncInterval: 500 * time.Millisecond}
	w, err := wallet.Open(dir, []byte(passphrase), opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Two clinic wallets seal the chain; a patient's wallet submits a
// transaction through its own node; all three hold it; closing leaves no
// goroutine behind.
func TestWalletsOnAChain(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dirs := map[string]string{}
	keys := map[chain.PublicKey]string{}
	for _, name := range []string{"clinic-a", "clinic-b", "patient"} {
		dirs[name] = t.TempDir()
		w, _, err := wallet.Create(dirs[name], []byte(passphrase), testOpts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ChainStatus(); !errors.Is(err, wallet.ErrNoChain) {
			t.Fatalf("offline wallet's chain: %v", err)
		}
		if name != "patient" {
			keys[w.ChainKey()] = name
		}
		w.Close()
	}
	g := chain.NewGenesis("hw-wallet-test", time.Now().Add(-time.Hour), keys)
	g.Period = 1
	a, b, p := onChain(t, dirs["clinic-a"], g), onChain(t, dirs["clinic-b"], g), onChain(t, dirs["patient"], g)
	var sealers []chan error
	for _, w := range []*wallet.Wallet{a, b} {
		done := make(chan error, 1)
		sealers = append(sealers, done)
		go func() { done <- w.RunSealer(ctx) }()
	}
	for _, w := range []*wallet.Wallet{b, p} {
		for _, addr := range mustAddrs(t, a) {
			if err := w.ConnectPeer(ctx, addr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st, _ := a.ChainStatus(); !st.IsSigner || st.ChainID != "hw-wallet-test" {
		t.Fatalf("clinic status %+v", st)
	}
	if st, _ := p.ChainStatus(); st.IsSigner {
		t.Fatal("the patient is a signer")
	}
	cid, err := chain.CIDFromBytes(append([]byte{0x01, 0x55, 0x12, 0x20}, make([]byte, 32)...))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := p.Submit(ctx, chain.RecordAnchor{Patient: p.ChainKey(), RecordID: "r" + string(rune('0'+i)), CID: cid, Category: chain.CategoryConditions, Time: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []*wallet.Wallet{a, b, p} {
		if err := w.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
			n, _ := w.Ledger().State().Nonce(p.ChainKey())
			return n == 3
		}); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	for _, done := range sealers {
		<-done
	}
	for _, w := range []*wallet.Wallet{a, b, p} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	goleak.VerifyNone(t, ignore)
}

func mustAddrs(t *testing.T, w *wallet.Wallet) []string {
	t.Helper()
	addrs := w.Addrs()
	if len(addrs) == 0 {
		t.Fatal("no addresses")
	}
	return addrs[:1]
}
