package app

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

var testOpts = wallet.Options{KDF: keystore.TestParams}

const bundle = "../../shared/testdata/fhir/synthea-bundles/Michal_Collier_584f0a39-8b0f-46d0-b0d2-4915115ffb8d.json"

// uiMu serialises the UI's background updates with the test's reads and
// actions: Fyne's test driver runs fyne.Do inline on the calling goroutine.
var uiMu sync.Mutex

func onUI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// uiQueue runs the UI's background updates one at a time, in order, on
// one goroutine, as the real driver's fyne.Do does: queued, so that a
// goroutine reporting to the UI never waits on the test's own UI calls.
var uiQueue = func() chan func() {
	q := make(chan func(), 1<<16)
	go func() {
		for f := range q {
			onUI(f)
		}
	}()
	return q
}()

func queueUI(f func()) { uiQueue <- f }

func newTestUI(t *testing.T, dir string) *UI {
	a := test.NewTempApp(t)
	u := New(a, Config{DataDir: dir, Options: testOpts})
	u.do = queueUI
	t.Cleanup(func() { onUI(u.Window().Close) })
	onUI(u.Start)
	return u
}

// walk visits o and everything inside it, widgets through their renderers.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, visit)
		}
	}
}

// everything visits the window's content and its dialogs.
func everything(w fyne.Window, visit func(fyne.CanvasObject)) {
	onUI(func() {
		walk(w.Canvas().Content(), visit)
		for _, o := range w.Canvas().Overlays().List() {
			walk(o, visit)
		}
	})
}

func findButton(w fyne.Window, text string) *widget.Button {
	var found *widget.Button
	everything(w, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	return found
}

func hasLabel(w fyne.Window, pred func(string) bool) bool {
	found := false
	everything(w, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && pred(l.Text) {
			found = true
		}
	})
	return found
}

func entries(w fyne.Window) []*widget.Entry {
	var out []*widget.Entry
	everything(w, func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok {
			out = append(out, e)
		}
	})
	return out
}

// waitFor polls until cond holds, failing at the deadline: the UI updates
// from goroutines, so tests wait for what they expect to see.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tap(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	var b *widget.Button
	waitFor(t, "button "+text, func() bool { b = findButton(w, text); return b != nil })
	onUI(func() { test.Tap(b) })
}

func typeInto(e *widget.Entry, s string) {
	onUI(func() { e.SetText(s) })
}

// createThroughUI walks the create screens: passphrase (a mismatch first),
// the optional invite, the phrase, and the check of three of its words (a
// wrong word first). It returns the phrase shown.
func createThroughUI(t *testing.T, u *UI, invite string) []string {
	t.Helper()
	tap(t, u.Window(), "Create a new wallet")
	es := entries(u.Window())
	if len(es) != 3 {
		t.Fatalf("create screen has %d entries, want 3 (passphrase, again, invite)", len(es))
	}
	typeInto(es[0], "a long passphrase")
	typeInto(es[1], "a different one!")
	typeInto(es[2], invite)
	tap(t, u.Window(), "Create wallet")
	waitFor(t, "mismatch message", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return s == "The two passphrases differ." })
	})
	typeInto(es[1], "a long passphrase")
	tap(t, u.Window(), "Create wallet")

	// The phrase: 24 numbered words.
	waitFor(t, "recovery phrase", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return strings.HasPrefix(s, "24. ") })
	})
	words := make([]string, 24)
	everything(u.Window(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			if n, w, ok := strings.Cut(l.Text, ". "); ok {
				if i, err := strconv.Atoi(n); err == nil && i >= 1 && i <= 24 {
					words[i-1] = w
				}
			}
		}
	})
	if u.Wallet() != nil {
		t.Fatal("the wallet is in use before its phrase was checked")
	}
	tap(t, u.Window(), "I have written them down")

	// Three words asked back: a wrong one is refused, the right ones pass.
	var form *widget.Form
	waitFor(t, "phrase check", func() bool {
		everything(u.Window(), func(o fyne.CanvasObject) {
			if f, ok := o.(*widget.Form); ok && len(f.Items) == 3 && strings.HasPrefix(f.Items[0].Text, "Word ") {
				form = f
			}
		})
		return form != nil
	})
	answers := make([]string, 3)
	for i, it := range form.Items {
		n, err := strconv.Atoi(strings.TrimPrefix(it.Text, "Word "))
		if err != nil || n < 1 || n > 24 {
			t.Fatalf("asks for %q", it.Text)
		}
		answers[i] = words[n-1]
	}
	for i, it := range form.Items {
		typeInto(it.Widget.(*widget.Entry), answers[i])
	}
	typeInto(form.Items[1].Widget.(*widget.Entry), "notaword")
	tap(t, u.Window(), "Check")
	waitFor(t, "refusal of a wrong word", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return strings.Contains(s, "is not right") })
	})
	typeInto(form.Items[1].Widget.(*widget.Entry), " "+strings.ToUpper(answers[1])+" ")
	tap(t, u.Window(), "Check")
	waitFor(t, "records screen", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return s == "0 records" })
	})
	return words
}

func TestCreateWalletFlow(t *testing.T) {
	dir := t.TempDir()
	u := newTestUI(t, dir)
	words := createThroughUI(t, u, "")
	if !wallet.Exists(dir) {
		t.Fatal("wallet not on disk")
	}
	var created *wallet.Wallet
	onUI(func() { created = u.Wallet() })
	if created == nil || strings.Join(words, " ") != created.RecoveryPhrase() {
		t.Fatal("the phrase shown is not the wallet's")
	}
	if !hasLabel(u.Window(), func(s string) bool { return strings.HasPrefix(s, "Offline: this wallet has not joined a network") }) {
		t.Error("the status bar does not say the new wallet is offline")
	}
}

// A wallet created with a clinic's invite is on the clinic's network as
// soon as its phrase is checked; a bad invite is refused before anything
// is created.
func TestCreateWithInvite(t *testing.T) {
	c, _ := newConsortium(t)
	code, err := c.Network.Invite()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	u := newTestUI(t, dir)
	tap(t, u.Window(), "Create a new wallet")
	es := entries(u.Window())
	typeInto(es[0], "a long passphrase")
	typeInto(es[1], "a long passphrase")
	typeInto(es[2], "hwinvite1-garbage")
	tap(t, u.Window(), "Create wallet")
	waitFor(t, "bad invite refused", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return strings.Contains(s, "not a Health Wallet invite") })
	})
	if wallet.Exists(dir) {
		t.Fatal("a wallet was created despite the bad invite")
	}
	tap(t, u.Window(), "Back")

	createThroughUI(t, u, code)
	if n, err := wallet.LoadNetwork(dir); err != nil || n.Genesis.ChainID != "hw-app-test" {
		t.Fatalf("joined %+v: %v", n, err)
	}
	waitFor(t, "connected to the clinic", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return s == "1 peer" })
	})
}

func TestUnlockAndBrowse(t *testing.T) {
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte("the right passphrase"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.ImportFile(context.Background(), bundle, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	u := newTestUI(t, dir)
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	pass := entries(u.Window())[0]

	typeInto(pass, "the wrong passphrase")
	tap(t, u.Window(), "Unlock")
	waitFor(t, "wrong passphrase message", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return strings.Contains(s, "passphrase is not right") })
	})
	var left string
	onUI(func() { left = pass.Text })
	if left != "" {
		t.Error("the passphrase stays in the entry after a failed unlock")
	}

	typeInto(pass, "the right passphrase")
	tap(t, u.Window(), "Unlock")
	want := strconv.Itoa(rep.Added) + " records"
	waitFor(t, want, func() bool { return hasLabel(u.Window(), func(s string) bool { return s == want }) })

	// Search narrows the list.
	search := entries(u.Window())[0]
	typeInto(search, "body weight")
	var unlocked *wallet.Wallet
	onUI(func() { unlocked = u.Wallet() })
	matching, err := unlocked.List(context.Background(), wallet.Query{Text: "body weight"})
	if err != nil || len(matching) == 0 || len(matching) == rep.Added {
		t.Fatalf("search fixture: %d of %d records match: %v", len(matching), rep.Added, err)
	}
	wantFiltered := strconv.Itoa(len(matching)) + " records"
	waitFor(t, wantFiltered, func() bool { return hasLabel(u.Window(), func(s string) bool { return s == wantFiltered }) })
}

// Restoring from the phrase gives the same identity on a new computer; a
// phrase with a wrong word is refused in words, and nothing is created.
func TestRestoreFlow(t *testing.T) {
	orig, phrase, err := wallet.Create(t.TempDir(), []byte("first computer"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := orig.ID()
	orig.Close()

	dir := t.TempDir()
	u := newTestUI(t, dir)
	tap(t, u.Window(), "Restore from a recovery phrase")
	es := entries(u.Window()) // phrase, passphrase, again, invite
	if len(es) != 4 {
		t.Fatalf("restore screen has %d entries, want 4", len(es))
	}
	words := strings.Fields(phrase)
	words[5], words[6] = words[6], words[5] // the checksum catches a swap
	if words[5] == words[6] {
		words[5] = "abandon"
	}
	typeInto(es[0], strings.Join(words, " "))
	typeInto(es[1], "second computer")
	typeInto(es[2], "second computer")
	tap(t, u.Window(), "Restore wallet")
	waitFor(t, "bad phrase refused", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return strings.HasPrefix(s, "Those words are not a valid recovery phrase") })
	})
	if wallet.Exists(dir) {
		t.Fatal("a wallet was created from a bad phrase")
	}
	typeInto(es[0], "  "+strings.ToUpper(phrase)+"\n")
	tap(t, u.Window(), "Restore wallet")
	waitFor(t, "records screen", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return s == "0 records" })
	})
	var got *wallet.Wallet
	onUI(func() { got = u.Wallet() })
	if got == nil || got.ID() != want {
		t.Fatalf("restored a different identity")
	}
}
