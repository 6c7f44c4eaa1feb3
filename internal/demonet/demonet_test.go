package demonet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// The demo genesis is fixed: every demo install runs the same chain, whose
// signers are the demo clinics' wallets.
func TestGenesisIsFixed(t *testing.T) {
	a, _ := Genesis().Header()
	b, _ := Genesis().Header()
	if a.Hash() != b.Hash() || len(a.Checkpoint) != len(Clinics) {
		t.Fatal("demo genesis differs between calls")
	}
	if Phrase(Clinics[0]) != Phrase(Clinics[0]) || Phrase(Clinics[0]) == Phrase(Clinics[1]) {
		t.Fatal("demo phrases are not fixed per party")
	}
}

// The demo consortium end to end: a patient joins it, the clinician (whom
// clinic 1 registers) asks for access and the patient sees the request; a
// restart resumes the chain and does not ask again; Close leaves no
// goroutine behind.
func TestDemoConsortium(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	patientDir := t.TempDir()
	w, _, err := wallet.Create(patientDir, []byte(Passphrase), wallet.Options{KDF: keystore.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	patient := w.ID()
	w.Close()

	n, err := Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.Join(patientDir, n.Network()); err != nil {
		t.Fatal(err)
	}
	nw, err := wallet.LoadNetwork(patientDir)
	if err != nil {
		t.Fatal(err)
	}
	w, err = wallet.Open(patientDir, []byte(Passphrase), nw.Options(wallet.Options{KDF: keystore.TestParams}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConnectMembers(ctx, nw.Peers); err != nil {
		t.Fatal(err)
	}
	sent, err := n.RequestAccess(ctx, patient)
	if err != nil || !sent {
		t.Fatalf("first request: sent %v, %v", sent, err)
	}
	err = w.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		p, _ := w.PendingRequests(ctx)
		return len(p) == 1 && p[0].Note == RequestNote && p[0].Clinician == n.Clinician.ChainKey()
	})
	if err != nil {
		t.Fatalf("the patient never saw the request: %v", err)
	}
	// Both clinics hold the request's block before the restart.
	for _, c := range n.Clinics {
		if err := c.Wallet.Ledger().WaitFor(ctx, func(ledger.Tip) bool { return c.Wallet.Ledger().Head().Number >= w.Ledger().Head().Number }); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	head := w.Ledger().Head()
	w.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n, err = Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if n != nil {
			n.Close()
		}
	}()
	if got := n.Clinics[1].Wallet.Ledger().Head(); got.Number < head.Number {
		t.Fatalf("restart at %d, was at %d", got.Number, head.Number)
	}
	if sent, err := n.RequestAccess(ctx, patient); err != nil || sent {
		t.Fatalf("after a restart: sent %v, %v; want no second request", sent, err)
	}
	err = n.Close()
	n = nil
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}

// The demo through one member's eyes: the consortium runs without that
// member's wallet, which the caller opens on the demo network, as the
// signer (or clinician) it is. A directory of the first demo chain's bare
// nodes gives way to the wallets.
func TestDemoAsMember(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	// A node the first demo chain left behind gives way to the wallet.
	for _, sub := range []string{"ipfs", "chain"} {
		if err := os.MkdirAll(filepath.Join(dir, "clinic-1", sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "clinic-1", "chain", "chain.db"), []byte("not this chain"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := StartExcept(ctx, dir, nil, "nobody"); err == nil {
		t.Fatal("StartExcept accepted an unknown member")
	}
	n, err := StartExcept(ctx, dir, nil, "clinic-2")
	if err != nil {
		t.Fatal(err)
	}
	if n.Clinics[1].Wallet != nil || n.Clinician == nil {
		t.Fatalf("clinic-2 opened by the Net, or the clinician missing")
	}
	w, nw, err := n.OpenMember("clinic-2", wallet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConnectMembers(ctx, nw.Peers); err != nil {
		t.Fatal(err)
	}
	if w.ChainKey() != ClinicKey(1) {
		t.Fatal("clinic-2's wallet is not Demo Clinic South's key")
	}
	if r, err := w.Roles(); err != nil || !r.Signer {
		t.Fatalf("clinic-2 roles %+v, %v: want a signer", r, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}
