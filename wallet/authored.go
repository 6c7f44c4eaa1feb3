package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet/envelope"
	"github.com/healthwallet/healthwallet/wallet/fhir"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// Clinician-authored records. A clinician holding a patient's write grant
// adds a FHIR resource (a lab result, a note as a DocumentReference): the
// wallet encrypts it to the patient and the clinician, stores it in IPFS
// and anchors it on the chain in a RecordAnchor the clinician signs. The
// patient's wallet lists such anchors as incoming records with their
// provenance; the patient keeps one (it joins the wallet's records) or
// hides it.

// ErrNoWriteGrant: the clinician holds no active write grant from the
// patient covering the record.
var ErrNoWriteGrant = errors.New("wallet: no active write grant from the patient covers this record")

// ErrNoIncoming: no record added by a clinician under that anchor ID.
var ErrNoIncoming = errors.New("wallet: no such incoming record")

// Authored is a record a clinician added for a patient.
type Authored struct {
	RecordID     string
	CID          string
	Anchor       chain.Hash // the RecordAnchor transaction
	ResourceType string
	Category     chain.Category
}

// AddForPatient (a clinician's wallet) adds one FHIR resource for patient
// under a write grant; name is the file it came from, for errors.
func (w *Wallet) AddForPatient(ctx context.Context, patient chain.PublicKey, name string, data []byte) (Authored, error) {
	var out Authored
	if w.chain == nil {
		return out, ErrNoChain
	}
	resources, err := fhir.Parse(name, data)
	if err != nil {
		return out, err
	}
	if len(resources) != 1 {
		return out, fmt.Errorf("wallet: add for a patient: %s holds %d resources; add one at a time", name, len(resources))
	}
	res := resources[0]
	cat, err := chain.ParseCategory(fhir.CategoryOf(res.Type))
	if err != nil {
		cat = chain.CategoryOther
	}
	var raw [15]byte
	rand.Read(raw[:])
	out.RecordID, out.ResourceType, out.Category = encodeRecordID(raw[:]), res.Type, cat

	now := w.chainTime()
	grants, err := w.chain.ledger.State().GrantsTo(w.ChainKey(), now)
	if err != nil {
		return out, err
	}
	var grant *state.Grant
	for _, g := range grants {
		if g.Patient == patient && g.Actions&chain.ActionWrite != 0 && g.Scope.Covers(out.RecordID, cat) && g.Capsule != nil {
			grant = &g
			break
		}
	}
	if grant == nil {
		return out, fmt.Errorf("%w (%s, %v)", ErrNoWriteGrant, patient, cat)
	}
	c, err := w.fetchCapsule(ctx, *grant, grant.Capsule)
	if err != nil {
		return out, err
	}
	var pub identity.Public
	if err := pub.UnmarshalBinary(c.PatientIdentity); err != nil {
		return out, fmt.Errorf("%w: patient identity: %v", ErrBadCapsule, err)
	}
	if err := pub.Verify(); err != nil || chain.PublicKey(pub.SigningKey) != patient {
		return out, fmt.Errorf("%w: the patient identity in the capsule is not the patient's", ErrBadCapsule)
	}
	patientKEM, err := pub.KEM()
	if err != nil {
		return out, err
	}
	var ct bytes.Buffer
	if _, err := envelope.Encrypt(&ct, bytes.NewReader(res.JSON), patientKEM, w.id.KEMKey().PublicKey()); err != nil {
		return out, fmt.Errorf("wallet: encrypt record for patient: %w", err)
	}
	stored, err := w.putPinned(ctx, ct.Bytes(), "authored:"+out.RecordID)
	if err != nil {
		return out, err
	}
	cc, err := chain.CIDFromBytes(stored.Bytes())
	if err != nil {
		return out, err
	}
	out.CID = stored.String()
	tx, err := w.Submit(ctx, chain.RecordAnchor{Patient: patient, RecordID: out.RecordID, CID: cc, Category: cat, Time: now})
	if err != nil {
		return out, err
	}
	out.Anchor = tx.Hash()
	return out, nil
}

// IncomingRecord is a record a clinician added for the owner.
type IncomingRecord struct {
	Anchor   chain.Hash
	RecordID string // as the clinician named it
	CID      string
	Category chain.Category
	Author   chain.PublicKey
	Role     chain.Role      // the author's registered role
	Clinic   chain.PublicKey // the clinic that registered the author
	Time     time.Time       // when the author says it was made
	Block    uint64
	State    string // "new", "kept" or "hidden"
	Kept     string // the record's ID in the owner's wallet, once kept
}

// Incoming lists the records clinicians added for the owner, oldest first.
func (w *Wallet) Incoming(ctx context.Context) ([]IncomingRecord, error) {
	if w.chain == nil {
		return nil, ErrNoChain
	}
	st := w.chain.ledger.State()
	anchors, err := st.AnchorsByOthers(ctx, w.ChainKey())
	if err != nil {
		return nil, err
	}
	in, err := w.loadInbox()
	if err != nil {
		return nil, err
	}
	var out []IncomingRecord
	for _, a := range anchors {
		r := IncomingRecord{Anchor: a.ID, RecordID: a.RecordID, CID: cidString(a.CID), Category: a.Category, Author: a.Sender,
			Time: time.Unix(int64(a.Time), 0).UTC(), Block: a.Block, State: "new"}
		if cl, err := st.Clinician(a.Sender); err == nil {
			r.Role, r.Clinic = cl.Role, cl.Clinic
		}
		if e, ok := in.Incoming[a.ID.String()]; ok {
			r.State, r.Kept = e.State, e.Record
		}
		out = append(out, r)
	}
	return out, nil
}

func (w *Wallet) incoming(ctx context.Context, anchor chain.Hash) (IncomingRecord, error) {
	all, err := w.Incoming(ctx)
	if err != nil {
		return IncomingRecord{}, err
	}
	for _, r := range all {
		if r.Anchor == anchor {
			return r, nil
		}
	}
	return IncomingRecord{}, fmt.Errorf("%w: %s", ErrNoIncoming, anchor)
}

// ReadIncoming fetches and decrypts an incoming record without keeping it.
func (w *Wallet) ReadIncoming(ctx context.Context, anchor chain.Hash) ([]byte, error) {
	r, err := w.incoming(ctx, anchor)
	if err != nil {
		return nil, err
	}
	c, err := chain.ParseCID(r.CID)
	if err != nil {
		return nil, err
	}
	ct, err := w.fetchSmall(ctx, c, MaxReadSize+int(envelope.Overhead(MaxReadSize)), "incoming record "+r.RecordID)
	if err != nil {
		return nil, err
	}
	plain, err := envelope.DecryptAll(ct, w.id.KEMKey())
	if err != nil {
		return nil, fmt.Errorf("wallet: decrypt incoming record %s: %w", r.RecordID, err)
	}
	return plain, nil
}

// KeepIncoming adds an incoming record to the owner's records (encrypted
// afresh to the owner alone, like any import) and returns it; its
// provenance stays on the chain (Provenance).
func (w *Wallet) KeepIncoming(ctx context.Context, anchor chain.Hash) (Record, error) {
	r, err := w.incoming(ctx, anchor)
	if err != nil {
		return Record{}, err
	}
	if r.State == "kept" {
		return w.Get(ctx, r.Kept)
	}
	plain, err := w.ReadIncoming(ctx, anchor)
	if err != nil {
		return Record{}, err
	}
	author := identity.IDFromSigningKey(r.Author[:]).String()
	rep, err := w.ImportBytes(ctx, fmt.Sprintf("added by %s (%v)", author, r.Role), plain, nil)
	if err != nil {
		return Record{}, err
	}
	if len(rep.IDs) != 1 {
		return Record{}, fmt.Errorf("wallet: incoming record %s holds %d resources", r.RecordID, len(rep.IDs))
	}
	if err := w.updateInbox(func(in *inbox) { in.Incoming[anchor.String()] = inboxEntry{State: "kept", Record: rep.IDs[0]} }); err != nil {
		return Record{}, err
	}
	return w.Get(ctx, rep.IDs[0])
}

// HideIncoming marks an incoming record hidden: it stays on the chain (an
// anchor cannot be undone) but out of the owner's view.
func (w *Wallet) HideIncoming(ctx context.Context, anchor chain.Hash) error {
	r, err := w.incoming(ctx, anchor)
	if err != nil {
		return err
	}
	if r.State == "kept" {
		return fmt.Errorf("wallet: incoming record %s is kept as %s: delete that record instead", r.RecordID, r.Kept)
	}
	return w.updateInbox(func(in *inbox) { in.Incoming[anchor.String()] = inboxEntry{State: "hidden"} })
}
