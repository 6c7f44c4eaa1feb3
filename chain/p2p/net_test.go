package p2p

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

var signers = []string{"clinic-a", "clinic-b", "clinic-c"}

// Transactions sent to any node end up, once, in the same chain on all.
func TestTxsReachOneChainOnAll(t *testing.T) {
	g := chaintest.Genesis(1, signers...)
	var nodes []*testNode
	for _, s := range signers {
		nodes = append(nodes, startNode(t, g, s, true))
	}
	nodes = append(nodes, startNode(t, g, "follower", false))
	for i := range nodes {
		for j := i + 1; j < len(nodes); j++ {
			connect(t, nodes[i].host, nodes[j].host)
		}
	}
	acct := chaintest.NewAccounts()
	rng := rand.New(rand.NewPCG(7, 7))
	var txs []*chain.Tx
	for i := range 40 {
		// Eight patients, five records each; each patient's transactions
		// go to one node in nonce order.
		patient := fmt.Sprintf("patient-%d", i%8)
		tx := acct.Sign(patient, chaintest.Anchor(patient, fmt.Sprintf("r%d", i)))
		txs = append(txs, tx)
		n := nodes[(i%8+rng.IntN(1))%len(nodes)]
		if err := n.node.SubmitTx(context.Background(), tx); err != nil {
			t.Fatalf("submit to %s: %v", n.name, err)
		}
	}
	eventually(t, 60*time.Second, "all transactions in one chain on every node", func() bool {
		for _, n := range nodes {
			if allIncludedOnce(t, n, txs) != nil {
				return false
			}
		}
		return sameChain(nodes...) == nil
	})
	for _, n := range nodes {
		if err := n.ledger.IntegrityCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("head %d; gossip stats %+v", nodes[0].ledger.Head().Number, nodes[3].node.Stats())
}

// A partition {A} | {B, C} and its healing converge on one chain with
// identical headers, every transaction in it once.
func TestPartitionHeals(t *testing.T) {
	g := chaintest.Genesis(1, signers...)
	a := startNode(t, g, "clinic-a", true)
	b := startNode(t, g, "clinic-b", true)
	c := startNode(t, g, "clinic-c", true)
	connect(t, a.host, b.host)
	connect(t, a.host, c.host)
	connect(t, b.host, c.host)
	acct := chaintest.NewAccounts()
	var txs []*chain.Tx
	submit := func(n *testNode, patient string, count int) {
		for i := range count {
			tx := acct.Sign(patient, chaintest.Anchor(patient, fmt.Sprintf("r%d-%d", len(txs), i)))
			txs = append(txs, tx)
			if err := n.node.SubmitTx(context.Background(), tx); err != nil {
				t.Fatal(err)
			}
		}
	}
	submit(a, "p-before", 3)
	eventually(t, 30*time.Second, "first transactions everywhere", func() bool {
		return allIncludedOnce(t, a, txs) == nil && sameChain(a, b, c) == nil
	})

	cut(a.host, b.host)
	cut(a.host, c.host)
	start := a.ledger.Head().Number
	submit(a, "p-alone", 4) // A alone may seal at most every other block: it stalls
	// The majority side moves on: three rounds of transactions, each
	// waited for, so at least three blocks.
	for round := range 3 {
		side := []*testNode{b, c}[round%2]
		submit(side, "p-majority", 2)
		eventually(t, 30*time.Second, "the majority side includes round "+fmt.Sprint(round), func() bool {
			return allIncludedOnce(t, b, txs[len(txs)-2:]) == nil && allIncludedOnce(t, c, txs[len(txs)-2:]) == nil
		})
	}
	if b.ledger.Head().Number < start+3 {
		t.Fatalf("majority at %d, partition began at %d", b.ledger.Head().Number, start)
	}
	if a.ledger.Head().Number > start+1 {
		t.Fatalf("A alone sealed %d blocks", a.ledger.Head().Number-start)
	}

	connect(t, a.host, b.host)
	connect(t, a.host, c.host)
	eventually(t, 60*time.Second, "one chain after healing, every transaction once", func() bool {
		for _, n := range []*testNode{a, b, c} {
			if allIncludedOnce(t, n, txs) != nil {
				return false
			}
		}
		return sameChain(a, b, c) == nil
	})
}
