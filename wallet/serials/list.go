package serials

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"

	"github.com/healthwallet/healthwallet/chain"
)

const (
	// Version is the format version New writes and Decode reads.
	Version = 1
	// MaxSerials bounds a batch, as BatchCommission's Count does.
	MaxSerials = 1_000_000

	magic = "HWSL"
	// signingContext separates a list's signature from every other
	// signature the same key makes.
	signingContext = "healthwallet-serials-v1\x00"
	// maxEncodedLen is the longest version 1 list: every field at its
	// bound, lengths and count as uvarints.
	maxEncodedLen = len(magic) + 1 + (1 + gtinLen) + (1 + MaxSerialLen) + (1 + expiryLen) +
		3 + MaxSerials*(1+MaxSerialLen) + chain.SignatureSize + chain.PublicKeySize
)

// List is a manufacturer's signed serial list of one batch. Lists returned
// by New and Decode are valid and must not be modified: Root and Prove
// cache the Merkle tree of the serials they hold.
type List struct {
	GTIN   string // AI 01, 14 digits
	Lot    string // AI 10
	Expiry string // AI 17, YYMMDD as printed on the pack
	// Serials holds the AI 21 serials in strictly increasing bytewise
	// order, which is the order of the Merkle leaves.
	Serials      []string
	Manufacturer chain.PublicKey
	Signature    chain.Signature

	tree *treeCache // nil for a List not made by New or Decode
}

type treeCache struct {
	once sync.Once
	tree *chain.MerkleTree
}

// New checks the fields, sorts a copy of serials and signs the list with
// key, the manufacturer's chain key.
func New(gtin, lot, expiry string, serials []string, key ed25519.PrivateKey) (*List, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("serials: manufacturer key of %d bytes: %w", len(key), ErrInvalid)
	}
	if err := checkHeader(gtin, lot, expiry, len(serials)); err != nil {
		return nil, fmt.Errorf("serials: %w", err)
	}
	sorted := make([]string, len(serials))
	for i, s := range serials {
		if err := checkText("serial", s); err != nil {
			return nil, fmt.Errorf("serials: serial %d: %w", i, err)
		}
		// Copy out of whatever larger strings the caller's serials share
		// memory with, so a kept List holds only its own bytes.
		sorted[i] = string([]byte(s))
	}
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return nil, fmt.Errorf("serials: serial %q: %w", sorted[i], ErrDuplicate)
		}
	}
	l := &List{GTIN: gtin, Lot: lot, Expiry: expiry, Serials: sorted, Manufacturer: chain.PublicKeyOf(key), tree: new(treeCache)}
	signed := l.appendSigned([]byte(signingContext))
	copy(l.Signature[:], ed25519.Sign(key, signed))
	return l, nil
}

func checkHeader(gtin, lot, expiry string, count int) error {
	if err := checkGTIN(gtin); err != nil {
		return err
	}
	if err := checkText("lot", lot); err != nil {
		return err
	}
	if err := checkExpiry(expiry); err != nil {
		return err
	}
	if count < 1 || count > MaxSerials {
		return fmt.Errorf("%d serials, want 1..%d: %w", count, MaxSerials, ErrInvalid)
	}
	return nil
}

// appendSigned appends the signed part of the encoding (everything before
// the signature) to dst.
func (l *List) appendSigned(dst []byte) []byte {
	n := len(dst) + len(magic) + 1 + 3*(1+MaxSerialLen) + 3 + len(l.Serials)*(1+MaxSerialLen)
	e := chain.NewEncoder(slices.Grow(dst, n-len(dst)))
	e.Fixed([]byte(magic))
	e.Uint8(Version)
	e.Text(l.GTIN)
	e.Text(l.Lot)
	e.Text(l.Expiry)
	e.Uvarint(uint64(len(l.Serials)))
	for _, s := range l.Serials {
		e.Text(s)
	}
	return e.Out()
}

// Encode returns the version 1 encoding, the file put in IPFS.
func (l *List) Encode() []byte {
	b := l.appendSigned(make([]byte, 0, 64))
	b = append(b, l.Signature[:]...)
	return append(b, l.Manufacturer[:]...)
}

// Decode reads a version 1 list and checks it: canonical encoding, the
// fields New would accept, serials strictly increasing, and the signature
// under the manufacturer key it carries. Whether that key belongs to a
// registered manufacturer, and the root to a commissioned batch, is for the
// caller to check against the chain.
func Decode(b []byte) (*List, error) {
	if len(b) > maxEncodedLen {
		return nil, fmt.Errorf("serials: list of %d bytes, limit %d: %w", len(b), maxEncodedLen, ErrMalformed)
	}
	d := chain.NewDecoder(b)
	var m [len(magic)]byte
	d.Fixed("magic", m[:])
	if d.Err() == nil && string(m[:]) != magic {
		return nil, fmt.Errorf("serials: magic %q, want %q: %w", m[:], magic, ErrMalformed)
	}
	if v := d.Uint8("version"); d.Err() == nil && v != Version {
		return nil, fmt.Errorf("serials: version %d, want %d: %w", v, Version, ErrMalformed)
	}
	l := &List{
		GTIN:   d.Text("GTIN", gtinLen),
		Lot:    d.Text("lot", MaxSerialLen),
		Expiry: d.Text("expiry", expiryLen),
		tree:   new(treeCache),
	}
	count := d.Len("count", MaxSerials)
	// Each serial takes at least two bytes: refuse a count the input cannot
	// hold before allocating for it.
	if d.Err() == nil && count*2 > d.Remaining() {
		return nil, fmt.Errorf("serials: count %d in %d bytes: %w: %w", count, d.Remaining(), ErrMalformed, chain.ErrTruncated)
	}
	if d.Err() == nil {
		l.Serials = make([]string, 0, count)
	}
	for i := 0; i < count && d.Err() == nil; i++ {
		s := d.Text("serial", MaxSerialLen)
		if d.Err() != nil {
			break
		}
		if i > 0 && s <= l.Serials[i-1] {
			return nil, fmt.Errorf("serials: serial %d %q after %q, want strictly increasing: %w: %w", i, s, l.Serials[i-1], ErrMalformed, chain.ErrNonCanonical)
		}
		l.Serials = append(l.Serials, s)
	}
	signedLen := len(b) - d.Remaining()
	d.Fixed("signature", l.Signature[:])
	l.Manufacturer = d.Key("manufacturer")
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("serials: %w: %w", ErrMalformed, err)
	}
	if err := checkHeader(l.GTIN, l.Lot, l.Expiry, len(l.Serials)); err != nil {
		return nil, fmt.Errorf("serials: %w: %w", ErrMalformed, err)
	}
	for i, s := range l.Serials {
		if err := checkText("serial", s); err != nil {
			return nil, fmt.Errorf("serials: serial %d: %w: %w", i, ErrMalformed, err)
		}
	}
	if err := l.Manufacturer.Check(); err != nil {
		return nil, fmt.Errorf("serials: manufacturer key: %w: %w", ErrMalformed, err)
	}
	signed := make([]byte, 0, len(signingContext)+signedLen)
	signed = append(append(signed, signingContext...), b[:signedLen]...)
	if !ed25519.Verify(l.Manufacturer[:], signed, l.Signature[:]) {
		return nil, fmt.Errorf("serials: list of GTIN %s lot %s by %s: %w", l.GTIN, l.Lot, l.Manufacturer, ErrBadSignature)
	}
	return l, nil
}
