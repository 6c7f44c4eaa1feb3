package shamir

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestEveryThresholdSubsetRecovers(t *testing.T) {
	tests := []struct {
		name      string
		n, k      int
		secretLen int
	}{
		{"1-of-1", 1, 1, 32},
		{"1-of-3", 3, 1, 32},
		{"2-of-2", 2, 2, 32},
		{"3-of-5", 5, 3, 32},
		{"5-of-5", 5, 5, 7},
		{"4-of-7", 7, 4, 32},
		{"2-of-3 one byte", 3, 2, 1},
		{"3-of-4 max length", 4, 3, maxSecretLen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret := make([]byte, tc.secretLen)
			newStream("secret " + tc.name).Read(secret)
			shares := mustSplit(t, secret, tc.n, tc.k, tc.name)
			if len(shares) != tc.n {
				t.Fatalf("got %d shares, want %d", len(shares), tc.n)
			}
			for i, s := range shares {
				if s.X != uint8(i+1) || s.Threshold != uint8(tc.k) || len(s.Y) != len(secret) {
					t.Fatalf("share %d: X=%d Threshold=%d len(Y)=%d, want X=%d Threshold=%d len(Y)=%d",
						i, s.X, s.Threshold, len(s.Y), i+1, tc.k, len(secret))
				}
			}

			for _, idx := range subsets(tc.n, tc.k) {
				sub := pick(shares, idx)
				got, err := Combine(sub)
				if err != nil {
					t.Fatalf("Combine(x=%v): %v", xsOf(sub), err)
				}
				if !bytes.Equal(got, secret) {
					t.Fatalf("Combine(x=%v) = %x, want %x", xsOf(sub), got, secret)
				}
				// Order must not matter.
				rev := make([]Share, len(sub))
				for i := range sub {
					rev[i] = sub[len(sub)-1-i]
				}
				if got, err := Combine(rev); err != nil || !bytes.Equal(got, secret) {
					t.Fatalf("Combine(x=%v) = %x, %v; want the secret", xsOf(rev), got, err)
				}
			}

			for _, idx := range subsets(tc.n, tc.k-1) {
				sub := pick(shares, idx)
				if got, err := Combine(sub); !errors.Is(err, ErrTooFewShares) {
					t.Fatalf("Combine(%d shares x=%v, k=%d) = %x, %v; want ErrTooFewShares", len(sub), xsOf(sub), tc.k, got, err)
				}
				// Repeating shares must not make up the count.
				padded := append(append([]Share(nil), sub...), sub...)
				if len(sub) > 0 {
					padded = append(padded, sub[0])
				}
				if got, err := Combine(padded); !errors.Is(err, ErrTooFewShares) {
					t.Fatalf("Combine(x=%v, k=%d) = %x, %v; want ErrTooFewShares", xsOf(padded), tc.k, got, err)
				}
			}
		})
	}
}

func TestSplitCryptoRand(t *testing.T) {
	secret := testKey()
	a, err := Split(secret, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Split(secret, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, shares := range [][]Share{a, b} {
		got, err := Combine(shares[2:])
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("Combine(x=%v) = %x, %v; want %x", xsOf(shares[2:]), got, err, secret)
		}
	}
	// Two splits of one secret share nothing but the secret: a repeat here
	// would mean the coefficients were not fresh.
	for i := range a {
		if bytes.Equal(a[i].Y, b[i].Y) {
			t.Fatalf("two Splits of one secret gave equal y at x=%d: %x", a[i].X, a[i].Y)
		}
	}
}

func TestSplitReadsExactRandomness(t *testing.T) {
	for _, tc := range []struct{ n, k, length int }{{1, 1, 32}, {5, 3, 32}, {7, 4, 5}, {255, 255, 3}} {
		r := &countingReader{r: newStream("count")}
		if _, err := split(r, make([]byte, tc.length), tc.n, tc.k); err != nil {
			t.Fatal(err)
		}
		if want := tc.length * (tc.k - 1); r.n != want {
			t.Errorf("split(%d bytes, n=%d, k=%d) read %d random bytes, want %d", tc.length, tc.n, tc.k, r.n, want)
		}
	}
}

// Threshold 1 needs no randomness and hands out the secret itself.
func TestThresholdOneIsTheSecret(t *testing.T) {
	secret := testKey()
	shares, err := split(failingReader{}, secret, 4, 1)
	if err != nil {
		t.Fatalf("split with k=1 must not read randomness: %v", err)
	}
	for _, s := range shares {
		if !bytes.Equal(s.Y, secret) {
			t.Fatalf("k=1 share x=%d has y=%x, want the secret %x", s.X, s.Y, secret)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	key := testKey()
	tests := []struct {
		name   string
		rand   io.Reader
		secret []byte
		n, k   int
		is     error
	}{
		{"n zero", nil, key, 0, 1, nil},
		{"n negative", nil, key, -1, 1, nil},
		{"n above MaxShares", nil, key, MaxShares + 1, 2, nil},
		{"k zero", nil, key, 5, 0, nil},
		{"k negative", nil, key, 5, -3, nil},
		{"k above n", nil, key, 3, 4, nil},
		{"empty secret", nil, []byte{}, 3, 2, nil},
		{"nil secret", nil, nil, 3, 2, nil},
		{"secret too long", nil, make([]byte, maxSecretLen+1), 3, 2, nil},
		{"rand fails", failingReader{}, key, 3, 2, errBrokenRand},
		{"rand short", bytes.NewReader(make([]byte, 31)), key, 3, 2, io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rand
			if r == nil {
				r = newStream("errors")
			}
			shares, err := split(r, tc.secret, tc.n, tc.k)
			if err == nil {
				t.Fatalf("split(%d bytes, n=%d, k=%d) = %d shares, want an error", len(tc.secret), tc.n, tc.k, len(shares))
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("split error %q does not wrap %v", err, tc.is)
			}
			t.Log(err)
		})
	}
	// The bounds themselves are accepted.
	for _, tc := range []struct{ length, n, k int }{{maxSecretLen, MaxShares, 2}, {1, MaxShares, MaxShares}} {
		if _, err := split(newStream("max"), make([]byte, tc.length), tc.n, tc.k); err != nil {
			t.Fatalf("split(%d bytes, n=%d, k=%d): %v", tc.length, tc.n, tc.k, err)
		}
	}
}

// Shares must not alias the secret or each other, and Combine must not alias
// or modify its input.
func TestNoAliasing(t *testing.T) {
	secret := testKey()
	orig := bytes.Clone(secret)
	shares := mustSplit(t, secret, 3, 1, "alias")
	clear(secret)
	for _, s := range shares {
		if !bytes.Equal(s.Y, orig) {
			t.Fatalf("share x=%d changed when the caller cleared the secret", s.X)
		}
	}
	before := bytes.Clone(shares[0].Y)
	got, err := Combine(shares[:1])
	if err != nil {
		t.Fatal(err)
	}
	clear(got)
	if !bytes.Equal(shares[0].Y, before) {
		t.Fatal("clearing Combine's result changed the share")
	}
}

func TestCombineUsesFirstThresholdDistinct(t *testing.T) {
	secret := testKey()
	shares := mustSplit(t, secret, 5, 3, "first-k")

	if got, err := Combine(shares); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Combine(all 5) = %x, %v; want %x", got, err, secret)
	}

	// Duplicates before the third distinct share are skipped, not counted.
	dup := []Share{shares[0], shares[0], shares[1], shares[0], shares[1], shares[4]}
	if got, err := Combine(dup); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Combine(x=%v) = %x, %v; want %x", xsOf(dup), got, err, secret)
	}

	// A wrong share after the first three distinct ones is not interpolated
	// (it is still validated), so the result is right ...
	bad := append([]Share(nil), shares...)
	bad[4] = Share{Threshold: 3, X: 5, Y: bytes.Repeat([]byte{0xAA}, len(secret))}
	if got, err := Combine(bad); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Combine with a wrong 5th share = %x, %v; want %x", got, err, secret)
	}
	// ... and a wrong share among them silently gives a wrong secret, which
	// is why callers must verify the result.
	bad[4], bad[0] = shares[4], bad[4]
	bad[0].X = 1
	if got, err := Combine(bad); err != nil || bytes.Equal(got, secret) {
		t.Fatalf("Combine with a wrong 1st share = %x, %v; want a different secret and no error", got, err)
	}
}

func TestCombineMixedSplitsDoNotRecover(t *testing.T) {
	secret := testKey()
	a := mustSplit(t, secret, 5, 3, "split A")
	b := mustSplit(t, secret, 5, 3, "split B")
	for _, mix := range [][]Share{
		{a[0], a[1], b[2]},
		{a[0], b[1], b[2]},
		{b[4], a[3], a[2]},
		{a[0], a[1], b[2], a[3]}, // a right third share comes too late
	} {
		got, err := Combine(mix)
		if err != nil {
			t.Fatalf("Combine(mixed x=%v): %v; shares carry no split identity, so no error is expected", xsOf(mix), err)
		}
		if bytes.Equal(got, secret) {
			t.Fatalf("Combine(mixed x=%v) recovered the secret from shares of two splits", xsOf(mix))
		}
	}
}

func TestCombineErrors(t *testing.T) {
	shares := mustSplit(t, testKey(), 4, 2, "combine errors")
	s0, s1 := shares[0], shares[1]
	with := func(s Share, f func(*Share)) Share {
		s.Y = bytes.Clone(s.Y)
		f(&s)
		return s
	}
	tests := []struct {
		name   string
		shares []Share
		is     error
	}{
		{"nil", nil, ErrTooFewShares},
		{"empty", []Share{}, ErrTooFewShares},
		{"one of two", []Share{s1}, ErrTooFewShares},
		{"one repeated", []Share{s1, s1, s1}, ErrTooFewShares},
		{"threshold mismatch", []Share{s0, with(s1, func(s *Share) { s.Threshold = 3 })}, ErrInvalidShare},
		{"threshold mismatch after enough", []Share{s0, s1, with(shares[2], func(s *Share) { s.Threshold = 1 })}, ErrInvalidShare},
		{"length mismatch", []Share{s0, with(s1, func(s *Share) { s.Y = s.Y[:31] })}, ErrInvalidShare},
		{"zero x", []Share{s0, with(s1, func(s *Share) { s.X = 0 })}, ErrInvalidShare},
		{"zero threshold everywhere", []Share{
			with(s0, func(s *Share) { s.Threshold = 0 }),
			with(s1, func(s *Share) { s.Threshold = 0 }),
		}, ErrInvalidShare},
		{"empty y everywhere", []Share{{Threshold: 1, X: 1}}, ErrInvalidShare},
		{"y too long everywhere", []Share{{Threshold: 1, X: 1, Y: make([]byte, maxSecretLen+1)}}, ErrInvalidShare},
		{"same x, different y", []Share{s0, with(s0, func(s *Share) { s.Y[7] ^= 1 })}, ErrInvalidShare},
		{"same x, different y, late", []Share{s0, s1, with(s0, func(s *Share) { s.Y[0] ^= 0x80 })}, ErrInvalidShare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Combine(tc.shares)
			if !errors.Is(err, tc.is) {
				t.Fatalf("Combine = %x, %v; want %v", got, err, tc.is)
			}
			if got != nil {
				t.Fatalf("Combine returned %x alongside an error", got)
			}
			t.Log(err)
		})
	}
}

// One share of a 2-of-n split is y = s + c*x. With c uniform over the 256
// field elements and x != 0, c -> c*x is a bijection, so y is uniform whatever
// the secret: enumerating every c must hit every y exactly once.
func TestOneShareOfTwoRevealsNothing(t *testing.T) {
	for _, secret := range []byte{0x00, 0x42, 0xFF} {
		// counts[x][y] for the x values under test.
		xs := []int{1, 2, 0x80, 0xCA, 255}
		counts := make([][256]int, len(xs))
		for c := range 256 {
			shares, err := split(bytes.NewReader([]byte{byte(c)}), []byte{secret}, MaxShares, 2)
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range xs {
				counts[i][shares[x-1].Y[0]]++
			}
		}
		for i, x := range xs {
			for y, n := range counts[i] {
				if n != 1 {
					t.Fatalf("secret %#02x, x=%d: y=%#02x occurs for %d of 256 coefficients, want exactly 1", secret, x, y, n)
				}
			}
		}
	}
}

// The same for two shares of a 3-of-n split: over all 65536 coefficient
// pairs, each pair of y values occurs exactly once.
func TestTwoSharesOfThreeRevealNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("65536 splits")
	}
	const secret = 0x5A
	var counts [256][256]uint8
	rnd := make([]byte, 2)
	for c := range 1 << 16 {
		rnd[0], rnd[1] = byte(c), byte(c>>8)
		shares, err := split(bytes.NewReader(rnd), []byte{secret}, 3, 3)
		if err != nil {
			t.Fatal(err)
		}
		counts[shares[0].Y[0]][shares[2].Y[0]]++
	}
	for y1 := range 256 {
		for y3 := range 256 {
			if n := counts[y1][y3]; n != 1 {
				t.Fatalf("secret %#02x: (y1, y3) = (%#02x, %#02x) occurs %d times over all coefficients, want 1", secret, y1, y3, n)
			}
		}
	}
}
