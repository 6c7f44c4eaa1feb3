package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// A prescriber's screen on a live chain: the Prescribe section appears
// with the licence; the patient who shares records is offered; the form
// refuses an order without a code, in words; the prescription written
// shows its QR code, is in the patient's records (the patient lets the
// doctor add medications), and passes a verdict with its three dispenses.
func TestPrescribeScreen(t *testing.T) {
	l, dirs := newLicensing(t, chain.KindsOf(chain.KindPrescriber), "doctor", "patient")
	patient := c2open(t, l, dirs["patient"])
	u := unlockUI(t, dirs["doctor"])
	win := u.Window()
	l.register(t, u.Wallet())
	l.issue(t, u.Wallet().ChainKey(), "prescriber", "", time.Now().AddDate(1, 0, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: u.Wallet().ID(), Categories: []string{"medications"},
		Purpose: chain.PurposeTREAT, Duration: 30 * 24 * time.Hour, Read: true, Write: true}); err != nil {
		t.Fatal(err)
	}

	openSection(t, u, "Prescribe")
	waitFor(t, "the licence line", func() bool {
		return labelContaining(win, "You write as a prescriber licensed by "+testBoard+", until ")
	})
	var who *patientPicker
	var refills *widget.Select
	waitFor(t, "the patient offered", func() bool {
		everything(win, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *patientPicker:
				who = x
			case *widget.Select:
				if len(x.Options) == 12 {
					refills = x
				}
			}
		})
		var offered bool
		onUI(func() { offered = who != nil && slices.Contains(who.offered, patient.ID().String()) })
		return offered
	})
	onUI(func() {
		who.SetText(patient.ID().String())
		refills.SetSelected("2")
	})
	typeInto(entryWithPlaceholder(t, win, "as printed on the prescription"), "Dr. Test")
	typeInto(entryWithPlaceholder(t, win, "such as amlodipine"), "amlodipine 5 MG Oral Tablet")
	typeInto(entryWithPlaceholder(t, win, "such as 1 tablet"), "1 tablet by mouth once daily")
	typeInto(entryWithPlaceholder(t, win, "how many"), "30")
	typeInto(entryWithPlaceholder(t, win, "tablet, mL"), "tablet")
	tap(t, win, "Sign and record")
	waitFor(t, "the missing code", func() bool { return labelContaining(win, "Medication code is empty.") })

	typeInto(entryWithPlaceholder(t, win, "the medication's code"), "197361")
	tap(t, win, "Sign and record")
	waitFor(t, "the prescription written", func() bool {
		return labelContaining(win, "amlodipine 5 MG Oral Tablet (RxNorm 197361), 30 tablet, 1 tablet by mouth once daily. 3 dispenses until ") &&
			labelContaining(win, "It is in the patient's records too")
	})
	var qrShown bool
	everything(win, func(o fyne.CanvasObject) {
		if img, ok := o.(*canvas.Image); ok && img.Resource != nil && img.Resource.Name() == "prescription.png" {
			qrShown = true
		}
	})
	if !qrShown {
		t.Error("no QR code shown")
	}
	if u.app.Preferences().String(prefPrescriberName) != "Dr. Test" {
		t.Error("the prescriber's name is not remembered")
	}

	// The text the screen offers is a prescription that passes, for the
	// patient, with three dispenses.
	tap(t, win, "Copy text")
	var text string
	onUI(func() { text = u.app.Clipboard().Content() })
	if !strings.HasPrefix(text, "hwrx1:") {
		t.Fatalf("copied %q", text)
	}
	waitFor(t, "the prescription on the patient's node", func() bool {
		v, err := patient.VerifyPrescription(text)
		return err == nil && v.OK && v.Remaining == 3 && v.Prescription.Patient == patient.ID().String()
	})
	waitFor(t, "the prescription in the patient's records", func() bool {
		ps, err := patient.Prescriptions(ctx)
		return err == nil && len(ps) == 1 && ps[0].Text == text
	})
}
