package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	// kemBindingLabel prefixes the message the signing key signs to bind the
	// KEM key to the identity.
	kemBindingLabel = "healthwallet kem-key v1"

	// publicVersion is the first byte of a marshalled Public.
	publicVersion = 0x01

	// KEMPublicKeySize is the size of an MLKEM768-X25519 public key
	// (1184-byte ML-KEM-768 encapsulation key, 32-byte X25519 key).
	KEMPublicKeySize = 1216
)

// ErrInvalidPublic is wrapped by errors from Public.UnmarshalBinary,
// Public.Verify and Public.KEM.
var ErrInvalidPublic = errors.New("invalid public identity")

// Public is an identity's public key bundle: the Ed25519 signing key that
// the ID encodes, and the HPKE MLKEM768-X25519 encryption key, bound to the
// signing key by KEMSignature, an Ed25519 signature over
// "healthwallet kem-key v1" || KEMKey.
//
// A Public received from elsewhere must be checked against the expected ID
// (MatchesID) and verified (Verify, or KEM which verifies) before use.
type Public struct {
	SigningKey   ed25519.PublicKey
	KEMKey       []byte // HPKE public key bytes (SerializePublicKey)
	KEMSignature []byte
}

// kemBindingMessage returns the message whose signature binds kemKey.
func kemBindingMessage(kemKey []byte) []byte {
	msg := make([]byte, 0, len(kemBindingLabel)+len(kemKey))
	msg = append(msg, kemBindingLabel...)
	return append(msg, kemKey...)
}

func (p Public) clone() Public {
	return Public{
		SigningKey:   bytes.Clone(p.SigningKey),
		KEMKey:       bytes.Clone(p.KEMKey),
		KEMSignature: bytes.Clone(p.KEMSignature),
	}
}

// ID returns the ID of p's signing key. It panics if the signing key does
// not have the Ed25519 public key size.
func (p Public) ID() ID { return IDFromSigningKey(p.SigningKey) }

// MatchesID reports whether p's signing key is the one id names.
func (p Public) MatchesID(id ID) bool {
	return !id.IsZero() && len(p.SigningKey) == ed25519.PublicKeySize &&
		bytes.Equal(p.SigningKey, id.key[:])
}

// Verify checks the sizes of p's fields and that KEMSignature is a valid
// signature by SigningKey binding KEMKey. It does not check which identity
// p belongs to; compare with an ID using MatchesID.
func (p Public) Verify() error {
	if len(p.SigningKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: signing key is %d bytes, want %d", ErrInvalidPublic, len(p.SigningKey), ed25519.PublicKeySize)
	}
	if len(p.KEMKey) != KEMPublicKeySize {
		return fmt.Errorf("%w: encryption key is %d bytes, want %d", ErrInvalidPublic, len(p.KEMKey), KEMPublicKeySize)
	}
	if len(p.KEMSignature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is %d bytes, want %d", ErrInvalidPublic, len(p.KEMSignature), ed25519.SignatureSize)
	}
	if !ed25519.Verify(p.SigningKey, kemBindingMessage(p.KEMKey), p.KEMSignature) {
		return fmt.Errorf("%w: the encryption key is not signed by the identity's signing key", ErrInvalidPublic)
	}
	return nil
}

// KEM verifies p (see Verify) and returns its HPKE public key, to encrypt
// to this identity.
func (p Public) KEM() (hpke.PublicKey, error) {
	if err := p.Verify(); err != nil {
		return nil, err
	}
	pk, err := KEM().NewPublicKey(p.KEMKey)
	if err != nil {
		return nil, fmt.Errorf("%w: encryption key: %v", ErrInvalidPublic, err)
	}
	return pk, nil
}

// Wire format of a Public, version 1 (all integers big-endian):
//
//	version       1 byte, 0x01
//	signing key   32 bytes
//	KEM key       2-byte length (must be 1216), then the key
//	signature     2-byte length (must be 64), then the signature
//
// Lengths are explicit so the format is self-describing, and bounded so a
// hostile peer cannot make a reader allocate more than these sizes; the
// encoding is canonical (one byte string per value, no trailing data).
const marshalledPublicSize = 1 + ed25519.PublicKeySize + 2 + KEMPublicKeySize + 2 + ed25519.SignatureSize

// MarshalBinary encodes p in the wire format. It fails if a field does not
// have its required size; it does not verify the signature.
func (p Public) MarshalBinary() ([]byte, error) {
	if len(p.SigningKey) != ed25519.PublicKeySize || len(p.KEMKey) != KEMPublicKeySize ||
		len(p.KEMSignature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: cannot marshal: field sizes %d/%d/%d, want %d/%d/%d", ErrInvalidPublic,
			len(p.SigningKey), len(p.KEMKey), len(p.KEMSignature),
			ed25519.PublicKeySize, KEMPublicKeySize, ed25519.SignatureSize)
	}
	b := make([]byte, 0, marshalledPublicSize)
	b = append(b, publicVersion)
	b = append(b, p.SigningKey...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.KEMKey)))
	b = append(b, p.KEMKey...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.KEMSignature)))
	b = append(b, p.KEMSignature...)
	return b, nil
}

// UnmarshalBinary decodes the wire format into p. It checks the structure
// only; call Verify (or KEM) before trusting the result. The decoded fields
// do not alias data.
func (p *Public) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty", ErrInvalidPublic)
	}
	if data[0] != publicVersion {
		return fmt.Errorf("%w: unknown version %d", ErrInvalidPublic, data[0])
	}
	r := data[1:]
	take := func(what string, n int) ([]byte, error) {
		if len(r) < n {
			return nil, fmt.Errorf("%w: truncated in %s", ErrInvalidPublic, what)
		}
		v := r[:n]
		r = r[n:]
		return v, nil
	}
	takeLen := func(what string, want int) ([]byte, error) {
		l, err := take(what+" length", 2)
		if err != nil {
			return nil, err
		}
		if n := int(binary.BigEndian.Uint16(l)); n != want {
			return nil, fmt.Errorf("%w: %s is %d bytes, want %d", ErrInvalidPublic, what, n, want)
		}
		return take(what, want)
	}
	sk, err := take("signing key", ed25519.PublicKeySize)
	if err != nil {
		return err
	}
	kem, err := takeLen("encryption key", KEMPublicKeySize)
	if err != nil {
		return err
	}
	sig, err := takeLen("signature", ed25519.SignatureSize)
	if err != nil {
		return err
	}
	if len(r) != 0 {
		return fmt.Errorf("%w: %d bytes of trailing data", ErrInvalidPublic, len(r))
	}
	*p = Public{SigningKey: sk, KEMKey: kem, KEMSignature: sig}.clone()
	return nil
}
