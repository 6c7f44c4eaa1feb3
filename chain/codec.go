package chain

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The canonical binary encoding, shared by every format in the package.
// A value is the concatenation of its fields in a fixed order, with no
// tags and no padding:
//
//	u8        1 byte (versions, types, enums, bitmasks)
//	bool      1 byte, 0x00 or 0x01; any other byte is rejected
//	u64       8 bytes, big-endian (nonces, times, numbers)
//	uvarint   unsigned LEB128 as encoding/binary, in its shortest form:
//	          used only for lengths and counts
//	bytes     uvarint length, then that many bytes
//	text      bytes holding a string
//	fixed     a known number of bytes with no length (keys, hashes, signatures)
//
// Decoders read from a byte slice with a bound on every length before any
// allocation, copy what they keep (nothing aliases the input) and reject
// input that is not the unique encoding of its value. The Encoder and
// Decoder are exported so that a body type defined outside the package
// (RegisterBody) can follow the same rules.

// Encoder appends canonical fields to a byte slice. The zero value is ready
// to use; Out returns the result.
type Encoder struct{ b []byte }

// NewEncoder returns an Encoder that appends to dst.
func NewEncoder(dst []byte) *Encoder { return &Encoder{b: dst} }

// Out returns the encoding so far.
func (e *Encoder) Out() []byte { return e.b }

// Uint8 appends one byte.
func (e *Encoder) Uint8(v uint8) { e.b = append(e.b, v) }

// Bool appends 0x01 for true and 0x00 for false.
func (e *Encoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// Uint64 appends v as 8 bytes, big-endian.
func (e *Encoder) Uint64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }

// Uvarint appends v as a shortest-form unsigned varint.
func (e *Encoder) Uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// Bytes appends a length-prefixed byte string.
func (e *Encoder) Bytes(v []byte) {
	e.Uvarint(uint64(len(v)))
	e.b = append(e.b, v...)
}

// Text appends a length-prefixed string.
func (e *Encoder) Text(v string) {
	e.Uvarint(uint64(len(v)))
	e.b = append(e.b, v...)
}

// Fixed appends v with no length prefix.
func (e *Encoder) Fixed(v []byte) { e.b = append(e.b, v...) }

// Decoder reads canonical fields from a byte slice. The first failure sticks:
// every later read returns a zero value and Err (and Finish) report the
// first error, prefixed with the name of the field being read.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder returns a Decoder reading b. It never modifies b, and no value
// it returns aliases b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err returns the first error, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) }

// Fail records err (if no error is recorded yet) prefixed with field.
func (d *Decoder) Fail(field string, err error) {
	if d.err == nil && err != nil {
		d.err = fmt.Errorf("%s: %w", field, err)
		d.b = nil
	}
}

// Finish returns the first error, or ErrNonCanonical if bytes remain unread.
func (d *Decoder) Finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes after the end: %w", len(d.b), ErrNonCanonical)
		d.b = nil
	}
	return d.err
}

func (d *Decoder) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.Fail(field, ErrTruncated)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// Uint8 reads one byte.
func (d *Decoder) Uint8(field string) uint8 {
	if v := d.take(field, 1); v != nil {
		return v[0]
	}
	return 0
}

// Bool reads a bool: 0x00 or 0x01, anything else is ErrNonCanonical.
func (d *Decoder) Bool(field string) bool {
	v := d.take(field, 1)
	if v == nil {
		return false
	}
	switch v[0] {
	case 0:
		return false
	case 1:
		return true
	}
	d.Fail(field, fmt.Errorf("bool byte 0x%02x: %w", v[0], ErrNonCanonical))
	return false
}

// Uint64 reads 8 bytes, big-endian.
func (d *Decoder) Uint64(field string) uint64 {
	if v := d.take(field, 8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Uvarint reads an unsigned varint, rejecting any but the shortest form.
func (d *Decoder) Uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	switch {
	case n == 0:
		d.Fail(field, ErrTruncated)
		return 0
	case n < 0:
		d.Fail(field, fmt.Errorf("varint overflows 64 bits: %w", ErrNonCanonical))
		return 0
	case n > 1 && d.b[n-1] == 0:
		d.Fail(field, fmt.Errorf("varint with redundant bytes: %w", ErrNonCanonical))
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Len reads a length or count of at most limit (ErrTooLarge otherwise).
func (d *Decoder) Len(field string, limit int) int {
	v := d.Uvarint(field)
	if d.err != nil {
		return 0
	}
	if v > uint64(limit) || v > math.MaxInt32 {
		d.Fail(field, fmt.Errorf("length %d, limit %d: %w", v, limit, ErrTooLarge))
		return 0
	}
	return int(v)
}

// Bytes reads a length-prefixed byte string of at most limit bytes and
// returns a copy (nil when empty).
func (d *Decoder) Bytes(field string, limit int) []byte {
	n := d.Len(field, limit)
	v := d.take(field, n)
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

// Text reads a length-prefixed string of at most limit bytes.
func (d *Decoder) Text(field string, limit int) string {
	n := d.Len(field, limit)
	return string(d.take(field, n))
}

// Fixed fills dst from the input, with no length prefix.
func (d *Decoder) Fixed(field string, dst []byte) {
	if v := d.take(field, len(dst)); v != nil {
		copy(dst, v)
	}
}
