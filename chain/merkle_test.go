package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

func TestMerkleProof(t *testing.T) {
	var hs []Hash
	for n := 1; n <= 67; n++ {
		hs = append(hs, Hash(sha256.Sum256([]byte{byte(n), 'p'})))
		root := MerkleRoot(hs)
		for i := range hs {
			proof, err := MerkleProof(hs, i)
			if err != nil {
				t.Fatalf("size %d index %d: %v", n, i, err)
			}
			if !VerifyMerkleProof(root, hs[i], i, n, proof) {
				t.Fatalf("size %d index %d: valid proof refused", n, i)
			}
			tampered := []struct {
				name        string
				root, leaf  Hash
				index, size int
				proof       []Hash
			}{
				{"other leaf", root, Hash{0xff}, i, n, proof},
				{"other root", Hash{0xff}, hs[i], i, n, proof},
				{"index+1", root, hs[i], i + 1, n, proof},
				{"index-1", root, hs[i], i - 1, n, proof},
				{"extra node", root, hs[i], i, n, append(append([]Hash(nil), proof...), Hash{})},
			}
			if len(proof) > 0 {
				flipped := append([]Hash(nil), proof...)
				flipped[len(flipped)-1][0] ^= 1
				tampered = append(tampered,
					struct {
						name        string
						root, leaf  Hash
						index, size int
						proof       []Hash
					}{"flipped bit", root, hs[i], i, n, flipped},
					struct {
						name        string
						root, leaf  Hash
						index, size int
						proof       []Hash
					}{"short", root, hs[i], i, n, proof[:len(proof)-1]})
			}
			// Not tampering with size: as in RFC 6962, a root binds its size
			// only through the signed tree head (here the signed list or
			// block), and a tree of 3 has the shape of part of a tree of 4.
			for _, tc := range tampered {
				if VerifyMerkleProof(tc.root, tc.leaf, tc.index, tc.size, tc.proof) {
					t.Fatalf("size %d index %d: %s accepted", n, i, tc.name)
				}
			}
		}
		if _, err := MerkleProof(hs, n); !errors.Is(err, ErrProofIndex) {
			t.Fatalf("size %d index %d: err %v", n, n, err)
		}
	}
	if _, err := MerkleProof(nil, 0); !errors.Is(err, ErrProofIndex) {
		t.Fatalf("empty list: err %v", err)
	}
	if _, err := MerkleProof(hs, -1); !errors.Is(err, ErrProofIndex) {
		t.Fatalf("index -1: err %v", err)
	}
}

func TestMerkleTree(t *testing.T) {
	if r := NewMerkleTree(nil).Root(); r != EmptyTxRoot {
		t.Fatalf("empty tree root %s", r)
	}
	var hs []Hash
	for n := 1; n <= 67; n++ {
		hs = append(hs, Hash(sha256.Sum256([]byte{byte(n), 't'})))
		tree := NewMerkleTree(hs)
		if tree.Len() != n || tree.Root() != MerkleRoot(hs) {
			t.Fatalf("size %d: tree of %d leaves, root %s, MerkleRoot %s", n, tree.Len(), tree.Root(), MerkleRoot(hs))
		}
	}
}

// TestMerkleProofRFC6962 checks audit paths against RFC 6962's recursive
// definition, PATH(m, D[n]), computed independently of the level walk.
func TestMerkleProofRFC6962(t *testing.T) {
	var path func(m int, leaves [][]byte) []Hash
	path = func(m int, leaves [][]byte) []Hash {
		if len(leaves) <= 1 {
			return nil
		}
		k := 1
		for k*2 < len(leaves) {
			k *= 2
		}
		if m < k {
			return append(path(m, leaves[:k]), rfc6962(leaves[k:]))
		}
		return append(path(m-k, leaves[k:]), rfc6962(leaves[:k]))
	}
	var hs []Hash
	var data [][]byte
	for n := 1; n <= 40; n++ {
		h := Hash(sha256.Sum256([]byte{byte(n), 'r'}))
		hs = append(hs, h)
		data = append(data, h[:])
		for m := range n {
			got, err := MerkleProof(hs, m)
			if err != nil {
				t.Fatal(err)
			}
			want := path(m, data)
			if len(got) != len(want) {
				t.Fatalf("size %d index %d: %d nodes, RFC 6962 %d", n, m, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("size %d index %d: node %d differs from RFC 6962", n, m, i)
				}
			}
		}
	}
}
