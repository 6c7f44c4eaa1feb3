package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// rfc6962 is RFC 6962's recursive Merkle Tree Hash over raw leaf data.
func rfc6962(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := rfc6962(leaves[:k]), rfc6962(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestMerkleRFC6962(t *testing.T) {
	// Certificate Transparency's reference vector (RFC 6962 leaves used in
	// the CT and Trillian test suites): the root over all eight leaves.
	var leaves [][]byte
	for _, h := range []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"} {
		b, _ := hex.DecodeString(h)
		leaves = append(leaves, b)
	}
	if got := hex.EncodeToString(func() []byte { r := rfc6962(leaves); return r[:] }()); got != "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328" {
		t.Fatalf("reference implementation: root %s", got)
	}
	// MerkleRoot (levels, odd node promoted) equals RFC 6962 for every size.
	var hs []Hash
	var data [][]byte
	for n := 0; n <= 70; n++ {
		if got, want := MerkleRoot(hs), Hash(rfc6962(data)); got != want {
			t.Fatalf("%d leaves: root %s, RFC 6962 %s", n, got, want)
		}
		h := Hash(sha256.Sum256([]byte{byte(n)}))
		hs = append(hs, h)
		data = append(data, h[:])
	}
	if EmptyTxRoot.String() != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatal("empty root")
	}
	// No list shares a root with its own prefix or its duplicated tail.
	a, b, c := Hash{1}, Hash{2}, Hash{3}
	roots := map[Hash]string{}
	for name, l := range map[string][]Hash{"abc": {a, b, c}, "abcc": {a, b, c, c}, "ab": {a, b}, "a": {a}, "ba": {b, a}} {
		r := MerkleRoot(l)
		if other, dup := roots[r]; dup {
			t.Fatalf("%s and %s share a root", name, other)
		}
		roots[r] = name
	}
}
