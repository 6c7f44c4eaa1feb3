package chain

import (
	"math/big"
	"testing"
)

// Edwards25519 arithmetic with math/big, slow and simple, to check the
// small-order list against the curve itself.
var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	curveD = func() *big.Int { // -121665/121666 mod p
		d := new(big.Int).ModInverse(big.NewInt(121666), fieldP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, fieldP)
	}()
)

type point struct{ x, y *big.Int }

func (p point) add(q point) point {
	mod := func(v *big.Int) *big.Int { return v.Mod(v, fieldP) }
	x1y2 := mod(new(big.Int).Mul(p.x, q.y))
	y1x2 := mod(new(big.Int).Mul(p.y, q.x))
	y1y2 := mod(new(big.Int).Mul(p.y, q.y))
	x1x2 := mod(new(big.Int).Mul(p.x, q.x))
	dxy := mod(new(big.Int).Mul(curveD, mod(new(big.Int).Mul(x1x2, y1y2))))
	inv := func(v *big.Int) *big.Int { return new(big.Int).ModInverse(v, fieldP) }
	x3 := mod(new(big.Int).Mul(mod(new(big.Int).Add(x1y2, y1x2)), inv(mod(new(big.Int).Add(big.NewInt(1), dxy)))))
	y3 := mod(new(big.Int).Mul(mod(new(big.Int).Add(y1y2, x1x2)), inv(mod(new(big.Int).Sub(big.NewInt(1), dxy)))))
	return point{x3, y3}
}

func (p point) isIdentity() bool { return p.x.Sign() == 0 && p.y.Cmp(big.NewInt(1)) == 0 }

// decompress decodes k as RFC 8032 would, but accepting y >= p like Go does.
func decompress(k PublicKey) (point, bool) {
	le := make([]byte, 32)
	for i := range 32 {
		le[31-i] = k[i]
	}
	le[0] &= 0x7f
	y := new(big.Int).SetBytes(le)
	y.Mod(y, fieldP)
	y2 := new(big.Int).Mul(y, y)
	num := new(big.Int).Sub(y2, big.NewInt(1))
	den := new(big.Int).Add(new(big.Int).Mul(curveD, y2), big.NewInt(1))
	x2 := new(big.Int).Mul(num, new(big.Int).ModInverse(den.Mod(den, fieldP), fieldP))
	x2.Mod(x2, fieldP)
	x := new(big.Int).ModSqrt(x2, fieldP)
	if x == nil {
		return point{}, false
	}
	if x.Bit(0) != uint(k[31]>>7) {
		x.Sub(fieldP, x)
		x.Mod(x, fieldP)
	}
	return point{x, y}, true
}

func smallOrderPoint(p point) bool {
	q := p
	for range 3 { // q = 8p
		q = q.add(q)
	}
	return q.isIdentity()
}

func TestSmallOrderList(t *testing.T) {
	// Every listed encoding, with either sign bit, decodes to a point of
	// order dividing 8.
	for i, k := range smallOrder {
		for _, sign := range []byte{0, 0x80} {
			kk := k
			kk[31] |= sign
			p, ok := decompress(kk)
			if !ok || !smallOrderPoint(p) {
				t.Fatalf("entry %d (sign %x): not a small-order point", i, sign)
			}
			if kk.Check() == nil {
				t.Fatalf("entry %d (sign %x): accepted", i, sign)
			}
		}
	}
	// The list holds the y of every point of the torsion subgroup: the
	// multiples of an order-8 point.
	t8, _ := decompress(smallOrder[2])
	q := point{big.NewInt(0), big.NewInt(1)}
	for i := range 8 {
		var k PublicKey
		yb := q.y.FillBytes(make([]byte, 32))
		for j := range 32 {
			k[j] = yb[31-j]
		}
		if k.Check() == nil {
			t.Fatalf("%d·T (y=%x) passes Check", i, yb)
		}
		q = q.add(t8)
	}
	if !q.isIdentity() {
		t.Fatal("T is not of order 8")
	}
	// Real keys pass.
	for _, name := range []string{"patient", "clinician", "clinic-a"} {
		k := testPub(name)
		if err := k.Check(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p, ok := decompress(k); !ok || smallOrderPoint(p) {
			t.Fatalf("%s: decompress", name)
		}
	}
}

func TestCID(t *testing.T) {
	c := testCID(t, codecRaw, "x")
	s := c.String()
	if len(s) != 59 || s[:5] != "bafkr" {
		t.Fatalf("raw CID text %q", s)
	}
	if d := testCID(t, codecDagPB, "x").String(); d[:4] != "bafy" {
		t.Fatalf("dag-pb CID text %q", d)
	}
	back, err := ParseCID(s)
	if err != nil || back != c {
		t.Fatalf("ParseCID: %v", err)
	}
	// A CID printed by `ipfs add --cid-version=1 --raw-leaves` of "hello\n".
	if _, err := ParseCID("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6an", "Bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
		"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "bafyreib", "bafkqaaa"} {
		if _, err := ParseCID(bad); err == nil {
			t.Errorf("ParseCID(%q) accepted", bad)
		}
	}
	if (CID{}).String() != "" || (CID{}).Bytes() != nil || !(CID{}).IsZero() {
		t.Fatal("zero CID")
	}
}

func TestCodes(t *testing.T) {
	for c := Category(1); c < categoryEnd; c++ {
		got, err := ParseCategory(c.String())
		if err != nil || got != c {
			t.Fatalf("category %d", c)
		}
	}
	for p := Purpose(1); p < purposeEnd; p++ {
		got, err := ParsePurpose(p.String())
		if err != nil || got != p {
			t.Fatalf("purpose %d", p)
		}
	}
	if _, err := ParsePurpose("treat"); err == nil {
		t.Fatal("purpose codes are case-sensitive")
	}
	if categoryEnd != 15 || purposeEnd != 26 || roleEnd != 9 {
		t.Fatal("a code was added: update the tests and vectors")
	}
	if (ActionRead|ActionWrite).String() != "read+write" || Actions(4).String() != "0x04" {
		t.Fatal("actions string")
	}
	s := NewScope([]string{"b", "a", "b"}, []Category{3, 1, 3})
	if len(s.RecordIDs) != 2 || s.RecordIDs[0] != "a" || len(s.Categories) != 2 || s.Validate() != nil {
		t.Fatalf("NewScope: %+v", s)
	}
	if !s.Covers("zzz", 3) || !s.Covers("a", 9) || s.Covers("c", 2) {
		t.Fatal("Covers")
	}
}

func TestCodec(t *testing.T) {
	// Varints: every value's shortest form round-trips; padded forms fail.
	for _, v := range []uint64{0, 1, 127, 128, 300, 1 << 32, 1<<64 - 1} {
		e := NewEncoder(nil)
		e.Uvarint(v)
		d := NewDecoder(e.Out())
		if got := d.Uvarint("v"); got != v || d.Finish() != nil {
			t.Fatalf("%d: got %d, %v", v, got, d.Err())
		}
		if len(e.Out()) < 10 {
			padded := append(bytes2(e.Out()), 0)
			padded[len(padded)-2] |= 0x80
			d := NewDecoder(padded)
			d.Uvarint("v")
			if d.Err() == nil {
				t.Fatalf("%d padded to %x accepted", v, padded)
			}
		}
	}
	d := NewDecoder([]byte{0x80})
	d.Uvarint("v")
	if !errorsIs(d.Err(), ErrTruncated) {
		t.Fatal(d.Err())
	}
	// The first error sticks.
	d = NewDecoder([]byte{2, 1})
	d.Bool("a")
	d.Bool("b")
	if err := d.Finish(); !errorsIs(err, ErrNonCanonical) || err.Error()[:2] != "a:" {
		t.Fatal(err)
	}
}

func bytes2(b []byte) []byte { return append([]byte(nil), b...) }
