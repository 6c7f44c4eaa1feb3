package shamir

import "testing"

// refMul is the textbook definition, deliberately unlike mul: carry-less
// multiply into 15 bits, then reduce modulo 0x11B from the top bit down.
func refMul(a, b byte) byte {
	var p uint16
	for i := range 8 {
		if b&(1<<i) != 0 {
			p ^= uint16(a) << i
		}
	}
	for bit := 14; bit >= 8; bit-- {
		if p&(1<<bit) != 0 {
			p ^= 0x11B << (bit - 8)
		}
	}
	return byte(p)
}

// aesFieldVectors are checked by hand against FIPS 197, not produced by this
// package, so regenerating testdata cannot launder a bug in mul.
var aesFieldVectors = []struct {
	a, b, product byte
	source        string
}{
	{0x57, 0x83, 0xC1, "FIPS 197 section 4.2"},
	{0x57, 0x13, 0xFE, "FIPS 197 section 4.2.1"},
	{0x57, 0x02, 0xAE, "FIPS 197 section 4.2.1, xtime"},
	{0x57, 0x04, 0x47, "FIPS 197 section 4.2.1, xtime"},
	{0x57, 0x08, 0x8E, "FIPS 197 section 4.2.1, xtime"},
	{0x57, 0x10, 0x07, "FIPS 197 section 4.2.1, xtime"},
	{0x53, 0xCA, 0x01, "{53} and {CA} are inverses (S-box construction)"},
	{0x02, 0x8D, 0x01, "x^-1 = {8D}: {8D}*x = x^8+x^3+x^2+1 = {01} mod m(x)"},
	{0x03, 0xF6, 0x01, "{03}^-1 = {F6}"},
	{0x02, 0x80, 0x1B, "x^8 = x^4+x^3+x+1 mod m(x)"},
	{0xD4, 0x02, 0xB3, "FIPS 197 appendix B, MixColumns of round 1"},
}

var aesInverseVectors = []struct {
	a, inverse byte
	source     string
}{
	{0x00, 0x00, "FIPS 197 section 5.1.1: {00} maps to itself"},
	{0x01, 0x01, "identity"},
	{0x02, 0x8D, "x^-1"},
	{0x03, 0xF6, "{03}*{F6} = {01}"},
	{0x53, 0xCA, "{53}*{CA} = {01}"},
	{0xCA, 0x53, "{53}*{CA} = {01}"},
}

func TestAESFieldVectors(t *testing.T) {
	for _, v := range aesFieldVectors {
		if got := mul(v.a, v.b); got != v.product {
			t.Errorf("mul(%#02x, %#02x) = %#02x, want %#02x (%s)", v.a, v.b, got, v.product, v.source)
		}
		if got := refMul(v.a, v.b); got != v.product {
			t.Errorf("refMul(%#02x, %#02x) = %#02x, want %#02x (%s)", v.a, v.b, got, v.product, v.source)
		}
	}
	for _, v := range aesInverseVectors {
		if got := inv(v.a); got != v.inverse {
			t.Errorf("inv(%#02x) = %#02x, want %#02x (%s)", v.a, got, v.inverse, v.source)
		}
	}
}

func TestMulAllPairs(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			x, y := byte(a), byte(b)
			got := mul(x, y)
			if want := refMul(x, y); got != want {
				t.Fatalf("mul(%#02x, %#02x) = %#02x, reference gives %#02x", x, y, got, want)
			}
			if rev := mul(y, x); got != rev {
				t.Fatalf("mul not commutative: %#02x*%#02x = %#02x but %#02x*%#02x = %#02x", x, y, got, y, x, rev)
			}
		}
		if got := mul(byte(a), 1); got != byte(a) {
			t.Fatalf("mul(%#02x, 1) = %#02x", a, got)
		}
		if got := mul(byte(a), 0); got != 0 {
			t.Fatalf("mul(%#02x, 0) = %#02x", a, got)
		}
	}
}

func TestInverseAll(t *testing.T) {
	if got := inv(0); got != 0 {
		t.Fatalf("inv(0) = %#02x, want 0", got)
	}
	var seen [256]bool
	for a := 1; a < 256; a++ {
		ia := inv(byte(a))
		if p := refMul(byte(a), ia); p != 1 {
			t.Fatalf("%#02x * inv(%#02x)=%#02x = %#02x, want 1", a, a, ia, p)
		}
		if seen[ia] {
			t.Fatalf("inv(%#02x) = %#02x repeats an earlier inverse", a, ia)
		}
		seen[ia] = true
	}
}

// distributivity and associativity over every (a, b) with c from a sample
// that covers 0, 1, the reduction-triggering top bit and a few generic values.
var sampleC = []byte{0x00, 0x01, 0x02, 0x03, 0x1B, 0x53, 0x80, 0x8D, 0xCA, 0xFE, 0xFF}

func TestDistributiveAssociative(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			x, y := byte(a), byte(b)
			for _, c := range sampleC {
				if l, r := mul(x, y^c), mul(x, y)^mul(x, c); l != r {
					t.Fatalf("%#02x*(%#02x+%#02x) = %#02x, but %#02x*%#02x + %#02x*%#02x = %#02x", x, y, c, l, x, y, x, c, r)
				}
				if l, r := mul(mul(x, y), c), mul(x, mul(y, c)); l != r {
					t.Fatalf("(%#02x*%#02x)*%#02x = %#02x, but %#02x*(%#02x*%#02x) = %#02x", x, y, c, l, x, y, c, r)
				}
			}
		}
	}
}

func TestEvalHorner(t *testing.T) {
	stream := newStream("eval")
	for _, deg := range []int{0, 1, 2, 5, 254} {
		coeffs := make([]byte, deg+1)
		if _, err := stream.Read(coeffs); err != nil {
			t.Fatal(err)
		}
		for x := range 256 {
			// Naive sum of c_i * x^i.
			var want, pow byte = 0, 1
			for _, c := range coeffs {
				want ^= refMul(c, pow)
				pow = refMul(pow, byte(x))
			}
			if got := eval(coeffs, byte(x)); got != want {
				t.Fatalf("eval(degree %d, x=%#02x) = %#02x, want %#02x", deg, x, got, want)
			}
		}
	}
}

// Interpolating the constant polynomial 1 must give 1, so the basis values at
// zero always sum to 1.
func TestLagrangeBasisSumsToOne(t *testing.T) {
	for _, xs := range [][]byte{{1}, {1, 2}, {3, 7, 255}, {0x80, 0x01, 0x53, 0xCA}} {
		var sum byte
		for _, l := range lagrangeAtZero(xs) {
			sum ^= l
		}
		if sum != 1 {
			t.Errorf("basis at 0 for xs=%x sums to %#02x, want 1", xs, sum)
		}
	}
	all := make([]byte, 255)
	for i := range all {
		all[i] = byte(i + 1)
	}
	var sum byte
	for _, l := range lagrangeAtZero(all) {
		sum ^= l
	}
	if sum != 1 {
		t.Errorf("basis at 0 for xs=1..255 sums to %#02x, want 1", sum)
	}
}
