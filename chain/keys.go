package chain

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
)

// Sizes of the fixed-width values.
const (
	PublicKeySize = ed25519.PublicKeySize // 32
	SignatureSize = ed25519.SignatureSize // 64
	HashSize      = 32                    // SHA-256
)

// PublicKey is an Ed25519 public key as it appears on chain: the 32-byte
// encoding of RFC 8032. It is comparable, so it can key a map.
type PublicKey [PublicKeySize]byte

// Hash is a SHA-256 digest: a transaction's or header's identity, a root.
type Hash [HashSize]byte

// Signature is an Ed25519 signature.
type Signature [SignatureSize]byte

// PublicKeyOf returns the public key of an Ed25519 private key.
func PublicKeyOf(priv ed25519.PrivateKey) PublicKey {
	var k PublicKey
	copy(k[:], priv.Public().(ed25519.PublicKey))
	return k
}

// String returns k in hex.
func (k PublicKey) String() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether k is all zero bytes.
func (k PublicKey) IsZero() bool { return k == PublicKey{} }

// Compare orders keys bytewise, as key sets are sorted on the wire.
func (k PublicKey) Compare(o PublicKey) int { return bytes.Compare(k[:], o[:]) }

// String returns h in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes.
func (h Hash) IsZero() bool { return h == Hash{} }

// IsZero reports whether s is all zero bytes.
func (s Signature) IsZero() bool { return s == Signature{} }

// smallOrder lists the encodings of the eight points of small order (the
// torsion subgroup) with the sign bit cleared, canonical or not, as in
// libsodium's ge25519_has_small_order. TestSmallOrderList checks the list
// against the curve.
var smallOrder = [...]PublicKey{
	{},     // y = 0: (±sqrt(-1), 0), order 4
	{0x01}, // y = 1: the identity, order 1
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}, // order 8
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a}, // order 8
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p-1: order 2
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p (0), non-canonical
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p+1 (1), non-canonical
}

// Check reports whether k may appear on chain: its y coordinate must be
// canonical (below 2^255-19) and it must not be one of the eight points of
// small order, for which anyone can make signatures that verify. Go's
// crypto/ed25519 accepts both kinds; the chain does not, so that every key
// has one byte form and no key is signable by everyone. Check does not
// decompress the point: a key that is not on the curve passes, and every
// signature under it fails to verify.
func (k PublicKey) Check() error {
	// y >= p = 2^255-19 iff bits 0..254 are 0x7fff...ffed or above.
	if k[31]&0x7f == 0x7f && k[0] >= 0xed {
		all := true
		for _, c := range k[1:31] {
			if c != 0xff {
				all = false
				break
			}
		}
		if all {
			return fmt.Errorf("non-canonical encoding: %w", ErrBadKey)
		}
	}
	for i := range smallOrder {
		var diff byte
		for j := 0; j < 31; j++ {
			diff |= k[j] ^ smallOrder[i][j]
		}
		diff |= (k[31] & 0x7f) ^ smallOrder[i][31]
		if diff == 0 {
			return fmt.Errorf("point of small order: %w", ErrBadKey)
		}
	}
	return nil
}

// checkKey is Check with the field name for a decoder or validator.
func checkKey(field string, k PublicKey) error {
	if err := k.Check(); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// Key reads a public key (no Check).
func (d *Decoder) Key(field string) (k PublicKey) {
	d.Fixed(field, k[:])
	return k
}

// Hash reads a 32-byte hash.
func (d *Decoder) Hash(field string) (h Hash) {
	d.Fixed(field, h[:])
	return h
}
