package serials

import (
	"crypto/sha256"
	"sort"

	"github.com/healthwallet/healthwallet/chain"
)

// leafContext separates a serial's leaf from any other hash of the same
// text; it differs from the list's signing context by design.
const leafContext = "healthwallet-serial-v1\x00"

// LeafHash returns the Merkle leaf of a serial:
// SHA-256("healthwallet-serial-v1\x00" || serial).
func LeafHash(serial string) chain.Hash {
	h := sha256.New()
	h.Write([]byte(leafContext))
	h.Write([]byte(serial))
	var out chain.Hash
	h.Sum(out[:0])
	return out
}

// merkle returns the tree over the list's serials, built once for a List
// from New or Decode.
func (l *List) merkle() *chain.MerkleTree {
	build := func() *chain.MerkleTree {
		leaves := make([]chain.Hash, len(l.Serials))
		var buf []byte
		for i, s := range l.Serials {
			buf = append(append(buf[:0], leafContext...), s...)
			leaves[i] = sha256.Sum256(buf)
		}
		return chain.NewMerkleTree(leaves)
	}
	if l.tree == nil {
		return build()
	}
	l.tree.once.Do(func() { l.tree.tree = build() })
	return l.tree.tree
}

// Root returns the Merkle root the batch commits to on chain:
// chain.MerkleRoot over LeafHash of the serials in list order.
func (l *List) Root() chain.Hash { return l.merkle().Root() }

// Prove returns the position of serial in the list and its audit path, or
// ok false if the list does not hold it.
func (l *List) Prove(serial string) (index int, proof []chain.Hash, ok bool) {
	index = sort.SearchStrings(l.Serials, serial)
	if index == len(l.Serials) || l.Serials[index] != serial {
		return 0, nil, false
	}
	proof, err := l.merkle().Proof(index)
	if err != nil {
		// The index came from the list the tree was built over.
		return 0, nil, false
	}
	return index, proof, true
}

// VerifyMembership reports whether proof shows serial at index in a list of
// size serials with the given root, as a scan checks a pack against the
// root on chain (size is the batch's Count there).
func VerifyMembership(root chain.Hash, size int, serial string, index int, proof []chain.Hash) bool {
	return chain.VerifyMerkleProof(root, LeafHash(serial), index, size, proof)
}
