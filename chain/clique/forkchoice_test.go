package clique

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
)

func tipHash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// lowHigh returns two hashes ordered low < high.
func lowHigh() (lo, hi [32]byte) {
	a, b := tipHash("a"), tipHash("b")
	if Better(ChainTip{Hash: a}, ChainTip{Hash: b}) {
		return a, b
	}
	return b, a
}

func TestBetterRules(t *testing.T) {
	lo, hi := lowHigh()
	tests := []struct {
		name string
		a, b ChainTip
		want bool
	}{
		{"rule 1: higher total difficulty", ChainTip{hi, 9, 11}, ChainTip{lo, 5, 10}, true},
		{"rule 1: lower total difficulty", ChainTip{lo, 5, 10}, ChainTip{hi, 9, 11}, false},
		{"rule 2: equal TD, lower number", ChainTip{hi, 5, 10}, ChainTip{lo, 6, 10}, true},
		{"rule 2: equal TD, higher number", ChainTip{lo, 6, 10}, ChainTip{hi, 5, 10}, false},
		{"rule 3: equal TD and number, lower hash", ChainTip{lo, 5, 10}, ChainTip{hi, 5, 10}, true},
		{"rule 3: equal TD and number, higher hash", ChainTip{hi, 5, 10}, ChainTip{lo, 5, 10}, false},
		{"rule 4: same block", ChainTip{lo, 5, 10}, ChainTip{lo, 5, 10}, false},
	}
	for _, tt := range tests {
		if got := Better(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Better = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, ok := Head(nil); ok {
		t.Errorf("Head(nil) ok")
	}
}

// TestBetterIsStrictTotalOrder checks irreflexivity, asymmetry, totality on
// distinct blocks and transitivity over small value ranges, where ties on
// rules 1 and 2 are common.
func TestBetterIsStrictTotalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tips := make([]ChainTip, 40)
	for i := range tips {
		tips[i] = ChainTip{Hash: tipHash(fmt.Sprint(i)), Number: uint64(rng.IntN(3)), TotalDifficulty: uint64(rng.IntN(3))}
	}
	for _, a := range tips {
		if Better(a, a) {
			t.Fatalf("Better(a, a)")
		}
		for _, b := range tips {
			if a.Hash != b.Hash && Better(a, b) == Better(b, a) {
				t.Fatalf("neither or both of %v, %v better", a, b)
			}
			for _, c := range tips {
				if Better(a, b) && Better(b, c) && !Better(a, c) {
					t.Fatalf("not transitive: %v > %v > %v", a, b, c)
				}
			}
		}
	}
}

// TestForkChoiceArrivalOrderTips: a node that sees competing tips one by one
// and keeps the better ends on the same head for every arrival order.
func TestForkChoiceArrivalOrderTips(t *testing.T) {
	lo, hi := lowHigh()
	type tipSet struct {
		name string
		tips []ChainTip
	}
	sets := []tipSet{
		{"all different TD", []ChainTip{{tipHash("1"), 3, 5}, {tipHash("2"), 4, 6}, {tipHash("3"), 4, 7}, {tipHash("4"), 2, 4}}},
		{"TD tie, numbers", []ChainTip{{tipHash("1"), 3, 6}, {tipHash("2"), 4, 6}, {tipHash("3"), 5, 6}, {tipHash("4"), 6, 6}, {tipHash("5"), 2, 5}}},
		{"TD and number ties", []ChainTip{{lo, 4, 6}, {hi, 4, 6}, {tipHash("x"), 4, 6}, {tipHash("y"), 4, 6}, {tipHash("z"), 4, 6}, {tipHash("w"), 4, 6}}},
		{"mixed", []ChainTip{{lo, 4, 6}, {hi, 4, 6}, {tipHash("x"), 5, 6}, {tipHash("y"), 3, 5}, {tipHash("z"), 6, 7}, {tipHash("w"), 7, 7}}},
		{"one", []ChainTip{{lo, 1, 2}}},
		{"duplicates collapse", []ChainTip{{lo, 4, 6}, {lo, 4, 6}, {hi, 4, 6}}},
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 20 {
		n := 2 + rng.IntN(5)
		var tips []ChainTip
		for j := range n {
			tips = append(tips, ChainTip{Hash: tipHash(fmt.Sprint(i, j)), Number: uint64(rng.IntN(3)), TotalDifficulty: uint64(rng.IntN(3))})
		}
		sets = append(sets, tipSet{fmt.Sprintf("random %d", i), tips})
	}
	for _, s := range sets {
		name, set := s.name, s.tips
		want, _ := Head(set)
		orders := 0
		permutations(len(set), func(p []int) {
			orders++
			head := set[p[0]]
			for _, i := range p[1:] {
				if Better(set[i], head) {
					head = set[i]
				}
			}
			if head != want {
				t.Fatalf("%s: order %v ends on %v, want %v", name, p, head, want)
			}
		})
		if want := factorial(len(set)); orders != want {
			t.Fatalf("%s: %d orders, want %d", name, orders, want)
		}
	}
}

func factorial(n int) int {
	if n <= 1 {
		return 1
	}
	return n * factorial(n-1)
}

// TestForkChoiceArrivalOrderBlocks delivers the blocks of a block tree in
// every order to a node that buffers blocks whose parent it lacks,
// accumulates total difficulty and moves its head with Better: every order
// ends on the same head.
func TestForkChoiceArrivalOrderBlocks(t *testing.T) {
	type block struct {
		hash, parent [32]byte
		diff         uint8
	}
	genesis := tipHash("genesis")
	for seed := uint64(0); seed < 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		n := 3 + int(seed%4) // 3..6 blocks
		blocks := make([]block, n)
		for i := range blocks {
			parent := genesis
			if k := rng.IntN(i + 1); k < i {
				parent = blocks[k].hash
			}
			blocks[i] = block{hash: tipHash(fmt.Sprint(seed, "/", i)), parent: parent, diff: uint8(1 + rng.IntN(2))}
		}
		var heads []ChainTip
		permutations(n, func(p []int) {
			known := map[[32]byte]ChainTip{genesis: {Hash: genesis}}
			head := known[genesis]
			var pending []block
			for _, i := range p {
				pending = append(pending, blocks[i])
				for progress := true; progress; {
					progress = false
					for j := 0; j < len(pending); j++ {
						b := pending[j]
						par, ok := known[b.parent]
						if !ok {
							continue
						}
						tip := ChainTip{Hash: b.hash, Number: par.Number + 1, TotalDifficulty: par.TotalDifficulty + uint64(b.diff)}
						known[b.hash] = tip
						if Better(tip, head) {
							head = tip
						}
						pending = append(pending[:j], pending[j+1:]...)
						progress = true
						j--
					}
				}
			}
			if len(pending) != 0 {
				t.Fatalf("seed %d: %d blocks never connected", seed, len(pending))
			}
			heads = append(heads, head)
		})
		for _, h := range heads {
			if h != heads[0] {
				t.Fatalf("seed %d: arrival orders end on different heads: %v and %v", seed, h, heads[0])
			}
		}
	}
}
