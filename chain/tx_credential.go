package chain

import "fmt"

// CredentialAnchor is a licensing authority's record that it issued a
// credential: the hash of the credential document (the SHA-256 of a W3C
// Verifiable Credential's JCS form, wallet/vc.Hash), its subject's key, its
// kind and validity. The document itself (licence number, jurisdiction,
// specialty) stays with the clinician, who shows it; the chain holds what
// every node needs to judge it: who issued it to whom, for what, until
// when, and its status. Signed by an admitted authority whose kinds
// include Kind (AuthLicensing). A new credential starts active.
//
// Wire form (body of type 14):
//
//	credential   fixed 32  document hash, non-zero
//	subject      fixed 32  the clinician's Ed25519 key
//	kind         u8        CredentialKind
//	valid from   u64       Unix seconds
//	valid until  u64       Unix seconds, after valid from
type CredentialAnchor struct {
	Credential Hash
	Subject    PublicKey
	Kind       CredentialKind
	ValidFrom  uint64
	ValidUntil uint64
}

func (CredentialAnchor) Type() TxType { return TypeCredentialAnchor }

func (CredentialAnchor) Authority() Authority { return AuthLicensing }

func (c CredentialAnchor) Validate() error {
	if c.Credential.IsZero() {
		return fmt.Errorf("credential hash is zero: %w", ErrInvalid)
	}
	if err := checkKey("subject", c.Subject); err != nil {
		return err
	}
	if !c.Kind.Valid() {
		return fmt.Errorf("kind %v: %w", c.Kind, ErrInvalid)
	}
	if c.ValidUntil <= c.ValidFrom {
		return fmt.Errorf("valid until %d is not after valid from %d: %w", c.ValidUntil, c.ValidFrom, ErrInvalid)
	}
	return nil
}

func (c CredentialAnchor) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(c.Credential[:])
	e.Fixed(c.Subject[:])
	e.Uint8(uint8(c.Kind))
	e.Uint64(c.ValidFrom)
	e.Uint64(c.ValidUntil)
	return e.Out()
}

func decodeCredentialAnchor(b []byte) (Body, error) {
	d := NewDecoder(b)
	var c CredentialAnchor
	c.Credential = d.Hash("credential")
	c.Subject = d.Key("subject")
	c.Kind = CredentialKind(d.Uint8("kind"))
	c.ValidFrom = d.Uint64("valid from")
	c.ValidUntil = d.Uint64("valid until")
	return finishBody(d, c)
}

// CredentialStatusChange is the issuing authority suspending, reinstating
// or revoking a credential it anchored. Revocation is final. Signed by the
// credential's issuer while it is admitted (AuthIssuer).
//
// Wire form (body of type 15):
//
//	credential  fixed 32  document hash, non-zero
//	status      u8        CredentialStatus
type CredentialStatusChange struct {
	Credential Hash
	Status     CredentialStatus
}

func (CredentialStatusChange) Type() TxType { return TypeCredentialStatus }

func (CredentialStatusChange) Authority() Authority { return AuthIssuer }

func (c CredentialStatusChange) Validate() error {
	if c.Credential.IsZero() {
		return fmt.Errorf("credential hash is zero: %w", ErrInvalid)
	}
	if !c.Status.Valid() {
		return fmt.Errorf("status %v: %w", c.Status, ErrInvalid)
	}
	return nil
}

func (c CredentialStatusChange) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(c.Credential[:])
	e.Uint8(uint8(c.Status))
	return e.Out()
}

func decodeCredentialStatusChange(b []byte) (Body, error) {
	d := NewDecoder(b)
	var c CredentialStatusChange
	c.Credential = d.Hash("credential")
	c.Status = CredentialStatus(d.Uint8("status"))
	return finishBody(d, c)
}
