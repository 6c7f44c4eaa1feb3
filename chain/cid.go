package chain

import (
	"encoding/base32"
	"fmt"
	"strings"
)

// CIDLen is the length of every CID version 1 of the formats accepts.
const CIDLen = 4 + HashSize

// Multicodec codes of the CIDs the chain accepts: the content node stores
// UnixFS files as raw leaves (one block) or dag-pb roots (more), both hashed
// with sha2-256.
const (
	codecRaw      = 0x55
	codecDagPB    = 0x70
	mhSHA2_256    = 0x12
	mhSHA2_256Len = 32
)

var cidBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// CID is the binary form of an IPFS content ID (no multibase prefix):
// version 1, codec raw (0x55) or dag-pb (0x70), multihash sha2-256 with a
// 32-byte digest, so exactly CIDLen bytes:
//
//	0x01 codec 0x12 0x20 digest[32]
//
// (each varint of the CID fits one byte). Anything else is refused: CIDv0,
// other codecs, identity or weaker hashes, truncated digests. The zero CID
// is "no CID", for an optional field; a non-zero CID is valid by
// construction (ParseCID, CIDFromBytes). It is comparable.
type CID struct{ b string }

// CIDFromBytes validates a binary CID (as go-cid's Cid.Bytes returns).
func CIDFromBytes(b []byte) (CID, error) {
	if err := checkCID(b); err != nil {
		return CID{}, err
	}
	return CID{b: string(b)}, nil
}

// ParseCID parses a CIDv1 in its usual text form, multibase base32 lower
// case ("bafy...", "bafk..."), as `ipfs add --cid-version=1` prints it.
func ParseCID(s string) (CID, error) {
	rest, ok := strings.CutPrefix(s, "b")
	if !ok {
		return CID{}, fmt.Errorf("CID %q: not multibase base32 (b...): %w", s, ErrInvalid)
	}
	b, err := cidBase32.DecodeString(rest)
	if err != nil {
		return CID{}, fmt.Errorf("CID %q: %v: %w", s, err, ErrInvalid)
	}
	c, err := CIDFromBytes(b)
	if err != nil {
		return CID{}, err
	}
	if c.String() != s { // base32 with non-zero trailing bits
		return CID{}, fmt.Errorf("CID %q: not canonical base32: %w", s, ErrInvalid)
	}
	return c, nil
}

func checkCID(b []byte) error {
	if len(b) != CIDLen {
		return fmt.Errorf("CID of %d bytes, want %d (CIDv1, sha2-256): %w", len(b), CIDLen, ErrInvalid)
	}
	if b[0] != 1 {
		return fmt.Errorf("CID version byte 0x%02x, want CIDv1: %w", b[0], ErrInvalid)
	}
	if b[1] != codecRaw && b[1] != codecDagPB {
		return fmt.Errorf("CID codec 0x%02x, want raw or dag-pb: %w", b[1], ErrInvalid)
	}
	if b[2] != mhSHA2_256 || b[3] != mhSHA2_256Len {
		return fmt.Errorf("CID multihash 0x%02x/%d, want sha2-256/32: %w", b[2], b[3], ErrInvalid)
	}
	return nil
}

// Bytes returns the binary CID (nil for the zero CID).
func (c CID) Bytes() []byte {
	if c.b == "" {
		return nil
	}
	return []byte(c.b)
}

// IsZero reports whether c is the zero ("no") CID.
func (c CID) IsZero() bool { return c.b == "" }

// String returns the multibase base32 text form, or "" for the zero CID.
func (c CID) String() string {
	if c.b == "" {
		return ""
	}
	return "b" + cidBase32.EncodeToString([]byte(c.b))
}

// CID appends a CID as bytes (empty for the zero CID).
func (e *Encoder) CID(c CID) { e.Text(c.b) }

// CID reads a CID: empty is the zero CID, anything else must be valid.
func (d *Decoder) CID(field string) CID {
	b := d.Bytes(field, MaxCIDLen)
	if d.err != nil || len(b) == 0 {
		return CID{}
	}
	c, err := CIDFromBytes(b)
	if err != nil {
		d.Fail(field, err)
	}
	return c
}
