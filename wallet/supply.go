package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/gs1"
	"github.com/healthwallet/healthwallet/wallet/pack"
	"github.com/healthwallet/healthwallet/wallet/serials"
)

// Medicines' supply chain. Organisations (manufacturers, wholesalers,
// pharmacies) are registered by a clinic signer or an admitted authority.
// A manufacturer commissions a batch: its signed serial list goes to IPFS
// (clinic nodes pin it, as they pin everything the chain references) and
// the chain gets the list's CID, its Merkle root and the pack count.
// Custody moves by the sender's Shipment and the recipient's Receipt; a
// pharmacy's PackDispense ends a pack's life, once. A pharmacist's (or a
// patient's) wallet judges a scanned pack with package pack from its copy
// of the chain and the batch's serial list.

var (
	// ErrNotOrgRegistrar: only a clinic signer or an admitted authority
	// registers organisations.
	ErrNotOrgRegistrar = errors.New("only a clinic that seals the chain or an admitted authority registers organisations")
	// ErrNotOrganisation: this wallet's key is not a registered
	// organisation of the role the call needs.
	ErrNotOrganisation = errors.New("this wallet is not a registered organisation of that kind")
	// ErrPackRefused: the pack may not be dispensed; the verdict names
	// every reason.
	ErrPackRefused = errors.New("pack not dispensed")
)

// maxListBytes bounds a serial list fetched from the network: a million
// serials of at most 20 characters, with their length bytes.
const maxListBytes = 22<<20 + 4096

// RegisterOrganisation (a clinic signer or an admitted authority)
// registers a supply-chain organisation and waits until that is settled.
func (w *Wallet) RegisterOrganisation(ctx context.Context, key chain.PublicKey, role chain.OrgRole, name, gln string) error {
	if w.chain == nil {
		return ErrNoChain
	}
	_, authority, err := w.MyAuthority()
	if err != nil {
		return err
	}
	if !authority && !slices.Contains(w.chain.ledger.Signers(), w.ChainKey()) {
		return fmt.Errorf("wallet: register organisation %q: %w", name, ErrNotOrgRegistrar)
	}
	body := chain.OrganisationRegister{Org: key, Role: role, Name: strings.TrimSpace(name), GLN: strings.TrimSpace(gln)}
	if _, err := w.Submit(ctx, body); err != nil {
		return fmt.Errorf("wallet: register organisation %q: %w", name, err)
	}
	return w.WaitSettled(ctx)
}

// RevokeOrganisation ends an organisation's registration (its registrar,
// or any clinic signer) and waits until that is settled.
func (w *Wallet) RevokeOrganisation(ctx context.Context, key chain.PublicKey) error {
	if w.chain == nil {
		return ErrNoChain
	}
	if _, err := w.Submit(ctx, chain.OrganisationRevoke{Org: key}); err != nil {
		return fmt.Errorf("wallet: revoke organisation %s: %w", key, err)
	}
	return w.WaitSettled(ctx)
}

// Organisations lists the registered organisations.
func (w *Wallet) Organisations() ([]state.Org, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	return w.chain.ledger.State().Organisations()
}

// MyOrganisation returns this wallet's registration as an organisation;
// ok is false unless it is registered and not revoked.
func (w *Wallet) MyOrganisation() (state.Org, bool, error) {
	if w.chain == nil {
		return state.Org{}, false, nil
	}
	o, err := w.chain.ledger.State().Organisation(w.ChainKey())
	if errors.Is(err, state.ErrNotFound) {
		return state.Org{}, false, nil
	}
	if err != nil {
		return state.Org{}, false, err
	}
	return o, !o.Revoked, nil
}

func (w *Wallet) myOrg(role chain.OrgRole) (state.Org, error) {
	o, ok, err := w.MyOrganisation()
	if err != nil {
		return o, err
	}
	if !ok || o.Role != role {
		return o, fmt.Errorf("%w (a %v is needed)", ErrNotOrganisation, role)
	}
	return o, nil
}

// Commissioned is a batch a manufacturer put on the ledger.
type Commissioned struct {
	List *serials.List
	CID  chain.CID
	Tx   chain.Hash
}

// CommissionBatch (a registered manufacturer) commissions a batch: it
// signs the serial list, stores it in IPFS (pinned), submits the
// BatchCommission and waits until that is settled.
func (w *Wallet) CommissionBatch(ctx context.Context, gtin, lot, expiry string, serialNumbers []string) (Commissioned, error) {
	c, err := w.commission(ctx, gtin, lot, expiry, serialNumbers)
	if err != nil {
		return c, err
	}
	return c, w.WaitSettled(ctx)
}

// commission is CommissionBatch up to the transaction's submission.
func (w *Wallet) commission(ctx context.Context, gtin, lot, expiry string, serialNumbers []string) (Commissioned, error) {
	if w.chain == nil {
		return Commissioned{}, ErrNoChain
	}
	if _, err := w.myOrg(chain.OrgManufacturer); err != nil {
		return Commissioned{}, fmt.Errorf("wallet: commission %s/%s: %w", gtin, lot, err)
	}
	list, err := serials.New(gtin, lot, expiry, serialNumbers, w.id.SigningKey())
	if err != nil {
		return Commissioned{}, fmt.Errorf("wallet: commission %s/%s: %w", gtin, lot, err)
	}
	ic, err := w.putPinned(ctx, list.Encode(), "serial list "+gtin+"/"+lot)
	if err != nil {
		return Commissioned{}, err
	}
	c, err := chain.CIDFromBytes(ic.Bytes())
	if err != nil {
		return Commissioned{}, err
	}
	tx, err := w.Submit(ctx, chain.BatchCommission{GTIN: gtin, Lot: lot, Expiry: expiry, Count: uint32(len(list.Serials)), Serials: list.Root(), List: c})
	if err != nil {
		return Commissioned{}, fmt.Errorf("wallet: commission %s/%s: %w", gtin, lot, err)
	}
	return Commissioned{List: list, CID: c, Tx: tx.Hash()}, nil
}

// Ship (an organisation holding the packs) sends the whole batch (serials
// nil) or listed serials to another organisation; custody moves when the
// recipient acknowledges with Receive. It returns the shipment's ID.
func (w *Wallet) Ship(ctx context.Context, gtin, lot string, to chain.PublicKey, serialNumbers []string) (chain.Hash, error) {
	if w.chain == nil {
		return chain.Hash{}, ErrNoChain
	}
	s := slices.Clone(serialNumbers)
	slices.Sort(s)
	s = slices.Compact(s)
	tx, err := w.Submit(ctx, chain.Shipment{GTIN: gtin, Lot: lot, To: to, Serials: s})
	if err != nil {
		return chain.Hash{}, fmt.Errorf("wallet: ship %s/%s: %w", gtin, lot, err)
	}
	return tx.Hash(), w.WaitSettled(ctx)
}

// Receive (a shipment's recipient) acknowledges it: custody passes to it.
// The batch's serial list is then fetched and pinned here, so that the
// packs scan with the network down and storage clean-up keeps the list.
func (w *Wallet) Receive(ctx context.Context, shipment chain.Hash) error {
	if w.chain == nil {
		return ErrNoChain
	}
	if _, err := w.Submit(ctx, chain.Receipt{Shipment: shipment}); err != nil {
		return fmt.Errorf("wallet: receive shipment %s: %w", shipment, err)
	}
	if err := w.WaitSettled(ctx); err != nil {
		return err
	}
	st := w.chain.ledger.State()
	s, err := st.Shipment(shipment)
	if err != nil {
		return fmt.Errorf("wallet: received shipment %s: %w", shipment, err)
	}
	b, err := st.Batch(s.GTIN, s.Lot)
	if err != nil {
		return fmt.Errorf("wallet: received shipment %s: %w", shipment, err)
	}
	if _, err := (listSource{w}).List(ctx, b); err != nil {
		return fmt.Errorf("wallet: received shipment %s, but its batch's serial list: %w", shipment, err)
	}
	ic, err := cid.Cast(b.List.Bytes())
	if err != nil {
		return err
	}
	return w.store.Pin(ctx, ic, "serial list "+b.GTIN+"/"+b.Lot+":"+ic.String())
}

// IncomingShipments lists the shipments sent to this wallet's
// organisation; with pendingOnly, those it has not received.
func (w *Wallet) IncomingShipments(pendingOnly bool) ([]state.Shipment, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	return w.chain.ledger.State().ShipmentsTo(w.ChainKey(), pendingOnly)
}

// Recall (the batch's manufacturer or an admitted authority) recalls,
// quarantines or releases a batch (serials nil) or single packs; it is in
// force for every node from the block that holds it.
func (w *Wallet) Recall(ctx context.Context, gtin, lot string, serialNumbers []string, action chain.RecallAction) error {
	if w.chain == nil {
		return ErrNoChain
	}
	s := slices.Clone(serialNumbers)
	slices.Sort(s)
	s = slices.Compact(s)
	if _, err := w.Submit(ctx, chain.Recall{GTIN: gtin, Lot: lot, Serials: s, Action: action}); err != nil {
		return fmt.Errorf("wallet: %v %s/%s: %w", action, gtin, lot, err)
	}
	return w.WaitSettled(ctx)
}

// serialLists caches the serial lists judged recently: a pharmacy scans
// many packs of few batches, and a list of 100,000 serials takes tens of
// milliseconds to fetch, check and index.
type serialLists struct {
	mu    sync.Mutex
	lists map[chain.CID]*serials.List
	order []chain.CID
}

const cachedLists = 16

// listSource is the wallet as a pack.Lists.
type listSource struct{ w *Wallet }

// List fetches, checks and caches a batch's serial list: it must be the
// batch's (product, lot, expiry, manufacturer, count, Merkle root) and
// signed by its manufacturer.
func (s listSource) List(ctx context.Context, b state.Batch) (*serials.List, error) {
	c := &s.w.lists
	c.mu.Lock()
	if l, ok := c.lists[b.List]; ok {
		c.mu.Unlock()
		return l, nil
	}
	c.mu.Unlock()
	raw, err := s.w.fetchSmall(ctx, b.List, maxListBytes, "serial list of "+b.GTIN+"/"+b.Lot)
	if err != nil {
		return nil, err
	}
	l, err := serials.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("wallet: serial list of %s/%s: %w", b.GTIN, b.Lot, err)
	}
	if l.GTIN != b.GTIN || l.Lot != b.Lot || l.Expiry != b.Expiry || l.Manufacturer != b.Manufacturer ||
		len(l.Serials) != int(b.Count) || l.Root() != b.Serials {
		return nil, fmt.Errorf("wallet: the serial list at %s is not batch %s/%s's", b.List, b.GTIN, b.Lot)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lists == nil {
		c.lists = map[chain.CID]*serials.List{}
	}
	if _, ok := c.lists[b.List]; !ok {
		c.lists[b.List] = l
		c.order = append(c.order, b.List)
		if len(c.order) > cachedLists {
			delete(c.lists, c.order[0])
			c.order = c.order[1:]
		}
	}
	return l, nil
}

// VerifyPack judges a scanned pack code from this wallet's copy of the
// chain: at a registered pharmacy with custody and dispense checks, else
// as a patient checks a pack (genuine, not recalled).
func (w *Wallet) VerifyPack(ctx context.Context, scanned string) (pack.Verdict, error) {
	if w.chain == nil {
		return pack.Verdict{}, ErrNoChain
	}
	var where pack.Where
	if o, ok, err := w.MyOrganisation(); err != nil {
		return pack.Verdict{}, err
	} else if ok && o.Role == chain.OrgPharmacy {
		where.Pharmacy = o.Key
	}
	return w.verifyPack(ctx, scanned, where)
}

// CheckPack judges a pack as a patient does: genuine and not recalled,
// whoever holds it.
func (w *Wallet) CheckPack(ctx context.Context, scanned string) (pack.Verdict, error) {
	if w.chain == nil {
		return pack.Verdict{}, ErrNoChain
	}
	return w.verifyPack(ctx, scanned, pack.Where{})
}

func (w *Wallet) verifyPack(ctx context.Context, scanned string, where pack.Where) (pack.Verdict, error) {
	return pack.Verify(ctx, scanned, w.chain.ledger.State(), listSource{w}, where, time.Unix(int64(w.chainTime()), 0))
}

// DispensePack (a registered pharmacy) judges the pack and, if it passes,
// records its dispense and waits until that is settled. A refusal
// returns the verdict and an error wrapping ErrPackRefused.
func (w *Wallet) DispensePack(ctx context.Context, scanned string) (pack.Verdict, error) {
	if w.chain == nil {
		return pack.Verdict{}, ErrNoChain
	}
	o, err := w.myOrg(chain.OrgPharmacy)
	if err != nil {
		return pack.Verdict{}, fmt.Errorf("wallet: dispense a pack: %w", err)
	}
	v, err := w.verifyPack(ctx, scanned, pack.Where{Pharmacy: o.Key})
	if err != nil || !v.OK {
		if err == nil {
			err = packRefused(v)
		}
		return v, err
	}
	p := v.Pack
	if _, err := w.Submit(ctx, chain.PackDispense{GTIN: p.GTIN, Lot: p.Lot, Serial: p.Serial}); err != nil {
		if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrUnauthorized) {
			// The chain moved since the verdict (a dispense, a recall).
			if v2, verr := w.verifyPack(ctx, scanned, pack.Where{Pharmacy: o.Key}); verr == nil && !v2.OK {
				return v2, packRefused(v2)
			}
		}
		return v, fmt.Errorf("wallet: dispense pack %s: %w", p.Serial, err)
	}
	return v, w.WaitSettled(ctx)
}

func packRefused(v pack.Verdict) error {
	if len(v.Reasons) == 0 {
		return ErrPackRefused
	}
	return fmt.Errorf("%w: %w", ErrPackRefused, v.Reasons[0])
}

// packIdentifier is the FHIR identifier system under which a patient's
// MedicationDispense record keeps the pack's GS1 element string.
const packIdentifier = "urn:healthwallet:gs1-pack"

// LinkPack keeps a pack the patient received in their records, as a FHIR
// MedicationDispense naming the pack (GTIN, lot, expiry, serial), so a
// later recall of it raises an alert (PackAlerts). The pack must be
// genuine: a code that is not on the ledger is refused with its verdict.
func (w *Wallet) LinkPack(ctx context.Context, scanned, medication string) (Record, pack.Verdict, error) {
	v, err := w.CheckPack(ctx, scanned)
	if err != nil {
		return Record{}, v, err
	}
	if !genuine(v) {
		return Record{}, v, packRefused(v)
	}
	p := v.Pack
	name := strings.TrimSpace(medication)
	if name == "" {
		name = "GTIN " + p.GTIN
	}
	res := map[string]any{
		"resourceType": "MedicationDispense",
		"id":           "pack-" + p.GTIN + "-" + p.Serial,
		"status":       "completed",
		"identifier":   []any{map[string]any{"system": packIdentifier, "value": p.ElementString()}},
		"medicationCodeableConcept": map[string]any{
			"coding": []any{map[string]any{"system": "https://www.gs1.org/gtin", "code": p.GTIN, "display": name}},
			"text":   name,
		},
		"subject":        map[string]any{"identifier": map[string]any{"system": "urn:healthwallet:id", "value": w.ID().String()}},
		"whenHandedOver": time.Unix(int64(w.chainTime()), 0).UTC().Format(time.RFC3339),
		"note":           []any{map[string]any{"text": fmt.Sprintf("Lot %s, expires %s, serial %s", p.Lot, p.ExpiryDate.Format("2 Jan 2006"), p.Serial)}},
	}
	data, err := json.Marshal(res)
	if err != nil {
		return Record{}, v, err
	}
	rep, err := w.ImportBytes(ctx, "pack-"+p.Serial+".json", data, nil)
	if err != nil {
		return Record{}, v, err
	}
	if len(rep.IDs) != 1 {
		return Record{}, v, fmt.Errorf("wallet: link pack %s: imported %d records", p.Serial, len(rep.IDs))
	}
	rec, err := w.Get(ctx, rep.IDs[0])
	return rec, v, err
}

// genuine reports whether a patient's verdict says the pack is genuine:
// every check but expiry, recall and quarantine passed (a recalled pack
// is still worth keeping track of).
func genuine(v pack.Verdict) bool {
	if v.Batch == nil {
		return false
	}
	for _, c := range v.Checks {
		if !c.OK && !errors.Is(c.Err, pack.ErrRecalled) && !errors.Is(c.Err, pack.ErrQuarantined) && !errors.Is(c.Err, pack.ErrExpired) {
			return false
		}
	}
	return true
}

// PackAlert is a recall or quarantine of a pack in the patient's records.
type PackAlert struct {
	RecordID string
	Pack     gs1.Pack
	Reason   error // wraps pack.ErrRecalled or pack.ErrQuarantined
}

// PackAlerts lists the packs in the patient's records that are recalled
// or in quarantine now.
func (w *Wallet) PackAlerts(ctx context.Context) ([]PackAlert, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	recs, err := w.List(ctx, Query{ResourceType: "MedicationDispense"})
	if err != nil {
		return nil, err
	}
	var out []PackAlert
	st := w.chain.ledger.State()
	for _, r := range recs {
		_, data, err := w.Read(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		code := packIn(data)
		if code == "" {
			continue
		}
		p, err := gs1.Parse(code)
		if err != nil {
			continue
		}
		if recalled, rr, err := st.PackRecalled(p.GTIN, p.Lot, p.Serial); err != nil {
			return nil, err
		} else if recalled {
			out = append(out, PackAlert{RecordID: r.ID, Pack: p, Reason: fmt.Errorf("%w on %s", pack.ErrRecalled, time.Unix(int64(rr.Time), 0).UTC().Format("2 Jan 2006"))})
			continue
		}
		if held, rr, err := st.PackQuarantined(p.GTIN, p.Lot, p.Serial); err != nil && !errors.Is(err, state.ErrNotFound) {
			return nil, err
		} else if held {
			out = append(out, PackAlert{RecordID: r.ID, Pack: p, Reason: fmt.Errorf("%w since %s", pack.ErrQuarantined, time.Unix(int64(rr.Time), 0).UTC().Format("2 Jan 2006"))})
		}
	}
	return out, nil
}

// packIn returns the GS1 element string a MedicationDispense record
// carries, or "".
func packIn(data []byte) string {
	var md struct {
		Identifier []struct {
			System string `json:"system"`
			Value  string `json:"value"`
		} `json:"identifier"`
	}
	if json.Unmarshal(data, &md) != nil {
		return ""
	}
	for _, id := range md.Identifier {
		if id.System == packIdentifier {
			return id.Value
		}
	}
	return ""
}
