package chain

import "fmt"

// AccessDecision is a patient's answer to an AccessRequest other than a
// grant: for now only a decline. Request is the request transaction's hash.
// Signed by the patient the request names (AuthRequestedPatient).
//
// Wire form (body of type 5):
//
//	request   fixed 32  transaction hash, non-zero
//	decision  u8        Decision
type AccessDecision struct {
	Request  Hash
	Decision Decision
}

func (AccessDecision) Type() TxType { return TypeAccessDecision }

func (AccessDecision) Authority() Authority { return AuthRequestedPatient }

func (a AccessDecision) Validate() error {
	if a.Request.IsZero() {
		return fmt.Errorf("request ID is zero: %w", ErrInvalid)
	}
	if !a.Decision.Valid() {
		return fmt.Errorf("decision %v: %w", a.Decision, ErrInvalid)
	}
	return nil
}

func (a AccessDecision) AppendBody(b []byte) []byte {
	b = append(b, a.Request[:]...)
	return append(b, uint8(a.Decision))
}

func decodeAccessDecision(b []byte) (Body, error) {
	d := NewDecoder(b)
	var a AccessDecision
	a.Request = d.Hash("request")
	a.Decision = Decision(d.Uint8("decision"))
	return finishBody(d, a)
}
