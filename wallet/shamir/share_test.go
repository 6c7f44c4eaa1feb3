package shamir

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

func TestShareRoundTrip(t *testing.T) {
	shares := mustSplit(t, testKey(), 5, 3, "round trip")
	shares = append(shares,
		Share{Threshold: 1, X: 1, Y: []byte{0}},
		Share{Threshold: 255, X: 255, Y: bytes.Repeat([]byte{0xFF}, maxSecretLen)},
	)
	for _, s := range shares {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(x=%d): %v", s.X, err)
		}
		if len(b) != 3+len(s.Y) || b[0] != Version || b[1] != s.Threshold || b[2] != s.X || !bytes.Equal(b[3:], s.Y) {
			t.Fatalf("MarshalBinary(threshold=%d x=%d y=%x) = %x, want %02x%02x%02x followed by y",
				s.Threshold, s.X, s.Y, b, Version, s.Threshold, s.X)
		}
		var got Share
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", b, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip of %+v gave %+v", s, got)
		}
		// The decoded Y must be a copy: a caller may reuse its buffer.
		b[3] ^= 0xFF
		if got.Y[0] != s.Y[0] {
			t.Fatalf("UnmarshalBinary's Y aliases its input")
		}
	}
}

func TestUnmarshalRejectsMalformed(t *testing.T) {
	long := append([]byte{Version, 2, 1}, make([]byte, maxSecretLen+1)...)
	tests := []struct {
		name string
		hex  string
		raw  []byte
	}{
		{name: "nil"},
		{name: "one byte", hex: "01"},
		{name: "header only", hex: "010201"},
		{name: "version 0", hex: "00020133"},
		{name: "version 2", hex: "02020133"},
		{name: "version 255", hex: "ff020133"},
		{name: "threshold 0", hex: "01000133"},
		{name: "x 0", hex: "01020033"},
		{name: "x 0 threshold 0", hex: "01000033"},
		{name: "y too long", raw: long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.raw
			if tc.hex != "" {
				var err error
				if b, err = hex.DecodeString(tc.hex); err != nil {
					t.Fatal(err)
				}
			}
			s := Share{Threshold: 9, X: 9, Y: []byte{9}}
			err := s.UnmarshalBinary(b)
			if !errors.Is(err, ErrInvalidShare) {
				t.Fatalf("UnmarshalBinary(%x) = %v, want ErrInvalidShare", b, err)
			}
			if s.Threshold != 9 || s.X != 9 || !bytes.Equal(s.Y, []byte{9}) {
				t.Fatalf("UnmarshalBinary(%x) changed the share on error: %+v", b, s)
			}
			t.Log(err)
		})
	}
	// The longest y is accepted.
	var s Share
	if err := s.UnmarshalBinary(long[:len(long)-1]); err != nil {
		t.Fatalf("UnmarshalBinary of a %d-byte y: %v", maxSecretLen, err)
	}
}

func TestMarshalRejectsInvalid(t *testing.T) {
	for _, s := range []Share{
		{},
		{Threshold: 0, X: 1, Y: []byte{1}},
		{Threshold: 1, X: 0, Y: []byte{1}},
		{Threshold: 1, X: 1},
		{Threshold: 1, X: 1, Y: []byte{}},
		{Threshold: 1, X: 1, Y: make([]byte, maxSecretLen+1)},
	} {
		if b, err := s.MarshalBinary(); !errors.Is(err, ErrInvalidShare) || b != nil {
			t.Errorf("MarshalBinary(threshold=%d x=%d %d-byte y) = %x, %v; want nil, ErrInvalidShare", s.Threshold, s.X, len(s.Y), b, err)
		}
	}
}
