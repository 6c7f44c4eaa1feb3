package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// testGTIN is GS1's own example GTIN.
const testGTIN = "09506000134352"

// testMaker is the manufacturer the supply-chain tests register.
const testMaker = "Test Pharma"

func testPack(serial, lot, expiry string) string {
	return fmt.Sprintf("(01)%s(21)%s(10)%s(17)%s", testGTIN, serial, lot, expiry)
}

// supplyChain is a consortium whose clinic registered a manufacturer (its
// wallet open outside any UI).
type supplyChain struct {
	*testConsortium
	maker      *wallet.Wallet
	closeMaker func() // once; a test that opens the maker in a UI calls it first
}

// newSupplyChain starts a consortium with the members named and a
// registered manufacturer.
func newSupplyChain(t *testing.T, names ...string) (*supplyChain, map[string]string) {
	t.Helper()
	c, dirs := newConsortium(t, append(names, "maker")...)
	maker := c.open(t, dirs["maker"])
	s := &supplyChain{c, maker, sync.OnceFunc(func() { maker.Close() })}
	t.Cleanup(s.closeMaker)
	s.registerOrg(t, maker, chain.OrgManufacturer, testMaker, "")
	return s, dirs
}

// registerOrg has the clinic register w as an organisation and waits
// until w's copy of the chain says so.
func (s *supplyChain) registerOrg(t *testing.T, w *wallet.Wallet, role chain.OrgRole, name, gln string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Clinic.RegisterOrganisation(ctx, w.ChainKey(), role, name, gln); err != nil {
		t.Fatal(err)
	}
	waitFor(t, name+"'s registration", func() bool { _, ok, err := w.MyOrganisation(); return err == nil && ok })
}

// numbered is prefix0001…prefixN.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i+1)
	}
	return out
}

// enabledButtons are the window's enabled buttons with this text.
func enabledButtons(w fyne.Window, text string) []*widget.Button {
	var out []*widget.Button
	everything(w, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && !b.Disabled() {
			out = append(out, b)
		}
	})
	return out
}

// scanPack types a code into the scan field and presses Enter, as a
// DataMatrix scanner in keyboard mode does.
func scanPack(t *testing.T, win fyne.Window, code string) {
	t.Helper()
	e := entryWithPlaceholder(t, win, "scan the pack")
	onUI(func() {
		e.SetText(code)
		e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
}

// verdictShows waits for the verdict on code with this banner and these
// labels.
func verdictShows(t *testing.T, win fyne.Window, code, title string, labels ...string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s on %s", title, code), func() bool {
		if !labelContaining(win, ": "+code) || !hasCanvasText(win, title) {
			return false
		}
		for _, l := range labels {
			if !labelContaining(win, l) {
				return false
			}
		}
		return true
	})
}

// The pharmacy's pack scan on a live chain: the section appears once the
// wallet is registered as a pharmacy; shipments are received from it;
// a genuine pack passes with every check and is dispensed once; the
// already dispensed, recalled, diverted, counterfeit and misprinted packs
// are refused with their reasons; the raw form a scanner types and a
// Digital Link pass.
func TestPackScan(t *testing.T) {
	s, dirs := newSupplyChain(t, "pharmacy")
	u := unlockUI(t, dirs["pharmacy"])
	win := u.Window()
	pharmacy := u.Wallet()
	s.registerOrg(t, pharmacy, chain.OrgPharmacy, "Market Pharmacy", "")
	openSection(t, u, "Packs")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l1 := numbered("S", 10)
	if _, err := s.maker.CommissionBatch(ctx, testGTIN, "L1", "301231", l1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.maker.CommissionBatch(ctx, testGTIN, "L2", "301130", numbered("R", 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.maker.Ship(ctx, testGTIN, "L1", pharmacy.ChainKey(), l1[:5]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.maker.Ship(ctx, testGTIN, "L2", pharmacy.ChainKey(), nil); err != nil {
		t.Fatal(err)
	}
	for left := 2; left > 0; left-- {
		waitFor(t, fmt.Sprintf("%d shipments to receive", left), func() bool {
			return labelContaining(win, "from "+testMaker+", sent ") && len(enabledButtons(win, "Receive")) == left
		})
		b := enabledButtons(win, "Receive")[0]
		onUI(func() { test.Tap(b) })
		waitFor(t, "the receipt", func() bool { return overlayHas(win, "is in your custody") })
		closeDialogs(win)
	}
	waitFor(t, "no shipment left", func() bool { return labelContaining(win, "No shipment waits for your receipt.") })
	if err := s.maker.Recall(ctx, testGTIN, "L2", nil, chain.ActionRecall); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the recall at the pharmacy", func() bool {
		b, err := pharmacy.Ledger().State().Batch(testGTIN, "L2")
		return err == nil && b.Recalled
	})

	genuine := testPack("S0001", "L1", "301231")
	scanPack(t, win, genuine)
	verdictShows(t, win, genuine, "GENUINE", "Received here", "Pack 1 of 10", testMaker, "Market Pharmacy")
	if !hasCanvasText(win, "May be dispensed here.") {
		t.Error("the pass does not say it may be dispensed")
	}
	tap(t, win, "Dispense")
	tapInDialog(t, win, "Dispense")
	waitFor(t, "the dispense", func() bool { return hasCanvasText(win, "DISPENSED") })
	if _, ok, err := pharmacy.Ledger().State().PackDispensed(testGTIN, "L1", "S0001"); err != nil || !ok {
		t.Fatalf("the ledger's dispense: %v %v", ok, err)
	}

	bad, _ := strings.CutSuffix(testGTIN, "2")
	for _, c := range []struct {
		name, code, title, reason string
	}{
		{"already dispensed", genuine, "DO NOT DISPENSE", "Already dispensed: a pharmacy recorded it as handed out (by Market Pharmacy on "},
		{"recalled batch", testPack("R0001", "L2", "301130"), "DO NOT DISPENSE", "Recalled: the manufacturer or an authority withdrew it (the whole lot L2 on "},
		{"diverted", testPack("S0008", "L1", "301231"), "DO NOT DISPENSE", "Diverted: the ledger says this pack was never received by this pharmacy (the ledger's custody ends at " + testMaker + ")."},
		{"serial not in the batch", testPack("S0099", "L1", "301231"), "NOT GENUINE", "The serial number is not one the manufacturer made in this batch"},
		{"expiry mismatch", testPack("S0002", "L1", "301130"), "NOT GENUINE", "The expiry date on the pack is not the batch's (the pack says 301130, the batch 301231)."},
		{"bad check digit", fmt.Sprintf("(01)%s3(21)S0002(10)L1(17)301231", bad), "NOT GENUINE", "The product number (GTIN) has a wrong check digit"},
		{"malformed", "(01)0950600013435(21)S0002", "NOT GENUINE", "The code does not read as a medicine pack's code"},
	} {
		scanPack(t, win, c.code)
		verdictShows(t, win, c.code, c.title, c.reason)
		if findButton(win, "Dispense") != nil {
			t.Fatalf("%s: a refused pack offers Dispense", c.name)
		}
	}

	// The raw form a scanner types (GS between variable-length fields, the
	// literal <GS> some send) and a Digital Link.
	for _, code := range []string{
		"]d2\x1d01" + testGTIN + "17301231" + "10L1\x1d21S0002",
		"]d201" + testGTIN + "17301231" + "10L1<GS>21S0003",
		"https://id.gs1.org/01/" + testGTIN + "/10/L1/21/S0004?17=301231",
	} {
		scanPack(t, win, code)
		verdictShows(t, win, code, "GENUINE", "Received here")
	}
	if e := entryWithPlaceholder(t, win, "scan the pack"); e.Text != "" {
		t.Errorf("the scan field keeps %q after a scan", e.Text)
	}
}

// A patient checks a pack from the Medicines section and keeps it in the
// records under the name given; a counterfeit cannot be kept; a recall of
// the pack kept marks the section and shows a banner.
func TestMedicinesPackCheck(t *testing.T) {
	s, dirs := newSupplyChain(t, "patient")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.maker.CommissionBatch(ctx, testGTIN, "L1", "301231", numbered("S", 3)); err != nil {
		t.Fatal(err)
	}
	u := unlockUI(t, dirs["patient"])
	win := u.Window()
	waitFor(t, "the batch at the patient", func() bool {
		_, err := u.Wallet().Ledger().State().Batch(testGTIN, "L1")
		return err == nil
	})
	openSection(t, u, "Medicines")

	fake := testPack("S0099", "L1", "301231")
	scanPack(t, win, fake)
	verdictShows(t, win, fake, "NOT GENUINE", "The serial number is not one the manufacturer made")
	if !hasCanvasText(win, "Do not use it: show it to your pharmacist (the serial number is not in the batch).") {
		t.Error("the counterfeit's banner does not tell the patient what to do")
	}
	if findButton(win, "Keep it in my records") != nil {
		t.Fatal("a counterfeit may be kept")
	}

	genuine := testPack("S0001", "L1", "301231")
	scanPack(t, win, genuine)
	verdictShows(t, win, genuine, "GENUINE", testMaker)
	tap(t, win, "Keep it in my records")
	typeInto(entryWithPlaceholder(t, win, "such as Amlodipine"), "Amlodipine 5 mg")
	tapInDialog(t, win, "Keep")
	waitFor(t, "kept", func() bool {
		for _, l := range overlayLabels(win) {
			if strings.HasPrefix(l, "Amlodipine 5 mg is in your records") {
				return true
			}
		}
		return false
	})
	closeDialogs(win)
	if title := navTitle(u, "Medicines"); title != "Medicines" {
		t.Fatalf("before any recall the section reads %q", title)
	}

	if err := s.maker.Recall(ctx, testGTIN, "L1", []string{"S0001"}, chain.ActionRecall); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the recall alert", func() bool {
		return navTitle(u, "Medicines") == "Medicines (1)" && hasCanvasText(win, "RECALL") &&
			labelContaining(win, "Amlodipine 5 mg — lot L1, serial S0001: Recalled on ")
	})
	// The badge is there whichever section is open.
	goToSection(u, "Records")
	if title := navTitle(u, "Medicines"); title != "Medicines (1)" {
		t.Fatalf("from Records the section reads %q", title)
	}
}
