package wallet

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/fhirexport"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// The patient's audit log: every request, decision, grant, key release,
// revoke, expiry, record added by a clinician and emergency access that
// touches the owner's records, read from the chain (which every consortium
// member can audit), exportable as FHIR R4 AuditEvent, Consent and
// Provenance resources.

// AuditLog returns the owner's audit log, oldest first.
func (w *Wallet) AuditLog(ctx context.Context) ([]fhirexport.Entry, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	events, err := st.History(ctx, w.ChainKey())
	if err != nil {
		return nil, err
	}
	pr := w.parties()
	me := pr.of(w.ChainKey())
	chainID := w.chain.ledger.ChainID()
	var out []fhirexport.Entry
	for _, ev := range events {
		tx, err := w.txAt(ctx, ev.Block, ev.Pos)
		if err != nil {
			return nil, err
		}
		e := fhirexport.Entry{ID: fmt.Sprintf("%s-%s", tx.Hash(), ev.Kind), Recorded: time.Unix(int64(ev.Time), 0).UTC(),
			Actor: pr.of(tx.Sender()), Patient: me, Tx: tx.Hash().String(), Block: ev.Block, ChainID: chainID}
		if !ev.Other.IsZero() {
			o := pr.of(ev.Other)
			e.Other = &o
		}
		switch b := tx.Body().(type) {
		case chain.RecordAnchor:
			e.Action, e.Scope = fhirexport.ActionAnchor, []string{b.RecordID}
			if tx.Sender() != w.ChainKey() {
				e.Action = fhirexport.ActionRecordAdded
			}
		case chain.ConsentGrant:
			e.Action, e.Purpose, e.Scope = fhirexport.ActionGrant, b.Purpose.String(), scopeText(b.Scope)
		case chain.ConsentRevoke:
			e.Action = fhirexport.ActionRevoke
		case chain.GrantCapsule:
			e.Action = fhirexport.ActionKeyRelease
		case chain.AccessRequest:
			e.Action, e.Purpose, e.Scope, e.Note = fhirexport.ActionRequest, b.Purpose.String(), scopeText(b.Scope), b.Note
		case chain.AccessDecision:
			e.Action, e.Outcome = fhirexport.ActionDecline, fhirexport.OutcomeDeclined
		case chain.EmergencyAuthorization:
			e.Action = fhirexport.ActionEmergencyAuthorize
		case chain.EmergencyAccess:
			e.Action, e.Purpose, e.Note = fhirexport.ActionEmergencyAccess, b.Purpose.String(), b.Note
		case chain.EmergencyRelease:
			e.Action = fhirexport.ActionEmergencyRelease
		default:
			continue
		}
		out = append(out, e)
	}
	// Expiries are no transaction: a grant ends when chain time passes it.
	grants, err := st.GrantsBy(w.ChainKey())
	if err != nil {
		return nil, err
	}
	now := w.chainTime()
	for _, g := range grants {
		if g.Expiry > now {
			continue
		}
		if g.Revoked {
			if t, err := st.BlockTime(g.RevokedBlock); err == nil && t < g.Expiry {
				continue // revoked before it could expire
			}
		}
		grantee := pr.of(g.Grantee)
		out = append(out, fhirexport.Entry{ID: g.ID.String() + "-expiry", Action: fhirexport.ActionExpiry,
			Recorded: time.Unix(int64(g.Expiry), 0).UTC(), Actor: me, Patient: me, Other: &grantee,
			Purpose: g.Purpose.String(), ChainID: chainID, Scope: scopeText(g.Scope)})
	}
	slices.SortStableFunc(out, func(a, b fhirexport.Entry) int { return a.Recorded.Compare(b.Recorded) })
	return out, nil
}

func scopeText(s chain.Scope) []string {
	var out []string
	for _, c := range s.Categories {
		out = append(out, c.String())
	}
	return append(out, s.RecordIDs...)
}

// txAt returns the transaction at position pos of canonical block number.
func (w *Wallet) txAt(ctx context.Context, number uint64, pos int) (*chain.Tx, error) {
	l := w.chain.ledger
	h, err := l.CanonicalHash(number)
	if err != nil {
		return nil, err
	}
	b, err := l.Block(ctx, h)
	if err != nil {
		return nil, err
	}
	if pos < 0 || pos >= len(b.Txs) {
		return nil, fmt.Errorf("wallet: block %d has no transaction %d", number, pos)
	}
	return b.Txs[pos], nil
}

// partyBook names the keys of the log: the owner, registered clinicians
// (with their role) and clinics (block signers).
type partyBook struct {
	w     *Wallet
	st    *state.State
	clinc map[chain.PublicKey]bool
	seen  map[chain.PublicKey]fhirexport.Party
}

func (w *Wallet) parties() *partyBook {
	pb := &partyBook{w: w, st: w.chain.ledger.State(), clinc: map[chain.PublicKey]bool{}, seen: map[chain.PublicKey]fhirexport.Party{}}
	for _, k := range w.chain.ledger.Signers() {
		pb.clinc[k] = true
	}
	return pb
}

func (pb *partyBook) of(k chain.PublicKey) fhirexport.Party {
	if p, ok := pb.seen[k]; ok {
		return p
	}
	p := fhirexport.Party{Key: hex.EncodeToString(k[:]), ID: identity.IDFromSigningKey(k[:]).String()}
	switch cl, err := pb.st.Clinician(k); {
	case k == pb.w.ChainKey():
		p.Kind = fhirexport.KindPatient
	case err == nil:
		p.Kind, p.Role = fhirexport.KindClinician, cl.Role.String()
	case pb.clinc[k]:
		p.Kind = fhirexport.KindClinic
	}
	pb.seen[k] = p
	return p
}

// Provenance returns the FHIR R4 Provenance of a record a clinician added
// for the owner: who (and for which clinic), when, and the anchor
// transaction's signature.
func (w *Wallet) Provenance(ctx context.Context, anchor chain.Hash) ([]byte, error) {
	a, err := w.authored(ctx, anchor)
	if err != nil {
		return nil, err
	}
	return fhirexport.Provenance(a)
}

func (w *Wallet) authored(ctx context.Context, anchor chain.Hash) (fhirexport.Authored, error) {
	r, err := w.incoming(ctx, anchor)
	if err != nil {
		return fhirexport.Authored{}, err
	}
	anchors, err := w.chain.ledger.State().AnchorsByOthers(ctx, w.ChainKey())
	if err != nil {
		return fhirexport.Authored{}, err
	}
	i := slices.IndexFunc(anchors, func(a state.Anchor) bool { return a.ID == anchor })
	if i < 0 {
		return fhirexport.Authored{}, fmt.Errorf("%w: %s", ErrNoIncoming, anchor)
	}
	tx, err := w.txAt(ctx, anchors[i].Block, anchors[i].Pos)
	if err != nil {
		return fhirexport.Authored{}, err
	}
	pr := w.parties()
	sig := tx.Signature()
	out := fhirexport.Authored{RecordID: r.RecordID, Author: pr.of(r.Author), CID: r.CID, Tx: anchor.String(),
		Signature: sig[:], ChainID: w.chain.ledger.ChainID()}
	if !r.Clinic.IsZero() {
		out.Clinic = pr.of(r.Clinic)
		out.Clinic.Kind = fhirexport.KindClinic
	}
	if t, err := w.chain.ledger.State().BlockTime(r.Block); err == nil {
		out.Recorded = time.Unix(int64(t), 0).UTC()
	}
	if r.State == "kept" {
		if rec, err := w.Get(ctx, r.Kept); err == nil {
			out.ResourceType = rec.ResourceType
		}
	}
	return out, nil
}

// ExportAuditFHIR returns the owner's audit log as one FHIR R4 Bundle (type
// collection): an AuditEvent per log entry, a Consent per grant the owner
// made, and a Provenance per record a clinician added.
func (w *Wallet) ExportAuditFHIR(ctx context.Context) ([]byte, error) {
	entries, err := w.AuditLog(ctx)
	if err != nil {
		return nil, err
	}
	var resources [][]byte
	for _, e := range entries {
		r, err := fhirexport.AuditEvent(e)
		if err != nil {
			return nil, fmt.Errorf("wallet: audit event %s: %w", e.ID, err)
		}
		resources = append(resources, r)
	}
	st := w.chain.ledger.State()
	grants, err := st.GrantsBy(w.ChainKey())
	if err != nil {
		return nil, err
	}
	pr := w.parties()
	now := w.chainTime()
	for _, g := range grants {
		c := fhirexport.Grant{ID: g.ID.String(), Patient: pr.of(g.Patient), Grantee: pr.of(g.Grantee), RecordIDs: g.Scope.RecordIDs,
			Read: g.Actions&chain.ActionRead != 0, Write: g.Actions&chain.ActionWrite != 0, Purpose: g.Purpose.String(),
			Start: time.Unix(int64(g.NotBefore), 0).UTC(), End: time.Unix(int64(g.Expiry), 0).UTC(), Status: "active",
			ChainID: w.chain.ledger.ChainID()}
		for _, cat := range g.Scope.Categories {
			c.Categories = append(c.Categories, cat.String())
		}
		if t, err := st.BlockTime(g.Block); err == nil {
			c.Granted = time.Unix(int64(t), 0).UTC()
		}
		if g.Revoked {
			c.Status = "inactive"
			if t, err := st.BlockTime(g.RevokedBlock); err == nil {
				rt := time.Unix(int64(t), 0).UTC()
				c.Revoked = &rt
			}
		} else if now >= g.Expiry {
			c.Status = "inactive"
		}
		r, err := fhirexport.Consent(c)
		if err != nil {
			return nil, fmt.Errorf("wallet: consent %s: %w", g.ID, err)
		}
		resources = append(resources, r)
	}
	incoming, err := w.Incoming(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range incoming {
		a, err := w.authored(ctx, in.Anchor)
		if err != nil {
			return nil, err
		}
		r, err := fhirexport.Provenance(a)
		if err != nil {
			return nil, fmt.Errorf("wallet: provenance of %s: %w", in.Anchor, err)
		}
		resources = append(resources, r)
	}
	return fhirexport.Bundle(resources...)
}
