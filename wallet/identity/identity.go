package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"fmt"

	"github.com/tyler-smith/go-bip39"
)

// Derivation constants. Changing any of them changes every user's keys.
const (
	hkdfSalt = "healthwallet identity v1"

	// LabelSigning and LabelKEM are the HKDF info labels of the identity's
	// own keys. DeriveKey refuses them.
	LabelSigning = "healthwallet/v1/ed25519-signing"
	LabelKEM     = "healthwallet/v1/hpke-mlkem768x25519"

	// kemIKMSize is the length of the input to DeriveKeyPair. RFC 9180
	// requires at least Nsk bytes; Nsk is 32 for MLKEM768-X25519.
	kemIKMSize = 32

	// maxDeriveKeySize is HKDF-SHA256's output limit, 255 hash blocks.
	maxDeriveKeySize = 255 * sha256.Size
)

// KEM returns the HPKE KEM of Health Wallet identities, MLKEM768-X25519.
func KEM() hpke.KEM { return hpke.MLKEM768X25519() }

// Identity is a wallet's private identity: its root secret and the keys
// derived from it. It is safe for concurrent use; its methods return copies
// or immutable values, so callers cannot alter it.
type Identity struct {
	mnemonic string
	entropy  []byte
	prk      []byte // HKDF pseudorandom key, from which every key is expanded
	signing  ed25519.PrivateKey
	kem      hpke.PrivateKey
	public   Public
}

// FromMnemonic parses a recovery phrase (see ParseMnemonic) and derives the
// identity it encodes.
func FromMnemonic(phrase string) (*Identity, error) {
	entropy, err := ParseMnemonic(phrase)
	if err != nil {
		return nil, err
	}
	return FromEntropy(entropy)
}

// FromEntropy derives the identity of a 32-byte root secret, the entropy of
// a 24-word recovery phrase.
func FromEntropy(entropy []byte) (*Identity, error) {
	mnemonic, err := mnemonicFromEntropy(entropy)
	if err != nil {
		return nil, err
	}
	seed := bip39.NewSeed(mnemonic, "")
	defer clear(seed)
	prk, err := hkdf.Extract(sha256.New, seed, []byte(hkdfSalt))
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	id := &Identity{
		mnemonic: mnemonic,
		entropy:  bytes.Clone(entropy),
		prk:      prk,
	}

	edSeed := id.expand(LabelSigning, ed25519.SeedSize)
	id.signing = ed25519.NewKeyFromSeed(edSeed)
	clear(edSeed)

	ikm := id.expand(LabelKEM, kemIKMSize)
	id.kem, err = KEM().DeriveKeyPair(ikm)
	clear(ikm)
	if err != nil {
		return nil, fmt.Errorf("identity: deriving KEM key: %w", err)
	}

	kemPub := id.kem.PublicKey().Bytes()
	id.public = Public{
		SigningKey:   id.signing.Public().(ed25519.PublicKey),
		KEMKey:       kemPub,
		KEMSignature: ed25519.Sign(id.signing, kemBindingMessage(kemPub)),
	}
	return id, nil
}

// expand returns n bytes of HKDF-Expand output for label. n must be within
// HKDF-SHA256's limit.
func (id *Identity) expand(label string, n int) []byte {
	out, err := hkdf.Expand(sha256.New, id.prk, label, n)
	if err != nil {
		panic("identity: " + err.Error()) // n was checked by the caller
	}
	return out
}

// Mnemonic returns the identity's 24-word recovery phrase in canonical form
// (lower case, single spaces).
func (id *Identity) Mnemonic() string { return id.mnemonic }

// Entropy returns a copy of the 32-byte root secret.
func (id *Identity) Entropy() []byte { return bytes.Clone(id.entropy) }

// SigningKey returns a copy of the Ed25519 signing key.
func (id *Identity) SigningKey() ed25519.PrivateKey { return bytes.Clone(id.signing) }

// KEMKey returns the HPKE MLKEM768-X25519 decryption key.
func (id *Identity) KEMKey() hpke.PrivateKey { return id.kem }

// Public returns the identity's public key bundle. Each call returns fresh
// slices.
func (id *Identity) Public() Public { return id.public.clone() }

// ID returns the identity's public ID.
func (id *Identity) ID() ID { return IDFromSigningKey(id.public.SigningKey) }

// DeriveKey returns n bytes derived from the identity for label, for other
// per-wallet keys such as the catalog's encryption key. Different labels give
// independent keys; the same label always gives the same key. Labels should
// be namespaced and versioned, like "healthwallet/v1/catalog-key", and each
// used with a single length (HKDF outputs for one label and two lengths share
// a prefix).
//
// DeriveKey panics if label is empty or is one of the identity's own labels
// (LabelSigning, LabelKEM), or if n is not in 1..8160: these are programming
// errors, labels and sizes being constants in the calling code.
func (id *Identity) DeriveKey(label string, n int) []byte {
	switch label {
	case "":
		panic("identity: DeriveKey with an empty label")
	case LabelSigning, LabelKEM:
		panic(fmt.Sprintf("identity: DeriveKey label %q is reserved for the identity's own keys", label))
	}
	if n < 1 || n > maxDeriveKeySize {
		panic(fmt.Sprintf("identity: DeriveKey length %d out of range 1..%d", n, maxDeriveKeySize))
	}
	return id.expand(label, n)
}
