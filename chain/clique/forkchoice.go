package clique

import "bytes"

// ChainTip is a verified block as fork choice sees it. TotalDifficulty is
// the sum of the difficulties from genesis up to and including the block;
// accumulating it is the caller's (parent's total + header.Difficulty).
type ChainTip struct {
	Hash            [32]byte
	Number          uint64
	TotalDifficulty uint64
}

// Better reports whether a should be the head rather than b. The rules, in
// order, the first that differs deciding:
//
//  1. Higher total difficulty wins. Each block adds 2 if in turn and 1 if
//     not, so this is the chain sealed most by the signers whose turn it was
//     (EIP-225).
//  2. At equal total difficulty, the lower number wins. With TD = 2·in + out
//     and number = in + out, the shorter chain has more in-turn blocks, so
//     it followed the schedule more closely and needed fewer out-of-turn
//     blocks; go-ethereum's fork choice prefers it for the same reason.
//  3. At equal total difficulty and number, the lower hash (bytes.Compare)
//     wins. go-ethereum flips a coin here; a fixed rule makes every node
//     pick the same head.
//  4. The same hash is the same block: neither is better, and the current
//     head stays.
//
// These make Better a strict total order on distinct blocks, so the head —
// the best block seen, updated as each verified block arrives — is the
// maximum of the set of blocks seen, whatever order they arrived in.
// Descendants always beat their ancestors (difficulty is at least 1), so
// the head is always a leaf.
func Better(a, b ChainTip) bool {
	if a.TotalDifficulty != b.TotalDifficulty {
		return a.TotalDifficulty > b.TotalDifficulty // rule 1
	}
	if a.Number != b.Number {
		return a.Number < b.Number // rule 2
	}
	return bytes.Compare(a.Hash[:], b.Hash[:]) < 0 // rules 3 and 4
}

// Head returns the best of tips by Better; ok is false if tips is empty.
func Head(tips []ChainTip) (head ChainTip, ok bool) {
	for i, t := range tips {
		if i == 0 || Better(t, head) {
			head = t
		}
	}
	return head, len(tips) > 0
}
