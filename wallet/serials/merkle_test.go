package serials

import (
	"crypto/sha256"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

func TestLeafHash(t *testing.T) {
	want := sha256.Sum256([]byte("healthwallet-serial-v1\x00ABC123"))
	if got := LeafHash("ABC123"); got != chain.Hash(want) {
		t.Fatalf("LeafHash %s, want %s", got, chain.Hash(want))
	}
}

func TestMembership(t *testing.T) {
	key := testKey("maker")
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 67, 1000} {
		l, err := New(testGTIN, testLot, testExpiry, randomSerials(t, n, uint64(n)), key)
		if err != nil {
			t.Fatal(err)
		}
		leaves := make([]chain.Hash, n)
		for i, s := range l.Serials {
			leaves[i] = LeafHash(s)
		}
		root := l.Root()
		if root != chain.MerkleRoot(leaves) {
			t.Fatalf("%d serials: Root is not chain.MerkleRoot of the leaves", n)
		}
		// A list without the cached tree (a struct literal) gives the same.
		bare := &List{Serials: l.Serials}
		if bare.Root() != root {
			t.Fatalf("%d serials: uncached root differs", n)
		}
		for i, s := range l.Serials {
			index, proof, ok := l.Prove(s)
			if !ok || index != i {
				t.Fatalf("%d serials: Prove(%q) = %d, %v; want %d", n, s, index, ok, i)
			}
			if !VerifyMembership(root, n, s, index, proof) {
				t.Fatalf("%d serials: proof of %q refused", n, s)
			}
			// Another serial, another position, or another batch's root
			// must not pass with this proof.
			if other := l.Serials[(i+1)%n]; other != s && VerifyMembership(root, n, other, index, proof) {
				t.Fatalf("%d serials: proof of %q accepted for %q", n, s, other)
			}
			if n > 1 && VerifyMembership(root, n, s, (index+1)%n, proof) {
				t.Fatalf("%d serials: proof of %q accepted at %d", n, s, (index+1)%n)
			}
			if VerifyMembership(LeafHash("other batch"), n, s, index, proof) {
				t.Fatalf("%d serials: proof accepted under another root", n)
			}
		}
		for _, missing := range []string{"", "0", "ZZZZZZZZZZZZZ", l.Serials[0] + "0"} {
			if _, _, ok := l.Prove(missing); ok {
				t.Fatalf("%d serials: Prove(%q) ok for a serial not in the list", n, missing)
			}
		}
	}
}
