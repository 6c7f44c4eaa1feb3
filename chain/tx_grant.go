package chain

import "fmt"

// ConsentGrant is a patient's consent: the grantee may perform Actions on the
// records in Scope, for Purpose, from NotBefore until Expiry. For reading, the
// records' data keys are re-wrapped to the grantee in a key capsule stored in
// IPFS, which Capsule names. Signed only by the patient (AuthPatient): the
// sender is the granter. Its transaction hash is the grant's ID.
//
// Wire form (body of type 2):
//
//	grantee     fixed 32  Ed25519 key
//	scope       Scope
//	actions     u8        read=1 | write=2, non-zero, no other bits
//	purpose     u8        Purpose (HL7 PurposeOfUse)
//	not before  u64       unix seconds
//	expiry      u64       unix seconds, after not before
//	capsule     bytes     CID, required when actions include read, else
//	                      optional (empty)
type ConsentGrant struct {
	Grantee   PublicKey
	Scope     Scope
	Actions   Actions
	Purpose   Purpose
	NotBefore uint64
	Expiry    uint64
	Capsule   CID
}

func (ConsentGrant) Type() TxType { return TypeConsentGrant }

func (ConsentGrant) Authority() Authority { return AuthPatient }

func (g ConsentGrant) Validate() error {
	if err := checkKey("grantee", g.Grantee); err != nil {
		return err
	}
	if err := g.Scope.Validate(); err != nil {
		return err
	}
	if !g.Actions.Valid() {
		return fmt.Errorf("actions %v: %w", g.Actions, ErrInvalid)
	}
	if !g.Purpose.Valid() {
		return fmt.Errorf("purpose %v: %w", g.Purpose, ErrInvalid)
	}
	if g.Expiry <= g.NotBefore {
		return fmt.Errorf("expiry %d not after not-before %d: %w", g.Expiry, g.NotBefore, ErrInvalid)
	}
	if g.Actions&ActionRead != 0 && g.Capsule.IsZero() {
		return fmt.Errorf("a read grant without a key capsule CID: %w", ErrInvalid)
	}
	return nil
}

// Active reports whether the grant's time window contains t (unix seconds):
// NotBefore <= t < Expiry.
func (g ConsentGrant) Active(t uint64) bool { return g.NotBefore <= t && t < g.Expiry }

func (g ConsentGrant) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(g.Grantee[:])
	e.scope(g.Scope)
	e.Uint8(uint8(g.Actions))
	e.Uint8(uint8(g.Purpose))
	e.Uint64(g.NotBefore)
	e.Uint64(g.Expiry)
	e.CID(g.Capsule)
	return e.Out()
}

func decodeConsentGrant(b []byte) (Body, error) {
	d := NewDecoder(b)
	var g ConsentGrant
	g.Grantee = d.Key("grantee")
	g.Scope = d.scope()
	g.Actions = Actions(d.Uint8("actions"))
	g.Purpose = Purpose(d.Uint8("purpose"))
	g.NotBefore = d.Uint64("not before")
	g.Expiry = d.Uint64("expiry")
	g.Capsule = d.CID("capsule")
	return finishBody(d, g)
}
