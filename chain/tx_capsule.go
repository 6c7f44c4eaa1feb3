package chain

import "fmt"

// GrantCapsule adds a key capsule to an active read grant: the data keys of
// records the patient added inside the grant's scope after granting, sealed
// to the grantee like the grant's first capsule. A grant's capsules are its
// own plus these, in chain order. Signed only by the granter (AuthGranter),
// and only while the grant is active and unrevoked, so no new record is
// keyed to a grant that has ended.
//
// Wire form (body of type 8):
//
//	grant    fixed 32  the ConsentGrant's transaction hash, non-zero
//	capsule  bytes     CID of the sealed key capsule (required)
type GrantCapsule struct {
	Grant   Hash
	Capsule CID
}

func (GrantCapsule) Type() TxType { return TypeGrantCapsule }

func (GrantCapsule) Authority() Authority { return AuthGranter }

func (c GrantCapsule) Validate() error {
	if c.Grant.IsZero() {
		return fmt.Errorf("grant ID is zero: %w", ErrInvalid)
	}
	if c.Capsule.IsZero() {
		return fmt.Errorf("capsule CID is missing: %w", ErrInvalid)
	}
	return nil
}

func (c GrantCapsule) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(c.Grant[:])
	e.CID(c.Capsule)
	return e.Out()
}

func decodeGrantCapsule(b []byte) (Body, error) {
	d := NewDecoder(b)
	c := GrantCapsule{Grant: d.Hash("grant"), Capsule: d.CID("capsule")}
	return finishBody(d, c)
}
