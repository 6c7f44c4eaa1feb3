package shamir

import (
	"bytes"
	"testing"
)

// BenchmarkSplitCombine32B is the break-glass case: a 32-byte data key split
// 3-of-5 with crypto/rand, then recombined from three shares.
func BenchmarkSplitCombine32B(b *testing.B) {
	key := testKey()
	b.SetBytes(int64(len(key)))
	b.ReportAllocs()
	for b.Loop() {
		shares, err := Split(key, 5, 3)
		if err != nil {
			b.Fatal(err)
		}
		got, err := Combine(shares[1:4])
		if err != nil || !bytes.Equal(got, key) {
			b.Fatalf("Combine = %x, %v", got, err)
		}
	}
}
