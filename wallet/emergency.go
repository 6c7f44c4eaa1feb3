package wallet

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/catalog"
	"github.com/healthwallet/healthwallet/wallet/envelope"
	"github.com/healthwallet/healthwallet/wallet/fhir"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/shamir"
)

// Emergency ("break-glass") access, wallet side; the chain side is
// chain/tx_emergency.go. The patient encrypts an emergency summary under a
// fresh data key and splits that key k-of-n (Shamir) among the clinics that
// publish sealing keys, k a majority; each clinic's share is sealed to it
// alone. A clinician records an EmergencyAccess; each clinic's node, seeing
// it in a block, re-seals its share to that clinician and records an
// EmergencyRelease. With k releases the clinician's wallet recombines the
// key and opens the summary. Nobody opens it silently: a clinic alone holds
// one share, and every share it gives out is a transaction on the chain.

// Errors of emergency access callers branch on.
var (
	// ErrNoEmergencyAuthorization: the patient has no emergency summary
	// authorised (or withdrew it).
	ErrNoEmergencyAuthorization = errors.New("wallet: no emergency summary authorised for this patient")
	// ErrNoClinicKeys: no clinic has published a key to hold a share.
	ErrNoClinicKeys = errors.New("wallet: no clinic has published a key for emergency shares yet")
	// ErrBadShares: a shares package or a released share that does not
	// open, parse or match its access.
	ErrBadShares = errors.New("wallet: bad emergency key share")
	// ErrNoClinicalLicence: the network has licensing authorities for
	// clinical licences, and this clinician holds no valid physician or
	// nurse licence, which emergency access then requires.
	ErrNoClinicalLicence = errors.New("wallet: emergency access needs a valid physician or nurse licence on the ledger")
)

const emergencyFormatVersion = 1

// maxSharesSize bounds a shares package or a released share fetched from
// the network.
const maxSharesSize = 1 << 20

// sharesPackage is what EmergencyAuthorization.Shares names (version 1,
// JSON, in IPFS): each holder's share, sealed (an envelope) to that
// holder's published KEM key alone.
type sharesPackage struct {
	Version   int           `json:"version"`
	Patient   string        `json:"patient"` // Health Wallet ID
	Summary   string        `json:"summary"` // CID of the encrypted summary
	Threshold int           `json:"threshold"`
	Shares    []sealedShare `json:"shares"`
}

type sealedShare struct {
	Holder string `json:"holder"` // hex Ed25519 key of the clinic
	Sealed []byte `json:"sealed"` // envelope of a shareContent
}

// shareContent is a share's plaintext, when sealed to its holder and when
// re-sealed to a clinician (Access set). Patient and Summary bind it to
// one authorization; Access and Holder to one release.
type shareContent struct {
	Version int    `json:"version"`
	Patient string `json:"patient"`
	Summary string `json:"summary"`
	Access  string `json:"access,omitempty"` // hex tx hash, in a released share
	Holder  string `json:"holder"`
	Share   []byte `json:"share"` // shamir.Share, binary
}

// EmergencyAuthorized says what AuthorizeEmergency put in force.
type EmergencyAuthorized struct {
	Authorization chain.Hash
	Summary       fhir.EmergencySummaryInfo
	Threshold     int
	Holders       int
}

// AuthorizeEmergency builds the owner's emergency summary from the
// wallet's records and extras, encrypts it, splits its key among the
// clinics and submits the EmergencyAuthorization. A later call replaces the
// summary in force; Revoke with the authorization's ID withdraws it.
func (w *Wallet) AuthorizeEmergency(ctx context.Context, extras fhir.EmergencyExtras) (EmergencyAuthorized, error) {
	var out EmergencyAuthorized
	if w.chain == nil {
		return out, ErrNoChain
	}
	resources, err := w.fhirResources(ctx)
	if err != nil {
		return out, err
	}
	summary, info, err := fhir.EmergencySummary(resources, extras, w.opts.now())
	if err != nil {
		return out, fmt.Errorf("wallet: emergency summary: %w", err)
	}
	out.Summary = info
	holders, kems, err := w.shareHolders()
	if err != nil {
		return out, err
	}
	threshold := len(holders)/2 + 1 // a majority of the clinics
	var ct bytes.Buffer
	key, err := envelope.Encrypt(&ct, bytes.NewReader(summary), w.id.KEMKey().PublicKey())
	if err != nil {
		return out, fmt.Errorf("wallet: encrypt emergency summary: %w", err)
	}
	summaryCID, err := w.putPinned(ctx, ct.Bytes(), "emergency-summary")
	if err != nil {
		return out, err
	}
	shares, err := shamir.Split(key[:], len(holders), threshold)
	if err != nil {
		return out, fmt.Errorf("wallet: split emergency key: %w", err)
	}
	pkg := sharesPackage{Version: emergencyFormatVersion, Patient: w.ID().String(), Summary: summaryCID.String(), Threshold: threshold}
	for i, h := range holders {
		raw, err := shares[i].MarshalBinary()
		if err != nil {
			return out, err
		}
		plain, err := json.Marshal(shareContent{Version: emergencyFormatVersion, Patient: pkg.Patient, Summary: pkg.Summary, Holder: h.String(), Share: raw})
		if err != nil {
			return out, err
		}
		var sealed bytes.Buffer
		if _, err := envelope.Encrypt(&sealed, bytes.NewReader(plain), kems[i]); err != nil {
			return out, fmt.Errorf("wallet: seal share for clinic %s: %w", h, err)
		}
		pkg.Shares = append(pkg.Shares, sealedShare{Holder: h.String(), Sealed: sealed.Bytes()})
	}
	pkgJSON, err := json.Marshal(pkg)
	if err != nil {
		return out, err
	}
	sharesCID, err := w.putPinned(ctx, pkgJSON, "emergency-shares")
	if err != nil {
		return out, err
	}
	sc, err := chain.CIDFromBytes(summaryCID.Bytes())
	if err != nil {
		return out, err
	}
	shc, err := chain.CIDFromBytes(sharesCID.Bytes())
	if err != nil {
		return out, err
	}
	tx, err := w.Submit(ctx, chain.EmergencyAuthorization{Summary: sc, Shares: shc, Threshold: uint8(threshold), Holders: holders})
	if err != nil {
		return out, err
	}
	out.Authorization, out.Threshold, out.Holders = tx.Hash(), threshold, len(holders)
	return out, nil
}

// fhirResources decrypts the owner's FHIR records.
func (w *Wallet) fhirResources(ctx context.Context) ([]fhir.Resource, error) {
	recs, err := w.List(ctx, Query{})
	if err != nil {
		return nil, err
	}
	var out []fhir.Resource
	for _, rec := range recs {
		if rec.Kind != catalog.KindFHIR {
			continue
		}
		_, plain, err := w.Read(ctx, rec.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, fhir.Resource{Type: rec.ResourceType, JSON: plain})
	}
	return out, nil
}

// shareHolders returns the current block signers that published a valid
// sealing key, in key order, with those keys.
func (w *Wallet) shareHolders() ([]chain.PublicKey, []hpke.PublicKey, error) {
	signers := slices.Clone(w.chain.ledger.Signers())
	slices.SortFunc(signers, chain.PublicKey.Compare)
	var holders []chain.PublicKey
	var kems []hpke.PublicKey
	for _, k := range signers {
		raw, err := w.chain.ledger.State().ClinicIdentity(k)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		kem, err := verifiedKEM(raw, k)
		if err != nil {
			w.log.Warn("wallet: a clinic's published key does not verify; it holds no share", "clinic", k, "err", err)
			continue
		}
		holders, kems = append(holders, k), append(kems, kem)
	}
	if len(holders) == 0 {
		return nil, nil, ErrNoClinicKeys
	}
	return holders, kems, nil
}

// verifiedKEM parses a published identity record and returns its KEM key,
// checking its binding signature and that it is key's.
func verifiedKEM(raw []byte, key chain.PublicKey) (hpke.PublicKey, error) {
	var pub identity.Public
	if err := pub.UnmarshalBinary(raw); err != nil {
		return nil, err
	}
	if err := pub.Verify(); err != nil {
		return nil, err
	}
	if chain.PublicKey(pub.SigningKey) != key {
		return nil, fmt.Errorf("identity of another key")
	}
	return pub.KEM()
}

// putPinned adds data to the store and pins it.
func (w *Wallet) putPinned(ctx context.Context, data []byte, label string) (cid.Cid, error) {
	c, err := w.store.Add(ctx, bytes.NewReader(data), nil)
	if err != nil {
		return cid.Undef, fmt.Errorf("wallet: store %s: %w", label, err)
	}
	if err := w.store.Pin(ctx, c, label+":"+c.String()); err != nil {
		return cid.Undef, err
	}
	return c, nil
}

// fetchSmall fetches content of at most limit bytes from the network.
func (w *Wallet) fetchSmall(ctx context.Context, c chain.CID, limit int, what string) ([]byte, error) {
	ic, err := cid.Cast(c.Bytes())
	if err != nil {
		return nil, fmt.Errorf("wallet: %s: %w", what, err)
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	r, err := w.store.Get(ctx, ic, nil)
	if err != nil {
		return nil, fmt.Errorf("wallet: %s: %w", what, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("wallet: %s: %w", what, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("wallet: %s: larger than %d bytes", what, limit)
	}
	return b, nil
}

// OpenEmergency (a registered clinician's wallet) records an emergency
// access to patient's summary on the chain and returns its ID; the summary
// opens with EmergencySummary once enough clinics have released their
// shares.
func (w *Wallet) OpenEmergency(ctx context.Context, patient chain.PublicKey, purpose chain.Purpose, note string) (chain.Hash, error) {
	if w.chain == nil {
		return chain.Hash{}, ErrNoChain
	}
	auth, err := w.chain.ledger.State().EmergencyAuthorization(patient)
	if errors.Is(err, state.ErrNotFound) {
		return chain.Hash{}, fmt.Errorf("%w: %s", ErrNoEmergencyAuthorization, patient)
	}
	if err != nil {
		return chain.Hash{}, err
	}
	// The chain refuses the access too; asking first gives the reason.
	if required, err := w.chain.ledger.State().ClinicalLicencesRequired(); err != nil {
		return chain.Hash{}, err
	} else if required {
		v, err := w.VerifyClinician(w.ChainKey())
		if err != nil {
			return chain.Hash{}, err
		}
		if !v.Holds(chain.KindPhysician) && !v.Holds(chain.KindNurse) {
			return chain.Hash{}, fmt.Errorf("%w (%s)", ErrNoClinicalLicence, v.Summary)
		}
	}
	tx, err := w.Submit(ctx, chain.EmergencyAccess{Patient: patient, Authorization: auth.ID, Purpose: purpose, Note: note})
	if err != nil {
		return chain.Hash{}, err
	}
	return tx.Hash(), nil
}

// EmergencySummary waits (until ctx ends) for the access to be in a block
// and for enough clinics to release their shares, then recombines the key
// and returns the decrypted summary (a FHIR Bundle).
func (w *Wallet) EmergencySummary(ctx context.Context, access chain.Hash) ([]byte, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	var rec state.EmergencyAccessRecord
	var auth state.EmergencyAuth
	err := w.chain.ledger.WaitFor(ctx, func(ledger.Tip) bool {
		r, err := st.EmergencyAccess(ctx, access)
		if err != nil {
			return false
		}
		a, err := st.EmergencyAuthorizationByID(r.Authorization)
		if err != nil {
			return false
		}
		rec, auth = r, a
		return len(r.Releases) >= a.Threshold
	})
	if err != nil {
		return nil, fmt.Errorf("wallet: waiting for clinics to release emergency shares: %w", err)
	}
	if rec.Clinician != w.ChainKey() {
		return nil, fmt.Errorf("wallet: emergency access %s is another clinician's", access)
	}
	var shares []shamir.Share
	for _, rel := range rec.Releases {
		sh, err := w.openReleasedShare(ctx, rec, auth, rel)
		if err != nil {
			w.log.Warn("wallet: a released share is unusable", "clinic", rel.Holder, "err", err)
			continue
		}
		shares = append(shares, sh)
	}
	ct, err := w.fetchSmall(ctx, auth.Summary, MaxReadSize, "emergency summary")
	if err != nil {
		return nil, err
	}
	// A clinic could hand out a wrong share; the summary's authentication
	// tells, so try each threshold-sized window of the shares in turn.
	var lastErr error = fmt.Errorf("%w: %d usable shares, %d needed", ErrBadShares, len(shares), auth.Threshold)
	for i := 0; i+auth.Threshold <= len(shares); i++ {
		key, err := shamir.Combine(shares[i : i+auth.Threshold])
		if err != nil || len(key) != len(envelope.DataKey{}) {
			lastErr = fmt.Errorf("%w: combine: %v", ErrBadShares, err)
			continue
		}
		plain, err := envelope.DecryptAllWithKey(ct, envelope.DataKey(key))
		if err != nil {
			lastErr = fmt.Errorf("%w: the recombined key does not open the summary: %v", ErrBadShares, err)
			continue
		}
		return plain, nil
	}
	return nil, lastErr
}

func (w *Wallet) openReleasedShare(ctx context.Context, rec state.EmergencyAccessRecord, auth state.EmergencyAuth, rel state.Release) (shamir.Share, error) {
	var sh shamir.Share
	sealed, err := w.fetchSmall(ctx, rel.Share, maxSharesSize, "released share")
	if err != nil {
		return sh, err
	}
	plain, err := envelope.DecryptAll(sealed, w.id.KEMKey())
	if err != nil {
		return sh, fmt.Errorf("%w: %w", ErrBadShares, err)
	}
	var c shareContent
	if err := strictJSON(plain, &c); err != nil {
		return sh, fmt.Errorf("%w: %v", ErrBadShares, err)
	}
	if c.Version != emergencyFormatVersion || c.Access != rec.ID.String() || c.Holder != rel.Holder.String() ||
		c.Summary != cidString(auth.Summary) || c.Patient != identity.IDFromSigningKey(rec.Patient[:]).String() {
		return sh, fmt.Errorf("%w: made for another access", ErrBadShares)
	}
	if err := sh.UnmarshalBinary(c.Share); err != nil {
		return sh, fmt.Errorf("%w: %w", ErrBadShares, err)
	}
	return sh, nil
}

func cidString(c chain.CID) string {
	ic, err := cid.Cast(c.Bytes())
	if err != nil {
		return ""
	}
	return ic.String()
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// serveEmergencies is a clinic node's part: while its key is a block
// signer it publishes its sealing key once, and releases its share for each
// emergency access recorded on the chain under an authorization in force.
func (w *Wallet) serveEmergencies(ctx context.Context) error {
	me := w.ChainKey()
	if !slices.Contains(w.chain.ledger.Signers(), me) {
		return nil
	}
	st := w.chain.ledger.State()
	if _, err := st.ClinicIdentity(me); errors.Is(err, state.ErrNotFound) {
		if !w.chain.releasePending(chain.Hash{}) {
			raw, err := w.id.Public().MarshalBinary()
			if err != nil {
				return err
			}
			if _, err := w.Submit(ctx, chain.ClinicKey{Identity: raw}); err != nil {
				w.chain.releaseDone(chain.Hash{})
				return fmt.Errorf("publish clinic key: %w", err)
			}
		}
	} else if err != nil {
		return err
	}
	todo, err := st.UnreleasedAccesses(ctx, me)
	if err != nil {
		return err
	}
	for _, a := range todo {
		if w.chain.releasePending(a.ID) {
			continue
		}
		if err := w.release(ctx, a); err != nil {
			w.chain.releaseDone(a.ID)
			w.log.Warn("wallet: emergency share not released", "access", a.ID, "err", err)
			continue
		}
		w.log.Debug("wallet: emergency share released", "access", a.ID, "clinician", a.Clinician, "patient", a.Patient)
	}
	return nil
}

func (w *Wallet) release(ctx context.Context, a state.EmergencyAccessRecord) error {
	st := w.chain.ledger.State()
	auth, err := st.EmergencyAuthorizationByID(a.Authorization)
	if err != nil {
		return err
	}
	raw, err := w.fetchSmall(ctx, auth.Shares, maxSharesSize, "emergency shares")
	if err != nil {
		return err
	}
	var pkg sharesPackage
	if err := strictJSON(raw, &pkg); err != nil {
		return fmt.Errorf("%w: %v", ErrBadShares, err)
	}
	patientID := identity.IDFromSigningKey(a.Patient[:]).String()
	if pkg.Version != emergencyFormatVersion || pkg.Patient != patientID || pkg.Summary != cidString(auth.Summary) {
		return fmt.Errorf("%w: package does not match the authorization", ErrBadShares)
	}
	me := w.ChainKey().String()
	i := slices.IndexFunc(pkg.Shares, func(s sealedShare) bool { return s.Holder == me })
	if i < 0 {
		return fmt.Errorf("%w: no share for this clinic", ErrBadShares)
	}
	plain, err := envelope.DecryptAll(pkg.Shares[i].Sealed, w.id.KEMKey())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadShares, err)
	}
	var c shareContent
	if err := strictJSON(plain, &c); err != nil {
		return fmt.Errorf("%w: %v", ErrBadShares, err)
	}
	if c.Version != emergencyFormatVersion || c.Patient != patientID || c.Summary != pkg.Summary || c.Holder != me || c.Access != "" {
		return fmt.Errorf("%w: share made for another authorization", ErrBadShares)
	}
	_, kem, err := w.clinicianKeys(a.Clinician)
	if err != nil {
		return err
	}
	c.Access = a.ID.String()
	out, err := json.Marshal(c)
	if err != nil {
		return err
	}
	var sealed bytes.Buffer
	if _, err := envelope.Encrypt(&sealed, bytes.NewReader(out), kem); err != nil {
		return err
	}
	shareCID, err := w.putPinned(ctx, sealed.Bytes(), "emergency-release")
	if err != nil {
		return err
	}
	sc, err := chain.CIDFromBytes(shareCID.Bytes())
	if err != nil {
		return err
	}
	_, err = w.Submit(ctx, chain.EmergencyRelease{Access: a.ID, Share: sc})
	return err
}

// EmergencyAlert is an emergency access to the owner's summary.
type EmergencyAlert struct {
	Access    chain.Hash
	Clinician chain.PublicKey
	Role      chain.Role
	Clinic    chain.PublicKey // the clinic that registered the clinician
	Purpose   chain.Purpose
	Note      string
	Block     uint64
	Time      time.Time // the block's time
	Releases  int       // clinics that released their share so far
}

// EmergencyAlerts lists emergency accesses to the owner's summary recorded
// after the last AcknowledgeEmergencyAlerts (all of them if all is set).
func (w *Wallet) EmergencyAlerts(ctx context.Context, all bool) ([]EmergencyAlert, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	from := uint64(0)
	if !all {
		in, err := w.loadInbox()
		if err != nil {
			return nil, err
		}
		from = in.AlertsSeen + 1
	}
	st := w.chain.ledger.State()
	recs, err := st.EmergencyAccesses(ctx, w.ChainKey(), from, w.chain.ledger.Head().Number)
	if err != nil {
		return nil, err
	}
	var out []EmergencyAlert
	for _, r := range recs {
		a := EmergencyAlert{Access: r.ID, Clinician: r.Clinician, Purpose: r.Purpose, Note: r.Note, Block: r.Block, Releases: len(r.Releases)}
		if cl, err := st.Clinician(r.Clinician); err == nil {
			a.Role, a.Clinic = cl.Role, cl.Clinic
		}
		if t, err := st.BlockTime(r.Block); err == nil {
			a.Time = time.Unix(int64(t), 0).UTC()
		}
		out = append(out, a)
	}
	return out, nil
}

// AcknowledgeEmergencyAlerts marks the alerts up to block as seen.
func (w *Wallet) AcknowledgeEmergencyAlerts(block uint64) error {
	return w.updateInbox(func(in *inbox) {
		in.AlertsSeen = max(in.AlertsSeen, block)
	})
}
