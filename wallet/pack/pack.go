// Package pack judges a medicine pack from its scanned GS1 code: whether
// it is genuine and, at a pharmacy, whether it may be dispensed there.
//
// It owns the verdict: the checks in order, each refusal named by a
// sentinel error (ErrUnknownGTIN, ErrNotInBatch, ErrDiverted...), and the
// words a pharmacist or a patient reads. It reads the chain state through
// the Ledger interface and a batch's serial list through Lists; it does
// not own the chain's rules (chain/state), the parsing of the code
// (wallet/gs1), the serial list's format and proofs (wallet/serials), IPFS
// or keys. It does no I/O of its own.
//
// A verdict's checks, in order:
//
//  1. the code reads (GS1 syntax and the GTIN's check digit);
//  2. the batch (GTIN, lot) is on the ledger — a known product with an
//     unknown lot is a lot mismatch, an unknown product is an unknown GTIN;
//  3. it was commissioned by a registered, unrevoked manufacturer;
//  4. the serial is in the batch: a Merkle proof from the manufacturer's
//     signed serial list against the root and pack count on the ledger;
//  5. the scanned expiry is the batch's;
//  6. the pack has not expired;
//  7. neither the batch nor the serial is recalled or in quarantine;
//  8. at a pharmacy: custody of the pack ends at this pharmacy;
//  9. at a pharmacy: the pack was not dispensed before.
//
// Every check runs, or says why it could not, so the screen lists every
// reason at once.
package pack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/gs1"
	"github.com/healthwallet/healthwallet/wallet/serials"
)

// Reasons a pack is refused; a verdict's Reasons wrap them.
var (
	ErrMalformed        = errors.New("pack: the code is not a readable GS1 pack code")
	ErrCheckDigit       = errors.New("pack: the GTIN's check digit is wrong")
	ErrUnknownGTIN      = errors.New("pack: no batch of this product is on the ledger")
	ErrLotMismatch      = errors.New("pack: the lot does not match the ledger")
	ErrNotManufacturer  = errors.New("pack: not commissioned by a registered manufacturer")
	ErrNotInBatch       = errors.New("pack: the serial number is not in the batch")
	ErrExpiryMismatch   = errors.New("pack: the expiry date does not match the batch")
	ErrExpired          = errors.New("pack: expired")
	ErrRecalled         = errors.New("pack: recalled")
	ErrQuarantined      = errors.New("pack: in quarantine")
	ErrDiverted         = errors.New("pack: custody does not end at this pharmacy")
	ErrAlreadyDispensed = errors.New("pack: already dispensed")
	ErrListUnavailable  = errors.New("pack: the batch's serial list could not be fetched")
)

// severity orders reasons, most serious first: a counterfeit before a
// paperwork problem.
var severity = []error{ErrMalformed, ErrCheckDigit, ErrUnknownGTIN, ErrNotInBatch, ErrNotManufacturer, ErrLotMismatch,
	ErrExpiryMismatch, ErrAlreadyDispensed, ErrRecalled, ErrQuarantined, ErrDiverted, ErrExpired, ErrListUnavailable}

// Names of the checks, as a screen lists them.
const (
	CheckReadable     = "Readable code"
	CheckBatch        = "Batch on the ledger"
	CheckManufacturer = "Registered manufacturer"
	CheckSerial       = "Serial number in the batch"
	CheckExpiryMatch  = "Expiry date matches the batch"
	CheckNotExpired   = "Not expired"
	CheckNotRecalled  = "Not recalled or in quarantine"
	CheckCustody      = "Custody ends at this pharmacy"
	CheckNotDispensed = "Not dispensed before"
)

// Ledger is the chain state a verdict reads; *state.State satisfies it.
// Lookups that find nothing return an error wrapping state.ErrNotFound.
type Ledger interface {
	Batch(gtin, lot string) (state.Batch, error)
	BatchesByGTIN(gtin string) ([]state.Batch, error)
	Organisation(k chain.PublicKey) (state.Org, error)
	PackHolder(gtin, lot, serial string) (chain.PublicKey, error)
	PackRecalled(gtin, lot, serial string) (bool, state.RecallRecord, error)
	PackQuarantined(gtin, lot, serial string) (bool, state.RecallRecord, error)
	PackDispensed(gtin, lot, serial string) (state.DispenseRecord, bool, error)
}

// Lists gives a batch's serial list, checked against the batch: the
// wallet fetches it from IPFS by the CID on the ledger and caches it.
type Lists interface {
	List(ctx context.Context, b state.Batch) (*serials.List, error)
}

// Check is one step of a verdict.
type Check struct {
	Name   string
	OK     bool
	Detail string // what was found, in words
	Err    error  // when not OK: wraps a reason
}

// Verdict is the judgement of one scanned pack.
type Verdict struct {
	OK           bool
	Pack         gs1.Pack
	Checks       []Check
	Reasons      []error // the failed checks' errors, most serious first
	Batch        *state.Batch
	Manufacturer *state.Org
	Holder       *state.Org // who holds custody, when known and registered
}

// Where says who is judging: a pharmacy (its organisation key), which
// adds the custody and dispense checks, or a patient (zero).
type Where struct {
	Pharmacy chain.PublicKey
}

// AtPharmacy reports whether the verdict is a pharmacy's.
func (w Where) AtPharmacy() bool { return !w.Pharmacy.IsZero() }

// Verify judges a scanned code at time now. The error is only for
// failures to read the ledger; a refused pack is a Verdict with reasons.
func Verify(ctx context.Context, scanned string, l Ledger, lists Lists, where Where, now time.Time) (v Verdict, err error) {
	p, err := gs1.ParseAt(scanned, now)
	if err != nil {
		reason := ErrMalformed
		if errors.Is(err, gs1.ErrCheckDigit) {
			reason = ErrCheckDigit
		}
		err = fmt.Errorf("%w: %w", reason, err)
		v.Checks = []Check{{Name: CheckReadable, Detail: err.Error(), Err: err}}
		v.Reasons = []error{err}
		return v, nil
	}
	v.Pack = p
	checks := []Check{{Name: CheckReadable, OK: true, Detail: p.ElementString()}}
	// Every return below reports the checks made so far.
	defer func() {
		v.Checks = checks
		v.OK = true
		for _, c := range checks {
			if !c.OK {
				v.OK = false
				v.Reasons = append(v.Reasons, c.Err)
			}
		}
		v.Reasons = rank(v.Reasons)
	}()
	fail := func(name string, err error) Check { return Check{Name: name, Detail: err.Error(), Err: err} }
	notChecked := func(name string, cause error) Check {
		return Check{Name: name, Detail: "not checked: " + cause.Error(), Err: cause}
	}

	b, err := l.Batch(p.GTIN, p.Lot)
	switch {
	case errors.Is(err, state.ErrNotFound):
		cause, err := unknownBatch(ctx, l, lists, p)
		if err != nil {
			return v, err
		}
		checks = append(checks, fail(CheckBatch, cause))
		for _, name := range []string{CheckManufacturer, CheckSerial, CheckExpiryMatch} {
			checks = append(checks, notChecked(name, cause))
		}
		checks = append(checks, expiryCheck(p, now))
		for _, name := range []string{CheckNotRecalled} {
			checks = append(checks, notChecked(name, cause))
		}
		if where.AtPharmacy() {
			checks = append(checks, notChecked(CheckCustody, cause), notChecked(CheckNotDispensed, cause))
		}
		return v, nil
	case err != nil:
		return v, fmt.Errorf("pack: batch %s/%s: %w", p.GTIN, p.Lot, err)
	}
	v.Batch = &b
	checks = append(checks, Check{Name: CheckBatch, OK: true,
		Detail: fmt.Sprintf("lot %s of GTIN %s, %d packs, commissioned in block %d", b.Lot, b.GTIN, b.Count, b.Block)})

	m, err := l.Organisation(b.Manufacturer)
	switch {
	case errors.Is(err, state.ErrNotFound):
		checks = append(checks, fail(CheckManufacturer, fmt.Errorf("%w: %s is not a registered organisation", ErrNotManufacturer, b.Manufacturer)))
	case err != nil:
		return v, err
	default:
		v.Manufacturer = &m
		switch {
		case m.Role != chain.OrgManufacturer:
			checks = append(checks, fail(CheckManufacturer, fmt.Errorf("%w: %s is a %v", ErrNotManufacturer, m.Name, m.Role)))
		case m.Revoked:
			checks = append(checks, fail(CheckManufacturer, fmt.Errorf("%w: %s's registration was revoked on %s", ErrNotManufacturer, m.Name, day(m.RevokedTime))))
		default:
			detail := m.Name
			if m.GLN != "" {
				detail += ", GLN " + m.GLN
			}
			checks = append(checks, Check{Name: CheckManufacturer, OK: true, Detail: detail})
		}
	}

	checks = append(checks, serialCheck(ctx, lists, b, p.Serial))

	if p.Expiry == b.Expiry {
		checks = append(checks, Check{Name: CheckExpiryMatch, OK: true, Detail: "expiry " + p.ExpiryDate.Format("2 Jan 2006")})
	} else {
		checks = append(checks, fail(CheckExpiryMatch, fmt.Errorf("%w: the pack says %s, the batch %s", ErrExpiryMismatch, p.Expiry, b.Expiry)))
	}
	checks = append(checks, expiryCheck(p, now))

	recall, err := recallCheck(l, p)
	if err != nil {
		return v, err
	}
	checks = append(checks, recall)

	if where.AtPharmacy() {
		holder, err := l.PackHolder(p.GTIN, p.Lot, p.Serial)
		if err != nil {
			return v, fmt.Errorf("pack: custody of %s: %w", p.Serial, err)
		}
		name := holder.String()
		if o, err := l.Organisation(holder); err == nil {
			v.Holder, name = &o, o.Name
		} else if !errors.Is(err, state.ErrNotFound) {
			return v, err
		}
		if holder == where.Pharmacy {
			checks = append(checks, Check{Name: CheckCustody, OK: true, Detail: "received here"})
		} else {
			checks = append(checks, fail(CheckCustody, fmt.Errorf("%w: the ledger's custody ends at %s", ErrDiverted, name)))
		}
		d, dispensed, err := l.PackDispensed(p.GTIN, p.Lot, p.Serial)
		if err != nil {
			return v, err
		}
		if dispensed {
			by := d.Pharmacist.String()
			if o, err := l.Organisation(d.Pharmacist); err == nil {
				by = o.Name
			}
			checks = append(checks, fail(CheckNotDispensed, fmt.Errorf("%w: by %s on %s", ErrAlreadyDispensed, by, day(d.Time))))
		} else {
			checks = append(checks, Check{Name: CheckNotDispensed, OK: true, Detail: "never dispensed"})
		}
	}
	return v, nil
}

// unknownBatch says why (GTIN, lot) is not on the ledger: an unknown
// product, or a known one whose lot differs (naming the lot the serial
// belongs to when a list says so).
func unknownBatch(ctx context.Context, l Ledger, lists Lists, p gs1.Pack) (error, error) {
	others, err := l.BatchesByGTIN(p.GTIN)
	if err != nil {
		return nil, fmt.Errorf("pack: batches of %s: %w", p.GTIN, err)
	}
	if len(others) == 0 {
		return fmt.Errorf("%w: GTIN %s", ErrUnknownGTIN, p.GTIN), nil
	}
	for _, b := range others {
		list, err := lists.List(ctx, b)
		if err != nil {
			continue
		}
		if _, _, ok := list.Prove(p.Serial); ok {
			return fmt.Errorf("%w: the pack says lot %s, but serial %s belongs to lot %s", ErrLotMismatch, p.Lot, p.Serial, b.Lot), nil
		}
	}
	return fmt.Errorf("%w: no lot %s of GTIN %s is on the ledger", ErrLotMismatch, p.Lot, p.GTIN), nil
}

func serialCheck(ctx context.Context, lists Lists, b state.Batch, serial string) Check {
	list, err := lists.List(ctx, b)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrListUnavailable, err)
		return Check{Name: CheckSerial, Err: err,
			Detail: "not checked: the manufacturer's serial list of this batch could not be fetched (no node holding it answered); check again when connected"}
	}
	index, proof, ok := list.Prove(serial)
	if !ok || !serials.VerifyMembership(b.Serials, int(b.Count), serial, index, proof) {
		err := fmt.Errorf("%w: serial %s is not among the %d packs the manufacturer commissioned", ErrNotInBatch, serial, b.Count)
		return Check{Name: CheckSerial, Detail: err.Error(), Err: err}
	}
	return Check{Name: CheckSerial, OK: true, Detail: fmt.Sprintf("pack %d of %d (Merkle proof of %d hashes)", index+1, b.Count, len(proof))}
}

func expiryCheck(p gs1.Pack, now time.Time) Check {
	if now.After(p.ExpiryDate) {
		err := fmt.Errorf("%w on %s", ErrExpired, p.ExpiryDate.Format("2 Jan 2006"))
		return Check{Name: CheckNotExpired, Detail: err.Error(), Err: err}
	}
	return Check{Name: CheckNotExpired, OK: true, Detail: "expires " + p.ExpiryDate.Format("2 Jan 2006")}
}

func recallCheck(l Ledger, p gs1.Pack) (Check, error) {
	recalled, r, err := l.PackRecalled(p.GTIN, p.Lot, p.Serial)
	if err != nil {
		return Check{}, err
	}
	if recalled {
		err := fmt.Errorf("%w: %s on %s", ErrRecalled, scope(r), day(r.Time))
		return Check{Name: CheckNotRecalled, Detail: err.Error(), Err: err}, nil
	}
	held, r, err := l.PackQuarantined(p.GTIN, p.Lot, p.Serial)
	if err != nil {
		return Check{}, err
	}
	if held {
		err := fmt.Errorf("%w: %s since %s", ErrQuarantined, scope(r), day(r.Time))
		return Check{Name: CheckNotRecalled, Detail: err.Error(), Err: err}, nil
	}
	return Check{Name: CheckNotRecalled, OK: true, Detail: "no recall or quarantine"}, nil
}

func scope(r state.RecallRecord) string {
	if len(r.Serials) == 0 {
		return "the whole lot " + r.Lot
	}
	return "this pack"
}

func day(unix uint64) string { return time.Unix(int64(unix), 0).UTC().Format("2 Jan 2006") }

// rank orders reasons by severity, keeping one per sentinel.
func rank(reasons []error) []error {
	var out []error
	for _, s := range severity {
		for _, r := range reasons {
			if errors.Is(r, s) && !slices.ContainsFunc(out, func(o error) bool { return errors.Is(o, s) }) {
				out = append(out, r)
			}
		}
	}
	for _, r := range reasons {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
