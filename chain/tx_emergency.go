package chain

import (
	"fmt"
	"slices"
)

// Emergency ("break-glass") access. A patient pre-authorises an emergency
// summary for any registered clinician: the summary is encrypted under a
// data key that is split k-of-n (Shamir) among clinics, each share sealed to
// one clinic's published key (ClinicKey). A clinician who needs it records
// an EmergencyAccess; each holding clinic, seeing the access in a block,
// re-seals its share to the clinician and records an EmergencyRelease. So
// the summary cannot be opened without k clinics acting on an access that
// is on the chain for the patient and every auditor to see.

// EmergencyAuthorization is a patient's pre-authorisation of an emergency
// summary. The patient's latest unrevoked authorization is the one in force;
// a ConsentRevoke naming it withdraws it. Signed by the patient
// (AuthPatient).
//
// Wire form (body of type 10):
//
//	summary    bytes     CID of the encrypted summary (required)
//	shares     bytes     CID of the sealed shares (required)
//	threshold  u8        shares needed, 1 to the number of holders
//	holders    uvarint count (1 to MaxSigners), then each fixed 32:
//	                     the clinics holding a share, strictly increasing
type EmergencyAuthorization struct {
	Summary   CID
	Shares    CID
	Threshold uint8
	Holders   []PublicKey
}

func (EmergencyAuthorization) Type() TxType { return TypeEmergencyAuthorization }

func (EmergencyAuthorization) Authority() Authority { return AuthPatient }

func (a EmergencyAuthorization) Validate() error {
	if a.Summary.IsZero() || a.Shares.IsZero() {
		return fmt.Errorf("summary or shares CID is missing: %w", ErrInvalid)
	}
	if len(a.Holders) == 0 {
		return fmt.Errorf("no share holders: %w", ErrInvalid)
	}
	if len(a.Holders) > MaxSigners {
		return fmt.Errorf("%d share holders, limit %d: %w", len(a.Holders), MaxSigners, ErrTooLarge)
	}
	if a.Threshold == 0 || int(a.Threshold) > len(a.Holders) {
		return fmt.Errorf("threshold %d of %d holders: %w", a.Threshold, len(a.Holders), ErrInvalid)
	}
	for i, k := range a.Holders {
		if err := checkKey(fmt.Sprintf("holder %d", i), k); err != nil {
			return err
		}
		if i > 0 && k.Compare(a.Holders[i-1]) <= 0 {
			return fmt.Errorf("holder %d not after holder %d (sorted, no duplicates): %w", i, i-1, ErrNonCanonical)
		}
	}
	return nil
}

// Holds reports whether k is one of the authorization's share holders.
func (a EmergencyAuthorization) Holds(k PublicKey) bool {
	_, ok := slices.BinarySearchFunc(a.Holders, k, PublicKey.Compare)
	return ok
}

func (a EmergencyAuthorization) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.CID(a.Summary)
	e.CID(a.Shares)
	e.Uint8(a.Threshold)
	e.Uvarint(uint64(len(a.Holders)))
	for _, k := range a.Holders {
		e.Fixed(k[:])
	}
	return e.Out()
}

func decodeEmergencyAuthorization(b []byte) (Body, error) {
	d := NewDecoder(b)
	var a EmergencyAuthorization
	a.Summary = d.CID("summary")
	a.Shares = d.CID("shares")
	a.Threshold = d.Uint8("threshold")
	if n := d.Len("holders: count", MaxSigners); n > 0 {
		a.Holders = make([]PublicKey, n)
		for i := range a.Holders {
			a.Holders[i] = d.Key("holder")
		}
	}
	return finishBody(d, a)
}

// EmergencyAccess is a registered clinician opening a patient's emergency
// summary: it names the authorization in force, a purpose (ETREAT or BTG)
// and a short note. The patient's wallet alerts on it. Signed by a
// registered, unrevoked clinician (AuthClinician). Its transaction hash is
// the access's ID.
//
// Wire form (body of type 11):
//
//	patient        fixed 32  Ed25519 key
//	authorization  fixed 32  the EmergencyAuthorization's transaction hash
//	purpose        u8        PurposeETREAT or PurposeBTG
//	note           text      0 to MaxNoteLen bytes, as an AccessRequest's
type EmergencyAccess struct {
	Patient       PublicKey
	Authorization Hash
	Purpose       Purpose
	Note          string
}

func (EmergencyAccess) Type() TxType { return TypeEmergencyAccess }

func (EmergencyAccess) Authority() Authority { return AuthClinician }

func (a EmergencyAccess) Validate() error {
	if err := checkKey("patient", a.Patient); err != nil {
		return err
	}
	if a.Authorization.IsZero() {
		return fmt.Errorf("authorization ID is zero: %w", ErrInvalid)
	}
	if a.Purpose != PurposeETREAT && a.Purpose != PurposeBTG {
		return fmt.Errorf("purpose %v (want ETREAT or BTG): %w", a.Purpose, ErrInvalid)
	}
	return checkNote(a.Note)
}

func (a EmergencyAccess) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(a.Patient[:])
	e.Fixed(a.Authorization[:])
	e.Uint8(uint8(a.Purpose))
	e.Text(a.Note)
	return e.Out()
}

func decodeEmergencyAccess(b []byte) (Body, error) {
	d := NewDecoder(b)
	var a EmergencyAccess
	a.Patient = d.Key("patient")
	a.Authorization = d.Hash("authorization")
	a.Purpose = Purpose(d.Uint8("purpose"))
	a.Note = d.Text("note", MaxNoteLen)
	return finishBody(d, a)
}

// EmergencyRelease is a clinic releasing its share for an emergency access:
// the share, re-sealed to the clinician, is stored in IPFS under Share.
// Signed by a clinic holding a share of the access's authorization
// (AuthClinic), once per access.
//
// Wire form (body of type 12):
//
//	access  fixed 32  the EmergencyAccess's transaction hash
//	share   bytes     CID of the re-sealed share (required)
type EmergencyRelease struct {
	Access Hash
	Share  CID
}

func (EmergencyRelease) Type() TxType { return TypeEmergencyRelease }

func (EmergencyRelease) Authority() Authority { return AuthClinic }

func (r EmergencyRelease) Validate() error {
	if r.Access.IsZero() {
		return fmt.Errorf("access ID is zero: %w", ErrInvalid)
	}
	if r.Share.IsZero() {
		return fmt.Errorf("share CID is missing: %w", ErrInvalid)
	}
	return nil
}

func (r EmergencyRelease) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(r.Access[:])
	e.CID(r.Share)
	return e.Out()
}

func decodeEmergencyRelease(b []byte) (Body, error) {
	d := NewDecoder(b)
	r := EmergencyRelease{Access: d.Hash("access"), Share: d.CID("share")}
	return finishBody(d, r)
}
