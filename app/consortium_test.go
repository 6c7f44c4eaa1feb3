package app

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
)

// testPassphrase opens every wallet the consortium fixture makes.
const testPassphrase = "a test passphrase"

// testConsortium is a live chain on loopback for the screens' tests: one
// clinic wallet that seals (1 s period) and pins, and a network that other
// wallets join. Close (registered with t.Cleanup) stops it.
type testConsortium struct {
	Clinic  *wallet.Wallet
	Network wallet.Network
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// newConsortium starts the clinic; names are further wallets to create
// (not opened) and return by directory, joined to the network.
func newConsortium(t *testing.T, names ...string) (*testConsortium, map[string]string) {
	t.Helper()
	clinicDir := t.TempDir()
	w, _, err := wallet.Create(clinicDir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	key := w.ChainKey()
	w.Close()
	g := chain.NewGenesis("hw-app-test", time.Now().Add(-time.Hour), map[chain.PublicKey]string{key: "Test Clinic"})
	g.Period = 1
	opts := testOpts
	opts.Network = &ipfs.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}
	opts.Chain = &wallet.ChainConfig{Genesis: g, SyncInterval: 500 * time.Millisecond, PinQuota: 1 << 30}
	clinic, err := wallet.Open(clinicDir, []byte(testPassphrase), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &testConsortium{Clinic: clinic, cancel: cancel}
	c.wg.Go(func() { clinic.RunSealer(ctx) })
	c.Network = wallet.Network{Genesis: g, Peers: clinic.Addrs()[:1], Listen: []string{"/ip4/127.0.0.1/tcp/0"}}
	t.Cleanup(c.close)
	dirs := map[string]string{}
	for _, name := range names {
		dir := t.TempDir()
		w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if err := wallet.Join(dir, c.Network); err != nil {
			t.Fatal(err)
		}
		dirs[name] = dir
	}
	return c, dirs
}

// open opens a member's wallet on the network (outside any UI), connected
// to the clinic.
func (c *testConsortium) open(t *testing.T, dir string) *wallet.Wallet {
	t.Helper()
	n, err := wallet.LoadNetwork(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := n.Options(testOpts)
	opts.Chain.SyncInterval = 500 * time.Millisecond
	w, err := wallet.Open(dir, []byte(testPassphrase), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := w.ConnectMembers(ctx, n.Peers); err != nil {
		w.Close()
		t.Fatal(err)
	}
	return w
}

// register makes the wallet in dir a registered physician (the clinic
// signs) and waits until the registration is in a block.
func (c *testConsortium) register(t *testing.T, member *wallet.Wallet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Clinic.RegisterClinician(ctx, member.Public(), chain.RolePhysician); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "clinician registration in a block", func() bool {
		r, err := member.Roles()
		return err == nil && r.Clinician != nil
	})
}

func (c *testConsortium) close() {
	c.cancel()
	c.wg.Wait()
	c.Clinic.Close()
}

// unlockUI opens the wallet in dir through the unlock screen of a new UI,
// on its network, and waits for the main window.
func unlockUI(t *testing.T, dir string) *UI {
	t.Helper()
	u := newTestUI(t, dir)
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	typeInto(entries(u.Window())[0], testPassphrase)
	tap(t, u.Window(), "Unlock")
	waitFor(t, "main window", func() bool { return u.Wallet() != nil })
	return u
}

// Sanity of the fixture itself: a member unlocked through the UI gets on
// the chain and sees the clinic; the status bar says it is up to date.
func TestConsortiumFixture(t *testing.T) {
	_, dirs := newConsortium(t, "patient")
	u := unlockUI(t, dirs["patient"])
	// The clinic's first block (its published sealing key) may or may not
	// be sealed yet.
	waitFor(t, "status bar connected", func() bool {
		return hasLabel(u.Window(), func(s string) bool {
			return s == "Connected; the chain has no blocks yet" || strings.HasPrefix(s, "Up to date · block ")
		}) && hasLabel(u.Window(), func(s string) bool { return s == "1 peer" })
	})
}
