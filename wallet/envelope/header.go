package envelope

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Domain-separation labels of Version 1 (ASCII, no terminator). See FORMAT.md.
const (
	stanzaInfo   = "healthwallet/envelope/v1/stanza"  // HPKE info of every stanza
	headerLabel  = "healthwallet/envelope/v1/header"  // HKDF info of the header MAC key
	payloadLabel = "healthwallet/envelope/v1/payload" // HKDF info of the payload key
)

// The HPKE suite, fixed by Version 1.
var (
	suiteKEM  = hpke.MLKEM768X25519()   // KEM 0x647a
	suiteKDF  = hpke.HKDFSHA256()       // KDF 0x0001
	suiteAEAD = hpke.ChaCha20Poly1305() // AEAD 0x0003
)

// Header is a parsed envelope header. Nothing in it is authenticated until a
// data key verifies its MAC (Unwrap and Verify do that).
type Header struct {
	raw     []byte // the whole header, MAC included
	salt    []byte // raw[6:22]
	stanzas []stanza
}

type stanza struct {
	enc     []byte // HPKE encapsulated key
	wrapped []byte // HPKE ciphertext of the data key
}

// Recipients returns the number of recipient stanzas in the header.
func (h *Header) Recipients() int { return len(h.stanzas) }

// Size returns the size of the header in bytes; the payload starts right
// after it.
func (h *Header) Size() int { return len(h.raw) }

// ParseHeader reads exactly one header from r and returns it with the reader
// to take the payload from, which is r itself: ParseHeader never reads past
// the header. Nothing is verified yet; call Unwrap or Verify.
func ParseHeader(r io.Reader) (*Header, io.Reader, error) {
	var pre [preambleSize]byte
	if n, err := io.ReadFull(r, pre[:len(magic)+1]); err != nil {
		if !bytes.HasPrefix([]byte(magic), pre[:min(n, len(magic))]) {
			return nil, nil, fmt.Errorf("%w: bad magic", ErrMalformedHeader)
		}
		return nil, nil, headerReadError(err)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, nil, fmt.Errorf("%w: bad magic", ErrMalformedHeader)
	}
	if v := pre[len(magic)]; v != Version {
		return nil, nil, fmt.Errorf("%w: version %d (this package reads version %d)", ErrUnknownVersion, v, Version)
	}
	if _, err := io.ReadFull(r, pre[len(magic)+1:]); err != nil {
		return nil, nil, headerReadError(err)
	}
	count := int(binary.BigEndian.Uint16(pre[preambleSize-countSize:]))
	if count > MaxRecipients {
		return nil, nil, fmt.Errorf("%w: %d recipients, limit is %d", ErrMalformedHeader, count, MaxRecipients)
	}
	raw := make([]byte, HeaderSize(count))
	copy(raw, pre[:])
	if _, err := io.ReadFull(r, raw[preambleSize:]); err != nil {
		return nil, nil, headerReadError(err)
	}
	h := &Header{raw: raw, salt: raw[len(magic)+1 : len(magic)+1+saltSize], stanzas: make([]stanza, count)}
	for i := range h.stanzas {
		s := raw[preambleSize+i*stanzaSize : preambleSize+(i+1)*stanzaSize]
		h.stanzas[i] = stanza{enc: s[:encSize:encSize], wrapped: s[encSize:]}
	}
	return h, r, nil
}

func headerReadError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: header cut short (%w)", ErrMalformedHeader, ErrTruncated)
	}
	return fmt.Errorf("envelope: reading header: %w", err)
}

// Unwrap tries every stanza with k and returns the data key of the first one
// that opens, after verifying the header MAC with it. It returns
// ErrNoMatchingRecipient if no stanza opens and ErrHeaderTampered if one opens
// but the MAC does not verify.
func (h *Header) Unwrap(k hpke.PrivateKey) (DataKey, error) {
	if k == nil {
		return DataKey{}, fmt.Errorf("%w: nil private key", ErrNoMatchingRecipient)
	}
	if id := k.KEM().ID(); id != suiteKEM.ID() {
		return DataKey{}, fmt.Errorf("%w: private key is for KEM 0x%04x, not MLKEM768-X25519", ErrNoMatchingRecipient, id)
	}
	for _, s := range h.stanzas {
		r, err := hpke.NewRecipient(s.enc, k, suiteKDF, suiteAEAD, []byte(stanzaInfo))
		if err != nil {
			continue
		}
		pt, err := r.Open(nil, s.wrapped)
		if err != nil || len(pt) != len(DataKey{}) {
			continue
		}
		var key DataKey
		copy(key[:], pt)
		clear(pt)
		if err := h.Verify(key); err != nil {
			return DataKey{}, err
		}
		return key, nil
	}
	return DataKey{}, fmt.Errorf("%w (%d stanzas tried)", ErrNoMatchingRecipient, len(h.stanzas))
}

// Verify checks the header MAC with a data key obtained some other way (for
// example from a grant capsule). It returns ErrHeaderTampered if the MAC does
// not verify, which also means key is not this file's data key.
func (h *Header) Verify(key DataKey) error {
	n := len(h.raw) - macSize
	mac, err := headerMAC(key, h.raw[:n])
	if err != nil {
		return err
	}
	if !hmac.Equal(mac, h.raw[n:]) {
		return ErrHeaderTampered
	}
	return nil
}

// NewPayloadReader returns a reader of the plaintext of payload, the reader
// ParseHeader returned, after verifying the header MAC with key. It lets a
// caller that parsed the header and unwrapped the key (for example to re-wrap
// it) go on reading the same stream.
func (h *Header) NewPayloadReader(payload io.Reader, key DataKey) (io.Reader, error) {
	if err := h.Verify(key); err != nil {
		return nil, err
	}
	return newReader(payload, nil, key, h.salt)
}

// marshalHeader wraps key to every recipient and returns the complete header.
func marshalHeader(key DataKey, salt []byte, recipients []hpke.PublicKey) ([]byte, error) {
	if len(recipients) > MaxRecipients {
		return nil, fmt.Errorf("envelope: %d recipients, limit is %d", len(recipients), MaxRecipients)
	}
	h := make([]byte, 0, HeaderSize(len(recipients)))
	h = append(h, magic...)
	h = append(h, Version)
	h = append(h, salt...)
	h = binary.BigEndian.AppendUint16(h, uint16(len(recipients)))
	for i, pk := range recipients {
		if pk == nil {
			return nil, fmt.Errorf("envelope: recipient %d is nil", i)
		}
		if id := pk.KEM().ID(); id != suiteKEM.ID() {
			return nil, fmt.Errorf("envelope: recipient %d is a KEM 0x%04x key, want MLKEM768-X25519", i, id)
		}
		enc, s, err := hpke.NewSender(pk, suiteKDF, suiteAEAD, []byte(stanzaInfo))
		if err != nil {
			return nil, fmt.Errorf("envelope: wrapping to recipient %d: %w", i, err)
		}
		ct, err := s.Seal(nil, key[:])
		if err != nil {
			return nil, fmt.Errorf("envelope: wrapping to recipient %d: %w", i, err)
		}
		if len(enc) != encSize || len(ct) != wrappedKeySize {
			return nil, fmt.Errorf("envelope: wrapping to recipient %d: unexpected HPKE sizes %d, %d", i, len(enc), len(ct))
		}
		h = append(h, enc...)
		h = append(h, ct...)
	}
	mac, err := headerMAC(key, h)
	if err != nil {
		return nil, err
	}
	return append(h, mac...), nil
}

// headerMAC is HMAC-SHA256 keyed with HKDF-SHA256(key, salt = "", info =
// headerLabel) over the header bytes before the MAC.
func headerMAC(key DataKey, header []byte) ([]byte, error) {
	macKey, err := hkdf.Key(sha256.New, key[:], nil, headerLabel, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("envelope: deriving header key: %w", err)
	}
	m := hmac.New(sha256.New, macKey)
	clear(macKey)
	m.Write(header)
	return m.Sum(nil), nil
}
