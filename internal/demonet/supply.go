package demonet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/gs1"
)

// The demo's medicine supply chain: a clinic registers a manufacturer, a
// wholesaler and the demo pharmacist's wallet as a pharmacy; the
// manufacturer commissions two batches of one product and ships them to
// the wholesaler, who ships a hundred packs of the first and the whole
// second to the pharmacy; the manufacturer then recalls the second. So a
// pharmacist's scan has a genuine pack to pass, a recalled one and one
// that never reached the pharmacy to refuse (Packs). Like the licensing,
// it runs once, in the background, after the licensing; each step is
// judged from the chain, so a start resumes where the last one stopped
// and never undoes what a user did in the app.

// The demo's supply-chain organisations. Their keys, like every demo key,
// come from public phrases (Phrase); the pharmacy is the demo
// pharmacist's wallet. The GLNs are in GS1's 950 prefix, which no company
// holds, with valid check digits.
const (
	ManufacturerName = "Demo Pharma"
	WholesalerName   = "Demo Wholesale"
	PharmacyName     = "Demo Pharmacy"

	ManufacturerGLN = "9506001000014"
	WholesalerGLN   = "9506002000013"
	PharmacyGLN     = "9506003000012"
)

// The demo product and its batches. The lots' expiry dates are set when
// they are commissioned: the end of the month LotMonthsLeft (and
// RecalledLotMonthsLeft) months later.
const (
	ProductName = "Amlodipine 5 mg, 28 tablets"
	ProductGTIN = "09506001012345"

	Lot                   = "DP26K041"
	LotPacks              = 1000
	LotMonthsLeft         = 13
	PharmacyPacks         = 100 // of Lot, shipped on to the pharmacy
	RecalledLot           = "DP26H017"
	RecalledLotPacks      = 20
	RecalledLotMonthsLeft = 10
)

// PacksFile is where, in the consortium's directory, a finished set-up
// writes the demo packs' codes (Packs), for screenshots and docs.
const PacksFile = "demo-packs.txt"

// batch is a demo batch.
type batch struct {
	lot        string
	count      int
	monthsLeft int
}

var (
	mainBatch     = batch{Lot, LotPacks, LotMonthsLeft}
	recalledBatch = batch{RecalledLot, RecalledLotPacks, RecalledLotMonthsLeft}
)

// serialAlphabet spells the demo serials: capitals and digits without the
// look-alikes 0/O and 1/I, as randomised pack serials are printed.
const serialAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Serials returns a demo lot's serial numbers in the order they were
// generated: twelve characters each, pseudo-random (EU FMD serials must
// not be guessable from one another) but the same on every install.
func Serials(lot string, count int) []string {
	out := make([]string, count)
	for i := range out {
		h := sha256.Sum256(fmt.Appendf(nil, "healthwallet demo serial/%s/%d", lot, i))
		var s [12]byte
		for j := range s {
			s[j] = serialAlphabet[h[j]%byte(len(serialAlphabet))]
		}
		out[i] = string(s[:])
	}
	return out
}

func (b batch) serials() []string { return Serials(b.lot, b.count) }

// expiry is the batch's YYMMDD when commissioned at t: the last day of
// the month monthsLeft months on.
func (b batch) expiry(t time.Time) string {
	t = t.UTC()
	last := time.Date(t.Year(), t.Month()+time.Month(b.monthsLeft)+1, 0, 0, 0, 0, 0, time.UTC)
	return last.Format("060102")
}

// supplyParty is a demo organisation: the member whose wallet acts for it.
type supplyParty struct {
	member string
	name   string
	role   chain.OrgRole
	gln    string
}

var supplyParties = []supplyParty{
	{"manufacturer", ManufacturerName, chain.OrgManufacturer, ManufacturerGLN},
	{"wholesaler", WholesalerName, chain.OrgWholesaler, WholesalerGLN},
	{"pharmacist", PharmacyName, chain.OrgPharmacy, PharmacyGLN},
}

// isSupplyParty reports whether member acts for a demo organisation.
func isSupplyParty(member string) bool {
	return slices.ContainsFunc(supplyParties, func(p supplyParty) bool { return p.member == member })
}

// move is a shipment of the set-up: from one member to another, the
// whole batch or its first `first` serials. Whether it is done is read
// from the custody of probe, a pack it carries that nothing later moves
// on: once from no longer holds it, the move happened (or a user moved
// the pack on in the app, which stands).
type move struct {
	b        batch
	from, to string
	first    int // 0: the whole batch
}

func (m move) serials() []string {
	if m.first == 0 {
		return nil
	}
	return m.b.serials()[:m.first]
}

func (m move) probe() string {
	all := m.b.serials()
	if m.first == 0 && m.b == mainBatch {
		return all[len(all)-1] // the packs left at the wholesaler
	}
	return all[0]
}

// The set-up's shipments, in two tracks that run side by side: each
// batch's moves in order.
var tracks = [][]move{
	{{mainBatch, "manufacturer", "wholesaler", 0}, {mainBatch, "wholesaler", "pharmacist", PharmacyPacks}},
	{{recalledBatch, "manufacturer", "wholesaler", 0}, {recalledBatch, "wholesaler", "pharmacist", 0}},
}

// Supplied waits until the supply-chain set-up has ended, and returns its
// error (nil when there was nothing to do, or all is in place).
func (n *Net) Supplied(ctx context.Context) error {
	select {
	case <-n.supplied:
		return n.supplyErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// supplyToDo reports whether part of the set-up is missing from the
// chain: an organisation never registered, a batch not commissioned, a
// move whose sender still holds the packs, the second batch not recalled.
func (n *Net) supplyToDo() (bool, error) {
	st := n.reference().Ledger().State()
	for _, p := range supplyParties {
		if _, err := st.Organisation(memberKey(p.member)); errors.Is(err, state.ErrNotFound) {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	for _, b := range []batch{mainBatch, recalledBatch} {
		if _, err := st.Batch(ProductGTIN, b.lot); errors.Is(err, state.ErrNotFound) {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	for _, track := range tracks {
		for _, m := range track {
			holder, err := st.PackHolder(ProductGTIN, m.b.lot, m.probe())
			if err != nil {
				return false, err
			}
			if holder == memberKey(m.from) {
				return true, nil
			}
		}
	}
	b, err := st.Batch(ProductGTIN, recalledBatch.lot)
	return err == nil && !b.Recalled, err
}

// supply runs the set-up once registered delivers the registrations'
// outcome (they go in with the licensing's first block): the
// manufacturer's and wholesaler's wallets open meanwhile, then the two
// batches are commissioned and shipped along their tracks side by side,
// and the second batch is recalled as soon as it is on its way to the
// pharmacy.
func (n *Net) supply(ctx context.Context, lend *lender, registered <-chan error) error {
	var wg sync.WaitGroup
	for _, member := range []string{"manufacturer", "wholesaler"} {
		wg.Go(func() { lend.wallet(ctx, member) }) // errors again below
	}
	wg.Wait()
	if err := <-registered; err != nil {
		return err
	}
	maker, err := lend.wallet(ctx, "manufacturer")
	if err != nil || maker == nil {
		return err
	}
	shipped, tracksDone := context.WithCancel(ctx)
	recalled := make(chan error, 1)
	go func() { recalled <- n.recall(ctx, shipped, maker) }()
	errs := make([]error, len(tracks))
	for i, b := range []batch{mainBatch, recalledBatch} {
		wg.Go(func() {
			if errs[i] = n.commission(ctx, maker, b); errs[i] != nil {
				return
			}
			for _, m := range tracks[i] {
				if errs[i] = n.move(ctx, lend, m); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	tracksDone()
	return errors.Join(append(errs, <-recalled)...)
}

// recall has the manufacturer recall the second batch once its chain
// holds the batch's shipment to the pharmacy (so the recall shares a
// block with the receipt), or once shipped ends (the tracks are done, or
// a user moved the packs elsewhere).
func (n *Net) recall(ctx, shipped context.Context, maker *wallet.Wallet) error {
	st := maker.Ledger().State()
	pharmacy := memberKey("pharmacist")
	maker.Ledger().WaitFor(shipped, func(ledger.Tip) bool {
		list, err := st.ShipmentsTo(pharmacy, false)
		return err == nil && slices.ContainsFunc(list, func(s state.Shipment) bool { return s.Lot == RecalledLot && s.GTIN == ProductGTIN })
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b, err := st.Batch(ProductGTIN, RecalledLot)
	if err != nil {
		return fmt.Errorf("lot %s: %w", RecalledLot, err)
	}
	if b.Recalled {
		return nil
	}
	if err := maker.Recall(ctx, ProductGTIN, RecalledLot, nil, chain.ActionRecall); err != nil {
		return fmt.Errorf("%s recalls lot %s: %w", ManufacturerName, RecalledLot, err)
	}
	n.log.Info("demo lot recalled", "lot", RecalledLot)
	return nil
}

// registerOrganisations has a clinic register each demo organisation the
// chain has never known (a revoked one stays revoked), and waits until
// the chain holds them.
func (n *Net) registerOrganisations(ctx context.Context) error {
	ref := n.reference()
	st := ref.Ledger().State()
	var missing []supplyParty
	for _, p := range supplyParties {
		if _, err := st.Organisation(memberKey(p.member)); errors.Is(err, state.ErrNotFound) {
			missing = append(missing, p)
		} else if err != nil {
			return err
		}
	}
	errs := make([]error, len(missing))
	var wg sync.WaitGroup
	for i, p := range missing {
		wg.Go(func() {
			if err := ref.RegisterOrganisation(ctx, memberKey(p.member), p.role, p.name, p.gln); err != nil {
				errs[i] = fmt.Errorf("register %s: %w", p.name, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(missing) > 0 {
		n.log.Info("demo supply-chain organisations registered")
	}
	return nil
}

// commission has the manufacturer commission b unless the chain holds it.
func (n *Net) commission(ctx context.Context, maker *wallet.Wallet, b batch) error {
	if err := maker.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, ok, err := maker.MyOrganisation()
		return err == nil && ok
	}); err != nil {
		return fmt.Errorf("waiting for %s's registration: %w", ManufacturerName, err)
	}
	if _, err := maker.Ledger().State().Batch(ProductGTIN, b.lot); err == nil {
		return nil
	} else if !errors.Is(err, state.ErrNotFound) {
		return err
	}
	if _, err := maker.CommissionBatch(ctx, ProductGTIN, b.lot, b.expiry(time.Now()), b.serials()); err != nil {
		return fmt.Errorf("commission lot %s: %w", b.lot, err)
	}
	n.log.Info("demo batch commissioned", "lot", b.lot, "packs", b.count)
	return nil
}

// move ships m unless done, and has the recipient receive it. A recipient
// whose wallet the caller holds receives it in the app, or on a later
// start.
func (n *Net) move(ctx context.Context, lend *lender, m move) error {
	from, err := lend.wallet(ctx, m.from)
	if err != nil {
		return err
	}
	to, err := lend.wallet(ctx, m.to)
	if err != nil {
		return err
	}
	if from == nil {
		return nil // the caller holds the sender's wallet
	}
	st := from.Ledger().State()
	fromKey, toKey := memberKey(m.from), memberKey(m.to)
	holder, err := st.PackHolder(ProductGTIN, m.b.lot, m.probe())
	if err != nil {
		return err
	}
	if holder != fromKey {
		return nil
	}
	id, pending, err := pendingMove(st, m, fromKey, toKey)
	if err != nil {
		return err
	}
	if !pending {
		if id, err = from.Ship(ctx, ProductGTIN, m.b.lot, toKey, m.serials()); err != nil {
			return fmt.Errorf("%s ships lot %s: %w", m.from, m.b.lot, err)
		}
	}
	if to == nil {
		return nil
	}
	if err := to.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, err := to.Ledger().State().Shipment(id)
		return err == nil
	}); err != nil {
		return fmt.Errorf("waiting for the shipment of lot %s at the %s: %w", m.b.lot, m.to, err)
	}
	if err := to.Receive(ctx, id); err != nil {
		return fmt.Errorf("%s receives lot %s: %w", m.to, m.b.lot, err)
	}
	n.log.Info("demo shipment received", "lot", m.b.lot, "from", m.from, "to", m.to)
	if m.to == "pharmacist" {
		fetchList(ctx, to, m)
	}
	return nil
}

// fetchList has the pharmacy judge one pack of m, which fetches the
// batch's serial list into its store, as a pharmacy's first scan of a
// batch would: its later scans judge serials even with the network cut.
func fetchList(ctx context.Context, pharmacy *wallet.Wallet, m move) {
	b, err := pharmacy.Ledger().State().Batch(ProductGTIN, m.b.lot)
	if err != nil {
		return
	}
	code := gs1.Pack{GTIN: ProductGTIN, Serial: m.probe(), Lot: m.b.lot, Expiry: b.Expiry}.ElementString()
	pharmacy.CheckPack(ctx, code) // a failure shows on the pharmacist's first scan
}

// pendingMove finds m's shipment when it was sent and not yet received.
func pendingMove(st *state.State, m move, from, to chain.PublicKey) (chain.Hash, bool, error) {
	list, err := st.ShipmentsTo(to, true)
	if err != nil {
		return chain.Hash{}, false, err
	}
	probe := m.probe()
	for _, s := range list {
		if s.From == from && s.GTIN == ProductGTIN && s.Lot == m.b.lot && (s.Serials == nil || slices.Contains(s.Serials, probe)) {
			return s.ID, true, nil
		}
	}
	return chain.Hash{}, false, nil
}

// Packs are the demo's pack codes as a DataMatrix scanner reads them, in
// GS1's human-readable form.
type Packs struct {
	Genuine      string // at the pharmacy: may be dispensed there
	Recalled     string // at the pharmacy, of the recalled lot
	AtWholesaler string // genuine, never shipped on: diverted if a pharmacy scans it
}

// Packs reads the demo packs' codes from the chain: their expiry dates
// are the batches'. It fails until the batches are commissioned.
func (n *Net) Packs() (Packs, error) {
	return packsOn(n.reference().Ledger().State())
}

func packsOn(st *state.State) (Packs, error) {
	code := func(b batch, serial string) (string, error) {
		on, err := st.Batch(ProductGTIN, b.lot)
		if err != nil {
			return "", fmt.Errorf("demo lot %s: %w", b.lot, err)
		}
		return gs1.Pack{GTIN: ProductGTIN, Serial: serial, Lot: b.lot, Expiry: on.Expiry}.ElementString(), nil
	}
	main := mainBatch.serials()
	var p Packs
	var err1, err2, err3 error
	p.Genuine, err1 = code(mainBatch, main[0])
	p.AtWholesaler, err2 = code(mainBatch, main[len(main)-1])
	p.Recalled, err3 = code(recalledBatch, recalledBatch.serials()[0])
	return p, errors.Join(err1, err2, err3)
}

// writePacks writes the demo packs' codes to PacksFile in the
// consortium's directory.
func (n *Net) writePacks() error {
	p, err := n.Packs()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# The demo's medicine packs, %s (GTIN %s), as a DataMatrix scanner reads them.\n", ProductName, ProductGTIN)
	fmt.Fprintf(&b, "# Scan (type) one into the Pharmacy screen of `healthwallet demo --as pharmacist`, or: healthwallet verify-pack 'CODE'\n")
	fmt.Fprintf(&b, "genuine\t%s\tat %s: may be dispensed\n", p.Genuine, PharmacyName)
	fmt.Fprintf(&b, "recalled\t%s\tat %s, lot %s recalled by %s\n", p.Recalled, PharmacyName, RecalledLot, ManufacturerName)
	fmt.Fprintf(&b, "wholesaler\t%s\tstill at %s: a pharmacy's scan says it is diverted\n", p.AtWholesaler, WholesalerName)
	return atomicfile.WriteFile(filepath.Join(n.dir, PacksFile), []byte(b.String()), 0o644)
}
