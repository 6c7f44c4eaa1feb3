package serials

import (
	"testing"
)

// BenchmarkCommission100k is the manufacturer's side of commissioning a
// batch of 100,000 packs, without IPFS and the transaction: check, sort and
// sign the list, compute its Merkle root and encode the file. The issue's
// goal for the whole commissioning is under 2 s.
func BenchmarkCommission100k(b *testing.B) {
	serials := randomSerials(b, 100_000, 1)
	key := testKey("maker")
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for b.Loop() {
		l, err := New(testGTIN, testLot, testExpiry, serials, key)
		if err != nil {
			b.Fatal(err)
		}
		_ = l.Root()
		size = len(l.Encode())
	}
	b.ReportMetric(float64(size), "file-bytes")
}

// BenchmarkProve is a pack's membership proof from a decoded 100,000-serial
// list (tree already built, as for every scan after the first) and its
// verification, as a scan does.
func BenchmarkProve(b *testing.B) {
	serials := randomSerials(b, 100_000, 2)
	l, err := New(testGTIN, testLot, testExpiry, serials, testKey("maker"))
	if err != nil {
		b.Fatal(err)
	}
	l, err = Decode(l.Encode())
	if err != nil {
		b.Fatal(err)
	}
	root := l.Root()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s := serials[i%len(serials)]
		i++
		index, proof, ok := l.Prove(s)
		if !ok || !VerifyMembership(root, len(l.Serials), s, index, proof) {
			b.Fatalf("serial %q does not prove", s)
		}
	}
}

// BenchmarkDecode100k is a wallet reading a 100,000-serial list fetched from
// IPFS: decode, check every serial and the signature, build the tree.
func BenchmarkDecode100k(b *testing.B) {
	l, err := New(testGTIN, testLot, testExpiry, randomSerials(b, 100_000, 3), testKey("maker"))
	if err != nil {
		b.Fatal(err)
	}
	enc := l.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := Decode(enc)
		if err != nil {
			b.Fatal(err)
		}
		_ = got.Root()
	}
}
