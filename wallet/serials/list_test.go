package serials

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

func TestNew(t *testing.T) {
	key := testKey("maker")
	ok := []string{"B2", "A1", "C3"}
	tests := []struct {
		name              string
		gtin, lot, expiry string
		serials           []string
		key               []byte
		want              error
	}{
		{"valid", testGTIN, testLot, testExpiry, ok, key, nil},
		{"day 00 is the month's end", testGTIN, testLot, "281100", ok, key, nil},
		{"29 February in a leap year", testGTIN, testLot, "280229", ok, key, nil},
		{"every set 82 character", testGTIN, `!"%&'()*+,-./:;<=>?_`, testExpiry, []string{"09AZaz", "<=>?_", `!"%&'()*+,-./:;`}, key, nil},
		{"20-character serial", testGTIN, testLot, testExpiry, []string{strings.Repeat("Z", 20)}, key, nil},
		{"GTIN check digit", "09506000134353", testLot, testExpiry, ok, key, ErrInvalid},
		{"GTIN-13", "9506000134352", testLot, testExpiry, ok, key, ErrInvalid},
		{"GTIN letter", "0950600013435X", testLot, testExpiry, ok, key, ErrInvalid},
		{"empty lot", testGTIN, "", testExpiry, ok, key, ErrInvalid},
		{"21-character lot", testGTIN, strings.Repeat("L", 21), testExpiry, ok, key, ErrInvalid},
		{"space in lot", testGTIN, "L 1", testExpiry, ok, key, ErrInvalid},
		{"month 13", testGTIN, testLot, "281301", ok, key, ErrInvalid},
		{"month 00", testGTIN, testLot, "280001", ok, key, ErrInvalid},
		{"31 November", testGTIN, testLot, "281131", ok, key, ErrInvalid},
		{"29 February in a common year", testGTIN, testLot, "290229", ok, key, ErrInvalid},
		{"expiry with century", testGTIN, testLot, "20281130", ok, key, ErrInvalid},
		{"no serials", testGTIN, testLot, testExpiry, nil, key, ErrInvalid},
		{"empty serial", testGTIN, testLot, testExpiry, []string{"A", ""}, key, ErrInvalid},
		{"21-character serial", testGTIN, testLot, testExpiry, []string{strings.Repeat("Z", 21)}, key, ErrInvalid},
		{"# in serial", testGTIN, testLot, testExpiry, []string{"AB#1"}, key, ErrInvalid},
		{"non-ASCII serial", testGTIN, testLot, testExpiry, []string{"ABÉ"}, key, ErrInvalid},
		{"GS in serial", testGTIN, testLot, testExpiry, []string{"AB\x1d1"}, key, ErrInvalid},
		{"duplicate", testGTIN, testLot, testExpiry, []string{"A1", "B2", "A1"}, key, ErrDuplicate},
		{"short key", testGTIN, testLot, testExpiry, ok, key[:32], ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := New(tc.gtin, tc.lot, tc.expiry, tc.serials, tc.key)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if !slices.IsSorted(l.Serials) || len(l.Serials) != len(tc.serials) {
				t.Fatalf("serials %q from %q", l.Serials, tc.serials)
			}
			if l.Manufacturer != chain.PublicKeyOf(key) {
				t.Fatal("manufacturer is not the signing key")
			}
			got, err := Decode(l.Encode())
			if err != nil {
				t.Fatalf("decode own encoding: %v", err)
			}
			if !bytes.Equal(got.Encode(), l.Encode()) || got.Root() != l.Root() {
				t.Fatal("decoded list differs")
			}
		})
	}
	// New sorts a copy: the caller's slice keeps its order.
	if _, err := New(testGTIN, testLot, testExpiry, ok, key); err != nil || ok[0] != "B2" {
		t.Fatalf("caller's serials reordered to %q (err %v)", ok, err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	key, other := testKey("maker"), testKey("other")
	l, err := New(testGTIN, testLot, testExpiry, []string{"A1", "B2", "C3"}, key)
	if err != nil {
		t.Fatal(err)
	}
	good := l.Encode()
	sigAt := len(good) - chain.SignatureSize - chain.PublicKeySize
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	var smallOrder chain.PublicKey // the identity point's encoding: 01 00..00
	smallOrder[0] = 1

	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), ErrMalformed},
		{"version 2", edit(func(b []byte) []byte { b[4] = 2; return b }), ErrMalformed},
		{"version 2, signed", rawList(2, testGTIN, testLot, testExpiry, []string{"A1"}, key), ErrMalformed},
		{"trailing byte", append(append([]byte(nil), good...), 0), ErrMalformed},
		{"truncated key", good[:len(good)-1], ErrMalformed},
		{"serials out of order", rawList(1, testGTIN, testLot, testExpiry, []string{"B2", "A1"}, key), ErrMalformed},
		{"duplicate serial", rawList(1, testGTIN, testLot, testExpiry, []string{"A1", "A1"}, key), ErrMalformed},
		{"bad serial character", rawList(1, testGTIN, testLot, testExpiry, []string{"A 1"}, key), ErrMalformed},
		{"21-character serial", rawList(1, testGTIN, testLot, testExpiry, []string{strings.Repeat("Z", 21)}, key), ErrMalformed},
		{"no serials", rawList(1, testGTIN, testLot, testExpiry, nil, key), ErrMalformed},
		{"GTIN check digit", rawList(1, "09506000134353", testLot, testExpiry, []string{"A1"}, key), ErrMalformed},
		{"expiry", rawList(1, testGTIN, testLot, "281131", []string{"A1"}, key), ErrMalformed},
		{"count beyond the input", edit(func(b []byte) []byte {
			i := bytes.Index(b, []byte(testExpiry)) + len(testExpiry)
			return append(append(b[:i:i], 0xc0, 0x84, 0x3d), b[i+1:]...) // 1,000,000
		}), ErrMalformed},
		{"count over the limit", edit(func(b []byte) []byte {
			i := bytes.Index(b, []byte(testExpiry)) + len(testExpiry)
			return append(append(b[:i:i], 0xc1, 0x84, 0x3d), b[i+1:]...) // 1,000,001
		}), ErrMalformed},
		{"non-canonical count", edit(func(b []byte) []byte {
			i := bytes.Index(b, []byte(testExpiry)) + len(testExpiry)
			return append(append(b[:i:i], 0x83, 0x00), b[i+1:]...)
		}), ErrMalformed},
		{"small-order key", edit(func(b []byte) []byte { copy(b[len(b)-chain.PublicKeySize:], smallOrder[:]); return b }), ErrMalformed},
		{"signature bit", edit(func(b []byte) []byte { b[sigAt] ^= 1; return b }), ErrBadSignature},
		{"serial changed", edit(func(b []byte) []byte { i := bytes.Index(b, []byte("B2")); b[i+1] = '3'; return b }), ErrBadSignature},
		{"other manufacturer's key", edit(func(b []byte) []byte {
			pub := chain.PublicKeyOf(other)
			copy(b[len(b)-chain.PublicKeySize:], pub[:])
			return b
		}), ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.in)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Decode: %v, want %v", err, tc.want)
			}
		})
	}
	for n := range len(good) {
		if _, err := Decode(good[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
}
