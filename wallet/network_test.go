package wallet_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
)

var updateInvite = flag.Bool("update-invite", false, "rewrite testdata/invite-v1.txt (only when the invite format version changes)")

// vectorNetwork is the network behind the invite vector: fixed keys, time
// and swarm key.
func vectorNetwork(t *testing.T) wallet.Network {
	t.Helper()
	var a, b chain.PublicKey
	for i := range a {
		a[i], b[i] = byte(i), byte(255-i)
	}
	g := chain.NewGenesis("hw-invite-vector", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		map[chain.PublicKey]string{a: "Clinic A", b: "Clinic B"})
	return wallet.Network{
		Genesis:  g,
		Peers:    []string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"},
		SwarmKey: []byte("/key/swarm/psk/1.0.0/\n/base16/\n" + strings.Repeat("0f", 32) + "\n"),
	}
}

// The invite format's vector: encoding the fixed network gives the stored
// code byte for byte, and the stored code decodes to the network.
func TestInviteVector(t *testing.T) {
	n := vectorNetwork(t)
	code, err := n.Invite()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "invite-v1.txt")
	if *updateInvite {
		if err := os.WriteFile(path, []byte(code+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if code != strings.TrimSpace(string(want)) {
		t.Fatalf("invite encoding changed:\n got %s\nwant %s", code, want)
	}
	got, err := wallet.ParseInvite(string(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, n) {
		t.Fatalf("decoded %+v, want %+v", got, n)
	}
	// Line breaks from an e-mail or a file do not matter.
	folded := code[:40] + "\r\n  " + code[40:] + "\n"
	if _, err := wallet.ParseInvite(folded); err != nil {
		t.Fatalf("folded invite: %v", err)
	}
}

func TestInviteRefusals(t *testing.T) {
	good, err := vectorNetwork(t).Invite()
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(good, wallet.InvitePrefix)
	for _, tc := range []struct{ name, code string }{
		{"empty", ""},
		{"no prefix", body},
		{"other version", "hwinvite2-" + body},
		{"not base64", wallet.InvitePrefix + "!!!"},
		{"truncated", good[:len(good)-20]},
		{"not json", wallet.InvitePrefix + "bm90IGpzb24"},
		{"unknown field", wallet.InvitePrefix + "eyJ2ZXJzaW9uIjoxLCJ4Ijp0cnVlfQ"},
		{"huge", wallet.InvitePrefix + strings.Repeat("A", wallet.MaxInviteSize)},
	} {
		if _, err := wallet.ParseInvite(tc.code); !errors.Is(err, wallet.ErrBadInvite) {
			t.Errorf("%s: %v, want ErrBadInvite", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*wallet.Network)
	}{
		{"no genesis", func(n *wallet.Network) { n.Genesis = nil }},
		{"no peers", func(n *wallet.Network) { n.Peers = nil }},
		{"bad peer", func(n *wallet.Network) { n.Peers = []string{"not a multiaddr"} }},
		{"bad swarm key", func(n *wallet.Network) { n.SwarmKey = []byte("nope") }},
	} {
		n := vectorNetwork(t)
		tc.mutate(&n)
		if _, err := n.Invite(); err == nil {
			t.Errorf("%s: invite made", tc.name)
		}
	}
}

func TestJoinAndLoad(t *testing.T) {
	dir := t.TempDir()
	n := vectorNetwork(t)
	if err := wallet.Join(dir, n); !errors.Is(err, wallet.ErrNoWallet) {
		t.Fatalf("join without a wallet: %v", err)
	}
	w, _, err := wallet.Create(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := wallet.LoadNetwork(dir); !errors.Is(err, wallet.ErrNotJoined) {
		t.Fatalf("before join: %v", err)
	}
	n.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	if err := wallet.Join(dir, n); err != nil {
		t.Fatal(err)
	}
	got, err := wallet.LoadNetwork(dir)
	if err != nil || !reflect.DeepEqual(got, n) {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	opts := got.Options(testOpts)
	if opts.Chain == nil || opts.Chain.Genesis.ChainID != "hw-invite-vector" || opts.Network == nil || string(opts.Network.SwarmKey) != string(n.SwarmKey) {
		t.Fatalf("options %+v", opts)
	}
	// Joining an open network drops the old swarm key.
	n.SwarmKey = nil
	if err := wallet.Join(dir, n); err != nil {
		t.Fatal(err)
	}
	if got, err := wallet.LoadNetwork(dir); err != nil || got.SwarmKey != nil {
		t.Fatalf("after joining an open network: swarm key %q, %v", got.SwarmKey, err)
	}
}

func FuzzParseInvite(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "invite-v1.txt")); err == nil {
		f.Add(string(b))
	}
	f.Add(wallet.InvitePrefix)
	f.Add(wallet.InvitePrefix + "e30")
	f.Fuzz(func(t *testing.T, code string) {
		n, err := wallet.ParseInvite(code)
		if err != nil {
			return
		}
		// What decodes is valid and encodes again.
		if _, err := n.Invite(); err != nil {
			t.Fatalf("decoded invite does not re-encode: %v", err)
		}
	})
}

// A founding clinic's network lists only itself: dialling its members
// skips its own address and is no failure; an unreachable other member is.
func TestConnectMembersSkipsSelf(t *testing.T) {
	opts := testOpts
	opts.Network = &ipfs.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}}
	w, _, err := wallet.Create(t.TempDir(), []byte(passphrase), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if n, err := w.ConnectMembers(ctx, w.Addrs()); n != 0 || err != nil {
		t.Fatalf("only itself: %d, %v", n, err)
	}
	gone := "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
	if _, err := w.ConnectMembers(ctx, append(w.Addrs(), gone)); err == nil {
		t.Fatal("an unreachable member is no error")
	}
}
