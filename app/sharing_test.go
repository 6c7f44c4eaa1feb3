package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/qr"
)

// notifyingApp is the test app, keeping every desktop notification sent.
type notifyingApp struct {
	fyne.App
	mu   sync.Mutex
	sent []*fyne.Notification
}

func (a *notifyingApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, n)
}

func (a *notifyingApp) notifications(title string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, s := range a.sent {
		if s.Title == title {
			n++
		}
	}
	return n
}

// unlockNotifying is unlockUI with an app that records notifications.
// The notifier is started as the unlocked window does (startNotifier is
// idempotent, so it does not matter whether the window already did).
func unlockNotifying(t *testing.T, dir string) (*UI, *notifyingApp) {
	t.Helper()
	a := &notifyingApp{App: test.NewTempApp(t)}
	u := New(a, Config{DataDir: dir, Options: testOpts})
	u.do = queueUI
	t.Cleanup(func() { onUI(u.Window().Close) })
	onUI(u.Start)
	unlockAgain(t, u)
	return u, a
}

func unlockAgain(t *testing.T, u *UI) {
	t.Helper()
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	typeInto(entries(u.Window())[0], testPassphrase)
	tap(t, u.Window(), "Unlock")
	waitFor(t, "main window", func() bool { return u.Wallet() != nil })
	onUI(u.startNotifier)
}

// importRecords fills a member's wallet (closed, offline) from the test
// bundle.
func importBundleInto(t *testing.T, dir string) {
	t.Helper()
	w, err := wallet.Open(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ImportFile(context.Background(), bundle, nil); err != nil {
		t.Fatal(err)
	}
}

func goToSection(u *UI, name string) {
	onUI(func() { u.main.show(name) })
}

// selectTab selects the tab of an inner AppTabs whose title starts with
// title.
func selectInnerTab(t *testing.T, w fyne.Window, title string) {
	t.Helper()
	waitFor(t, "tab "+title, func() bool {
		var tabs *container.AppTabs
		idx := -1
		everything(w, func(o fyne.CanvasObject) {
			if at, ok := o.(*container.AppTabs); ok {
				for i, it := range at.Items {
					if strings.HasPrefix(it.Text, title) {
						tabs, idx = at, i
					}
				}
			}
		})
		if tabs != nil {
			onUI(func() { tabs.SelectIndex(idx) })
		}
		return tabs != nil
	})
}

func anyLabelHas(w fyne.Window, s string) bool {
	return hasLabel(w, func(l string) bool { return strings.Contains(l, s) })
}

// sectionTitle is the navigation's text for a section ("Sharing (1)").
func navTitle(u *UI, name string) string {
	var text string
	onUI(func() {
		if u.main == nil {
			return
		}
		for _, it := range u.main.tabs.Items {
			if strings.HasPrefix(it.Text, name) {
				text = it.Text
			}
		}
	})
	return text
}

// A clinician asks; the patient sees the request (with a notification and
// a count on Sharing), approves less than asked, for less time; the
// clinician reads what was approved; the patient revokes and the clinician
// can read no more; the activity log tells the story.
func TestSharingApproveAndRevoke(t *testing.T) {
	c, dirs := newConsortium(t, "patient", "doctor")
	importBundleInto(t, dirs["patient"])
	doctor := c.open(t, dirs["doctor"])
	defer doctor.Close()
	c.register(t, doctor)

	u, app := unlockNotifying(t, dirs["patient"])
	win := u.Window()
	patient := u.Wallet()
	goToSection(u, "Sharing")
	waitFor(t, "empty inbox", func() bool { return anyLabelHas(win, "No one is waiting for an answer") })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: []string{"conditions", "allergies"},
		Purpose: chain.PurposeTREAT, Duration: 30 * 24 * time.Hour, Note: "before your follow-up visit"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the request in the inbox", func() bool {
		return anyLabelHas(win, "before your follow-up visit") && anyLabelHas(win, "Wants to see: Conditions, Allergies") &&
			anyLabelHas(win, "Why: treatment") && anyLabelHas(win, "For: 30 days")
	})
	waitFor(t, "a notification and a count on Sharing", func() bool {
		return app.notifications("New request for your records") == 1 && navTitle(u, "Sharing") == "Sharing (1)"
	})

	// Approve conditions only, for 7 days.
	tap(t, win, "Approve…")
	var cats *widget.CheckGroup
	var length *widget.Select
	waitFor(t, "the approval dialog", func() bool {
		everything(win, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.CheckGroup:
				cats = x
			case *widget.Select:
				if len(x.Options) > 0 && strings.HasSuffix(x.Options[0], "(as asked)") {
					length = x
				}
			}
		})
		return cats != nil && length != nil
	})
	onUI(func() {
		if len(cats.Selected) != 2 {
			t.Errorf("the dialog prefills %v, want both categories asked for", cats.Selected)
		}
		cats.SetSelected([]string{"Conditions"})
		length.SetSelected("7 days")
	})
	tap(t, win, "Share")

	selectInnerTab(t, win, "Active grants")
	waitFor(t, "the grant among active grants", func() bool {
		return anyLabelHas(win, "Can read: Conditions") && anyLabelHas(win, "(in 7 days)")
	})
	waitFor(t, "the count on Sharing cleared", func() bool { return navTitle(u, "Sharing") == "Sharing" })

	var shared []wallet.SharedRecord
	waitFor(t, "the doctor reads the shared records", func() bool {
		var err error
		shared, err = doctor.Shared(ctx, patient.ChainKey())
		return err == nil && len(shared) > 0
	})
	for _, r := range shared {
		if r.Category != "conditions" {
			t.Fatalf("shared a %s record; only conditions were approved", r.Category)
		}
	}
	grants, err := doctor.Ledger().State().GrantsTo(doctor.ChainKey(), uint64(time.Now().Unix()))
	if err != nil || len(grants) != 1 {
		t.Fatalf("doctor holds %d grants: %v", len(grants), err)
	}
	if d := grants[0].Expiry - grants[0].NotBefore; d != 7*24*3600 {
		t.Fatalf("grant lasts %d s, want 7 days", d)
	}
	if _, err := doctor.ReadShared(ctx, shared[0]); err != nil {
		t.Fatal(err)
	}

	tap(t, win, "Revoke…")
	waitFor(t, "the revoke confirmation", func() bool { return anyLabelHas(win, "What they already read cannot be recalled") })
	tap(t, win, "Revoke")
	waitFor(t, "no grant listed", func() bool { return anyLabelHas(win, "You are not sharing records with anyone now") })
	waitFor(t, "the doctor refused after the revoke", func() bool {
		_, err := doctor.ReadShared(ctx, shared[0])
		return errors.Is(err, wallet.ErrAccessEnded)
	})

	goToSection(u, "Activity")
	waitFor(t, "request, grant and revoke in the activity log", func() bool {
		return anyLabelHas(win, "asked to see conditions, allergies.") &&
			anyLabelHas(win, "You shared conditions with Physician at Test Clinic") &&
			anyLabelHas(win, "You revoked the access of Physician at Test Clinic")
	})
}

// A declined request leaves the inbox, the clinician's chain records the
// answer, and a request already notified is not notified again after the
// wallet is locked and unlocked.
func TestSharingDecline(t *testing.T) {
	c, dirs := newConsortium(t, "patient", "doctor")
	doctor := c.open(t, dirs["doctor"])
	defer doctor.Close()
	c.register(t, doctor)

	u, app := unlockNotifying(t, dirs["patient"])
	win := u.Window()
	patientID := u.Wallet().ID()
	goToSection(u, "Sharing")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := doctor.RequestAccess(ctx, patientID, wallet.AccessRequest{Categories: []string{"medications"},
		Purpose: chain.PurposeCAREMGT, Duration: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	const title = "New request for your records"
	waitFor(t, "the request and its notification", func() bool {
		return anyLabelHas(win, "Wants to see: Medications") && app.notifications(title) == 1
	})

	// Locked and unlocked: the request is still waiting (the count says
	// so) but was already notified.
	tap(t, win, "Lock")
	unlockAgain(t, u)
	waitFor(t, "the count on Sharing after unlocking again", func() bool { return navTitle(u, "Sharing") == "Sharing (1)" })
	if n := app.notifications(title); n != 1 {
		t.Fatalf("%d notifications of the one request", n)
	}

	goToSection(u, "Sharing")
	tap(t, win, "Decline…")
	waitFor(t, "the decline confirmation", func() bool { return anyLabelHas(win, "They will see that you said no") })
	tap(t, win, "Decline")
	waitFor(t, "the inbox emptied", func() bool { return anyLabelHas(win, "No one is waiting for an answer") })
	waitFor(t, "the decision on the doctor's chain", func() bool {
		pending, err := doctor.Ledger().State().PendingRequests(chain.PublicKey(patientID.SigningKey()))
		return err == nil && len(pending) == 0
	})
	goToSection(u, "Activity")
	waitFor(t, "the decline in the activity log", func() bool {
		return anyLabelHas(win, "You declined a request from Physician at Test Clinic")
	})
	if n := app.notifications(title); n != 1 {
		t.Fatalf("%d notifications of the one request", n)
	}
}

// My ID shows the wallet's ID as text and as a QR code that reads back to
// it, and the identity card a clinic registers a clinician with; a wallet
// on no network is told where to join one instead of seeing empty lists.
func TestMyIDAndOffline(t *testing.T) {
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	id, pub := w.ID(), w.Public()
	w.Close()
	u := unlockUI(t, dir)
	win := u.Window()

	goToSection(u, "My ID")
	var img *canvas.Image
	waitFor(t, "the QR code", func() bool {
		everything(win, func(o fyne.CanvasObject) {
			if i, ok := o.(*canvas.Image); ok && i.Resource != nil && i.Resource.Name() == "health-wallet-id.png" {
				img = i
			}
		})
		return img != nil
	})
	var png []byte
	onUI(func() { png = img.Resource.Content() })
	text, err := qr.Read(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	if text != id.String() {
		t.Fatalf("the QR code reads %q, want the wallet's ID %q", text, id)
	}
	if got, err := identity.ParseID(text); err != nil || got != id {
		t.Fatalf("the QR code's ID does not parse back: %v", err)
	}
	if !hasLabel(win, func(s string) bool { return s == id.String() }) {
		t.Fatal("the ID is not shown as text")
	}
	tap(t, win, "Copy ID")
	if got := u.app.Clipboard().Content(); got != id.String() {
		t.Fatalf("Copy ID put %q on the clipboard", got)
	}
	var card string
	everything(win, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && len(l.Text) > 200 && !strings.Contains(l.Text, " ") {
			card = l.Text
		}
	})
	raw, err := base64.RawURLEncoding.DecodeString(card)
	if err != nil {
		t.Fatalf("identity card: %v", err)
	}
	var got identity.Public
	if err := got.UnmarshalBinary(raw); err != nil || got.ID() != pub.ID() {
		t.Fatalf("the identity card is not the wallet's: %v", err)
	}

	for _, section := range []string{"Sharing", "Activity"} {
		goToSection(u, section)
		waitFor(t, section+" says to join a network", func() bool {
			return anyLabelHas(win, "which this wallet has not joined yet") && anyLabelHas(win, "under Network in Settings")
		})
	}
	tap(t, win, "Open Settings")
	waitFor(t, "the settings", func() bool { return anyLabelHas(win, "Not on a network yet") })
}

// A clinician the patient lets add records (shared unasked, from the
// Sharing screen) adds a lab result; the patient reads it and keeps it.
// The patient sets up emergency access; a clinician opens the summary; the
// patient is notified, sees the opening, marks it seen, and withdraws.
func TestSharingIncomingAndEmergency(t *testing.T) {
	c, dirs := newConsortium(t, "patient", "doctor")
	importBundleInto(t, dirs["patient"])
	doctor := c.open(t, dirs["doctor"])
	defer doctor.Close()
	c.register(t, doctor)

	u, app := unlockNotifying(t, dirs["patient"])
	win := u.Window()
	patient := u.Wallet()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	goToSection(u, "Sharing")
	selectInnerTab(t, win, "Active grants")

	// Share without a request: observations, read and add, once the
	// patient's copy of the chain has the doctor's registration.
	waitFor(t, "the doctor registered on the patient's chain", func() bool {
		_, err := patient.Ledger().State().Clinician(doctor.ChainKey())
		return err == nil
	})
	tap(t, win, "Share without a request…")
	var id *widget.Entry
	var observations, write *widget.Check
	waitFor(t, "the share dialog", func() bool {
		everything(win, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Entry:
				if x.PlaceHolder == "hw1…" {
					id = x
				}
			case *widget.Check:
				if strings.HasPrefix(x.Text, "Let them add records") {
					write = x
				}
				if x.Text == "Test results and measurements" {
					observations = x
				}
			}
		})
		return id != nil && observations != nil && write != nil
	})
	typeInto(id, doctor.ID().String())
	onUI(func() {
		observations.SetChecked(true)
		write.SetChecked(true)
	})
	tap(t, win, "Share")
	waitFor(t, "the grant listed", func() bool {
		return anyLabelHas(win, "Can read and add: Test results and measurements") && anyLabelHas(win, "(in 30 days)")
	})

	obs := []byte(`{"resourceType":"Observation","id":"hb-1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"Haemoglobin"},"effectiveDateTime":"2026-12-01T10:00:00Z","valueQuantity":{"value":13.5,"unit":"g/dL"}}`)
	waitFor(t, "the doctor adds a record", func() bool {
		_, err := doctor.AddForPatient(ctx, patient.ChainKey(), "haemoglobin.json", obs)
		return err == nil
	})
	selectInnerTab(t, win, "From clinicians")
	waitFor(t, "the added record", func() bool { return anyLabelHas(win, "Added by Physician at Test Clinic") })
	tap(t, win, "Read")
	waitFor(t, "the record read", func() bool { return anyLabelHas(win, "Haemoglobin") })
	tap(t, win, "Close")
	before, err := patient.List(ctx, wallet.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tap(t, win, "Keep")
	waitFor(t, "kept", func() bool { return anyLabelHas(win, "is now in your records") })
	tap(t, win, "OK")
	after, err := patient.List(ctx, wallet.Query{})
	if err != nil || len(after) != len(before)+1 {
		t.Fatalf("%d records after keeping, %d before: %v", len(after), len(before), err)
	}

	// Emergency access: set up once the clinic has published its key.
	selectInnerTab(t, win, "Emergency access")
	waitFor(t, "not set up", func() bool { return anyLabelHas(win, "Not set up") })
	waitFor(t, "the clinic's published key", func() bool {
		_, err := patient.Ledger().State().ClinicIdentity(c.Clinic.ChainKey())
		return err == nil
	})
	var blood *widget.Select
	everything(win, func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && len(s.Options) > 1 && s.Options[1] == "A+" {
			blood = s
		}
	})
	if blood == nil {
		t.Fatal("no blood group choice")
	}
	onUI(func() { blood.SetSelected("O+") })
	es := entries(win)
	if len(es) != 3 {
		t.Fatalf("the emergency form has %d entries, want 3", len(es))
	}
	typeInto(es[0], "Ana Example")
	typeInto(es[1], "+1 555 0100")
	tap(t, win, "Authorize")
	waitFor(t, "emergency access set up", func() bool { return anyLabelHas(win, "blood group O+, an emergency contact") })
	tap(t, win, "Close")
	waitFor(t, "in force", func() bool { return anyLabelHas(win, "Set up since") })

	// The doctor's node must hold the authorization's block before it can
	// record an access under it.
	waitFor(t, "the authorization at the doctor's node", func() bool {
		_, err := doctor.Ledger().State().EmergencyAuthorization(patient.ChainKey())
		return err == nil
	})
	if _, err := doctor.OpenEmergency(ctx, patient.ChainKey(), chain.PurposeETREAT, "unresponsive in the emergency room"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the opening shown and notified", func() bool {
		return anyLabelHas(win, "New — ") && anyLabelHas(win, "unresponsive in the emergency room") &&
			app.notifications("Your emergency summary was opened") == 1 && navTitle(u, "Sharing") == "Sharing (1)"
	})
	tap(t, win, "Mark as seen")
	waitFor(t, "the opening seen", func() bool {
		return !anyLabelHas(win, "New — ") && anyLabelHas(win, "unresponsive in the emergency room") &&
			navTitle(u, "Sharing") == "Sharing"
	})

	tap(t, win, "Withdraw…")
	tap(t, win, "Withdraw")
	waitFor(t, "withdrawn", func() bool { return anyLabelHas(win, "Not set up") })
	if _, ok, err := patient.EmergencyInForce(); ok || err != nil {
		t.Fatalf("emergency access still in force (%v)", err)
	}
	if n := app.notifications("Your emergency summary was opened"); n != 1 {
		t.Fatalf("%d notifications of one opening", n)
	}
}

func TestSharingWords(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "ended"},
		{30 * time.Second, "in less than a minute"},
		{20 * time.Minute, "in 20 minutes"},
		{5 * time.Hour, "in 5 hours"},
		{7*24*time.Hour - time.Minute, "in 7 days"},
		{12 * 24 * time.Hour, "in 12 days"},
	} {
		if got := untilWords(now.Add(c.d), now); got != c.want {
			t.Errorf("untilWords(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{time.Hour, "1 hour"},
		{36 * time.Hour, "36 hours"},
		{24 * time.Hour, "1 day"},
		{30 * 24 * time.Hour, "30 days"},
		{365 * 24 * time.Hour, "1 year"},
		{90 * time.Minute, "90 minutes"},
		{45 * time.Second, "45 seconds"},
	} {
		if got := durationWords(c.d); got != c.want {
			t.Errorf("durationWords(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	if got := scopeWords(chain.NewScope([]string{"a", "b"}, []chain.Category{chain.CategoryAllergies, chain.CategoryCareTeam})); got != "Allergies, Care team, 2 named records" {
		t.Errorf("scopeWords = %q", got)
	}
	if got := roleWords(chain.RoleOtherClinician); got != "Clinician" {
		t.Errorf("roleWords(other) = %q", got)
	}
	if got := plural(1, "allergy", "allergies") + ", " + plural(3, "allergy", "allergies") + ", " + plural(2, "record"); got != "1 allergy, 3 allergies, 2 records" {
		t.Errorf("plural: %q", got)
	}
}
