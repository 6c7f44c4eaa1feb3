package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/rx"
)

// testOrder is a realistic order: a month of a blood pressure tablet.
func testOrder(refills int) rx.Order {
	return rx.Order{
		Medication: rx.Coding{System: rx.RxNorm, Code: "197361", Display: "amlodipine 5 MG Oral Tablet"},
		Dosage:     "1 tablet by mouth once daily",
		Quantity:   30,
		Unit:       "tablet",
		Refills:    refills,
		ValidUntil: time.Now().AddDate(0, 0, 30),
	}
}

// prescribeFor has the prescriber write o for the patient and returns the
// handover text.
func prescribeFor(t *testing.T, prescriber *wallet.Wallet, patient identity.ID, o rx.Order) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done, err := prescriber.Prescribe(ctx, wallet.PrescriptionRequest{Patient: patient, PrescriberName: "Dr. Test", Order: o})
	if err != nil {
		t.Fatal(err)
	}
	return done.Text
}

// The pharmacist's screen on a live chain: a genuine prescription pasted
// passes with every check and is dispensed, and then fails as already
// dispensed (from its file too); one with a refill read from a QR picture
// passes with two dispenses left; an altered one, a forged one and a
// garbled text fail, each with its reason.
func TestPharmacyScreen(t *testing.T) {
	l, dirs := newLicensing(t, chain.KindsOf(chain.KindPrescriber, chain.KindPharmacist), "pharmacist", "doctor", "patient")
	doctor, patient := c2open(t, l, dirs["doctor"]), c2open(t, l, dirs["patient"])
	l.issue(t, doctor.ChainKey(), "prescriber", "", time.Now().AddDate(1, 0, 0))
	u := unlockUI(t, dirs["pharmacist"])
	win := u.Window()
	l.issue(t, u.Wallet().ChainKey(), "pharmacist", "", time.Now().AddDate(1, 0, 0))
	waitFor(t, "the doctor's own licence", func() bool { r, err := doctor.Roles(); return err == nil && r.Licences.Has(chain.KindPrescriber) })
	once := prescribeFor(t, doctor, patient.ID(), testOrder(0))
	refill := prescribeFor(t, doctor, patient.ID(), testOrder(1))
	waitFor(t, "the prescriptions on the pharmacist's node", func() bool {
		v, err := u.Wallet().VerifyPrescription(refill)
		return err == nil && v.OK
	})

	openSection(t, u, "Pharmacy")
	text := entryWithPlaceholder(t, win, rx.TextPrefix)
	typeInto(text, once)
	tap(t, win, "Check")
	waitFor(t, "the pass", func() bool {
		return hasCanvasText(win, "PASS") && hasCanvasText(win, "May be dispensed: 1 dispense left.")
	})
	for _, want := range []string{rx.CheckSignature, rx.CheckLicence, rx.CheckLedger, rx.CheckExpiry, rx.CheckDispenses,
		"amlodipine 5 MG Oral Tablet (RxNorm 197361)", "30 tablet each time, no refills", "Dr. Test (", ", licensed by " + testBoard} {
		if !labelContaining(win, want) {
			t.Errorf("the verdict does not show %q", want)
		}
	}

	tap(t, win, "Dispense")
	tapInDialog(t, win, "Dispense")
	waitFor(t, "the dispense", func() bool {
		return hasCanvasText(win, "DISPENSED") && hasCanvasText(win, "Dispense 1 of 1 is recorded on the ledger. None left.")
	})
	if p, err := u.Wallet().Ledger().State().Prescription(mustDecode(t, once).Commitment()); err != nil || len(p.Dispensed) != 1 ||
		p.Dispensed[0].Pharmacist != u.Wallet().ChainKey() {
		t.Fatalf("the ledger's dispenses %+v: %v", p, err)
	}
	tap(t, win, "Check")
	waitFor(t, "already dispensed", func() bool {
		return hasCanvasText(win, "FAIL") && labelContaining(win, "Already dispensed: every dispense it allows is recorded")
	})
	if findButton(win, "Dispense") != nil {
		t.Fatal("a failed prescription offers Dispense")
	}

	// The same from its file.
	typeInto(text, "")
	useFile(fileButtonNamed(t, win, "Open a prescription file…"), "amlodipine.hwrx", []byte(once+"\n"))
	waitFor(t, "already dispensed, from the file", func() bool {
		return hasCanvasText(win, "FAIL") && labelContaining(win, "Already dispensed")
	})

	// One with a refill, from a picture of its QR code.
	// As the prescriber's screen draws it: a picture the reader reads back.
	png, err := readableQR(refill)
	if err != nil {
		t.Fatal(err)
	}
	useFile(fileButtonNamed(t, win, "Read a QR picture…"), "prescription.png", png)
	waitFor(t, "the pass from the QR code", func() bool {
		return hasCanvasText(win, "PASS") && hasCanvasText(win, "May be dispensed: 2 dispenses left.") &&
			labelContaining(win, "30 tablet each time, 1 refill")
	})

	// Altered: the quantity raised after signing.
	p := mustDecode(t, refill)
	p.Request = []byte(strings.Replace(string(p.Request), `"value":30`, `"value":90`, 1))
	altered := p.Encode()
	if altered == refill {
		t.Fatal("the alteration changed nothing")
	}
	// Forged: signed by a key no authority licensed.
	_, forger, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := rx.Write(testOrder(0), forger, "Dr. Nobody", patient.ID().String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, text, reason string }{
		{"altered", altered, "Altered: its content (medication, dose, quantity, dates) is not what the prescriber signed."},
		{"forged", fp.Encode(), "Forged: whoever signed it never held a prescriber licence from an admitted authority."},
		{"garbled", rx.TextPrefix + "not-a-prescription", "Not a readable prescription"},
	} {
		typeInto(text, c.text)
		tap(t, win, "Check")
		waitFor(t, "the refusal of the "+c.name+" prescription", func() bool {
			return hasCanvasText(win, "FAIL") && labelContaining(win, c.reason)
		})
	}
}

func mustDecode(t *testing.T, text string) *rx.Prescription {
	t.Helper()
	p, err := rx.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
