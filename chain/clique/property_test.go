package clique

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

func signerKeys(prefix string, n int) []Signer {
	out := make([]Signer, n)
	for i := range out {
		out[i] = key(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

// TestTurnAndRecentProperty grows random valid chains for 1 to 7 signers
// (epoch 16, so checkpoints pass by) and at every height checks, with
// reference answers computed from the chain's own history rather than from
// the snapshot:
//
//   - exactly one signer is in turn, signer number mod N in sorted order;
//   - every signer that sealed none of the last floor(N/2) blocks can seal
//     (CanSeal, VerifyHeader and Apply accept it with the right difficulty
//     and reject the wrong one), and every other signer is refused with
//     ErrRecentlySigned; so exactly N - min(height, floor(N/2)) can seal;
//   - a key outside the set is refused with ErrUnauthorizedSigner;
//
// and at the end that no floor(N/2)+1 consecutive blocks share a signer,
// that difficulty 2 went exactly to the in-turn blocks, and that importing
// the whole chain in one Apply gives the same snapshot.
func TestTurnAndRecentProperty(t *testing.T) {
	const blocks = 120
	outsider := key("outsider")
	for n := 1; n <= 7; n++ {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("N=%d/seed=%d", n, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(n)))
				signers := signerKeys(fmt.Sprintf("prop%d", n), n)
				sorted := sortedCopy(signers)
				limit := n/2 + 1
				gh := genesisHeader(signers)
				genesis := NewSnapshot(Config{Epoch: 16}, 0, gh.Hash, signers)
				snap, parent := genesis, gh
				var history []Header

				for len(history) < blocks {
					number := parent.Number + 1
					// In turn: exactly sorted[number mod N].
					inTurn := 0
					for _, s := range signers {
						if snap.InTurn(number, s) {
							inTurn++
							if s != sorted[number%uint64(n)] {
								t.Fatalf("block %d: %s in turn, want index %d", number, short(s), number%uint64(n))
							}
						}
					}
					if inTurn != 1 || snap.InTurn(number, outsider) {
						t.Fatalf("block %d: %d signers in turn (outsider %v)", number, inTurn, snap.InTurn(number, outsider))
					}

					// Who may seal, from history alone.
					recent := map[Signer]bool{}
					for i := max(0, len(history)-(limit-1)); i < len(history); i++ {
						recent[history[i].Signer] = true
					}
					var eligible []Header
					for _, s := range signers {
						h := child(snap, parent, s, nil)
						verr := VerifyHeader(snap, h, parent)
						_, aerr := snap.Apply([]Header{h})
						cerr := snap.CanSeal(number, s)
						if recent[s] {
							for _, err := range []error{verr, aerr, cerr} {
								if !errors.Is(err, ErrRecentlySigned) {
									t.Fatalf("block %d: recent signer %s: %v, want ErrRecentlySigned", number, short(s), err)
								}
							}
							continue
						}
						if verr != nil || aerr != nil || cerr != nil {
							t.Fatalf("block %d: eligible signer %s refused: verify %v, apply %v, canSeal %v", number, short(s), verr, aerr, cerr)
						}
						wrong := h
						wrong.Difficulty = 3 - h.Difficulty
						wrong = rehash(wrong)
						if _, err := snap.Apply([]Header{wrong}); !errors.Is(err, ErrInvalidDifficulty) {
							t.Fatalf("block %d: wrong difficulty %d for %s: %v", number, wrong.Difficulty, short(s), err)
						}
						if err := VerifyHeader(snap, wrong, parent); !errors.Is(err, ErrInvalidDifficulty) {
							t.Fatalf("block %d: VerifyHeader, wrong difficulty: %v", number, err)
						}
						eligible = append(eligible, h)
					}
					if want := n - min(len(history), limit-1); len(eligible) != want {
						t.Fatalf("block %d: %d signers may seal, want %d", number, len(eligible), want)
					}
					h := child(snap, parent, outsider, nil)
					if _, err := snap.Apply([]Header{h}); !errors.Is(err, ErrUnauthorizedSigner) {
						t.Fatalf("block %d: outsider: %v", number, err)
					}

					h = eligible[rng.IntN(len(eligible))]
					next, err := snap.Apply([]Header{h})
					if err != nil {
						t.Fatal(err)
					}
					history = append(history, h)
					snap, parent = next, h
				}

				for i := range history {
					for j := i + 1; j < len(history) && j < i+limit; j++ {
						if history[i].Signer == history[j].Signer {
							t.Fatalf("%s sealed blocks %d and %d, within %d", short(history[i].Signer), history[i].Number, history[j].Number, limit)
						}
					}
					h := history[i]
					if want := h.Signer == sorted[h.Number%uint64(n)]; (h.Difficulty == DiffInTurn) != want {
						t.Fatalf("block %d: difficulty %d, in turn %v", h.Number, h.Difficulty, want)
					}
				}
				all, err := genesis.Apply(history)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(all, snap) {
					t.Fatalf("one Apply differs from block by block")
				}
			})
		}
	}
}

// TestVotingInvariants seals random chains with random votes (targets drawn
// from the signers and outsiders, either direction, epoch 10) starting from
// 1 to 7 signers and checks after every block that the snapshot's
// bookkeeping holds together:
//
//   - every counted vote is by a current signer, one per signer and target,
//     cast after the last checkpoint;
//   - each tally equals the count of its votes, all pointing its way, and
//     that way would change the target's status;
//   - the recent signers are exactly the blocks in (number - limit, number];
//
// and that one Apply of the whole chain gives the same snapshot.
func TestVotingInvariants(t *testing.T) {
	const blocks = 200
	for n := 1; n <= 7; n++ {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("N=%d/seed=%d", n, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 100+uint64(n)))
				pool := signerKeys("vote", 9)
				signers := pool[:n]
				gh := genesisHeader(signers)
				genesis := NewSnapshot(Config{Epoch: 10}, 0, gh.Hash, signers)
				snap, parent := genesis, gh
				var history []Header
				changes := 0
				campaign := pool[rng.IntN(len(pool))]
				for len(history) < blocks {
					number := parent.Number + 1
					var eligible []Signer
					for _, s := range snap.Signers() {
						if snap.CanSeal(number, s) == nil {
							eligible = append(eligible, s)
						}
					}
					if len(eligible) == 0 {
						if len(snap.SignerSet) != 0 {
							t.Fatalf("block %d: %d signers and none may seal", number, len(snap.SignerSet))
						}
						break // every signer was voted out
					}
					signer := eligible[rng.IntN(len(eligible))]
					var vote *Proposal
					if !snap.Config.IsCheckpoint(number) && rng.IntN(3) > 0 {
						// Mostly the current campaign's target, so majorities
						// form before the epoch resets them.
						target := campaign
						if rng.IntN(4) == 0 {
							target = pool[rng.IntN(len(pool))]
						}
						// Mostly valid votes, so the set keeps changing; a
						// vote for no change now and then.
						auth := !snap.IsSigner(target)
						if rng.IntN(5) == 0 {
							auth = !auth
						}
						// Keep at least one signer most of the time.
						if !auth && len(snap.SignerSet) == 1 && rng.IntN(4) > 0 {
							auth = true
						}
						vote = &Proposal{Target: target, Authorize: auth}
					}
					h := child(snap, parent, signer, vote)
					if err := VerifyHeader(snap, h, parent); err != nil {
						t.Fatal(err)
					}
					next, err := snap.Apply([]Header{h})
					if err != nil {
						t.Fatal(err)
					}
					if len(next.SignerSet) != len(snap.SignerSet) {
						changes++
						campaign = pool[rng.IntN(len(pool))]
						if d := len(next.SignerSet) - len(snap.SignerSet); d != 1 && d != -1 {
							t.Fatalf("block %d: signer set changed by %d", number, d)
						}
					}
					history = append(history, h)
					snap, parent = next, h
					checkInvariants(t, snap, history)
				}
				t.Logf("%d blocks, %d signer set changes, %d signers at the end", len(history), changes, len(snap.SignerSet))
				if changes == 0 {
					t.Fatalf("no signer set change in %d blocks: the test exercises nothing", len(history))
				}
				all, err := genesis.Apply(history)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(all, snap) {
					t.Fatalf("one Apply differs from block by block")
				}
			})
		}
	}
}

func checkInvariants(t *testing.T, s *Snapshot, history []Header) {
	t.Helper()
	lastCheckpoint := s.Number - s.Number%s.Config.Epoch
	type pair struct{ signer, target Signer }
	seen := map[pair]bool{}
	count := map[Signer]int{}
	for _, v := range s.Votes {
		if !s.IsSigner(v.Signer) {
			t.Fatalf("block %d: vote by non-signer %s", s.Number, short(v.Signer))
		}
		if seen[pair{v.Signer, v.Target}] {
			t.Fatalf("block %d: two votes by %s on %s", s.Number, short(v.Signer), short(v.Target))
		}
		seen[pair{v.Signer, v.Target}] = true
		if v.Block <= lastCheckpoint && lastCheckpoint > 0 {
			t.Fatalf("block %d: vote from block %d survived checkpoint %d", s.Number, v.Block, lastCheckpoint)
		}
		tally, ok := s.Tally[v.Target]
		if !ok || tally.Authorize != v.Authorize {
			t.Fatalf("block %d: vote %+v not in tally %+v", s.Number, v, tally)
		}
		count[v.Target]++
	}
	for target, tally := range s.Tally {
		if tally.Votes != count[target] || tally.Votes == 0 {
			t.Fatalf("block %d: tally on %s is %d, votes %d", s.Number, short(target), tally.Votes, count[target])
		}
		if tally.Authorize == s.IsSigner(target) {
			t.Fatalf("block %d: tally %+v on %s would change nothing", s.Number, tally, short(target))
		}
	}
	// The recent window holds at least the last limit-1 blocks (whose
	// signers may not seal the next one) and nothing at or before
	// number-limit.
	limit := s.RecentLimit()
	for number, signer := range s.Recents {
		if number == 0 || number > s.Number || (s.Number >= limit && number <= s.Number-limit) {
			t.Fatalf("block %d: recent entry %d outside the window of %d", s.Number, number, limit)
		}
		if history[number-1].Signer != signer {
			t.Fatalf("block %d: recent entry %d names %s, the block's signer is %s", s.Number, number, short(signer), short(history[number-1].Signer))
		}
	}
	for number := s.Number; number > 0 && number+limit > s.Number+1; number-- {
		if _, ok := s.Recents[number]; !ok {
			t.Fatalf("block %d: recent entry %d missing (limit %d)", s.Number, number, limit)
		}
	}
}
