package wallet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

func TestNewConsortiumRefuses(t *testing.T) {
	dirs, _ := consortium(t, "unused", []string{"clinic"}, nil)
	w, err := wallet.Open(dirs["clinic"], []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	id := w.ID()
	w.Close()
	ok := wallet.ConsortiumSpec{ChainID: "riverside-1", Founders: map[identity.ID]string{id: "Riverside"}, Listen: []string{"/ip4/127.0.0.1/tcp/0"}}
	for name, mod := range map[string]func(*wallet.ConsortiumSpec){
		"bad chain ID":    func(s *wallet.ConsortiumSpec) { s.ChainID = "river side" },
		"no chain ID":     func(s *wallet.ConsortiumSpec) { s.ChainID = "" },
		"no founders":     func(s *wallet.ConsortiumSpec) { s.Founders = nil },
		"no listen":       func(s *wallet.ConsortiumSpec) { s.Listen = nil },
		"half a second":   func(s *wallet.ConsortiumSpec) { s.Period = 1500 * time.Millisecond },
		"negative period": func(s *wallet.ConsortiumSpec) { s.Period = -time.Second },
	} {
		spec := ok
		mod(&spec)
		if _, err := wallet.NewConsortium(spec, time.Now()); !errors.Is(err, wallet.ErrBadConsortium) {
			t.Errorf("%s: %v, want ErrBadConsortium", name, err)
		}
	}
	n, err := wallet.NewConsortium(ok, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n.Genesis.Period != 2 || len(n.Genesis.Signers) != 1 || n.Genesis.Signers[0].Name != "Riverside" || n.SwarmKey == nil || len(n.Peers) != 0 {
		t.Fatalf("network %+v, genesis %+v", n, n.Genesis)
	}
}

// A founding clinic founds a consortium: its wallet reopens on the new
// chain, seals its blocks, and the invite it hands out decodes to the same
// network with its own node as the member to dial.
func TestFoundConsortium(t *testing.T) {
	dirs, _ := consortium(t, "unused", []string{"clinic", "other"}, nil)
	other, err := wallet.Open(dirs["other"], []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	otherID := other.ID()
	other.Close()
	clinic, err := wallet.Open(dirs["clinic"], []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	clinicID := clinic.ID()
	clinic.Close()

	spec := wallet.ConsortiumSpec{ChainID: "riverside-1", Period: time.Second,
		Founders: map[identity.ID]string{otherID: "Hillside"}, Listen: []string{"/ip4/127.0.0.1/tcp/0"}}
	if _, _, err := wallet.FoundConsortium(dirs["clinic"], []byte(passphrase), spec, testOpts); !errors.Is(err, wallet.ErrBadConsortium) {
		t.Fatalf("founding without being a founder: %v", err)
	}
	if _, err := wallet.LoadNetwork(dirs["clinic"]); !errors.Is(err, wallet.ErrNotJoined) {
		t.Fatalf("a refused founding joined: %v", err)
	}
	spec.Founders[clinicID] = "Riverside"
	w, n, err := wallet.FoundConsortium(dirs["clinic"], []byte(passphrase), spec, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sealed := make(chan error, 1)
	go func() { sealed <- w.RunSealer(ctx) }()
	defer func() { cancel(); <-sealed }()

	st, err := w.ChainStatus()
	if err != nil || st.ChainID != "riverside-1" || !st.IsSigner || len(st.Signers) != 2 {
		t.Fatalf("status %+v: %v", st, err)
	}
	if w.ClinicName(w.ChainKey()) != "Riverside" {
		t.Fatalf("the clinic's name is %q", w.ClinicName(w.ChainKey()))
	}
	joined, err := wallet.LoadNetwork(dirs["clinic"])
	if err != nil || joined.Genesis.ChainID != "riverside-1" || string(joined.SwarmKey) != string(n.SwarmKey) || len(joined.Peers) == 0 {
		t.Fatalf("joined %+v: %v", joined, err)
	}
	code, err := n.Invite()
	if err != nil {
		t.Fatal(err)
	}
	back, err := wallet.ParseInvite(code)
	if err != nil {
		t.Fatal(err)
	}
	gh, _ := n.Genesis.Header()
	bh, _ := back.Genesis.Header()
	if gh.Hash() != bh.Hash() || string(back.SwarmKey) != string(n.SwarmKey) || back.Peers[0] != w.Addrs()[0] {
		t.Fatalf("invite round trip: %+v", back)
	}
	// Two founders, the other offline: the clinic seals every other block
	// at most, so it seals the first one.
	if err := w.Ledger().WaitFor(ctx, func(tip ledger.Tip) bool { return tip.Number >= 1 }); err != nil {
		t.Fatal(err)
	}
}
