package demonet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet/gs1"
	"github.com/healthwallet/healthwallet/wallet/pack"
)

// The demo's product and organisations carry valid GS1 numbers, its
// serials are the same on every install and distinct, and a lot expires
// at the end of a month a year or so out.
func TestDemoSupplyNumbers(t *testing.T) {
	if err := gs1.ValidGTIN(ProductGTIN); err != nil {
		t.Errorf("GTIN %s: %v", ProductGTIN, err)
	}
	for _, gln := range []string{ManufacturerGLN, WholesalerGLN, PharmacyGLN} {
		d, err := gs1.CheckDigit(gln[:12])
		if err != nil || len(gln) != chain.GLNLen || d != gln[12] {
			t.Errorf("GLN %s: check digit %c, %v", gln, d, err)
		}
	}
	a, b := Serials(Lot, LotPacks), Serials(Lot, LotPacks)
	if !slices.Equal(a, b) {
		t.Fatal("demo serials differ between calls")
	}
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != LotPacks {
		t.Fatal("duplicate demo serials")
	}
	for _, s := range append(a, Serials(RecalledLot, RecalledLotPacks)...) {
		if len(s) != 12 || strings.ContainsAny(s, "0O1I") {
			t.Fatalf("serial %q", s)
		}
	}
	if slices.Contains(a, Serials(RecalledLot, 1)[0]) {
		t.Fatal("the recalled lot's first serial is also in the main lot")
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC), "280131"},
		{time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC), "280229"}, // a leap year's February
	} {
		if got := mainBatch.expiry(c.at); got != c.want {
			t.Errorf("expiry at %v = %s, want %s", c.at, got, c.want)
		}
	}
}

// The supply-chain set-up on a fresh demo, interrupted once it has
// commissioned the batches and resumed on the next start: the
// organisations are registered, the demo pharmacist's wallet judges the
// exported packs (genuine, recalled, still at the wholesaler) as the demo
// promises, and the codes are written for screenshots. A third start finds
// it all in place and ships nothing more.
func TestDemoSupply(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	n, err := Start(ctx, dir, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if n != nil {
			n.Close()
		}
	}()
	began := time.Now()
	clinic := n.Clinics[0].Wallet
	if err := clinic.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, err := clinic.Ledger().State().Batch(ProductGTIN, RecalledLot)
		return err == nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("interrupted %v after the first start, batches commissioned", time.Since(began).Round(time.Millisecond))

	n, err = Start(ctx, dir, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	if err := n.Supplied(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("supply chain resumed and set up %v after the second start, chain at block %d", time.Since(began).Round(time.Millisecond), n.Clinics[0].Wallet.Ledger().Head().Number)

	clinic = n.Clinics[0].Wallet
	orgs, err := clinic.Organisations()
	if err != nil || len(orgs) != len(supplyParties) {
		t.Fatalf("organisations %+v, %v", orgs, err)
	}
	for _, p := range supplyParties {
		o, err := clinic.Ledger().State().Organisation(memberKey(p.member))
		if err != nil || o.Name != p.name || o.Role != p.role || o.GLN != p.gln || o.Revoked {
			t.Errorf("%s: %+v, %v", p.name, o, err)
		}
	}
	if o, ok, err := n.Pharmacist.MyOrganisation(); err != nil || !ok || o.Name != PharmacyName {
		t.Fatalf("the pharmacist's organisation %+v %v, %v", o, ok, err)
	}
	packs, err := n.Packs()
	if err != nil {
		t.Fatal(err)
	}
	ph := n.Pharmacist
	if err := ph.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		b, err := ph.Ledger().State().Batch(ProductGTIN, RecalledLot)
		return err == nil && b.Recalled
	}); err != nil {
		t.Fatal(err)
	}
	v, err := ph.VerifyPack(ctx, packs.Genuine)
	if err != nil || !v.OK || v.Manufacturer == nil || v.Manufacturer.Name != ManufacturerName || v.Holder == nil || v.Holder.Name != PharmacyName {
		t.Fatalf("the genuine pack at the pharmacy: %+v, %v", v.Reasons, err)
	}
	if v.Pack.ExpiryDate.Before(time.Now().AddDate(0, LotMonthsLeft-1, 0)) {
		t.Errorf("the lot expires %v: want about %d months out", v.Pack.ExpiryDate, LotMonthsLeft)
	}
	for _, c := range []struct {
		code string
		want error
	}{{packs.Recalled, pack.ErrRecalled}, {packs.AtWholesaler, pack.ErrDiverted}} {
		v, err := ph.VerifyPack(ctx, c.code)
		if err != nil || v.OK || len(v.Reasons) != 1 || !errors.Is(v.Reasons[0], c.want) {
			t.Errorf("%s at the pharmacy: %v, %v; want %v", c.code, v.Reasons, err, c.want)
		}
	}
	incoming, err := ph.IncomingShipments(false)
	if err != nil || len(incoming) != 2 {
		t.Fatalf("the pharmacy's shipments %+v, %v", incoming, err)
	}
	written, err := os.ReadFile(filepath.Join(dir, PacksFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{packs.Genuine, packs.Recalled, packs.AtWholesaler} {
		if !strings.Contains(string(written), "\t"+code+"\t") {
			t.Errorf("%s lacks %s:\n%s", PacksFile, code, written)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n, err = Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.supplied:
	default:
		t.Fatal("a third start runs the supply-chain set-up again")
	}
	if again, err := n.Pharmacist.IncomingShipments(false); err != nil || len(again) != len(incoming) {
		t.Fatalf("after a restart %d shipments to the pharmacy (%v), was %d", len(again), err, len(incoming))
	}
	if batches, err := n.Clinics[1].Wallet.Ledger().State().BatchesByGTIN(ProductGTIN); err != nil || len(batches) != 2 {
		t.Fatalf("after a restart %d batches, %v", len(batches), err)
	}
	err = n.Close()
	n = nil
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}
