package app

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/qr"
)

const labResult = `{"resourceType":"Observation","id":"hb-1","status":"final",` +
	`"code":{"text":"Haemoglobin"},"effectiveDateTime":"2026-12-01T09:30:00Z",` +
	`"valueQuantity":{"value":13.4,"unit":"g/dL"}}`

// showSection waits until the window offers the section (roles arrive
// from the chain) and opens it.
func openSection(t *testing.T, u *UI, name string) {
	t.Helper()
	waitFor(t, "the "+name+" section", func() bool {
		ok := false
		onUI(func() { ok = u.main != nil && u.main.show(name) })
		return ok
	})
}

func findPatientIDEntry(t *testing.T, w fyne.Window) *patientIDEntry {
	t.Helper()
	var e *patientIDEntry
	waitFor(t, "the patient ID field", func() bool {
		everything(w, func(o fyne.CanvasObject) {
			if x, ok := o.(*patientIDEntry); ok {
				e = x
			}
		})
		return e != nil
	})
	return e
}

func labelContaining(w fyne.Window, s string) bool {
	return hasLabel(w, func(l string) bool { return strings.Contains(l, s) })
}

// overlayLabels are the texts of the labels in the window's dialogs.
func overlayLabels(w fyne.Window) []string {
	var out []string
	onUI(func() {
		for _, o := range w.Canvas().Overlays().List() {
			walk(o, func(o fyne.CanvasObject) {
				if l, ok := o.(*widget.Label); ok && l.Text != "" {
					out = append(out, l.Text)
				}
			})
		}
	})
	return out
}

// The clinician's workspace end to end on a live chain: the doctor becomes
// a physician while unlocked and gets the Patients section; finds the
// patient by a mistyped, a pasted and a QR-read ID; asks for access; the
// patient approves (with write) in their own wallet; the patient appears
// with the grant's expiry; a shared record opens with the patient's
// content; the doctor adds a lab result the patient receives; after the
// patient revokes, the patient leaves the list.
func TestPatientsScreen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, dirs := newConsortium(t, "patient", "doctor")
	patient := c.open(t, dirs["patient"])
	t.Cleanup(func() { patient.Close() })
	if _, err := patient.ImportFile(ctx, bundle, nil); err != nil {
		t.Fatal(err)
	}
	u := unlockUI(t, dirs["doctor"])
	win := u.Window()
	c.register(t, u.Wallet())
	openSection(t, u, "Patients")
	id := findPatientIDEntry(t, win)
	pid := patient.ID().String()

	// A typo is caught as it is typed.
	last := pid[len(pid)-1]
	typo := pid[:len(pid)-1] + map[bool]string{true: "b", false: "a"}[last == 'a']
	onUI(func() { id.SetText(typo) })
	waitFor(t, "the typo message", func() bool { return labelContaining(win, "This ID has a typo") })
	onUI(func() { id.SetText(pid) })
	waitFor(t, "the valid ID message", func() bool { return labelContaining(win, "A valid Health Wallet ID: "+shortHWID(pid)) })

	// The ID read from a QR picture of it.
	onUI(func() { id.SetText("") })
	png, err := qr.PNG(pid, 300)
	if err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(t.TempDir(), "patient-id.png")
	if err := os.WriteFile(pic, png, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pic)
	if err != nil {
		t.Fatal(err)
	}
	onUI(func() { id.readQR(f) })
	waitFor(t, "the ID from the QR picture", func() bool {
		var text string
		onUI(func() { text = id.Text })
		return text == pid
	})

	// Ask for conditions and test results.
	onUI(func() {
		for _, ch := range id.v.categories {
			if ch.Text == categoryWords(chain.CategoryObservations) {
				ch.SetChecked(true)
			}
		}
	})
	tap(t, win, "Ask for access")
	waitFor(t, "the waiting message", func() bool { return labelContaining(win, "Waiting for the patient") })

	var reqs []wallet.PendingRequest
	waitFor(t, "the request at the patient", func() bool {
		reqs, err = patient.PendingRequests(ctx)
		return err == nil && len(reqs) == 1
	})
	if reqs[0].Purpose != chain.PurposeTREAT || len(reqs[0].Scope.Categories) != 2 || reqs[0].Duration != 30*24*3600 {
		t.Fatalf("request %+v", reqs[0])
	}
	if _, err := patient.Approve(ctx, reqs[0].ID, wallet.Approval{Write: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the patient in the doctor's list with the expiry", func() bool {
		return hasLabel(win, func(s string) bool {
			return strings.HasPrefix(s, "Conditions, Test results and measurements · can read and add records · until ") &&
				(strings.HasSuffix(s, ", in 29 days") || strings.HasSuffix(s, ", in 30 days"))
		})
	})

	// A shared record opens with the patient's own content.
	tap(t, win, "Records of "+shortHWID(pid))
	waitFor(t, "the shared records", func() bool { return findButton(win, "Open") != nil })
	shared, err := u.Wallet().Shared(ctx, patient.ChainKey())
	if err != nil || len(shared) == 0 {
		t.Fatalf("%d shared: %v", len(shared), err)
	}
	_, mine, err := patient.Read(ctx, shared[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	onUI(func() {
		walk(u.fhirView(shared[0].ResourceType, mine), func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && l.Text != "" {
				want = append(want, l.Text)
			}
		})
	})
	if len(want) == 0 {
		t.Fatal("the record view shows no text")
	}
	tap(t, win, "Open")
	waitFor(t, "the record's content", func() bool {
		got := strings.Join(overlayLabels(win), "\n")
		for _, s := range want {
			if !strings.Contains(got, s) {
				return false
			}
		}
		return true
	})
	tap(t, win, "Close")

	// A lab result added under the write grant reaches the patient.
	waitFor(t, "the add button", func() bool { return findButton(win, "Add a record for this patient…") != nil })
	onUI(func() {
		id.v.addRecord(patient.ChainKey(), "haemoglobin.json", io.NopCloser(bytes.NewReader([]byte(labResult))))
	})
	waitFor(t, "the added message", func() bool {
		return labelContaining(win, "Added the Observation (test results and measurements)")
	})
	waitFor(t, "the lab result at the patient", func() bool {
		in, err := patient.Incoming(ctx)
		return err == nil && len(in) == 1
	})
	got, err := patient.ReadIncoming(ctx, mustIncoming(t, ctx, patient).Anchor)
	if err != nil || !strings.Contains(string(got), "Haemoglobin") {
		t.Fatalf("the patient reads %q: %v", got, err)
	}
	onUI(func() {
		for _, o := range win.Canvas().Overlays().List() {
			walk(o, func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok && b.Text == "OK" {
					test.Tap(b)
				}
			})
		}
	})

	// The patient revokes: the doctor's list drops them.
	grants, err := patient.GrantsInForce(ctx)
	if err != nil || len(grants) != 1 {
		t.Fatalf("%d grants: %v", len(grants), err)
	}
	if err := patient.Revoke(ctx, grants[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the patient gone from the list", func() bool {
		return labelContaining(win, "no longer shares records with you") && findButton(win, "Records of "+shortHWID(pid)) == nil
	})
	if _, err := u.Wallet().ReadShared(ctx, shared[0]); err == nil || !strings.Contains(sentence(err), "access has ended") {
		t.Fatalf("reading after the revoke: %v", err)
	}
}

func mustIncoming(t *testing.T, ctx context.Context, w *wallet.Wallet) wallet.IncomingRecord {
	t.Helper()
	in, err := w.Incoming(ctx)
	if err != nil || len(in) == 0 {
		t.Fatalf("%d incoming: %v", len(in), err)
	}
	return in[0]
}

// A grant that expires leaves the doctor's list at its expiry, with no
// block to announce it; the doctor was registered before unlocking.
func TestPatientsGrantExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, dirs := newConsortium(t, "patient", "doctor")
	doctor := c.open(t, dirs["doctor"])
	c.register(t, doctor)
	doctorID := doctor.ID()
	doctor.Close()
	patient := c.open(t, dirs["patient"])
	t.Cleanup(func() { patient.Close() })
	if _, err := patient.ImportFile(ctx, bundle, nil); err != nil {
		t.Fatal(err)
	}

	u := unlockUI(t, dirs["doctor"])
	win := u.Window()
	openSection(t, u, "Patients")
	waitFor(t, "the empty list", func() bool { return labelContaining(win, "No patient shares records with you now") })
	if _, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: doctorID, Categories: []string{"allergies"},
		Purpose: chain.PurposeTREAT, Duration: 6 * time.Second, Read: true}); err != nil {
		t.Fatal(err)
	}
	row := "Records of " + shortHWID(patient.ID().String())
	waitFor(t, "the patient listed", func() bool {
		return findButton(win, row) != nil && labelContaining(win, "Allergies · can read · until ")
	})
	tap(t, win, row)
	waitFor(t, "the patient gone at the expiry", func() bool {
		return findButton(win, row) == nil && labelContaining(win, "no longer shares records with you")
	})
}
