package wallet_test

import (
	"context"
	"errors"
	"slices"
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
func onChain(t testing.TB, dir string, g *chain.Genesis, pinQuota int64) *wallet.Wallet {
	t.Helper()
	opts := testOpts
	opts.Network = &ipfs.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}
	opts.Chain = &wallet.ChainConfig{Genesis: g, SyncInterval: 500 * time.Millisecond, PinQuota: pinQuota}
	w, err := wallet.Open(dir, []byte(passphrase), opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// consortium creates a wallet per name (each offline: not on any chain)
// and a genesis, with a 1 s period, whose signers are the wallets named in
// signers. It returns the wallets' directories.
func consortium(t testing.TB, chainID string, names, signers []string) (map[string]string, *chain.Genesis) {
	t.Helper()
	dirs := map[string]string{}
	keys := map[chain.PublicKey]string{}
	for _, name := range names {
		dirs[name] = t.TempDir()
		w, _, err := wallet.Create(dirs[name], []byte(passphrase), testOpts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ChainStatus(); !errors.Is(err, wallet.ErrNoChain) {
			t.Fatalf("offline wallet's chain: %v", err)
		}
		if slices.Contains(signers, name) {
			keys[w.ChainKey()] = name
		}
		w.Close()
	}
	g := chain.NewGenesis(chainID, time.Now().Add(-time.Hour), keys)
	g.Period = 1
	return dirs, g
}

// Two clinic wallets seal the chain; a patient's wallet submits a
// transaction through its own node; all three hold it; closing leaves no
// goroutine behind.
func TestWalletsOnAChain(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dirs, g := consortium(t, "hw-wallet-test", []string{"clinic-a", "clinic-b", "patient"}, []string{"clinic-a", "clinic-b"})
	// Clinic A pins what the chain references; B only seals.
	a, b, p := onChain(t, dirs["clinic-a"], g, 1<<30), onChain(t, dirs["clinic-b"], g, 0), onChain(t, dirs["patient"], g, 0)
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
	// The patient anchors three of its records' ciphertexts.
	if _, err := p.ImportFile(ctx, bundleFiles(t)[0], nil); err != nil {
		t.Fatal(err)
	}
	recs, err := p.List(ctx, wallet.Query{})
	if err != nil || len(recs) < 3 {
		t.Fatalf("%d records: %v", len(recs), err)
	}
	for _, rec := range recs[:3] {
		cid, err := chain.ParseCID(rec.CID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Submit(ctx, chain.RecordAnchor{Patient: p.ChainKey(), RecordID: rec.ID[:min(len(rec.ID), chain.MaxRecordIDLen)], CID: cid, Category: chain.CategoryConditions, Time: 1}); err != nil {
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
	// Clinic A pins the three ciphertexts (fetched from the patient);
	// clinic B pins nothing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _ := a.ChainStatus()
		if st.Pinning != nil && st.Pinning.Pinned >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("clinic A pinning: %+v", st.Pinning)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, _ := b.ChainStatus(); st.Pinning != nil {
		t.Fatal("clinic B pins")
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
