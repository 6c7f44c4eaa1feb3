package rx

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
)

// Ledger is the chain state a pharmacist's verdict reads; *state.State
// satisfies it. Lookups that find nothing return an error wrapping
// state.ErrNotFound; any other error is an I/O failure.
type Ledger interface {
	Prescription(commitment chain.Hash) (state.Prescription, error)
	CredentialsOf(subject chain.PublicKey) ([]state.Credential, error)
	AuthorityAdmittedAt(k chain.PublicKey, t uint64) (bool, error)
	Authority(k chain.PublicKey) (state.Authority, error)
}

// Names of the checks, in the order a Verdict lists them.
const (
	CheckReadable  = "Readable prescription"
	CheckSignature = "Prescriber's signature"
	CheckLicence   = "Prescriber's licence at writing time"
	CheckLedger    = "On the ledger"
	CheckExpiry    = "Not expired"
	CheckDispenses = "Dispenses left"
)

// Check is one step of a verdict.
type Check struct {
	Name   string
	OK     bool
	Detail string // what was found, in words for the pharmacist
	Err    error  // when not OK: wraps one of the reasons (ErrAltered, ...)
}

// Verdict is a pharmacist's judgement of a prescription from local chain
// state alone.
type Verdict struct {
	OK                   bool
	Checks               []Check // every check in order, passed or failed
	Reasons              []error // the failed checks' errors, most serious first, one per reason
	Prescription         *Prescription
	Order                Order             // read from the prescription when it parses, even if it fails
	PrescriberCredential *state.Credential // the credential that made the prescriber valid, if any
	IssuerName           string            // that credential's issuer
	Remaining            int               // dispenses left
	Committed            time.Time         // block time of the commitment: the writing time that counts
}

// VerifyText decodes a handover text and verifies it. A text that does not
// decode gives a failed Verdict whose reason wraps ErrMalformed, not an
// error.
func VerifyText(text string, l Ledger, now time.Time) (Verdict, error) {
	p, err := Decode(text)
	if err != nil {
		return Verdict{Checks: []Check{{Name: CheckReadable, Detail: say(err), Err: err}}, Reasons: []error{err}}, nil
	}
	v, err := Verify(p, l, now)
	v.Checks = slices.Insert(v.Checks, 0, Check{Name: CheckReadable, OK: true, Detail: "a version 1 prescription"})
	return v, err
}

// Verify judges p at time now: the prescriber's signature; a prescriber
// credential valid at the time of writing (the block time of the
// commitment, or the prescriber's own clock when there is none) from an
// authority admitted then; the commitment on chain, by the same prescriber,
// with the signed dispenses and expiry; not expired; a dispense left. Every
// check runs (or says why it could not), so the pharmacist sees every reason.
// The error is only for failures to read the ledger.
func Verify(p *Prescription, l Ledger, now time.Time) (Verdict, error) {
	v := Verdict{Prescription: p}
	if p == nil {
		err := fmt.Errorf("%w: no prescription", ErrMalformed)
		v.Checks, v.Reasons = []Check{{Name: CheckSignature, Detail: say(err), Err: err}}, []error{err}
		return v, nil
	}
	if o, err := p.Order(); err == nil {
		v.Order = o
	}

	sig := Check{Name: CheckSignature, OK: true, Detail: fmt.Sprintf("signed by %s (%s)", p.PrescriberName, p.Prescriber)}
	if err := p.VerifySignature(); err != nil {
		sig = Check{Name: CheckSignature, Detail: say(err), Err: err}
	}

	rec, found, err := lookup(l, p.Commitment())
	if err != nil {
		return v, err
	}
	if found {
		v.Committed = unixTime(rec.Time)
		v.Remaining = rec.Remaining()
	}

	licence := Check{Name: CheckLicence}
	switch {
	case !sig.OK:
		licence.Detail, licence.Err = "not checked: the signature does not verify, so the signer is unknown", sig.Err
	default:
		t, when := uint64(max(p.Written.Unix(), 0)), "written "+humanTime(p.Written)+" by the prescriber's clock (no commitment on the ledger)"
		if found {
			t, when = rec.Time, "committed "+humanTime(v.Committed)
		}
		cred, issuer, detail, err := prescriberLicence(l, p.Prescriber, t)
		if err != nil && !isReason(err) {
			return v, err
		}
		licence.OK, licence.Err = err == nil, err
		licence.Detail = detail + "; " + when
		if cred != nil {
			v.PrescriberCredential, v.IssuerName = cred, issuer
		}
	}

	ledger := Check{Name: CheckLedger}
	switch {
	case !found:
		ledger.Err = fmt.Errorf("%w: no commitment %s on the ledger", ErrUnknown, p.Commitment())
	case rec.Prescriber != p.Prescriber:
		ledger.Err = fmt.Errorf("%w: committed by %s, not by the prescriber who signed it", ErrForged, rec.Prescriber)
	case rec.Dispenses != p.Dispenses:
		ledger.Err = fmt.Errorf("%w: the ledger allows %d dispenses, the prescription says %d", ErrAltered, rec.Dispenses, p.Dispenses)
	case rec.Expiry != uint64(max(p.Expiry.Unix(), 0)):
		ledger.Err = fmt.Errorf("%w: the ledger's expiry is %s, the prescription's %s", ErrAltered, humanTime(unixTime(rec.Expiry)), humanTime(p.Expiry))
	default:
		ledger.OK = true
		ledger.Detail = fmt.Sprintf("committed in block %d at %s", rec.Block, humanTime(v.Committed))
	}
	if ledger.Err != nil {
		ledger.Detail = say(ledger.Err)
	}

	expiry := Check{Name: CheckExpiry, OK: now.Unix() <= p.Expiry.Unix(), Detail: "valid until " + humanTime(p.Expiry)}
	if !expiry.OK {
		expiry.Err = fmt.Errorf("%w: it could be dispensed until %s", ErrExpired, humanTime(p.Expiry))
		expiry.Detail = say(expiry.Err)
	}

	dispenses := Check{Name: CheckDispenses}
	switch {
	case !found:
		dispenses.Detail, dispenses.Err = "not checked: not on the ledger", ledger.Err
	case v.Remaining <= 0:
		dispenses.Err = fmt.Errorf("%w: dispensed %d of %d times", ErrAlreadyDispensed, len(rec.Dispensed), rec.Dispenses)
		if n := len(rec.Dispensed); n > 0 {
			last := rec.Dispensed[n-1]
			dispenses.Err = fmt.Errorf("%w, last at %s by %s", dispenses.Err, humanTime(unixTime(last.Time)), last.Pharmacist)
		}
		dispenses.Detail = say(dispenses.Err)
	default:
		dispenses.OK = true
		dispenses.Detail = fmt.Sprintf("%d of %d left", v.Remaining, rec.Dispenses)
	}

	v.Checks = []Check{sig, licence, ledger, expiry, dispenses}
	v.OK = true
	for _, c := range v.Checks {
		if !c.OK {
			v.OK = false
			v.Reasons = append(v.Reasons, c.Err)
		}
	}
	v.Reasons = rank(v.Reasons)
	return v, nil
}

// lookup finds a commitment on the ledger.
func lookup(l Ledger, c chain.Hash) (state.Prescription, bool, error) {
	rec, err := l.Prescription(c)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return rec, false, nil
	case err != nil:
		return rec, false, fmt.Errorf("rx: look up commitment %s: %w", c, err)
	}
	return rec, true, nil
}

// prescriberLicence finds a prescriber credential of key valid at time t
// from an authority admitted at t. Without one, the error wraps ErrForged
// (key never held a prescriber credential) or ErrPrescriberInvalid (it did,
// but none was valid at t), and detail says why for each; any other error is
// a ledger failure.
func prescriberLicence(l Ledger, key chain.PublicKey, t uint64) (*state.Credential, string, string, error) {
	creds, err := l.CredentialsOf(key)
	if err != nil {
		return nil, "", "", fmt.Errorf("rx: credentials of %s: %w", key, err)
	}
	creds = slices.DeleteFunc(creds, func(c state.Credential) bool { return c.Kind != chain.KindPrescriber })
	if len(creds) == 0 {
		err := fmt.Errorf("%w: %s never held a prescriber credential", ErrForged, key)
		return nil, "", say(err), err
	}
	var why []string
	// Newest first: the latest licence is the one a pharmacist asks about.
	for i := len(creds) - 1; i >= 0; i-- {
		c := creds[i]
		admitted, err := l.AuthorityAdmittedAt(c.Issuer, t)
		if err != nil {
			return nil, "", "", fmt.Errorf("rx: authority %s at %d: %w", c.Issuer, t, err)
		}
		issuer, err := issuerName(l, c.Issuer)
		if err != nil {
			return nil, "", "", err
		}
		if c.InForceAt(t) && admitted {
			return &c, issuer, fmt.Sprintf("prescriber credential %s from %s, valid %s to %s", short(c.Hash), issuer,
				humanTime(unixTime(c.ValidFrom)), humanTime(unixTime(c.ValidUntil))), nil
		}
		why = append(why, fmt.Sprintf("credential %s from %s %s", short(c.Hash), issuer, invalidBecause(c, t, admitted)))
	}
	err = fmt.Errorf("%w: %s", ErrPrescriberInvalid, strings.Join(why, "; "))
	return nil, "", say(err), err
}

// invalidBecause says why c, not valid at t, was not.
func invalidBecause(c state.Credential, t uint64, admitted bool) string {
	switch {
	case c.Time > t:
		return "was anchored only at " + humanTime(unixTime(c.Time))
	case t < c.ValidFrom:
		return "was not yet valid (from " + humanTime(unixTime(c.ValidFrom)) + ")"
	case t >= c.ValidUntil:
		return "had expired (" + humanTime(unixTime(c.ValidUntil)) + ")"
	case c.StatusAt(t) != chain.StatusActive:
		return "was " + c.StatusAt(t).String()
	case !admitted:
		return "was from an authority no longer admitted"
	}
	return "was not valid"
}

// issuerName is the authority's name, or its key if it has none on record.
func issuerName(l Ledger, k chain.PublicKey) (string, error) {
	a, err := l.Authority(k)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return short(chain.Hash(k)), nil
	case err != nil:
		return "", fmt.Errorf("rx: authority %s: %w", k, err)
	}
	return a.Name, nil
}

// isReason reports whether err is one of the refusal reasons rather than a
// ledger failure.
func isReason(err error) bool {
	return slices.ContainsFunc(severity, func(r error) bool { return errors.Is(err, r) })
}

// rank orders reasons most serious first and keeps the first of each kind.
func rank(reasons []error) []error {
	var out []error
	for _, s := range severity {
		for _, r := range reasons {
			if errors.Is(r, s) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func unixTime(u uint64) time.Time {
	return time.Unix(int64(min(u, maxUnix)), 0).UTC()
}

// say is an error as a check's detail: the sentence without the package
// prefix, for the pharmacist's screen.
func say(err error) string { return strings.TrimPrefix(err.Error(), "rx: ") }

func humanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// short abbreviates a hash or key for a sentence; the full value is in the
// Verdict's fields.
func short(h chain.Hash) string { return h.String()[:12] }
