package shamir

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func FuzzUnmarshalShare(f *testing.F) {
	for _, s := range mustSplit(f, testKey(), 3, 2, "fuzz seed") {
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	for _, seed := range [][]byte{nil, {1}, {1, 1, 1}, {1, 1, 1, 0}, {0, 1, 1, 0}, {1, 0, 1, 0}, {1, 1, 0, 0}, {2, 255, 255, 255}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		var s Share
		err := s.UnmarshalBinary(data)
		if !bytes.Equal(in, data) {
			t.Fatalf("UnmarshalBinary modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidShare) {
				t.Fatalf("UnmarshalBinary(%x) = %v, want an ErrInvalidShare", data, err)
			}
			if s.Threshold != 0 || s.X != 0 || s.Y != nil {
				t.Fatalf("UnmarshalBinary(%x) failed but set %+v", data, s)
			}
			return
		}
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted %x but cannot marshal it back: %v", data, err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("round trip of %x gave %x", data, out)
		}
		if &s.Y[0] == &data[3] {
			t.Fatalf("decoded Y aliases the input")
		}
	})
}

// FuzzCombine feeds Combine up to four arbitrary shares, both as decoded from
// the wire and as raw structs that skip UnmarshalBinary's checks, so Combine's
// own validation is exercised too.
func FuzzCombine(f *testing.F) {
	a := mustSplit(f, testKey(), 4, 3, "fuzz combine A")
	b := mustSplit(f, []byte{7, 8, 9}, 3, 2, "fuzz combine B")
	enc := func(s Share) []byte { e, _ := s.MarshalBinary(); return e }
	f.Add(enc(a[0]), enc(a[1]), enc(a[2]), enc(a[3]))
	f.Add(enc(a[0]), enc(a[0]), enc(a[1]), []byte(nil))
	f.Add(enc(b[0]), enc(b[2]), []byte{1, 2, 2, 0}, []byte{})
	f.Add(enc(a[0]), enc(b[1]), enc(a[2]), enc(a[1]))
	f.Add([]byte{1, 1, 1, 5}, []byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, s1, s2, s3, s4 []byte) {
		var decoded, raw []Share
		for _, data := range [][]byte{s1, s2, s3, s4} {
			var s Share
			if s.UnmarshalBinary(data) == nil {
				decoded = append(decoded, s)
			}
			if len(data) >= 2 {
				raw = append(raw, Share{Threshold: data[0], X: data[1], Y: data[2:]})
			}
		}
		for _, shares := range [][]Share{decoded, raw} {
			got, err := Combine(shares)
			if err != nil {
				if !errors.Is(err, ErrTooFewShares) && !errors.Is(err, ErrInvalidShare) {
					t.Fatalf("Combine = %v, want ErrTooFewShares or ErrInvalidShare", err)
				}
				if got != nil {
					t.Fatalf("Combine returned %x alongside %v", got, err)
				}
				continue
			}
			if len(got) != len(shares[0].Y) {
				t.Fatalf("Combine returned %d bytes from %d-byte shares", len(got), len(shares[0].Y))
			}
			// Interpolation does not depend on the order of the points: the
			// first Threshold distinct shares, reversed, give the same secret.
			var first []Share
			seen := map[uint8]bool{}
			for _, s := range shares {
				if !seen[s.X] && len(first) < int(shares[0].Threshold) {
					seen[s.X] = true
					first = append(first, s)
				}
			}
			slices.Reverse(first)
			again, err := Combine(first)
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("Combine(x=%v) = %x but Combine(x=%v) = %x, %v", xsOf(shares), got, xsOf(first), again, err)
			}
		}
	})
}
