package chain

import "crypto/sha256"

// Merkle tree of a block's transactions, as in RFC 6962 (Certificate
// Transparency) section 2.1, over the transaction hashes in block order:
//
//	leaf(h)     = SHA-256(0x00 || h)
//	node(l, r)  = SHA-256(0x01 || l || r)
//	empty tree  = SHA-256("")  (of no bytes)
//
// Levels are built pairwise from the left; an odd node at the end of a level
// is promoted unchanged to the next level (never duplicated, so no two
// transaction lists share a root, unlike Bitcoin's tree). This gives the same
// root as RFC 6962's recursive definition (split at the largest power of two
// below n), so standard CT tooling can check inclusion proofs. The prefixes
// keep a leaf from passing for a node (second-preimage attacks), and leaves
// are 33-byte inputs while nodes are 65, so neither can be the empty tree.

const (
	merkleLeafPrefix = 0x00
	merkleNodePrefix = 0x01
)

// EmptyTxRoot is the transaction root of a block with no transactions.
var EmptyTxRoot = Hash(sha256.Sum256(nil))

// MerkleRoot returns the root over hashes in order.
func MerkleRoot(hashes []Hash) Hash {
	if len(hashes) == 0 {
		return EmptyTxRoot
	}
	level := make([]Hash, len(hashes))
	var buf [1 + 2*HashSize]byte
	buf[0] = merkleLeafPrefix
	for i, h := range hashes {
		copy(buf[1:], h[:])
		level[i] = sha256.Sum256(buf[:1+HashSize])
	}
	buf[0] = merkleNodePrefix
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				break
			}
			copy(buf[1:], level[i][:])
			copy(buf[1+HashSize:], level[i+1][:])
			next = append(next, sha256.Sum256(buf[:]))
		}
		level = next
	}
	return level[0]
}

// TxRoot returns the transaction root of txs (MerkleRoot of their hashes).
func TxRoot(txs []*Tx) Hash {
	hs := make([]Hash, len(txs))
	for i, tx := range txs {
		hs[i] = tx.Hash()
	}
	return MerkleRoot(hs)
}
