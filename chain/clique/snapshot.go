package clique

import (
	"fmt"
	"slices"
)

// Vote is a vote cast by a signer and still counted in the snapshot
// (go-ethereum's clique.Vote, with Target in place of Address).
type Vote struct {
	Signer    Signer `json:"signer"`    // who cast it
	Block     uint64 `json:"block"`     // the block that carried it
	Target    Signer `json:"target"`    // the account voted on
	Authorize bool   `json:"authorize"` // add (true) or drop (false) Target
}

// Tally counts the votes on one target. All counted votes on a target point
// the same way: a vote that would not change the target's status is not
// counted, and every vote on a target is discarded when its status changes.
type Tally struct {
	Authorize bool `json:"authorize"`
	Votes     int  `json:"votes"`
}

// Snapshot is the signer state after block Number (go-ethereum's
// clique.Snapshot): who may seal, who sealed recently, and the votes in
// progress. A snapshot is a value: Apply returns a new one and never changes
// its receiver; callers must not modify the maps and slices either.
type Snapshot struct {
	Config    Config              `json:"config"`
	Number    uint64              `json:"number"`  // block the snapshot is taken after
	Hash      [32]byte            `json:"hash"`    // that block's hash
	SignerSet map[Signer]struct{} `json:"signers"` // the authorized signers
	Recents   map[uint64]Signer   `json:"recents"` // block number -> its signer, for the recent-signer rule
	Votes     []Vote              `json:"votes"`   // votes counted, in the order cast
	Tally     map[Signer]Tally    `json:"tally"`   // counts per target, for quick majority checks
}

// NewSnapshot returns the snapshot at a block whose signer set is trusted
// without votes: the genesis block, or a checkpoint taken as a trust anchor.
// It has no recent signers and no votes. Zero Config fields take defaults.
func NewSnapshot(cfg Config, number uint64, hash [32]byte, signers []Signer) *Snapshot {
	s := &Snapshot{
		Config:    cfg.WithDefaults(),
		Number:    number,
		Hash:      hash,
		SignerSet: make(map[Signer]struct{}, len(signers)),
		Recents:   make(map[uint64]Signer),
		Tally:     make(map[Signer]Tally),
	}
	for _, signer := range signers {
		s.SignerSet[signer] = struct{}{}
	}
	return s
}

// Copy returns a deep copy of s.
func (s *Snapshot) Copy() *Snapshot {
	c := &Snapshot{
		Config:    s.Config,
		Number:    s.Number,
		Hash:      s.Hash,
		SignerSet: make(map[Signer]struct{}, len(s.SignerSet)),
		Recents:   make(map[uint64]Signer, len(s.Recents)),
		Votes:     slices.Clone(s.Votes),
		Tally:     make(map[Signer]Tally, len(s.Tally)),
	}
	for k := range s.SignerSet {
		c.SignerSet[k] = struct{}{}
	}
	for k, v := range s.Recents {
		c.Recents[k] = v
	}
	for k, v := range s.Tally {
		c.Tally[k] = v
	}
	return c
}

// Signers returns the authorized signers in ascending order: the order in
// which they take turns.
func (s *Snapshot) Signers() []Signer {
	out := make([]Signer, 0, len(s.SignerSet))
	for k := range s.SignerSet {
		out = append(out, k)
	}
	slices.SortFunc(out, Signer.Compare)
	return out
}

// IsSigner reports whether signer is authorized.
func (s *Snapshot) IsSigner(signer Signer) bool {
	_, ok := s.SignerSet[signer]
	return ok
}

// InTurn reports whether it is signer's turn to seal block number: its index
// in Signers() equals number mod N. Nobody is in turn in an empty set, and
// an unauthorized signer never is.
func (s *Snapshot) InTurn(number uint64, signer Signer) bool {
	signers := s.Signers()
	if len(signers) == 0 {
		return false
	}
	return signers[number%uint64(len(signers))] == signer
}

// Difficulty is the difficulty a block number sealed by signer must carry
// on top of this snapshot: DiffInTurn or DiffNoTurn.
func (s *Snapshot) Difficulty(number uint64, signer Signer) uint8 {
	if s.InTurn(number, signer) {
		return DiffInTurn
	}
	return DiffNoTurn
}

// RecentLimit is floor(N/2)+1 for the current N signers: a signer may seal
// at most one of any RecentLimit consecutive blocks.
func (s *Snapshot) RecentLimit() uint64 { return uint64(len(s.SignerSet)/2 + 1) }

// CanSeal reports whether signer may seal block number on top of this
// snapshot: it is authorized (ErrUnauthorizedSigner) and sealed none of the
// last RecentLimit()-1 blocks (ErrRecentlySigned). A sealer that gets nil
// may seal; one that gets ErrRecentlySigned waits for other signers.
func (s *Snapshot) CanSeal(number uint64, signer Signer) error {
	if !s.IsSigner(signer) {
		return ErrUnauthorizedSigner
	}
	limit := s.RecentLimit()
	for seen, recent := range s.Recents {
		if recent == signer && (number < limit || seen > number-limit) {
			return ErrRecentlySigned
		}
	}
	return nil
}

// validVote reports whether a vote would change target's status.
func (s *Snapshot) validVote(target Signer, authorize bool) bool {
	return s.IsSigner(target) != authorize
}

// cast adds a vote to the tally; it reports false, counting nothing, for a
// vote that would not change target's status.
func (s *Snapshot) cast(target Signer, authorize bool) bool {
	if !s.validVote(target, authorize) {
		return false
	}
	t, ok := s.Tally[target]
	if !ok {
		t = Tally{Authorize: authorize}
	}
	t.Votes++
	s.Tally[target] = t
	return true
}

// uncast removes a previously counted vote from the tally.
func (s *Snapshot) uncast(target Signer, authorize bool) {
	t, ok := s.Tally[target]
	if !ok || t.Authorize != authorize {
		return
	}
	if t.Votes > 1 {
		t.Votes--
		s.Tally[target] = t
	} else {
		delete(s.Tally, target)
	}
}

// Apply returns the snapshot after headers, which must continue s without a
// gap (numbers s.Number+1, s.Number+2, … and each ParentHash the previous
// hash). s itself is not changed; on error the result is nil.
//
// Per header, in go-ethereum's order (clique/snapshot.go apply, plus the
// checks its verifyHeader and verifySeal make against the snapshot):
//
//  1. A checkpoint (Number % Epoch == 0) carries no vote (ErrInvalidVote) and
//     lists exactly the current signers (ErrInvalidCheckpointSigners); other
//     blocks list none. A checkpoint discards all votes and tallies; it does
//     not reset the recent signers.
//  2. The recent window slides: the entry for Number-limit is dropped,
//     limit = floor(N/2)+1.
//  3. The signer must be authorized (ErrUnauthorizedSigner) and not among
//     the recent signers (ErrRecentlySigned); it is recorded as recent.
//  4. Difficulty is DiffInTurn if the signer is in turn, else DiffNoTurn
//     (ErrInvalidDifficulty).
//  5. The signer's earlier vote on the same target, if any, is discarded;
//     the new vote is counted only if it would change the target's status
//     (adding a signer or dropping a non-signer counts for nothing).
//  6. If the votes on the target are now a strict majority of the current
//     signers (> N/2), the target is added or dropped. On a drop the recent
//     window shrinks with the new limit and the dropped signer's own votes
//     are discarded. All votes on the target are discarded. Nothing
//     cascades: other tallies that a drop pushed past a majority take
//     effect only when a later block votes on (touches) their target.
func (s *Snapshot) Apply(headers []Header) (*Snapshot, error) {
	if len(headers) == 0 {
		return s, nil
	}
	prevNumber, prevHash := s.Number, s.Hash
	for i := range headers {
		h := &headers[i]
		if h.Number != prevNumber+1 || h.ParentHash != prevHash {
			return nil, fmt.Errorf("clique: header %d (block %d) does not follow block %d: %w",
				i, h.Number, prevNumber, ErrInvalidVotingChain)
		}
		prevNumber, prevHash = h.Number, h.Hash
	}
	snap := s.Copy()
	for i := range headers {
		if err := snap.applyOne(&headers[i]); err != nil {
			return nil, fmt.Errorf("clique: block %d by %s: %w", headers[i].Number, short(headers[i].Signer), err)
		}
	}
	return snap, nil
}

// checkStructure makes the checks that need only the snapshot's signer set
// and the header itself (rule 1 of Apply and the difficulty range).
func (s *Snapshot) checkStructure(h *Header) error {
	if h.Difficulty != DiffInTurn && h.Difficulty != DiffNoTurn {
		return ErrInvalidDifficulty
	}
	if s.Config.IsCheckpoint(h.Number) {
		if h.Vote != nil {
			return ErrInvalidVote
		}
		if !slices.Equal(h.Checkpoint, s.Signers()) {
			return ErrInvalidCheckpointSigners
		}
	} else if len(h.Checkpoint) != 0 {
		return ErrInvalidCheckpointSigners
	}
	return nil
}

func (s *Snapshot) applyOne(h *Header) error {
	number := h.Number
	if err := s.checkStructure(h); err != nil {
		return err
	}
	if s.Config.IsCheckpoint(number) {
		s.Votes = nil
		s.Tally = make(map[Signer]Tally)
	}
	// Slide the recent window.
	if limit := s.RecentLimit(); number >= limit {
		delete(s.Recents, number-limit)
	}
	signer := h.Signer
	if !s.IsSigner(signer) {
		return ErrUnauthorizedSigner
	}
	for _, recent := range s.Recents {
		if recent == signer {
			return ErrRecentlySigned
		}
	}
	if h.Difficulty != s.Difficulty(number, signer) {
		return ErrInvalidDifficulty
	}
	s.Recents[number] = signer

	if h.Vote != nil {
		s.vote(number, signer, *h.Vote)
	}
	s.Number, s.Hash = number, h.Hash
	return nil
}

// vote counts signer's vote carried by block number and enacts a majority.
func (s *Snapshot) vote(number uint64, signer Signer, p Proposal) {
	target := p.Target
	// A signer has at most one vote per target: the new one replaces it.
	for i, v := range s.Votes {
		if v.Signer == signer && v.Target == target {
			s.uncast(v.Target, v.Authorize)
			s.Votes = slices.Delete(s.Votes, i, i+1)
			break
		}
	}
	if s.cast(target, p.Authorize) {
		s.Votes = append(s.Votes, Vote{Signer: signer, Block: number, Target: target, Authorize: p.Authorize})
	}
	// Touching a target enacts its tally if it is a majority, even if this
	// block's own vote did not count (a drop earlier may have shrunk N).
	t, ok := s.Tally[target]
	if !ok || t.Votes <= len(s.SignerSet)/2 {
		return
	}
	if t.Authorize {
		s.SignerSet[target] = struct{}{}
	} else {
		delete(s.SignerSet, target)
		// The window shrank with N: drop the entry that fell out of it.
		if limit := s.RecentLimit(); number >= limit {
			delete(s.Recents, number-limit)
		}
		// The dropped signer's votes no longer count.
		kept := s.Votes[:0]
		for _, v := range s.Votes {
			if v.Signer == target {
				s.uncast(v.Target, v.Authorize)
				continue
			}
			kept = append(kept, v)
		}
		s.Votes = kept
	}
	// Votes on the target were about its old status.
	s.Votes = slices.DeleteFunc(s.Votes, func(v Vote) bool { return v.Target == target })
	delete(s.Tally, target)
}

func short(s Signer) string { return s.String()[:8] }
