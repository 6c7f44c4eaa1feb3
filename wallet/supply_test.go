package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/gs1"
	"github.com/healthwallet/healthwallet/wallet/pack"
)

const testGTIN = "09506000134352" // GS1's own example GTIN

func packCode(gtin, serial, lot, expiry string) string {
	return fmt.Sprintf("(01)%s(21)%s(10)%s(17)%s", gtin, serial, lot, expiry)
}

func serialRange(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%04d", prefix, i))
	}
	return out
}

// Drug authentication end to end on a live one-clinic chain: a
// manufacturer commissions batches, custody moves through a wholesaler
// to two pharmacies, and every fraud the issue names is refused with its
// reason at the pharmacy's scan; a patient links a genuine pack to its
// records and is alerted when it is recalled.
func TestPackFraud(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	names := []string{"clinic", "maker", "other-maker", "wholesaler", "pharmacy", "pharmacy-2", "patient"}
	dirs, g := consortium(t, "hw-supply-test", names, []string{"clinic"})
	ws := map[string]*wallet.Wallet{}
	for i, n := range names {
		quota := int64(0)
		if i == 0 {
			quota = 1 << 30
		}
		ws[n] = onChain(t, dirs[n], g, quota)
	}
	sealCtx, stopSealer := context.WithCancel(ctx)
	sealer := make(chan error, 1)
	go func() { sealer <- ws["clinic"].RunSealer(sealCtx) }()
	defer func() {
		stopSealer()
		<-sealer
		for _, w := range ws {
			w.Close()
		}
	}()
	for _, n := range names[1:] {
		if err := ws[n].ConnectPeer(ctx, ws["clinic"].Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	clinic, maker, other, wholesaler, pharmacy, pharmacy2, patient := ws["clinic"], ws["maker"], ws["other-maker"], ws["wholesaler"], ws["pharmacy"], ws["pharmacy-2"], ws["patient"]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := patient.RegisterOrganisation(ctx, patient.ChainKey(), chain.OrgPharmacy, "Not A Pharmacy", ""); !errors.Is(err, wallet.ErrNotOrgRegistrar) {
		t.Fatalf("registration by a patient: %v", err)
	}
	for _, o := range []struct {
		w    *wallet.Wallet
		role chain.OrgRole
		name string
	}{{maker, chain.OrgManufacturer, "Demo Pharma"}, {other, chain.OrgManufacturer, "Copycat Pharma"}, {wholesaler, chain.OrgWholesaler, "Demo Wholesale"},
		{pharmacy, chain.OrgPharmacy, "Market Pharmacy"}, {pharmacy2, chain.OrgPharmacy, "Station Pharmacy"}} {
		must(clinic.RegisterOrganisation(ctx, o.w.ChainKey(), o.role, o.name, ""))
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		waitFor(t, 30*time.Second, what, cond)
	}
	registered := func(w *wallet.Wallet) func() bool {
		return func() bool { _, ok, _ := w.MyOrganisation(); return ok }
	}
	for _, w := range []*wallet.Wallet{maker, other, wholesaler, pharmacy, pharmacy2} {
		until("the registrations", registered(w))
	}

	l1 := serialRange("S", 1, 100)
	if _, err := maker.CommissionBatch(ctx, testGTIN, "L1", "301231", l1); err != nil {
		t.Fatal(err)
	}
	if _, err := maker.CommissionBatch(ctx, testGTIN, "L2", "291130", serialRange("T", 1, 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := maker.CommissionBatch(ctx, testGTIN, "L3", "301231", serialRange("R", 1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := maker.CommissionBatch(ctx, testGTIN, "OLD", "250131", serialRange("X", 1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.CommissionBatch(ctx, testGTIN, "L9", "301231", serialRange("F", 1, 10)); !errors.Is(err, state.ErrUnauthorized) {
		t.Fatalf("another manufacturer commissioning this GTIN: %v", err)
	}
	if _, err := pharmacy.CommissionBatch(ctx, testGTIN, "L8", "301231", serialRange("P", 1, 10)); !errors.Is(err, wallet.ErrNotOrganisation) {
		t.Fatalf("a pharmacy commissioning: %v", err)
	}

	// Custody: maker → wholesaler (whole L1) → pharmacy (S0001–S0020) and
	// pharmacy 2 (S0021–S0030); L3 and OLD straight to the pharmacy.
	receive := func(w *wallet.Wallet, id chain.Hash) {
		t.Helper()
		until("the shipment at its recipient", func() bool {
			s, err := w.IncomingShipments(true)
			return err == nil && len(s) > 0
		})
		must(w.Receive(ctx, id))
	}
	id, err := maker.Ship(ctx, testGTIN, "L1", wholesaler.ChainKey(), nil)
	must(err)
	receive(wholesaler, id)
	id, err = wholesaler.Ship(ctx, testGTIN, "L1", pharmacy.ChainKey(), l1[:20])
	must(err)
	receive(pharmacy, id)
	id, err = wholesaler.Ship(ctx, testGTIN, "L1", pharmacy2.ChainKey(), l1[20:30])
	must(err)
	receive(pharmacy2, id)
	for _, lot := range []string{"L3", "OLD"} {
		id, err = maker.Ship(ctx, testGTIN, lot, pharmacy.ChainKey(), nil)
		must(err)
		receive(pharmacy, id)
	}
	// A shipment signed by someone who does not hold the packs, and
	// receipts by the wrong party or of no shipment.
	if _, err := pharmacy2.Ship(ctx, testGTIN, "L1", pharmacy2.ChainKey(), []string{"S0010"}); err == nil {
		t.Fatal("a shipment to oneself")
	}
	if _, err := pharmacy2.Ship(ctx, testGTIN, "L1", wholesaler.ChainKey(), []string{"S0010"}); !errors.Is(err, state.ErrUnauthorized) {
		t.Fatalf("a shipment of packs another pharmacy holds: %v", err)
	}
	toPharmacy, err := wholesaler.Ship(ctx, testGTIN, "L1", pharmacy.ChainKey(), []string{"S0031"})
	must(err)
	until("the shipment known to pharmacy 2", func() bool { _, err := pharmacy2.Ledger().State().Shipment(toPharmacy); return err == nil })
	if err := pharmacy2.Receive(ctx, toPharmacy); !errors.Is(err, state.ErrUnauthorized) {
		t.Fatalf("a receipt by someone the shipment is not for: %v", err)
	}
	if err := pharmacy.Receive(ctx, chain.Hash{1}); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a receipt without a matching shipment: %v", err)
	}

	// Recalls: the whole of L3, and the single pack S0003; S0005 in
	// quarantine.
	must(maker.Recall(ctx, testGTIN, "L3", nil, chain.ActionRecall))
	must(maker.Recall(ctx, testGTIN, "L1", []string{"S0003"}, chain.ActionRecall))
	must(maker.Recall(ctx, testGTIN, "L1", []string{"S0005"}, chain.ActionQuarantine))

	// The genuine pack passes and is dispensed, once.
	genuine := packCode(testGTIN, "S0001", "L1", "301231")
	until("the pharmacy's copy of the chain", func() bool {
		v, err := pharmacy.VerifyPack(ctx, genuine)
		return err == nil && v.OK
	})
	if v, err := pharmacy.DispensePack(ctx, genuine); err != nil || !v.OK || v.Manufacturer == nil || v.Manufacturer.Name != "Demo Pharma" {
		t.Fatalf("dispense of a genuine pack: %v, %v", v.Reasons, err)
	}

	digit, err := gs1.CheckDigit("0950600013436")
	must(err)
	unknownGTIN := "0950600013436" + string(digit)
	cases := []struct {
		name string
		at   *wallet.Wallet
		code string
		want error
	}{
		{"unknown GTIN", pharmacy, packCode(unknownGTIN, "S0002", "L1", "301231"), pack.ErrUnknownGTIN},
		{"serial not in the batch", pharmacy, packCode(testGTIN, "S9999", "L1", "301231"), pack.ErrNotInBatch},
		{"serial of another lot", pharmacy, packCode(testGTIN, "S0002", "L2", "291130"), pack.ErrNotInBatch},
		{"lot not on the ledger", pharmacy, packCode(testGTIN, "S0002", "L7", "301231"), pack.ErrLotMismatch},
		{"expiry differs from the batch", pharmacy, packCode(testGTIN, "S0002", "L1", "301130"), pack.ErrExpiryMismatch},
		{"diverted: custody ends at another pharmacy", pharmacy, packCode(testGTIN, "S0025", "L1", "301231"), pack.ErrDiverted},
		{"diverted: still at the wholesaler", pharmacy, packCode(testGTIN, "S0050", "L1", "301231"), pack.ErrDiverted},
		{"recalled batch", pharmacy, packCode(testGTIN, "R0001", "L3", "301231"), pack.ErrRecalled},
		{"recalled single serial", pharmacy, packCode(testGTIN, "S0003", "L1", "301231"), pack.ErrRecalled},
		{"serial in quarantine", pharmacy, packCode(testGTIN, "S0005", "L1", "301231"), pack.ErrQuarantined},
		{"already dispensed", pharmacy, genuine, pack.ErrAlreadyDispensed},
		{"already dispensed, at another pharmacy", pharmacy2, genuine, pack.ErrAlreadyDispensed},
		{"expired", pharmacy, packCode(testGTIN, "X0001", "OLD", "250131"), pack.ErrExpired},
		{"bad GTIN check digit", pharmacy, packCode("09506000134353", "S0002", "L1", "301231"), pack.ErrCheckDigit},
		{"malformed element string", pharmacy, "(01)0950600013435(21)S0002", pack.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := c.at.VerifyPack(ctx, c.code)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK || len(v.Reasons) == 0 || !errors.Is(v.Reasons[0], c.want) {
				t.Fatalf("verdict OK=%v, reasons %v; want first %v", v.OK, v.Reasons, c.want)
			}
			if _, err := c.at.DispensePack(ctx, c.code); !errors.Is(err, wallet.ErrPackRefused) || !errors.Is(err, c.want) {
				t.Fatalf("dispense: %v, want a refusal for %v", err, c.want)
			}
		})
	}
	// The raw form a scanner types and a Digital Link of a genuine pack.
	for _, code := range []string{"]d2\x1d01" + testGTIN + "17301231" + "10L1\x1d21S0002", "https://id.gs1.org/01/" + testGTIN + "/10/L1/21/S0002?17=301231"} {
		if v, err := pharmacy.VerifyPack(ctx, code); err != nil || !v.OK {
			t.Fatalf("%q: %v, %v", code, v.Reasons, err)
		}
	}

	// The patient checks the pack it was given and keeps it; a later
	// recall of it raises an alert.
	v, err := patient.CheckPack(ctx, genuine)
	if err != nil || !v.OK {
		t.Fatalf("the patient's check: %v, %v", v.Reasons, err)
	}
	if _, _, err := patient.LinkPack(ctx, packCode(testGTIN, "S9999", "L1", "301231"), "Amlodipine 5 mg"); !errors.Is(err, pack.ErrNotInBatch) {
		t.Fatalf("linking a counterfeit: %v", err)
	}
	rec, _, err := patient.LinkPack(ctx, genuine, "Amlodipine 5 mg")
	must(err)
	if alerts, err := patient.PackAlerts(ctx); err != nil || len(alerts) != 0 {
		t.Fatalf("alerts before the recall: %+v, %v", alerts, err)
	}
	must(maker.Recall(ctx, testGTIN, "L1", []string{"S0001"}, chain.ActionRecall))
	var alerts []wallet.PackAlert
	until("the recall alert at the patient", func() bool {
		alerts, err = patient.PackAlerts(ctx)
		return err == nil && len(alerts) == 1
	})
	if alerts[0].RecordID != rec.ID || alerts[0].Pack.Serial != "S0001" || !errors.Is(alerts[0].Reason, pack.ErrRecalled) {
		t.Fatalf("alert %+v", alerts[0])
	}
}
