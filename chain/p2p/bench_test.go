package p2p

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// BenchmarkBlockPropagation3Nodes measures, over loopback, the time from a
// signer publishing a block of 100 transactions to both other nodes of a
// three-node network holding it as their head (gossip, full verification
// and commit on each): ms/propagation. ns/op also counts building and
// sealing the block.
func BenchmarkBlockPropagation3Nodes(b *testing.B) {
	ctx := context.Background()
	g := chaintest.Genesis(1, "clinic-a")
	a := startNode(b, g, "clinic-a", false)
	nodes := []*testNode{a, startNode(b, g, "follower-b", false), startNode(b, g, "follower-c", false)}
	connect(b, nodes[0].host, nodes[1].host)
	connect(b, nodes[1].host, nodes[2].host)
	connect(b, nodes[0].host, nodes[2].host)
	acct := chaintest.NewAccounts()
	round := 0
	// one seals a block of 100 fresh transactions on a and gossips it, and
	// returns when b and c have it as head; propagation is the time from
	// publishing to the last node's head moving.
	var propagation time.Duration
	one := func() {
		for i := range 100 {
			name := fmt.Sprintf("patient-%d", i)
			if err := a.ledger.AddTx(ctx, acct.Sign(name, chaintest.Anchor(name, fmt.Sprintf("r%d", round)))); err != nil {
				b.Fatal(err)
			}
		}
		round++
		blk, err := a.ledger.Seal(ctx, chaintest.Key("clinic-a"), 0, false)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		defer func() { propagation += time.Since(start) }()
		if err := a.node.PublishBlock(ctx, blk); err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for _, n := range nodes[1:] {
			if err := n.ledger.WaitFor(wctx, func(tip ledger.Tip) bool { return tip.Hash == blk.Hash() }); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Warm up until blocks arrive by gossip, not by the sync fallback.
	deadline := time.Now().Add(30 * time.Second)
	for nodes[1].node.Stats().BlocksGossiped == 0 || nodes[2].node.Stats().BlocksGossiped == 0 {
		if time.Now().After(deadline) {
			b.Fatal("gossip never delivered a block")
		}
		one()
	}
	before := nodes[1].node.Stats().BlocksGossiped + nodes[2].node.Stats().BlocksGossiped
	propagation = 0
	b.ResetTimer()
	for b.Loop() {
		one()
	}
	b.StopTimer()
	gossiped := nodes[1].node.Stats().BlocksGossiped + nodes[2].node.Stats().BlocksGossiped - before
	b.ReportMetric(float64(propagation.Microseconds())/1000/float64(b.N), "ms/propagation")
	b.ReportMetric(100*float64(gossiped)/float64(2*b.N), "%gossiped")
}
