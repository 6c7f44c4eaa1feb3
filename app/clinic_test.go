package app

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// clinicNode is a one-clinic consortium whose clinic runs in a UI: the
// wallet is founded with wallet.FoundConsortium (loopback, 1 s blocks,
// open network) and unlocked in a UI that pins for the network, so the
// Clinic screen shows a signer's node. The consortium fixture keeps its
// clinic outside any UI, hence this one.
type clinicNode struct {
	u   *UI
	dir string
	net wallet.Network // with the running node's addresses as peers
}

func newClinicNode(t *testing.T) *clinicNode {
	t.Helper()
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	id := w.ID()
	w.Close()
	spec := wallet.ConsortiumSpec{ChainID: "hw-clinic-test", Period: time.Second, Open: true,
		Founders: map[identity.ID]string{id: "Test Clinic"}, Listen: []string{"/ip4/127.0.0.1/tcp/0"}}
	w, _, err = wallet.FoundConsortium(dir, []byte(testPassphrase), spec, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	opts := testOpts
	opts.Chain = &wallet.ChainConfig{PinQuota: 1 << 30, SyncInterval: 500 * time.Millisecond}
	a := test.NewTempApp(t)
	u := New(a, Config{DataDir: dir, Options: opts})
	u.do = queueUI
	t.Cleanup(func() { onUI(u.Window().Close) })
	onUI(u.Start)
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	typeInto(entries(u.Window())[0], testPassphrase)
	tap(t, u.Window(), "Unlock")
	waitFor(t, "main window", func() bool { return u.Wallet() != nil })
	n, err := wallet.LoadNetwork(dir)
	if err != nil {
		t.Fatal(err)
	}
	n.Peers = u.Wallet().Addrs()[:1]
	n.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	return &clinicNode{u: u, dir: dir, net: n}
}

// member creates a wallet joined to the clinic's network and opens it
// outside the UI, connected to the clinic.
func (c *clinicNode) member(t *testing.T) *wallet.Wallet {
	t.Helper()
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := wallet.Join(dir, c.net); err != nil {
		t.Fatal(err)
	}
	opts := c.net.Options(testOpts)
	opts.Chain.SyncInterval = 500 * time.Millisecond
	if w, err = wallet.Open(dir, []byte(testPassphrase), opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := w.ConnectMembers(ctx, c.net.Peers); err != nil {
		t.Fatal(err)
	}
	return w
}

func entryWithPlaceholder(t *testing.T, w fyne.Window, prefix string) *widget.Entry {
	t.Helper()
	var found *widget.Entry
	waitFor(t, "the field "+prefix, func() bool {
		for _, e := range entries(w) {
			if strings.HasPrefix(e.PlaceHolder, prefix) {
				found = e
			}
		}
		return found != nil
	})
	return found
}

// tapInDialog taps the button with this text in the window's dialogs.
func tapInDialog(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	var b *widget.Button
	waitFor(t, "dialog button "+text, func() bool {
		onUI(func() {
			for _, o := range w.Canvas().Overlays().List() {
				walk(o, func(o fyne.CanvasObject) {
					if x, ok := o.(*widget.Button); ok && x.Text == text {
						b = x
					}
				})
			}
		})
		return b != nil
	})
	onUI(func() { test.Tap(b) })
}

func overlayInvite(w fyne.Window) string {
	for _, s := range overlayLabels(w) {
		if strings.HasPrefix(s, wallet.InvitePrefix) {
			return s
		}
	}
	return ""
}

// The clinic's screen on its own running node: the dashboard shows the
// chain, its height, the signer and the pinned storage; a clinician's card
// pasted registers them on the chain and revoking ends it; the invite
// decodes to the network with this node to dial.
func TestClinicScreen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newClinicNode(t)
	u, win := c.u, c.u.Window()
	openSection(t, u, "Clinic")
	waitFor(t, "the dashboard", func() bool {
		return labelContaining(win, "hw-clinic-test") &&
			hasLabel(win, func(s string) bool {
				return strings.HasPrefix(s, "1 clinic: Test Clinic (") && strings.HasSuffix(s, ", this wallet")
			}) &&
			labelContaining(win, "Is a signer")
	})

	// Register a doctor from their identity card.
	doctor, patient := c.member(t), c.member(t)
	card, err := identityCardText(doctor)
	if err != nil {
		t.Fatal(err)
	}
	typeInto(entryWithPlaceholder(t, win, "the clinician's identity card"), card)
	tap(t, win, "Register")
	waitFor(t, "the doctor registered on chain", func() bool {
		r, err := doctor.Roles()
		return err == nil && r.Clinician != nil && r.Clinician.Role == chain.RolePhysician && r.Clinician.Clinic == u.Wallet().ChainKey()
	})
	waitFor(t, "the registration listed", func() bool {
		return labelContaining(win, doctor.ID().String()+" · Physician · registered ")
	})
	tapInDialog(t, win, "OK")

	// The patient shares with the doctor: the clinic pins the records and
	// the key capsule, and the dashboard shows them with their bytes.
	if _, err := patient.ImportFile(ctx, bundle, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: doctor.ID(), Categories: []string{"conditions"},
		Purpose: chain.PurposeTREAT, Duration: time.Hour, Read: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "height and pinned storage on the dashboard", func() bool {
		height := hasLabel(win, func(s string) bool {
			rest, ok := strings.CutPrefix(s, "Block ")
			n, err := strconv.Atoi(strings.Split(rest, ",")[0])
			return ok && err == nil && n >= 2 && strings.Contains(s, " ago (")
		})
		pinned := hasLabel(win, func(s string) bool {
			n, err := strconv.Atoi(strings.Split(s, " ")[0])
			return err == nil && n > 1 && strings.Contains(s, "records and key capsules pinned for the network; ") &&
				(strings.Contains(s, " KB in ") || strings.Contains(s, " MB in ")) && strings.Contains(s, "of a 1.1 GB quota")
		})
		return height && pinned
	})

	// Revoke the doctor's registration.
	tap(t, win, "Revoke")
	tapInDialog(t, win, "Revoke")
	waitFor(t, "the doctor revoked on chain", func() bool { r, err := doctor.Roles(); return err == nil && r.Clinician == nil })
	waitFor(t, "the revocation listed", func() bool { return labelContaining(win, "registration revoked") })

	// The invite: this network, this node first.
	tap(t, win, "Show the invite…")
	var code string
	waitFor(t, "the invite", func() bool { code = overlayInvite(win); return code != "" })
	n, err := wallet.ParseInvite(code)
	if err != nil {
		t.Fatal(err)
	}
	if n.Genesis.ChainID != "hw-clinic-test" || len(n.Peers) == 0 || n.Peers[0] != u.Wallet().Addrs()[0] {
		t.Fatalf("invite %+v", n)
	}
	tapInDialog(t, win, "Close")

	// A vote to add a second clinic: the only signer's vote is a majority,
	// carried in the next block (the patient's revoke makes one).
	newcomer := c.member(t)
	typeInto(entryWithPlaceholder(t, win, "the clinic's Health Wallet ID"), newcomer.ID().String())
	tap(t, win, "Vote to add this clinic")
	waitFor(t, "this node's vote listed", func() bool { return labelContaining(win, "This node votes to add ") })
	grants, err := patient.GrantsInForce(ctx)
	if err != nil || len(grants) != 1 {
		t.Fatalf("%d grants: %v", len(grants), err)
	}
	if err := patient.Revoke(ctx, grants[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two signers, the vote done", func() bool {
		return hasLabel(win, func(s string) bool { return strings.HasPrefix(s, "2 clinics: ") }) &&
			!labelContaining(win, "This node votes to add ")
	})
	if !slices.Contains(u.Wallet().Ledger().Signers(), newcomer.ChainKey()) {
		t.Fatal("the newcomer is not a signer")
	}
}

// A wallet on no network, with the clinic tools on, founds a consortium
// from the Clinic screen: it restarts as the chain's signer and shows an
// invite that decodes to the new network.
func TestClinicFoundsConsortium(t *testing.T) {
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	me := w.ChainKey()
	w.Close()
	u := newTestUI(t, dir)
	win := u.Window()
	u.app.Preferences().SetBool(prefClinicTools, true)
	waitFor(t, "unlock screen", func() bool { return findButton(win, "Unlock") != nil })
	typeInto(entries(win)[0], testPassphrase)
	tap(t, win, "Unlock")
	waitFor(t, "main window", func() bool { return u.Wallet() != nil })
	openSection(t, u, "Clinic")

	typeInto(entryWithPlaceholder(t, win, "a short name"), "hw-founded-test")
	typeInto(entryWithPlaceholder(t, win, "your clinic's name"), "Founding Clinic")
	typeInto(entryWithPlaceholder(t, win, "this wallet's passphrase"), "not the passphrase")
	var listen, period *widget.Entry
	for _, e := range entries(win) {
		switch e.Text {
		case "/ip4/0.0.0.0/tcp/4001":
			listen = e
		case "2":
			period = e
		}
	}
	if listen == nil || period == nil {
		t.Fatal("no listen or period field with its default")
	}
	typeInto(listen, "/ip4/127.0.0.1/tcp/0")
	typeInto(period, "1")
	tap(t, win, "Create the consortium")
	waitFor(t, "the wrong passphrase refused", func() bool { return labelContaining(win, "passphrase is not right") })
	if _, err := wallet.LoadNetwork(dir); err != wallet.ErrNotJoined {
		t.Fatalf("joined after a wrong passphrase: %v", err)
	}

	typeInto(entryWithPlaceholder(t, win, "this wallet's passphrase"), testPassphrase)
	tap(t, win, "Create the consortium")
	var code string
	waitFor(t, "the invite", func() bool { code = overlayInvite(win); return code != "" })
	n, err := wallet.ParseInvite(code)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := n.Genesis.SignerKeys()
	if err != nil || n.Genesis.ChainID != "hw-founded-test" || n.Genesis.Period != 1 || !slices.Equal(keys, []chain.PublicKey{me}) ||
		n.Genesis.Signers[0].Name != "Founding Clinic" || n.SwarmKey == nil || len(n.Peers) == 0 {
		t.Fatalf("invite %+v (genesis %+v): %v", n, n.Genesis, err)
	}
	joined, err := wallet.LoadNetwork(dir)
	if err != nil || joined.Genesis.ChainID != "hw-founded-test" || string(joined.SwarmKey) != string(n.SwarmKey) {
		t.Fatalf("joined %+v: %v", joined, err)
	}
	waitFor(t, "the wallet reopened as the chain's signer", func() bool {
		w := u.Wallet()
		if w == nil {
			return false
		}
		st, err := w.ChainStatus()
		return err == nil && st.IsSigner && st.ChainID == "hw-founded-test"
	})
}
