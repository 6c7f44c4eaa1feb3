package chain

import "fmt"

// ConsentRevoke ends a grant before its expiry. Grant is the hash of the
// ConsentGrant transaction. Signed only by the granter (AuthGranter).
//
// Wire form (body of type 3):
//
//	grant   fixed 32   transaction hash, non-zero
type ConsentRevoke struct {
	Grant Hash
}

func (ConsentRevoke) Type() TxType { return TypeConsentRevoke }

func (ConsentRevoke) Authority() Authority { return AuthGranter }

func (r ConsentRevoke) Validate() error {
	if r.Grant.IsZero() {
		return fmt.Errorf("grant ID is zero: %w", ErrInvalid)
	}
	return nil
}

func (r ConsentRevoke) AppendBody(b []byte) []byte { return append(b, r.Grant[:]...) }

func decodeConsentRevoke(b []byte) (Body, error) {
	d := NewDecoder(b)
	r := ConsentRevoke{Grant: d.Hash("grant")}
	return finishBody(d, r)
}
