package state

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

// GTINs with valid check digits: GS1's example GTIN, and two more.
const (
	gtinA = "09506000134352" // maker's
	gtinB = "04012345000009" // maker-2's
	gtinC = "08712345678906" // maker-old's
)

// supplyWorld: clinic-a and clinic-b (the signers) admitted the authorities
// "board" and "board-2"; clinic-a registered the manufacturers maker and
// maker-2, board the wholesalers and pharmacies; maker commissioned batch
// L1 of gtinA.
type supplyWorld struct {
	*fixture
}

func newSupplyWorld(t testing.TB) *supplyWorld {
	w := &supplyWorld{fixture: newFixture(t)}
	for _, a := range []chain.AuthorityVote{
		{Key: testPub("board"), Admit: true, Name: "Demo Pharmacy Board", Kinds: chain.KindsOf(chain.KindPharmacist)},
		{Key: testPub("board-2"), Admit: true, Name: "Demo Medicines Agency", Kinds: chain.KindsOf(chain.KindPharmacist)},
	} {
		w.one("clinic-a", a)
		w.one("clinic-b", a)
	}
	w.one("clinic-a", chain.OrganisationRegister{Org: testPub("maker"), Role: chain.OrgManufacturer, Name: "Pharma Nord GmbH", GLN: "4098765000003"})
	w.one("clinic-a", chain.OrganisationRegister{Org: testPub("maker-2"), Role: chain.OrgManufacturer, Name: "Generika AG"})
	w.one("board", chain.OrganisationRegister{Org: testPub("wholesaler"), Role: chain.OrgWholesaler, Name: "Grosshandel Mitte", GLN: "8712345000004"})
	w.one("board", chain.OrganisationRegister{Org: testPub("wholesaler-2"), Role: chain.OrgWholesaler, Name: "Pharmagross Süd"})
	w.one("board", chain.OrganisationRegister{Org: testPub("pharmacy"), Role: chain.OrgPharmacy, Name: "Apotheke am Markt", GLN: "9506000134352"})
	w.one("board", chain.OrganisationRegister{Org: testPub("pharmacy-2"), Role: chain.OrgPharmacy, Name: "Stadt-Apotheke"})
	w.one("maker", w.commission(gtinA, "L1"))
	return w
}

func (w *supplyWorld) commission(gtin, lot string) chain.BatchCommission {
	return chain.BatchCommission{GTIN: gtin, Lot: lot, Expiry: "290131", Count: 1000,
		Serials: sha256.Sum256([]byte("serials root " + gtin + "/" + lot)), List: testCID(w.t, "serial list "+gtin+"/"+lot)}
}

// ship records a shipment and returns its ID.
func (w *supplyWorld) ship(from, to, gtin, lot string, serials ...string) chain.Hash {
	w.t.Helper()
	return w.one(from, chain.Shipment{GTIN: gtin, Lot: lot, To: testPub(to), Serials: serials}).Hash()
}

// move ships and receives.
func (w *supplyWorld) move(from, to, gtin, lot string, serials ...string) chain.Hash {
	w.t.Helper()
	id := w.ship(from, to, gtin, lot, serials...)
	w.one(to, chain.Receipt{Shipment: id})
	return id
}

// try signs (the signer's Validate runs here) and applies one transaction.
func (w *supplyWorld) try(signer string, body chain.Body) error {
	tx, err := chain.Sign(testKey(signer), testChain, w.nonces[testPub(signer)], body)
	if err != nil {
		return err
	}
	_, err = w.apply(tx)
	return err
}

func (w *supplyWorld) holder(gtin, lot, serial string) chain.PublicKey {
	w.t.Helper()
	k, err := w.st.PackHolder(gtin, lot, serial)
	if err != nil {
		w.t.Fatalf("holder of %s/%s/%s: %v", gtin, lot, serial, err)
	}
	return k
}

func dispense(gtin, lot, serial string) chain.PackDispense {
	return chain.PackDispense{GTIN: gtin, Lot: lot, Serial: serial}
}

func recall(gtin, lot string, action chain.RecallAction, serials ...string) chain.Recall {
	return chain.Recall{GTIN: gtin, Lot: lot, Serials: serials, Action: action}
}

// Every refusal of the supply-chain rules, against one world holding each
// situation at once. A refused block leaves the state as it was.
func TestSupplyRefusals(t *testing.T) {
	w := newSupplyWorld(t)
	w.one("clinic-a", chain.OrganisationRegister{Org: testPub("maker-old"), Role: chain.OrgManufacturer, Name: "Alte Pharma KG"})
	w.one("maker-old", w.commission(gtinC, "OLD"))
	w.one("clinic-b", chain.OrganisationRevoke{Org: testPub("maker-old")})
	w.one("maker-2", w.commission(gtinB, "B1"))

	// L1: maker → wholesaler (whole) → pharmacy (S1..S6); S1 dispensed, S2
	// recalled, S3 quarantined; S6 on its way back to the wholesaler, S7 on
	// its way to pharmacy-2; S8 and the rest with the wholesaler.
	toWholesaler := w.move("maker", "wholesaler", gtinA, "L1")
	toPharmacy := w.move("wholesaler", "pharmacy", gtinA, "L1", "S1", "S2", "S3", "S4", "S5", "S6")
	w.one("pharmacy", dispense(gtinA, "L1", "S1"))
	w.one("maker", recall(gtinA, "L1", chain.ActionRecall, "S2"))
	w.one("maker", recall(gtinA, "L1", chain.ActionQuarantine, "S3"))
	w.ship("pharmacy", "wholesaler", gtinA, "L1", "S6")
	toPharmacy2 := w.ship("wholesaler", "pharmacy-2", gtinA, "L1", "S7")
	// RC: recalled whole at the pharmacy; QT: quarantined whole there; L2:
	// whole, on its way from maker to wholesaler-2.
	for _, lot := range []string{"RC", "QT"} {
		w.one("maker", w.commission(gtinA, lot))
		w.move("maker", "pharmacy", gtinA, lot)
	}
	w.one("maker", recall(gtinA, "RC", chain.ActionRecall))
	w.one("board", recall(gtinA, "QT", chain.ActionQuarantine))
	w.one("maker", w.commission(gtinA, "L2"))
	w.ship("maker", "wholesaler-2", gtinA, "L2")

	badGTIN := "09506000134353"
	cases := []struct {
		name   string
		signer string
		body   chain.Body
		want   error
	}{
		// Organisations.
		{"register by an unregistered key", "mallory", chain.OrganisationRegister{Org: testPub("x"), Role: chain.OrgPharmacy, Name: "X"}, ErrUnauthorized},
		{"register by an organisation", "maker", chain.OrganisationRegister{Org: testPub("x"), Role: chain.OrgWholesaler, Name: "X"}, ErrUnauthorized},
		{"register by a clinician", "dr-x", chain.OrganisationRegister{Org: testPub("x"), Role: chain.OrgPharmacy, Name: "X"}, ErrUnauthorized},
		{"register twice", "clinic-b", chain.OrganisationRegister{Org: testPub("pharmacy"), Role: chain.OrgPharmacy, Name: "Apotheke am Markt"}, ErrConflict},
		{"register a revoked key again", "clinic-a", chain.OrganisationRegister{Org: testPub("maker-old"), Role: chain.OrgManufacturer, Name: "Alte Pharma KG"}, ErrConflict},
		{"register oneself", "board", chain.OrganisationRegister{Org: testPub("board"), Role: chain.OrgWholesaler, Name: "Board"}, chain.ErrInvalid},
		{"register a GLN another organisation holds", "clinic-a", chain.OrganisationRegister{Org: testPub("x"), Role: chain.OrgManufacturer, Name: "X", GLN: "4098765000003"}, ErrConflict},
		{"register with a bad GLN check digit", "clinic-a", chain.OrganisationRegister{Org: testPub("x"), Role: chain.OrgPharmacy, Name: "X", GLN: "4098765000004"}, chain.ErrInvalid},
		{"revoke by an organisation", "pharmacy", chain.OrganisationRevoke{Org: testPub("pharmacy-2")}, ErrUnauthorized},
		{"revoke by an authority that did not register it", "board-2", chain.OrganisationRevoke{Org: testPub("pharmacy")}, ErrUnauthorized},
		{"revoke of an unregistered key", "clinic-a", chain.OrganisationRevoke{Org: testPub("x")}, ErrNotFound},
		{"revoke twice", "clinic-a", chain.OrganisationRevoke{Org: testPub("maker-old")}, ErrConflict},

		// Batches.
		{"commission by an unregistered organisation", "mallory", w.commission(gtinA, "M1"), ErrUnauthorized},
		{"commission by a wholesaler", "wholesaler", w.commission(gtinA, "M1"), ErrUnauthorized},
		{"commission by a revoked manufacturer", "maker-old", w.commission(gtinC, "OLD2"), ErrUnauthorized},
		{"a second manufacturer commissioning another's GTIN", "maker-2", w.commission(gtinA, "M1"), ErrUnauthorized},
		{"the same batch twice", "maker", w.commission(gtinA, "L1"), ErrConflict},
		{"commission with a bad GTIN check digit", "maker", w.commission(badGTIN, "M1"), chain.ErrInvalid},
		{"commission with an expiry that is no date", "maker", func() chain.Body { c := w.commission(gtinA, "M1"); c.Expiry = "290230"; return c }(), chain.ErrInvalid},

		// Shipments.
		{"shipment by someone without custody", "wholesaler-2", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy"), Serials: []string{"S8"}}, ErrUnauthorized},
		{"shipment of the wholesaler's packs signed by a pharmacy", "pharmacy", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy-2"), Serials: []string{"S8"}}, ErrUnauthorized},
		{"shipment signed by an unregistered key", "mallory", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy"), Serials: []string{"S8"}}, ErrUnauthorized},
		{"shipment of packs already passed on", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy-2"), Serials: []string{"S4"}}, ErrUnauthorized},
		{"whole batch shipped by its former holder", "maker", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("wholesaler-2")}, ErrUnauthorized},
		{"whole batch shipped after it was split", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("wholesaler-2")}, ErrUnauthorized},
		{"shipment by a revoked organisation", "maker-old", chain.Shipment{GTIN: gtinC, Lot: "OLD", To: testPub("wholesaler")}, ErrUnauthorized},
		{"shipment to an unregistered key", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("mallory"), Serials: []string{"S8"}}, ErrUnauthorized},
		{"shipment to a revoked organisation", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("maker-old"), Serials: []string{"S8"}}, ErrUnauthorized},
		{"shipment to oneself", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("wholesaler"), Serials: []string{"S8"}}, chain.ErrInvalid},
		{"shipment of an unknown batch", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "NOPE", To: testPub("pharmacy"), Serials: []string{"S8"}}, ErrNotFound},
		{"shipment with a bad GTIN check digit", "wholesaler", chain.Shipment{GTIN: badGTIN, Lot: "L1", To: testPub("pharmacy"), Serials: []string{"S8"}}, chain.ErrInvalid},
		{"a pack shipped again while in transit", "wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy"), Serials: []string{"S7", "S8"}}, ErrConflict},
		{"packs shipped while their whole batch is in transit", "maker", chain.Shipment{GTIN: gtinA, Lot: "L2", To: testPub("wholesaler"), Serials: []string{"X1"}}, ErrConflict},
		{"a whole batch shipped twice", "maker", chain.Shipment{GTIN: gtinA, Lot: "L2", To: testPub("wholesaler")}, ErrConflict},
		{"a dispensed pack shipped", "pharmacy", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy-2"), Serials: []string{"S1"}}, ErrConflict},

		// Receipts.
		{"receipt without a matching shipment", "pharmacy", chain.Receipt{Shipment: sha256.Sum256([]byte("no such shipment"))}, ErrNotFound},
		{"receipt by someone other than the recipient", "pharmacy", chain.Receipt{Shipment: toPharmacy2}, ErrUnauthorized},
		{"receipt by the sender", "wholesaler", chain.Receipt{Shipment: toPharmacy2}, ErrUnauthorized},
		{"receipt twice", "pharmacy", chain.Receipt{Shipment: toPharmacy}, ErrConflict},
		{"receipt of a whole batch twice", "wholesaler", chain.Receipt{Shipment: toWholesaler}, ErrConflict},

		// Dispenses.
		{"dispense by a wholesaler holding the pack", "wholesaler", dispense(gtinA, "L1", "S8"), ErrUnauthorized},
		{"dispense by an unregistered key", "mallory", dispense(gtinA, "L1", "S4"), ErrUnauthorized},
		{"dispense by a pharmacy without custody", "pharmacy-2", dispense(gtinA, "L1", "S4"), ErrUnauthorized},
		{"dispense before the receipt", "pharmacy-2", dispense(gtinA, "L1", "S7"), ErrUnauthorized},
		{"double dispense", "pharmacy", dispense(gtinA, "L1", "S1"), ErrConflict},
		{"double dispense at another pharmacy", "pharmacy-2", dispense(gtinA, "L1", "S1"), ErrConflict},
		{"dispense of a recalled batch", "pharmacy", dispense(gtinA, "RC", "R1"), ErrConflict},
		{"dispense of a recalled serial", "pharmacy", dispense(gtinA, "L1", "S2"), ErrConflict},
		{"dispense of a quarantined batch", "pharmacy", dispense(gtinA, "QT", "Q1"), ErrConflict},
		{"dispense of a quarantined serial", "pharmacy", dispense(gtinA, "L1", "S3"), ErrConflict},
		{"dispense of a pack the pharmacy has shipped", "pharmacy", dispense(gtinA, "L1", "S6"), ErrConflict},
		{"dispense of an unknown batch", "pharmacy", dispense(gtinA, "NOPE", "S1"), ErrNotFound},
		{"dispense of a GTIN no one commissioned", "pharmacy", dispense("05901234123457", "L1", "S4"), ErrNotFound},
		{"dispense with a bad GTIN check digit", "pharmacy", dispense(badGTIN, "L1", "S4"), chain.ErrInvalid},

		// Recalls.
		{"recall by another manufacturer", "maker-2", recall(gtinA, "L1", chain.ActionRecall), ErrUnauthorized},
		{"recall by a pharmacy", "pharmacy", recall(gtinA, "L1", chain.ActionRecall, "S4"), ErrUnauthorized},
		{"recall by a revoked manufacturer", "maker-old", recall(gtinC, "OLD", chain.ActionRecall), ErrUnauthorized},
		{"recall of an unknown batch", "maker", recall(gtinA, "NOPE", chain.ActionRecall), ErrNotFound},
		{"recall of a recalled batch", "maker", recall(gtinA, "RC", chain.ActionRecall), ErrConflict},
		{"quarantine of a recalled batch", "board", recall(gtinA, "RC", chain.ActionQuarantine), ErrConflict},
		{"release of a recalled batch", "maker", recall(gtinA, "RC", chain.ActionRelease), ErrConflict},
		{"quarantine of a quarantined batch", "maker", recall(gtinA, "QT", chain.ActionQuarantine), ErrConflict},
		{"release of a batch not quarantined", "maker", recall(gtinA, "L1", chain.ActionRelease), ErrConflict},
		{"recall of a recalled serial", "maker", recall(gtinA, "L1", chain.ActionRecall, "S2", "S4"), ErrConflict},
		{"quarantine of a serial of a recalled batch", "maker", recall(gtinA, "RC", chain.ActionQuarantine, "R1"), ErrConflict},
		{"quarantine of a quarantined serial", "maker", recall(gtinA, "L1", chain.ActionQuarantine, "S3"), ErrConflict},
		{"release of a serial not quarantined", "maker", recall(gtinA, "L1", chain.ActionRelease, "S4"), ErrConflict},
		{"recall with no action", "maker", recall(gtinA, "L1", 0), chain.ErrInvalid},
	}
	before := dump(t, w.st)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := w.try(c.signer, c.body)
			wantRefused(t, c.name, err, c.want)
			t.Log(err)
		})
	}
	if dump(t, w.st) != before {
		t.Fatal("a refused transaction changed the state")
	}
}

// Custody moves A → B → C, by the whole batch and by listed serials, only
// on the recipient's receipt.
func TestCustody(t *testing.T) {
	w := newSupplyWorld(t)
	maker, wholesaler, pharmacy, pharmacy2 := testPub("maker"), testPub("wholesaler"), testPub("pharmacy"), testPub("pharmacy-2")
	if got := w.holder(gtinA, "L1", "P1"); got != maker {
		t.Fatalf("a new batch is held by %s", got)
	}
	if _, err := w.st.PackHolder(gtinA, "NOPE", "P1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("holder in an unknown batch: %v", err)
	}

	// A → B, the whole batch: custody moves on the receipt, not before.
	id1 := w.ship("maker", "wholesaler", gtinA, "L1")
	if got := w.holder(gtinA, "L1", "P1"); got != maker {
		t.Fatal("custody moved before the receipt")
	}
	pending, err := w.st.ShipmentsTo(wholesaler, true)
	if err != nil || len(pending) != 1 || pending[0].ID != id1 || pending[0].Serials != nil || pending[0].From != maker {
		t.Fatalf("pending shipments to the wholesaler: %+v, %v", pending, err)
	}
	wantRefused(t, "shipping what is not received yet", w.try("wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: pharmacy, Serials: []string{"P1"}}), ErrUnauthorized)
	w.one("wholesaler", chain.Receipt{Shipment: id1})
	if got := w.holder(gtinA, "L1", "P1"); got != wholesaler {
		t.Fatalf("after the receipt, held by %s", got)
	}
	if pending, _ := w.st.ShipmentsTo(wholesaler, true); len(pending) != 0 {
		t.Fatalf("still pending: %+v", pending)
	}
	sh, err := w.st.Shipment(id1)
	if err != nil || !sh.Received || sh.ReceivedBlock != w.number || sh.To != wholesaler || sh.GTIN != gtinA || sh.Lot != "L1" {
		t.Fatalf("shipment %+v, %v", sh, err)
	}

	// B → C by serials, shipped and received in one block.
	ship := w.sign("wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: pharmacy, Serials: []string{"P1", "P2", "P3"}})
	if _, err := w.apply(ship, w.sign("pharmacy", chain.Receipt{Shipment: ship.Hash()})); err != nil {
		t.Fatal(err)
	}
	id3 := w.ship("wholesaler", "pharmacy-2", gtinA, "L1", "P4")
	for serial, want := range map[string]chain.PublicKey{"P1": pharmacy, "P2": pharmacy, "P3": pharmacy, "P4": wholesaler, "P5": wholesaler} {
		if got := w.holder(gtinA, "L1", serial); got != want {
			t.Errorf("%s held by %s, want %s", serial, got, want)
		}
	}
	w.one("pharmacy-2", chain.Receipt{Shipment: id3})
	if got := w.holder(gtinA, "L1", "P4"); got != pharmacy2 {
		t.Fatalf("P4 held by %s", got)
	}
	sh, err = w.st.Shipment(ship.Hash())
	if err != nil || !slices.Equal(sh.Serials, []string{"P1", "P2", "P3"}) || sh.From != wholesaler {
		t.Fatalf("partial shipment %+v, %v", sh, err)
	}
	all, err := w.st.ShipmentsTo(pharmacy, false)
	if err != nil || len(all) != 1 || all[0].ID != ship.Hash() || !all[0].Received {
		t.Fatalf("shipments to the pharmacy: %+v, %v", all, err)
	}
	// Once split, the batch moves only by serials.
	wantRefused(t, "whole batch after a split", w.try("wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("wholesaler-2")}), ErrUnauthorized)

	// C → D and back to B.
	w.move("pharmacy", "pharmacy-2", gtinA, "L1", "P3")
	if got := w.holder(gtinA, "L1", "P3"); got != pharmacy2 {
		t.Fatalf("P3 held by %s", got)
	}
	w.move("pharmacy-2", "wholesaler", gtinA, "L1", "P3")
	if got := w.holder(gtinA, "L1", "P3"); got != wholesaler {
		t.Fatalf("returned P3 held by %s", got)
	}
	w.move("wholesaler", "pharmacy", gtinA, "L1", "P3", "P5")

	// Dispenses where custody ends.
	w.one("pharmacy", dispense(gtinA, "L1", "P1"))
	w.one("pharmacy-2", dispense(gtinA, "L1", "P4"))
	d, ok, err := w.st.PackDispensed(gtinA, "L1", "P1")
	if err != nil || !ok || d.Pharmacist != pharmacy || d.Block != w.number-1 || d.Seq != 1 {
		t.Fatalf("dispense of P1: %+v, %v, %v", d, ok, err)
	}
	if _, ok, err := w.st.PackDispensed(gtinA, "L1", "P2"); err != nil || ok {
		t.Fatalf("P2 dispensed: %v, %v", ok, err)
	}

	// A whole batch through three hands.
	w.one("maker", w.commission(gtinA, "L3"))
	w.move("maker", "wholesaler", gtinA, "L3")
	w.move("wholesaler", "wholesaler-2", gtinA, "L3")
	w.move("wholesaler-2", "pharmacy", gtinA, "L3")
	if got := w.holder(gtinA, "L3", "Z9"); got != pharmacy {
		t.Fatalf("L3 held by %s", got)
	}
	w.one("pharmacy", dispense(gtinA, "L3", "Z9"))
	wantRefused(t, "wholesaler-2 shipping what it passed on", w.try("wholesaler-2", chain.Shipment{GTIN: gtinA, Lot: "L3", To: pharmacy2, Serials: []string{"Z8"}}), ErrUnauthorized)

	b, err := w.st.Batch(gtinA, "L3")
	if err != nil || b.Manufacturer != maker || b.Count != 1000 || b.Expiry != "290131" || b.List.IsZero() || b.Recalled || b.Quarantined {
		t.Fatalf("batch %+v, %v", b, err)
	}
	bs, err := w.st.BatchesOf(maker)
	if err != nil || len(bs) != 2 || bs[0].Lot != "L1" || bs[1].Lot != "L3" {
		t.Fatalf("batches of maker: %+v, %v", bs, err)
	}
	// The maker owns the GTIN: new lots are its own.
	w.one("maker", w.commission(gtinA, "L4"))
}

// A recall or quarantine binds every later transaction: the next block
// refuses the dispense anywhere.
func TestRecallNextBlock(t *testing.T) {
	w := newSupplyWorld(t)
	w.move("maker", "wholesaler", gtinA, "L1")
	w.move("wholesaler", "pharmacy", gtinA, "L1", "R1", "R2", "R3", "R4")
	w.one("pharmacy", dispense(gtinA, "L1", "R1"))
	seen := w.number

	w.one("maker", recall(gtinA, "L1", chain.ActionRecall, "R2"))
	recalledIn := w.number
	rs, err := w.st.Recalls(seen)
	if err != nil || len(rs) != 1 || rs[0].Block != recalledIn || rs[0].Action != chain.ActionRecall || !slices.Equal(rs[0].Serials, []string{"R2"}) || rs[0].Signer != testPub("maker") {
		t.Fatalf("recalls since block %d: %+v, %v", seen, rs, err)
	}
	if ok, r, err := w.st.PackRecalled(gtinA, "L1", "R2"); err != nil || !ok || r.Block != recalledIn {
		t.Fatalf("R2 recalled: %v %+v %v", ok, r, err)
	}
	if ok, _, err := w.st.PackRecalled(gtinA, "L1", "R3"); err != nil || ok {
		t.Fatalf("R3 recalled: %v %v", ok, err)
	}
	wantRefused(t, "dispense in the block after the recall", w.try("pharmacy", dispense(gtinA, "L1", "R2")), ErrConflict)

	// In one block, a quarantine binds the dispense after it.
	q := w.sign("board", recall(gtinA, "L1", chain.ActionQuarantine))
	_, err = w.apply(q, w.sign("pharmacy", dispense(gtinA, "L1", "R3")))
	wantRefused(t, "dispense after a quarantine in the same block", err, ErrConflict)
	w.one("board", recall(gtinA, "L1", chain.ActionQuarantine))
	if b, _ := w.st.Batch(gtinA, "L1"); !b.Quarantined || b.Recalled {
		t.Fatalf("batch after a quarantine: %+v", b)
	}
	if ok, r, err := w.st.PackQuarantined(gtinA, "L1", "R3"); err != nil || !ok || r.Signer != testPub("board") || r.Serials != nil {
		t.Fatalf("R3 quarantined: %v %+v %v", ok, r, err)
	}
	wantRefused(t, "dispense of a quarantined batch", w.try("pharmacy", dispense(gtinA, "L1", "R3")), ErrConflict)
	w.one("maker", recall(gtinA, "L1", chain.ActionRelease))
	if ok, _, err := w.st.PackQuarantined(gtinA, "L1", "R3"); err != nil || ok {
		t.Fatalf("R3 quarantined after the release: %v %v", ok, err)
	}
	w.one("pharmacy", dispense(gtinA, "L1", "R3"))

	// A serial quarantine and its release.
	w.one("maker", recall(gtinA, "L1", chain.ActionQuarantine, "R4"))
	wantRefused(t, "dispense of a quarantined serial", w.try("pharmacy", dispense(gtinA, "L1", "R4")), ErrConflict)
	w.one("maker", recall(gtinA, "L1", chain.ActionRelease, "R4"))

	// The whole batch recalled: final, and it covers packs dispensed before
	// it (the patient's wallet alerts on those).
	w.one("maker", recall(gtinA, "L1", chain.ActionRecall))
	b, err := w.st.Batch(gtinA, "L1")
	if err != nil || !b.Recalled || b.RecalledBlock != w.number {
		t.Fatalf("recalled batch %+v, %v", b, err)
	}
	if ok, r, _ := w.st.PackRecalled(gtinA, "L1", "R1"); !ok || r.Serials != nil {
		t.Fatalf("R1 after the batch recall: %v %+v", ok, r)
	}
	if _, ok, _ := w.st.PackDispensed(gtinA, "L1", "R1"); !ok {
		t.Fatal("the dispense before the recall is gone")
	}
	wantRefused(t, "dispense after the batch recall", w.try("pharmacy", dispense(gtinA, "L1", "R4")), ErrConflict)
	wantRefused(t, "release after a recall", w.try("board", recall(gtinA, "L1", chain.ActionRelease)), ErrConflict)
	all, err := w.st.Recalls(0)
	if err != nil || len(all) != 6 {
		t.Fatalf("%d recalls, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Block < all[i-1].Block {
			t.Fatal("recalls out of chain order")
		}
	}

	// An authority recalls the batch of a manufacturer since revoked.
	w.one("maker-2", w.commission(gtinB, "B1"))
	w.one("clinic-a", chain.OrganisationRevoke{Org: testPub("maker-2")})
	wantRefused(t, "recall by the revoked manufacturer", w.try("maker-2", recall(gtinB, "B1", chain.ActionRecall)), ErrUnauthorized)
	w.one("board-2", recall(gtinB, "B1", chain.ActionRecall))
}

func TestOrganisations(t *testing.T) {
	w := newSupplyWorld(t)
	o, err := w.st.Organisation(testPub("pharmacy"))
	if err != nil || o.Role != chain.OrgPharmacy || o.Name != "Apotheke am Markt" || o.GLN != "9506000134352" ||
		o.Registrar != testPub("board") || o.Revoked || o.Block == 0 {
		t.Fatalf("pharmacy: %+v, %v", o, err)
	}
	if _, err := w.st.Organisation(testPub("mallory")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unregistered: %v", err)
	}
	all, err := w.st.Organisations()
	if err != nil || len(all) != 6 || all[0].Key != testPub("maker") || all[5].Key != testPub("pharmacy-2") {
		t.Fatalf("organisations: %+v, %v", all, err)
	}

	// Its registrar revokes the pharmacy: it can no longer sign anything.
	w.move("maker", "pharmacy", gtinA, "L1", "K1", "K2")
	toPharmacy := w.ship("maker", "pharmacy", gtinA, "L1", "K3")
	w.one("board", chain.OrganisationRevoke{Org: testPub("pharmacy")})
	o, _ = w.st.Organisation(testPub("pharmacy"))
	if !o.Revoked || o.RevokedBy != testPub("board") || o.RevokedBlock != w.number {
		t.Fatalf("revoked pharmacy: %+v", o)
	}
	wantRefused(t, "dispense by a revoked pharmacy", w.try("pharmacy", dispense(gtinA, "L1", "K1")), ErrUnauthorized)
	wantRefused(t, "receipt by a revoked pharmacy", w.try("pharmacy", chain.Receipt{Shipment: toPharmacy}), ErrUnauthorized)
	wantRefused(t, "shipment by a revoked pharmacy", w.try("pharmacy", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy-2"), Serials: []string{"K1"}}), ErrUnauthorized)
	if got := w.holder(gtinA, "L1", "K1"); got != testPub("pharmacy") {
		t.Fatal("revocation moved custody")
	}
	// The same site under a new key takes over the GLN.
	w.one("board", chain.OrganisationRegister{Org: testPub("pharmacy-new"), Role: chain.OrgPharmacy, Name: "Apotheke am Markt", GLN: "9506000134352"})

	// An authority voted out can no longer revoke what it registered; a
	// signer still can.
	w.one("clinic-a", chain.AuthorityVote{Key: testPub("board")})
	w.one("clinic-b", chain.AuthorityVote{Key: testPub("board")})
	wantRefused(t, "revoke by a removed authority", w.try("board", chain.OrganisationRevoke{Org: testPub("pharmacy-2")}), ErrUnauthorized)
	wantRefused(t, "register by a removed authority", w.try("board", chain.OrganisationRegister{Org: testPub("x"), Role: chain.OrgPharmacy, Name: "X"}), ErrUnauthorized)
	w.one("clinic-b", chain.OrganisationRevoke{Org: testPub("pharmacy-2")})
	// What it registered stays registered until revoked.
	if o, err := w.st.Organisation(testPub("wholesaler")); err != nil || o.Revoked {
		t.Fatalf("wholesaler after its registrar's removal: %+v, %v", o, err)
	}
}

// Reverting block by block restores every supply-chain table exactly.
func TestRevertSupply(t *testing.T) {
	ctx := context.Background()
	w := &supplyWorld{fixture: newFixture(t)}
	start := dump(t, w.st)
	// second signs a body with the signer's nonce after its first one in
	// the same block.
	second := func(name string, body chain.Body) func() *chain.Tx {
		return func() *chain.Tx { return w.signNonce(name, w.nonces[testPub(name)]+1, body) }
	}
	first := func(name string, body chain.Body) func() *chain.Tx {
		return func() *chain.Tx { return w.sign(name, body) }
	}
	var toWholesaler, toPharmacy chain.Hash
	steps := [][]func() *chain.Tx{
		{first("clinic-a", chain.OrganisationRegister{Org: testPub("maker"), Role: chain.OrgManufacturer, Name: "M", GLN: "4098765000003"}),
			second("clinic-a", chain.OrganisationRegister{Org: testPub("wholesaler"), Role: chain.OrgWholesaler, Name: "W"}),
			first("clinic-b", chain.OrganisationRegister{Org: testPub("pharmacy"), Role: chain.OrgPharmacy, Name: "P"})},
		{first("maker", w.commission(gtinA, "L1")), second("maker", w.commission(gtinA, "L2"))},
		{func() *chain.Tx {
			tx := w.sign("maker", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("wholesaler")})
			toWholesaler = tx.Hash()
			return tx
		}},
		{func() *chain.Tx { return w.sign("wholesaler", chain.Receipt{Shipment: toWholesaler}) },
			func() *chain.Tx {
				tx := w.signNonce("wholesaler", w.nonces[testPub("wholesaler")]+1, chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy"), Serials: []string{"A", "B", "C"}})
				toPharmacy = tx.Hash()
				return tx
			}},
		{func() *chain.Tx { return w.sign("pharmacy", chain.Receipt{Shipment: toPharmacy}) },
			second("pharmacy", dispense(gtinA, "L1", "A"))},
		{first("maker", recall(gtinA, "L1", chain.ActionRecall, "B")), second("maker", recall(gtinA, "L2", chain.ActionQuarantine))},
		{first("clinic-b", chain.OrganisationRevoke{Org: testPub("pharmacy")})},
	}
	var dumps []string
	for i, step := range steps {
		dumps = append(dumps, dump(t, w.st))
		var txs []*chain.Tx
		for _, mk := range step {
			txs = append(txs, mk())
		}
		if _, err := w.apply(txs...); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// Every new table holds rows before the reverts start.
	full := dump(t, w.st)
	for _, table := range []string{"organisations", "organisation_revocations", "batches", "shipments", "shipment_serials", "receipts", "pack_dispenses", "recalls", "recall_serials"} {
		var n int
		if err := w.st.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil || n == 0 {
			t.Fatalf("table %s: %d rows, %v", table, n, err)
		}
	}
	for i := len(dumps) - 1; i >= 0; i-- {
		n, _, _, _ := w.st.Head()
		if err := w.st.RevertBlock(ctx, n); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, w.st); got != dumps[i] {
			t.Fatalf("after reverting block %d:\n%s\nwant\n%s", n, got, dumps[i])
		}
	}
	if dump(t, w.st) == full || dump(t, w.st) != start {
		t.Fatal("not back to the start")
	}
}

// BenchmarkPackVerdict is the chain-state half of a pharmacist's scan: the
// batch, the pack's holder, recall, quarantine and dispense, from a batch
// that went through a wholesaler to pharmacies in shipments of
// MaxShipmentSerials.
func BenchmarkPackVerdict(b *testing.B) {
	w := newSupplyWorld(b)
	w.move("maker", "wholesaler", gtinA, "L1")
	var last []string
	for s := range 10 {
		serials := make([]string, chain.MaxShipmentSerials)
		for i := range serials {
			serials[i] = fmt.Sprintf("%02d%06d", s, i)
		}
		to := []string{"pharmacy", "pharmacy-2"}[s%2]
		w.move("wholesaler", to, gtinA, "L1", serials...)
		last = serials
	}
	w.one("maker", recall(gtinA, "L1", chain.ActionRecall, last[7]))
	w.one("pharmacy-2", dispense(gtinA, "L1", last[8]))
	serial := last[9]
	b.ResetTimer()
	for b.Loop() {
		if _, err := w.st.Batch(gtinA, "L1"); err != nil {
			b.Fatal(err)
		}
		if k, err := w.st.PackHolder(gtinA, "L1", serial); err != nil || k != testPub("pharmacy-2") {
			b.Fatal(k, err)
		}
		if ok, _, err := w.st.PackRecalled(gtinA, "L1", serial); err != nil || ok {
			b.Fatal(ok, err)
		}
		if ok, _, err := w.st.PackQuarantined(gtinA, "L1", serial); err != nil || ok {
			b.Fatal(ok, err)
		}
		if _, ok, err := w.st.PackDispensed(gtinA, "L1", serial); err != nil || ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkShipment400 applies blocks of a largest partial shipment and its
// receipt: 400 custody checks and 400 rows.
func BenchmarkShipment400(b *testing.B) {
	w := newSupplyWorld(b)
	w.move("maker", "wholesaler", gtinA, "L1")
	n := 0
	for b.Loop() {
		serials := make([]string, chain.MaxShipmentSerials)
		for i := range serials {
			serials[i] = fmt.Sprintf("%04d%06d", n, i)
		}
		n++
		ship := w.sign("wholesaler", chain.Shipment{GTIN: gtinA, Lot: "L1", To: testPub("pharmacy"), Serials: serials})
		if _, err := w.apply(ship, w.sign("pharmacy", chain.Receipt{Shipment: ship.Hash()})); err != nil {
			b.Fatal(err)
		}
	}
}
