package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
)

// overlayHas reports whether a dialog shows a label containing s.
func overlayHas(w fyne.Window, s string) bool {
	return slices.ContainsFunc(overlayLabels(w), func(l string) bool { return strings.Contains(l, s) })
}

// selectWithPlaceholder finds the n-th select (0 first) whose placeholder
// is p.
func selectWithPlaceholder(t *testing.T, w fyne.Window, p string, n int) *widget.Select {
	t.Helper()
	var found *widget.Select
	waitFor(t, "the choice "+p, func() bool {
		i := 0
		found = nil
		everything(w, func(o fyne.CanvasObject) {
			if s, ok := o.(*widget.Select); ok && s.PlaceHolder == p {
				if i == n {
					found = s
				}
				i++
			}
		})
		return found != nil
	})
	return found
}

// choose selects option in s once it is offered.
func choose(t *testing.T, s *widget.Select, option string) {
	t.Helper()
	waitFor(t, "the option "+option, func() bool {
		ok := false
		onUI(func() {
			if ok = slices.Contains(s.Options, option); ok {
				s.SetSelected(option)
			}
		})
		return ok
	})
}

func radioWith(t *testing.T, w fyne.Window, option string) *widget.RadioGroup {
	t.Helper()
	var found *widget.RadioGroup
	waitFor(t, "the choice "+option, func() bool {
		everything(w, func(o fyne.CanvasObject) {
			if r, ok := o.(*widget.RadioGroup); ok && slices.Contains(r.Options, option) {
				found = r
			}
		})
		return found != nil
	})
	return found
}

// A manufacturer's Supply screen on a live chain: its registration;
// batches commissioned from numbered serials (the GTIN typed with 13
// digits) and from a file; a wrong check digit refused in words; the
// whole batch shipped to a wholesaler, whose receipt moves custody; a
// single pack recalled.
func TestSupplyScreen(t *testing.T) {
	s, dirs := newSupplyChain(t, "wholesaler")
	wholesaler := s.open(t, dirs["wholesaler"])
	t.Cleanup(func() { wholesaler.Close() })
	s.registerOrg(t, wholesaler, chain.OrgWholesaler, "Test Wholesale", "9506002000013")
	s.closeMaker() // the manufacturer's wallet opens in the UI instead
	u := unlockUI(t, dirs["maker"])
	win := u.Window()
	maker := u.Wallet()
	openSection(t, u, "Supply")
	waitFor(t, "the organisation", func() bool { return labelContaining(win, "by Test Clinic (block ") })

	field := func(p string) *widget.Entry { return entryWithPlaceholder(t, win, p) }
	typeInto(field("8, 12, 13 or 14 digits"), "9506000134353")
	typeInto(field("such as L2026"), "L7")
	typeInto(field("YYMMDD"), "301231")
	typeInto(field("how many packs"), "250")
	typeInto(field("what the serials start with"), "P")
	tap(t, win, "Commission")
	waitFor(t, "the wrong check digit", func() bool {
		return labelContaining(win, "GTIN 09506000134353: the check digit is wrong.")
	})
	typeInto(field("8, 12, 13 or 14 digits"), "9506000134352")
	tap(t, win, "Commission")
	waitFor(t, "the batch commissioned", func() bool {
		return overlayHas(win, "Lot L7 of GTIN "+testGTIN+": 250 packs, on the ledger in ")
	})
	closeDialogs(win)
	if b, err := maker.Ledger().State().Batch(testGTIN, "L7"); err != nil || b.Count != 250 || b.Expiry != "301231" {
		t.Fatalf("the ledger's batch %+v: %v", b, err)
	}

	// From a file, blank lines skipped.
	source := radioWith(t, win, sourceFile)
	onUI(func() { source.SetSelected(sourceFile) })
	useFile(fileButtonNamed(t, win, "Choose a serials file…"), "serials.txt", []byte("A1\nA2\n\nA3\n"))
	waitFor(t, "the file read", func() bool { return labelContaining(win, "serials.txt: 3 serial numbers.") })
	typeInto(field("such as L2026"), "L8")
	tap(t, win, "Commission")
	waitFor(t, "the batch from the file", func() bool { return overlayHas(win, "Lot L8 of GTIN "+testGTIN+": 3 packs") })
	closeDialogs(win)
	waitFor(t, "the batches listed", func() bool {
		return labelContaining(win, "250 packs, expires 31 Dec 2030") && labelContaining(win, "3 packs, expires 31 Dec 2030")
	})

	// The whole of L7 to the wholesaler.
	choose(t, selectWithPlaceholder(t, win, "the batch (lot)", 0), "GTIN "+testGTIN+", lot L7")
	choose(t, selectWithPlaceholder(t, win, "the organisation", 0), "Test Wholesale (wholesaler, GLN 9506002000013)")
	tap(t, win, "Ship")
	tapInDialog(t, win, "Ship")
	waitFor(t, "shipped", func() bool {
		return overlayHas(win, "The whole batch of GTIN "+testGTIN+", lot L7 is on its way to Test Wholesale")
	})
	closeDialogs(win)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, "the shipment at the wholesaler", func() bool {
		in, err := wholesaler.IncomingShipments(true)
		return err == nil && len(in) == 1
	})
	in, _ := wholesaler.IncomingShipments(true)
	if err := wholesaler.Receive(ctx, in[0].ID); err != nil {
		t.Fatal(err)
	}
	if k, err := wholesaler.Ledger().State().PackHolder(testGTIN, "L7", "P0123"); err != nil || k != wholesaler.ChainKey() {
		t.Fatalf("custody after the receipt: %v, %v", k, err)
	}

	// One pack of L8 recalled.
	choose(t, selectWithPlaceholder(t, win, "the batch (lot)", 1), "GTIN "+testGTIN+", lot L8")
	action := radioWith(t, win, actionRecallWords)
	onUI(func() { action.SetSelected(actionRecallWords) })
	// The last such field is the recall's (the first the shipment's).
	typeInto(field("empty: the whole batch; or serial numbers"), "A2")
	tap(t, win, "Apply")
	tapInDialog(t, win, "Recall")
	waitFor(t, "recalled", func() bool { return overlayHas(win, "Recall: 1 pack of GTIN "+testGTIN+", lot L8") })
	if ok, _, err := maker.Ledger().State().PackRecalled(testGTIN, "L8", "A2"); err != nil || !ok {
		t.Fatalf("the ledger's recall of A2: %v %v", ok, err)
	}
	if ok, _, err := maker.Ledger().State().PackRecalled(testGTIN, "L8", "A1"); err != nil || ok {
		t.Fatalf("A1 recalled too: %v %v", ok, err)
	}
}
