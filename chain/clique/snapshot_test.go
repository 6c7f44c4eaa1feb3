package clique

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// chain seals blocks on a fresh snapshot: signers[i] seals block i+1 with
// votes[i] (nil for none).
type testChain struct {
	genesis *Snapshot
	snaps   []*Snapshot // snaps[i] is after block i
	headers []Header    // headers[i] is block i (0 = genesis)
}

func newTestChain(t *testing.T, cfg Config, signers []Signer) *testChain {
	t.Helper()
	gh := genesisHeader(signers)
	g := NewSnapshot(cfg, 0, gh.Hash, signers)
	return &testChain{genesis: g, snaps: []*Snapshot{g}, headers: []Header{gh}}
}

func (c *testChain) head() (*Snapshot, Header) {
	return c.snaps[len(c.snaps)-1], c.headers[len(c.headers)-1]
}

func (c *testChain) seal(t *testing.T, signer Signer, vote *Proposal) *Snapshot {
	t.Helper()
	snap, parent := c.head()
	h := child(snap, parent, signer, vote)
	if err := VerifyHeader(snap, h, parent); err != nil {
		t.Fatal(err)
	}
	next, err := snap.Apply([]Header{h})
	if err != nil {
		t.Fatal(err)
	}
	c.snaps = append(c.snaps, next)
	c.headers = append(c.headers, h)
	return next
}

func TestApplyCopyOnWrite(t *testing.T) {
	a, b, c, d := key("A"), key("B"), key("C"), key("D")
	ch := newTestChain(t, Config{}, []Signer{a, b, c})
	ch.seal(t, a, &Proposal{Target: d, Authorize: true})
	before, parent := ch.head()
	frozen := before.Copy()
	h := child(before, parent, b, &Proposal{Target: d, Authorize: true}) // enacts D
	after, err := before.Apply([]Header{h})
	if err != nil {
		t.Fatal(err)
	}
	if !after.IsSigner(d) || before.IsSigner(d) {
		t.Fatalf("D: after %v, before %v", after.IsSigner(d), before.IsSigner(d))
	}
	if !reflect.DeepEqual(before, frozen) {
		t.Fatalf("Apply changed its receiver")
	}
	// And a failing Apply leaves it alone too.
	bad := child(before, parent, key("X"), nil)
	if s, err := before.Apply([]Header{h, rehash(Header{Number: 3, ParentHash: h.Hash, Signer: a, Difficulty: 1})}); err == nil || s != nil {
		t.Fatalf("expected failure")
	}
	if _, err := before.Apply([]Header{bad}); !errors.Is(err, ErrUnauthorizedSigner) {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, frozen) {
		t.Fatalf("failed Apply changed its receiver")
	}
	if s, err := before.Apply(nil); s != before || err != nil {
		t.Fatalf("Apply(nil) = %p, %v", s, err)
	}
}

func TestApplyContiguity(t *testing.T) {
	a, b := key("A"), key("B")
	ch := newTestChain(t, Config{}, []Signer{a, b})
	g, gh := ch.head()
	h1 := child(g, gh, a, nil)
	s1, _ := g.Apply([]Header{h1})
	h2 := child(s1, h1, b, nil)

	wrongNumber := h1
	wrongNumber.Number = 2
	wrongParent := h1
	wrongParent.ParentHash = tipHash("elsewhere")
	h2OtherParent := h2
	h2OtherParent.ParentHash = tipHash("elsewhere")
	for name, hs := range map[string][]Header{
		"skips a number":           {rehash(wrongNumber)},
		"other parent":             {rehash(wrongParent)},
		"gap inside the batch":     {h1, rehash(func() Header { h := h2; h.Number = 3; return h }())},
		"broken link in the batch": {h1, rehash(h2OtherParent)},
		"starts a block late":      {h2},
	} {
		if _, err := g.Apply(hs); !errors.Is(err, ErrInvalidVotingChain) {
			t.Errorf("%s: %v, want ErrInvalidVotingChain", name, err)
		}
	}
	if _, err := g.Apply([]Header{h1, h2}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointRules: a checkpoint carries no vote and exactly the sorted
// signers; other blocks carry no list. VerifyHeader and Apply agree.
func TestCheckpointRules(t *testing.T) {
	a, b, c := key("A"), key("B"), key("C")
	ch := newTestChain(t, Config{Epoch: 2}, []Signer{a, b})
	ch.seal(t, a, nil)
	snap, parent := ch.head() // block 2 is a checkpoint
	ok := child(snap, parent, b, nil)
	edit := func(f func(*Header)) Header { h := ok; f(&h); return rehash(h) }
	tests := []struct {
		name string
		h    Header
		want error
	}{
		{"valid", ok, nil},
		{"vote on a checkpoint", edit(func(h *Header) { h.Vote = &Proposal{Target: c, Authorize: true} }), ErrInvalidVote},
		{"drop vote on a checkpoint", edit(func(h *Header) { h.Vote = &Proposal{Target: a} }), ErrInvalidVote},
		{"no list", edit(func(h *Header) { h.Checkpoint = nil }), ErrInvalidCheckpointSigners},
		{"missing signer", edit(func(h *Header) { h.Checkpoint = h.Checkpoint[:1] }), ErrInvalidCheckpointSigners},
		{"extra signer", edit(func(h *Header) { h.Checkpoint = sortedCopy([]Signer{a, b, c}) }), ErrInvalidCheckpointSigners},
		{"unsorted", edit(func(h *Header) { h.Checkpoint = []Signer{h.Checkpoint[1], h.Checkpoint[0]} }), ErrInvalidCheckpointSigners},
		{"duplicate", edit(func(h *Header) { h.Checkpoint = []Signer{h.Checkpoint[0], h.Checkpoint[0]} }), ErrInvalidCheckpointSigners},
	}
	for _, tt := range tests {
		_, aerr := snap.Apply([]Header{tt.h})
		verr := VerifyHeader(snap, tt.h, parent)
		for _, err := range []error{aerr, verr} {
			if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
	}
	// A list on a non-checkpoint block.
	ch.seal(t, b, nil)
	snap, parent = ch.head()
	h := child(snap, parent, a, nil)
	h.Checkpoint = snap.Signers()
	h = rehash(h)
	if _, err := snap.Apply([]Header{h}); !errors.Is(err, ErrInvalidCheckpointSigners) {
		t.Errorf("list on block 3: %v", err)
	}
	if err := VerifyHeader(snap, h, parent); !errors.Is(err, ErrInvalidCheckpointSigners) {
		t.Errorf("list on block 3: %v", err)
	}
}

// TestCheckpointResetsVotesNotRecents: votes and tallies go at a checkpoint,
// the recent signers stay.
func TestCheckpointResetsVotesNotRecents(t *testing.T) {
	a, b, c, d := key("A"), key("B"), key("C"), key("D")
	ch := newTestChain(t, Config{Epoch: 3}, []Signer{a, b, c})
	ch.seal(t, a, &Proposal{Target: d, Authorize: true})
	s := ch.seal(t, b, nil)
	if len(s.Votes) != 1 || s.Tally[d].Votes != 1 {
		t.Fatalf("votes %v tally %v", s.Votes, s.Tally)
	}
	s = ch.seal(t, c, nil) // checkpoint 3
	if len(s.Votes) != 0 || len(s.Tally) != 0 {
		t.Fatalf("after checkpoint: votes %v tally %v", s.Votes, s.Tally)
	}
	if s.Recents[3] != c || s.Recents[2] != b {
		t.Fatalf("recents %v", s.Recents)
	}
	if err := s.CanSeal(4, c); !errors.Is(err, ErrRecentlySigned) {
		t.Fatalf("C at 4: %v", err)
	}
}

func TestDifficulty(t *testing.T) {
	signers := signerKeys("diff", 3)
	ch := newTestChain(t, Config{}, signers)
	snap, parent := ch.head()
	sorted := snap.Signers()
	inTurn, outOfTurn := sorted[1], sorted[2] // block 1: index 1 mod 3
	for _, tt := range []struct {
		name   string
		signer Signer
		diff   uint8
		ok     bool
	}{
		{"in turn, 2", inTurn, DiffInTurn, true},
		{"in turn, 1", inTurn, DiffNoTurn, false},
		{"out of turn, 1", outOfTurn, DiffNoTurn, true},
		{"out of turn, 2", outOfTurn, DiffInTurn, false},
		{"zero", outOfTurn, 0, false},
		{"three", inTurn, 3, false},
	} {
		h := child(snap, parent, tt.signer, nil)
		h.Difficulty = tt.diff
		h = rehash(h)
		_, aerr := snap.Apply([]Header{h})
		verr := VerifyHeader(snap, h, parent)
		for _, err := range []error{aerr, verr} {
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, ErrInvalidDifficulty)) {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
	}
}

func TestVerifyHeaderLinksAndTime(t *testing.T) {
	a, b := key("A"), key("B")
	ch := newTestChain(t, Config{Period: 5 * time.Second}, []Signer{a, b})
	ch.seal(t, a, nil)
	snap, parent := ch.head()
	ok := child(snap, parent, b, nil)
	if ok.Time != parent.Time+5 {
		t.Fatalf("period: %d", ok.Time-parent.Time)
	}
	edit := func(f func(*Header)) Header { h := ok; f(&h); return rehash(h) }
	otherParent := parent
	otherParent.Hash = tipHash("other")
	for _, tt := range []struct {
		name   string
		snap   *Snapshot
		h, par Header
		want   error
	}{
		{"valid", snap, ok, parent, nil},
		{"later than the period", snap, edit(func(h *Header) { h.Time += 100 }), parent, nil},
		{"sooner than the period", snap, edit(func(h *Header) { h.Time-- }), parent, ErrInvalidTimestamp},
		{"before the parent", snap, edit(func(h *Header) { h.Time = parent.Time - 1 }), parent, ErrInvalidTimestamp},
		{"wrong number", snap, edit(func(h *Header) { h.Number++ }), parent, ErrUnknownAncestor},
		{"wrong parent hash", snap, edit(func(h *Header) { h.ParentHash = tipHash("x") }), parent, ErrUnknownAncestor},
		{"snapshot of another block", snap, ok, otherParent, ErrUnknownAncestor},
		{"snapshot of the grandparent", ch.snaps[0], ok, parent, ErrUnknownAncestor},
		{"unauthorized", snap, edit(func(h *Header) { h.Signer = key("X") }), parent, ErrUnauthorizedSigner},
		{"recent", snap, child(snap, parent, a, nil), parent, ErrRecentlySigned},
	} {
		err := VerifyHeader(tt.snap, tt.h, tt.par)
		if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestRecentWindowShrinksOnDrop: when a drop lowers floor(N/2)+1, the
// window loses its oldest entry at once (go-ethereum's "signer list
// shrunk" step), so the signer of that block may seal the next one.
func TestRecentWindowShrinksOnDrop(t *testing.T) {
	signers := sortedCopy(signerKeys("shrink", 4))
	a, b, c, d := signers[0], signers[1], signers[2], signers[3]
	ch := newTestChain(t, Config{}, signers)
	ch.seal(t, b, &Proposal{Target: d})
	ch.seal(t, c, &Proposal{Target: d})
	s := ch.seal(t, a, &Proposal{Target: d}) // 3 of 4: D dropped, limit 3 -> 2
	if s.IsSigner(d) || s.RecentLimit() != 2 {
		t.Fatalf("D still a signer or limit %d", s.RecentLimit())
	}
	if _, ok := s.Recents[1]; ok {
		t.Fatalf("block 1's entry kept after the window shrank: %v", s.Recents)
	}
	// Block 4: B sealed block 1, out of the 2-block window, so may seal.
	if err := s.CanSeal(4, b); err != nil {
		t.Fatalf("B at 4: %v", err)
	}
	s = ch.seal(t, b, nil)
	if err := s.CanSeal(5, b); !errors.Is(err, ErrRecentlySigned) {
		t.Fatalf("B at 5 after B at 4: %v", err)
	}
	if err := s.CanSeal(5, a); err != nil {
		t.Fatalf("A at 5 after A at 3: %v", err)
	}
}

// TestDroppedSignersVotesDiscarded: a dropped signer's pending votes stop
// counting, and votes on the dropped signer vanish with its status change.
func TestDroppedSignersVotesDiscarded(t *testing.T) {
	signers := sortedCopy(signerKeys("drop", 3))
	a, b, c := signers[0], signers[1], signers[2]
	e := key("E")
	ch := newTestChain(t, Config{}, signers)
	ch.seal(t, c, &Proposal{Target: e, Authorize: true})
	ch.seal(t, a, &Proposal{Target: c})
	s := ch.seal(t, b, &Proposal{Target: c}) // C dropped
	if s.IsSigner(c) || len(s.Votes) != 0 || len(s.Tally) != 0 {
		t.Fatalf("signers %v votes %v tally %v", s.Signers(), s.Votes, s.Tally)
	}
}

func TestReplaceVote(t *testing.T) {
	a, b, c := key("A"), key("B"), key("C")
	ch := newTestChain(t, Config{}, []Signer{a, b, c})
	s := ch.seal(t, a, &Proposal{Target: b})
	if s.Tally[b] != (Tally{Authorize: false, Votes: 1}) {
		t.Fatalf("tally %v", s.Tally)
	}
	ch.seal(t, c, nil)
	// A's newer vote on B replaces its drop vote; being an add for a
	// signer, it counts for nothing itself.
	s = ch.seal(t, a, &Proposal{Target: b, Authorize: true})
	if len(s.Votes) != 0 || len(s.Tally) != 0 {
		t.Fatalf("votes %v tally %v", s.Votes, s.Tally)
	}
	// Voting again the same way is one vote, not two.
	ch.seal(t, b, &Proposal{Target: key("D"), Authorize: true})
	ch.seal(t, c, nil)
	s = ch.seal(t, b, &Proposal{Target: key("D"), Authorize: true})
	if s.Tally[key("D")].Votes != 1 || len(s.Votes) != 1 || s.Votes[0].Block != 6 {
		t.Fatalf("votes %v tally %v", s.Votes, s.Tally)
	}
}

func TestInTurnEdges(t *testing.T) {
	empty := NewSnapshot(Config{}, 0, [32]byte{}, nil)
	if empty.InTurn(0, key("A")) || empty.InTurn(5, Signer{}) {
		t.Fatal("in turn with no signers")
	}
	if !errors.Is(empty.CanSeal(1, key("A")), ErrUnauthorizedSigner) {
		t.Fatal("seal with no signers")
	}
	signers := signerKeys("edge", 5)
	s := NewSnapshot(Config{}, 0, [32]byte{}, signers)
	sorted := s.Signers()
	if !slices.IsSortedFunc(sorted, Signer.Compare) || len(sorted) != 5 {
		t.Fatalf("Signers() not sorted: %v", sorted)
	}
	for number := uint64(0); number < 20; number++ {
		for i, signer := range sorted {
			if got := s.InTurn(number, signer); got != (uint64(i) == number%5) {
				t.Fatalf("InTurn(%d, #%d) = %v", number, i, got)
			}
		}
	}
	if big := ^uint64(0); !s.InTurn(big, sorted[big%5]) {
		t.Fatal("InTurn at the largest number")
	}
}

func TestOutOfTurnDelay(t *testing.T) {
	if OutOfTurnDelay(nil, 0) != 0 || OutOfTurnDelay(nil, -1) != 0 {
		t.Fatal("delay with no signers")
	}
	for n := 1; n <= 7; n++ {
		wiggle := time.Duration(n/2+1) * WiggleTime
		r1 := rand.New(rand.NewPCG(1, uint64(n)))
		r2 := rand.New(rand.NewPCG(1, uint64(n)))
		var lo, hi time.Duration = wiggle, 0
		for range 2000 {
			d := OutOfTurnDelay(r1, n)
			if d != OutOfTurnDelay(r2, n) {
				t.Fatal("not deterministic for a seeded source")
			}
			if d < 0 || d >= wiggle {
				t.Fatalf("n=%d: delay %v outside [0, %v)", n, d, wiggle)
			}
			lo, hi = min(lo, d), max(hi, d)
			if g := OutOfTurnDelay(nil, n); g < 0 || g >= wiggle {
				t.Fatalf("n=%d: global source delay %v", n, g)
			}
		}
		if lo > wiggle/20 || hi < wiggle-wiggle/20 {
			t.Fatalf("n=%d: delays span only [%v, %v] of [0, %v)", n, lo, hi, wiggle)
		}
	}
}

func TestConfig(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.Period != 2*time.Second || c.Epoch != 30000 {
		t.Fatalf("defaults %+v", c)
	}
	for _, tt := range []struct {
		c  Config
		ok bool
	}{
		{Config{}, true},
		{Config{Period: 5 * time.Second, Epoch: 100}, true},
		{Config{Period: -time.Second}, false},
		{Config{Period: 1500 * time.Millisecond}, false},
	} {
		if err := tt.c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.c, err)
		}
	}
	if (Config{Period: 1500 * time.Millisecond}).periodSeconds() != 2 {
		t.Error("sub-second periods round up")
	}
	if !(Config{}).IsCheckpoint(0) || !(Config{}).IsCheckpoint(30000) || (Config{}).IsCheckpoint(29999) {
		t.Error("IsCheckpoint with the default epoch")
	}
}

func TestSnapshotJSON(t *testing.T) {
	a, b, c := key("A"), key("B"), key("C")
	ch := newTestChain(t, Config{Epoch: 50}, []Signer{a, b, c})
	ch.seal(t, a, &Proposal{Target: key("D"), Authorize: true})
	s := ch.seal(t, b, &Proposal{Target: c})
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Fatalf("round trip:\n%s\n%+v\n%+v", raw, back, *s)
	}
	var sg Signer
	for _, bad := range []string{`"zz"`, `"` + a.String()[:62] + `zz"`, `"` + a.String() + `00"`} {
		if err := json.Unmarshal([]byte(bad), &sg); err == nil {
			t.Errorf("signer %s accepted", bad)
		}
	}
}
