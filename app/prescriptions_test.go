package app

import (
	"bytes"
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/qr"
)

// overlayImage is the content of the picture named name in the window's
// dialogs, or nil.
func overlayImage(w fyne.Window, name string) []byte {
	var found []byte
	onUI(func() {
		for _, o := range w.Canvas().Overlays().List() {
			walk(o, func(o fyne.CanvasObject) {
				if img, ok := o.(*canvas.Image); ok && img.Resource != nil && img.Resource.Name() == name {
					found = img.Resource.Content()
				}
			})
		}
	})
	return found
}

// A patient's prescriptions on a live chain: one the doctor delivered to
// the records shows its medication, dosage, dispenses left and expiry;
// its QR code, shown large, reads back as the prescription, which a
// pharmacy then dispenses; the dispenses left follow the ledger.
func TestMedicinesPrescriptions(t *testing.T) {
	l, dirs := newLicensing(t, chain.KindsOf(chain.KindPrescriber, chain.KindPharmacist), "doctor", "pharmacist", "patient")
	doctor, pharmacist := c2open(t, l, dirs["doctor"]), c2open(t, l, dirs["pharmacist"])
	l.register(t, doctor)
	l.issue(t, doctor.ChainKey(), "prescriber", "", time.Now().AddDate(1, 0, 0))
	l.issue(t, pharmacist.ChainKey(), "pharmacist", "", time.Now().AddDate(1, 0, 0))
	u := unlockUI(t, dirs["patient"])
	win := u.Window()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	waitFor(t, "the doctor's registration at the patient", func() bool {
		_, err := u.Wallet().Ledger().State().Clinician(doctor.ChainKey())
		return err == nil
	})
	if _, err := u.Wallet().Grant(ctx, wallet.GrantSpec{Clinician: doctor.ID(), Categories: []string{"medications"},
		Purpose: chain.PurposeTREAT, Duration: 30 * 24 * time.Hour, Write: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the write grant at the doctor", func() bool {
		a, err := doctor.GrantsToMe(ctx)
		return err == nil && len(a) == 1 && a[0].Write
	})
	waitFor(t, "the doctor's licence", func() bool { r, err := doctor.Roles(); return err == nil && r.Licences.Has(chain.KindPrescriber) })
	openSection(t, u, "Medicines")
	waitFor(t, "no prescription yet", func() bool { return labelContaining(win, "None yet. A prescription your doctor writes arrives here.") })

	text := prescribeFor(t, doctor, u.Wallet().ID(), testOrder(1))
	waitFor(t, "the prescription listed", func() bool {
		return labelContaining(win, "amlodipine 5 MG Oral Tablet (RxNorm 197361)") &&
			labelContaining(win, "1 tablet by mouth once daily; 30 tablet each time.") &&
			labelContaining(win, "2 dispenses of 2 left, until ") &&
			labelContaining(win, "Written by Dr. Test on ")
	})

	tap(t, win, "Show QR code")
	var png []byte
	waitFor(t, "the QR code", func() bool { png = overlayImage(win, "prescription.png"); return png != nil })
	got, err := qr.Read(bytes.NewReader(png))
	if err != nil || got != text {
		t.Fatalf("the QR code shown reads %q, %v", got, err)
	}
	closeDialogs(win)

	waitFor(t, "the prescription at the pharmacy", func() bool {
		v, err := pharmacist.VerifyPrescription(got)
		return err == nil && v.OK
	})
	if _, err := pharmacist.Dispense(ctx, got); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one dispense left", func() bool { return labelContaining(win, "1 dispense of 2 left, until ") })
}
