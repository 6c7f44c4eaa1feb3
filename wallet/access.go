package wallet

import (
	"bytes"
	"context"
	"crypto/hpke"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/envelope"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// Errors of the access flow callers branch on.
var (
	// ErrNotClinician: the key is not a registered, unrevoked clinician.
	ErrNotClinician = errors.New("wallet: not a registered clinician")
	// ErrAccessEnded: the grant was revoked or has expired.
	ErrAccessEnded = errors.New("wallet: access has ended (revoked or expired)")
	// ErrNoRequest: no pending request with that ID for this patient.
	ErrNoRequest = errors.New("wallet: no such pending request")
	// ErrNotAnchored: shared content the patient never anchored on the
	// chain: it is refused, whoever handed it over.
	ErrNotAnchored = errors.New("wallet: content not anchored by the patient")
)

// RegisterClinician (a clinic's wallet, while its key is a block signer)
// registers a clinician's public identity on the chain.
func (w *Wallet) RegisterClinician(ctx context.Context, clinician identity.Public, role chain.Role) (*chain.Tx, error) {
	if err := clinician.Verify(); err != nil {
		return nil, err
	}
	raw, err := clinician.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return w.Submit(ctx, chain.ClinicianRegister{Clinician: chain.PublicKey(clinician.SigningKey), Role: role, Identity: raw})
}

// AccessRequest is what a clinician asks a patient for.
type AccessRequest struct {
	Categories []string // catalog category names ("conditions")
	RecordIDs  []string
	Purpose    chain.Purpose
	Duration   time.Duration
	Note       string
}

func scopeOf(categories, recordIDs []string) (chain.Scope, error) {
	var cats []chain.Category
	for _, name := range categories {
		c, err := chain.ParseCategory(name)
		if err != nil {
			return chain.Scope{}, fmt.Errorf("wallet: %w", err)
		}
		cats = append(cats, c)
	}
	return chain.NewScope(recordIDs, cats), nil
}

// RequestAccess (a clinician's wallet) asks patient for access; it returns
// the request's ID.
func (w *Wallet) RequestAccess(ctx context.Context, patient identity.ID, r AccessRequest) (chain.Hash, error) {
	scope, err := scopeOf(r.Categories, r.RecordIDs)
	if err != nil {
		return chain.Hash{}, err
	}
	tx, err := w.Submit(ctx, chain.AccessRequest{Patient: chain.PublicKey(patient.SigningKey()), Scope: scope,
		Purpose: r.Purpose, Duration: uint64(r.Duration / time.Second), Note: r.Note})
	if err != nil {
		return chain.Hash{}, err
	}
	return tx.Hash(), nil
}

// PendingRequest is an access request waiting for the patient's answer.
type PendingRequest = state.Request

// PendingRequests lists the access requests to this wallet's owner that
// have neither been declined nor answered with a grant to the requester
// (made in the request's block or later).
func (w *Wallet) PendingRequests(ctx context.Context) ([]PendingRequest, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	reqs, err := st.PendingRequests(w.ChainKey())
	if err != nil {
		return nil, err
	}
	// A grant answers a request for good, even once it has ended.
	grants, err := st.GrantsBy(w.ChainKey())
	if err != nil {
		return nil, err
	}
	out := reqs[:0]
	for _, r := range reqs {
		answered := slices.ContainsFunc(grants, func(g state.Grant) bool { return g.Grantee == r.Clinician && g.Block >= r.Block })
		if !answered {
			out = append(out, r)
		}
	}
	return out, nil
}

func (w *Wallet) pendingRequest(ctx context.Context, id chain.Hash) (state.Request, error) {
	reqs, err := w.PendingRequests(ctx)
	if err != nil {
		return state.Request{}, err
	}
	for _, r := range reqs {
		if r.ID == id {
			return r, nil
		}
	}
	return state.Request{}, fmt.Errorf("%w: %s", ErrNoRequest, id)
}

// Decline answers a request with no.
func (w *Wallet) Decline(ctx context.Context, request chain.Hash) error {
	if _, err := w.pendingRequest(ctx, request); err != nil {
		return err
	}
	_, err := w.Submit(ctx, chain.AccessDecision{Request: request, Decision: chain.DecisionDeclined})
	return err
}

// Approval narrows what a request asked for; zero fields keep the request's.
type Approval struct {
	Categories []string
	RecordIDs  []string
	Duration   time.Duration // at most what was asked
	// Write also lets the clinician add records within the scope (lab
	// results, notes), encrypted to the patient and signed by the clinician.
	Write bool
}

// Approve grants a pending request: it anchors any in-scope record not yet
// on the chain, seals the in-scope records' data keys to the clinician's
// registered KEM key in a capsule, stores the capsule in IPFS and submits
// the ConsentGrant that references it. It returns the grant's ID.
func (w *Wallet) Approve(ctx context.Context, request chain.Hash, a Approval) (chain.Hash, error) {
	req, err := w.pendingRequest(ctx, request)
	if err != nil {
		return chain.Hash{}, err
	}
	scope := req.Scope
	if len(a.Categories) > 0 || len(a.RecordIDs) > 0 {
		if scope, err = scopeOf(a.Categories, a.RecordIDs); err != nil {
			return chain.Hash{}, err
		}
	}
	dur := time.Duration(req.Duration) * time.Second
	if a.Duration > 0 && a.Duration < dur {
		dur = a.Duration
	}
	actions := chain.ActionRead
	if a.Write {
		actions |= chain.ActionWrite
	}
	return w.grant(ctx, req.Clinician, scope, actions, req.Purpose, dur)
}

// GrantSpec is a grant a patient makes unasked.
type GrantSpec struct {
	Clinician   identity.ID
	Categories  []string
	RecordIDs   []string
	Purpose     chain.Purpose
	Duration    time.Duration
	Read, Write bool
}

// Grant gives a registered clinician access without a request; it returns
// the grant's ID.
func (w *Wallet) Grant(ctx context.Context, s GrantSpec) (chain.Hash, error) {
	scope, err := scopeOf(s.Categories, s.RecordIDs)
	if err != nil {
		return chain.Hash{}, err
	}
	var actions chain.Actions
	if s.Read {
		actions |= chain.ActionRead
	}
	if s.Write {
		actions |= chain.ActionWrite
	}
	if s.Duration < time.Second {
		return chain.Hash{}, fmt.Errorf("wallet: grant of %v: too short", s.Duration)
	}
	return w.grant(ctx, chain.PublicKey(s.Clinician.SigningKey()), scope, actions, s.Purpose, s.Duration)
}

func (w *Wallet) grant(ctx context.Context, clinician chain.PublicKey, scope chain.Scope, actions chain.Actions, purpose chain.Purpose, dur time.Duration) (chain.Hash, error) {
	if w.chain == nil {
		return chain.Hash{}, ErrNoChain
	}
	grantee, kem, err := w.clinicianKeys(clinician)
	if err != nil {
		return chain.Hash{}, err
	}
	var recs []Record
	if actions&chain.ActionRead != 0 {
		if recs, err = w.inScope(ctx, scope); err != nil {
			return chain.Hash{}, err
		}
		if recs, err = w.freshKeysAfterEnded(ctx, recs); err != nil {
			return chain.Hash{}, err
		}
	}
	// Even a write-only grant carries a capsule: it gives the clinician the
	// patient's key to encrypt new records to.
	capCID, err := w.putCapsule(ctx, grantee, kem, recs)
	if err != nil {
		return chain.Hash{}, err
	}
	now := w.chainTime()
	tx, err := w.Submit(ctx, chain.ConsentGrant{Grantee: clinician, Scope: scope, Actions: actions,
		Purpose: purpose, NotBefore: now, Expiry: now + uint64(dur/time.Second), Capsule: capCID})
	if err != nil {
		return chain.Hash{}, err
	}
	return tx.Hash(), nil
}

// putCapsule anchors recs (those not yet on the chain), seals their data
// keys and the owner's public identity to the grantee and the owner, and
// stores and pins the capsule.
func (w *Wallet) putCapsule(ctx context.Context, grantee identity.Public, kem hpke.PublicKey, recs []Record) (chain.CID, error) {
	me, err := w.id.Public().MarshalBinary()
	if err != nil {
		return chain.CID{}, err
	}
	c := capsule{Version: capsuleVersion, Patient: w.ID().String(), Grantee: grantee.ID().String(), PatientIdentity: me}
	for _, rec := range recs {
		key, err := w.dataKey(ctx, rec)
		if err != nil {
			return chain.CID{}, err
		}
		if err := w.ensureAnchored(ctx, rec); err != nil {
			return chain.CID{}, err
		}
		c.Records = append(c.Records, capsuleRecord{ID: rec.ID, CID: rec.CID, Key: key[:], ResourceType: rec.ResourceType,
			Category: rec.Category, ContentType: rec.ContentType, Size: rec.Size, Title: rec.Title, Date: rec.Date})
	}
	sealed, err := sealCapsule(c, kem, w.id.KEMKey().PublicKey())
	if err != nil {
		return chain.CID{}, err
	}
	capCID, err := w.store.Add(ctx, bytes.NewReader(sealed), nil)
	if err != nil {
		return chain.CID{}, fmt.Errorf("wallet: store capsule: %w", err)
	}
	if err := w.store.Pin(ctx, capCID, "capsule:"+capCID.String()); err != nil {
		return chain.CID{}, err
	}
	w.chain.capsules.put(capCID.String(), c)
	return chain.CIDFromBytes(capCID.Bytes())
}

// Revoke ends a grant this wallet's owner made.
func (w *Wallet) Revoke(ctx context.Context, grant chain.Hash) error {
	_, err := w.Submit(ctx, chain.ConsentRevoke{Grant: grant})
	return err
}

// clinicianKeys returns a registered clinician's public identity and KEM
// key, checked against the key the chain knows it by.
func (w *Wallet) clinicianKeys(k chain.PublicKey) (identity.Public, hpke.PublicKey, error) {
	var pub identity.Public
	cl, err := w.chain.ledger.State().Clinician(k)
	if errors.Is(err, state.ErrNotFound) || (err == nil && cl.Revoked) {
		return pub, nil, fmt.Errorf("%w: %s", ErrNotClinician, k)
	}
	if err != nil {
		return pub, nil, err
	}
	if err := pub.UnmarshalBinary(cl.Identity); err != nil {
		return pub, nil, fmt.Errorf("clinician %s: %w", k, err)
	}
	if err := pub.Verify(); err != nil || chain.PublicKey(pub.SigningKey) != k {
		return pub, nil, fmt.Errorf("clinician %s: registered identity does not match its key", k)
	}
	kem, err := pub.KEM()
	if err != nil {
		return pub, nil, err
	}
	return pub, kem, nil
}

// inScope lists this wallet's records a scope covers.
func (w *Wallet) inScope(ctx context.Context, scope chain.Scope) ([]Record, error) {
	all, err := w.List(ctx, Query{})
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, rec := range all {
		cat, _ := chain.ParseCategory(rec.Category) // zero for a name the chain lacks
		if slices.Contains(scope.RecordIDs, rec.ID) || slices.Contains(scope.Categories, cat) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// dataKey opens a record's envelope header with the owner's key.
func (w *Wallet) dataKey(ctx context.Context, rec Record) (envelope.DataKey, error) {
	r, err := w.content(ctx, rec)
	if err != nil {
		return envelope.DataKey{}, err
	}
	defer r.Close()
	h, _, err := envelope.ParseHeader(r)
	if err != nil {
		return envelope.DataKey{}, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	return h.Unwrap(w.id.KEMKey())
}

// ensureAnchored anchors a record's ciphertext if the owner has not yet.
func (w *Wallet) ensureAnchored(ctx context.Context, rec Record) error {
	c, err := chain.ParseCID(rec.CID)
	if err != nil {
		return err
	}
	if ok, err := w.chain.ledger.State().Anchored(ctx, w.ChainKey(), c); err != nil || ok {
		return err
	}
	cat, err := chain.ParseCategory(rec.Category)
	if err != nil {
		cat = chain.CategoryOther
	}
	return w.submitPatiently(ctx, chain.RecordAnchor{Patient: w.ChainKey(), RecordID: rec.ID, CID: c, Category: cat, Time: uint64(rec.AddedAt.Unix())})
}

// submitPatiently submits body, waiting for blocks to make room when this
// account already has as many transactions pending as a pool takes (a
// grant of hundreds of records anchors them over a few blocks).
func (w *Wallet) submitPatiently(ctx context.Context, body chain.Body) error {
	for {
		changed := w.chain.ledger.Changed()
		_, err := w.Submit(ctx, body)
		if !errors.Is(err, chain.ErrAccountLimit) && !errors.Is(err, chain.ErrNonceGap) && !errors.Is(err, chain.ErrPoolFull) {
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wallet: waiting for room in the pool: %w", ctx.Err())
		}
	}
}

// SharedRecord is a record a patient shared with this wallet's owner.
type SharedRecord struct {
	Patient      chain.PublicKey
	Grant        chain.Hash
	ID           string
	CID          string
	ResourceType string
	Category     string
	ContentType  string
	Size         int64
	Title        string
	Date         time.Time
	key          envelope.DataKey
}

// Shared lists the records patient shares with this wallet's owner under
// grants active now: it fetches each grant's capsule (from the patient or
// any clinic node pinning it), opens it with the owner's key, and keeps only
// records whose ciphertext the patient anchored on the chain.
func (w *Wallet) Shared(ctx context.Context, patient chain.PublicKey) ([]SharedRecord, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	grants, err := st.GrantsTo(w.ChainKey(), w.chainTime())
	if err != nil {
		return nil, err
	}
	var out []SharedRecord
	seen := map[string]bool{}
	for _, g := range grants {
		if g.Patient != patient || g.Actions&chain.ActionRead == 0 {
			continue
		}
		caps, err := w.grantCapsules(ctx, g)
		if err != nil {
			return nil, err
		}
		for _, c := range caps {
			for _, r := range c.Records {
				if seen[r.CID] {
					continue
				}
				rc, err := chain.ParseCID(r.CID)
				if err != nil {
					return nil, fmt.Errorf("%w: %v", ErrBadCapsule, err)
				}
				if ok, err := st.Anchored(ctx, patient, rc); err != nil {
					return nil, err
				} else if !ok {
					w.log.Warn("wallet: shared record not anchored by the patient; ignored", "record", r.ID, "cid", r.CID)
					continue
				}
				seen[r.CID] = true
				out = append(out, SharedRecord{Patient: patient, Grant: g.ID, ID: r.ID, CID: r.CID, ResourceType: r.ResourceType,
					Category: r.Category, ContentType: r.ContentType, Size: r.Size, Title: r.Title, Date: r.Date, key: envelope.DataKey(r.Key)})
			}
		}
	}
	return out, nil
}

// grantCapsules fetches and opens a grant's capsules: its own, then those
// added later, in chain order. The wallet must be the grant's grantee or
// its patient.
func (w *Wallet) grantCapsules(ctx context.Context, g state.Grant) ([]capsule, error) {
	cids := [][]byte{}
	if g.Capsule != nil {
		cids = append(cids, g.Capsule)
	}
	more, err := w.chain.ledger.State().GrantCapsules(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	var out []capsule
	for _, raw := range append(cids, more...) {
		c, err := w.fetchCapsule(ctx, g, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// fetchTimeout bounds fetching one capsule or record from the network:
// content that no connected peer serves ends in ipfs.ErrUnavailable.
const fetchTimeout = time.Minute

func (w *Wallet) fetchCapsule(ctx context.Context, g state.Grant, raw []byte) (capsule, error) {
	c, err := cid.Cast(raw)
	if err != nil {
		return capsule{}, fmt.Errorf("%w: %v", ErrBadCapsule, err)
	}
	if cp, ok := w.chain.capsules.get(c.String()); ok {
		return cp, w.checkCapsule(cp, g)
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	content, err := w.store.Get(ctx, c, nil)
	if err != nil {
		return capsule{}, fmt.Errorf("wallet: capsule of grant %s: %w", g.ID, err)
	}
	defer content.Close()
	sealed, err := io.ReadAll(io.LimitReader(content, maxCapsuleSize+1))
	if err != nil {
		return capsule{}, fmt.Errorf("wallet: capsule of grant %s: %w", g.ID, err)
	}
	if len(sealed) > maxCapsuleSize {
		return capsule{}, fmt.Errorf("%w: larger than %d bytes", ErrBadCapsule, maxCapsuleSize)
	}
	cp, err := openCapsule(sealed, w.id.KEMKey())
	if err != nil {
		return capsule{}, err
	}
	if err := w.checkCapsule(cp, g); err != nil {
		return capsule{}, err
	}
	w.chain.capsules.put(c.String(), cp)
	return cp, nil
}

// checkCapsule refuses a capsule made for another grant than g.
func (w *Wallet) checkCapsule(cp capsule, g state.Grant) error {
	if cp.Grantee != identity.IDFromSigningKey(g.Grantee[:]).String() || cp.Patient != identity.IDFromSigningKey(g.Patient[:]).String() {
		return fmt.Errorf("%w: made for another grant", ErrBadCapsule)
	}
	return nil
}

// ReadShared returns a shared record's plaintext, if its grant is still
// active: after a revoke or the expiry it refuses (ErrAccessEnded). What was
// read before cannot be recalled.
func (w *Wallet) ReadShared(ctx context.Context, rec SharedRecord) ([]byte, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	g, err := w.chain.ledger.State().Grant(rec.Grant)
	if err != nil {
		return nil, err
	}
	now := w.chainTime()
	if g.Revoked || now >= g.Expiry || now < g.NotBefore || g.Grantee != w.ChainKey() {
		return nil, fmt.Errorf("%w: grant %s", ErrAccessEnded, rec.Grant)
	}
	c, err := cid.Decode(rec.CID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	content, err := w.store.Get(ctx, c, nil)
	if err != nil {
		return nil, fmt.Errorf("shared record %s: %w", rec.ID, err)
	}
	defer content.Close()
	ct, err := io.ReadAll(io.LimitReader(content, MaxReadSize+envelope.Overhead(MaxReadSize)))
	if err != nil {
		return nil, fmt.Errorf("shared record %s: %w", rec.ID, err)
	}
	plain, err := envelope.DecryptAllWithKey(ct, rec.key)
	if err != nil {
		return nil, fmt.Errorf("decrypt shared record %s: %w", rec.ID, err)
	}
	return plain, nil
}
