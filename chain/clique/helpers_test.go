package clique

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// key maps a name to a deterministic signer: SHA-256 of the name.
func key(name string) Signer { return Signer(sha256.Sum256([]byte(name))) }

// genesisHeader is block 0 for a test chain.
func genesisHeader(signers []Signer) Header {
	h := Header{Number: 0, Time: 1_700_000_000, Checkpoint: sortedCopy(signers)}
	h.Hash = hashHeader(&h)
	return h
}

func sortedCopy(s []Signer) []Signer {
	out := slices.Clone(s)
	slices.SortFunc(out, Signer.Compare)
	return out
}

// hashHeader stands in for the wire format's header hash.
func hashHeader(h *Header) [32]byte {
	d := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h.Number)
	d.Write(b[:])
	d.Write(h.ParentHash[:])
	binary.BigEndian.PutUint64(b[:], h.Time)
	d.Write(b[:])
	d.Write([]byte{h.Difficulty})
	d.Write(h.Signer[:])
	if h.Vote != nil {
		d.Write(h.Vote.Target[:])
		if h.Vote.Authorize {
			d.Write([]byte{1})
		} else {
			d.Write([]byte{0})
		}
	}
	for _, s := range h.Checkpoint {
		d.Write(s[:])
	}
	return [32]byte(d.Sum(nil))
}

// child builds the header signer seals on top of parent and snap (the
// snapshot after parent): the next number and time, the difficulty the
// rules demand, and on a checkpoint the signer list.
func child(snap *Snapshot, parent Header, signer Signer, vote *Proposal) Header {
	h := Header{
		Number:     parent.Number + 1,
		ParentHash: parent.Hash,
		Time:       parent.Time + snap.Config.periodSeconds(),
		Difficulty: snap.Difficulty(parent.Number+1, signer),
		Signer:     signer,
		Vote:       vote,
	}
	if snap.Config.IsCheckpoint(h.Number) {
		h.Checkpoint = snap.Signers()
	}
	h.Hash = hashHeader(&h)
	return h
}

// rehash recomputes h.Hash after a test edits a field.
func rehash(h Header) Header {
	h.Hash = hashHeader(&h)
	return h
}

// permutations calls f with every ordering of 0..n-1 (Heap's algorithm).
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var gen func(k int)
	gen = func(k int) {
		if k <= 1 {
			f(p)
			return
		}
		gen(k - 1)
		for i := 0; i < k-1; i++ {
			if k%2 == 0 {
				p[i], p[k-1] = p[k-1], p[i]
			} else {
				p[0], p[k-1] = p[k-1], p[0]
			}
			gen(k - 1)
		}
	}
	gen(n)
}
