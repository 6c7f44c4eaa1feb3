package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// testNode is a chain node on its own loopback host.
type testNode struct {
	name   string
	host   host.Host
	ledger *ledger.Ledger
	node   *Node
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

func newHost(t testing.TB) host.Host {
	t.Helper()
	h, err := libp2p.New(
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// startNode opens a ledger for g and a chain node on a new host; if seal
// is true it runs the sealer with the key named name.
func startNode(t testing.TB, g *chain.Genesis, name string, seal bool) *testNode {
	t.Helper()
	tn := startNodeNoCleanup(t, g, name, seal)
	t.Cleanup(tn.close)
	return tn
}

// startNodeNoCleanup is startNode for tests that close the node themselves.
func startNodeNoCleanup(t testing.TB, g *chain.Genesis, name string, seal bool) *testNode {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("HW_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
	}
	l, err := ledger.Open(ctx, ledger.Config{Dir: t.TempDir(), Genesis: g, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t)
	n, err := New(ctx, Config{Host: h, Ledger: l, SyncInterval: 500 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{name: name, host: h, ledger: l, node: n}
	sctx, cancel := context.WithCancel(ctx)
	tn.stop = cancel
	if seal {
		tn.wg.Go(func() { n.RunSealer(sctx, chaintest.Key(name)) })
	}
	return tn
}

func (tn *testNode) close() {
	tn.stop()
	tn.wg.Wait()
	tn.node.Close()
	tn.host.Close()
	tn.ledger.Close()
}

func connect(t testing.TB, a, b host.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// cut disconnects a and b and forgets their addresses, so that neither
// redials the other.
func cut(a, b host.Host) {
	a.Peerstore().ClearAddrs(b.ID())
	b.Peerstore().ClearAddrs(a.ID())
	a.Network().ClosePeer(b.ID())
	b.Network().ClosePeer(a.ID())
}

// eventually waits, up to d, for cond; it polls because the conditions
// span several nodes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameChain reports whether every node has the same head and, at every
// height, the same canonical block.
func sameChain(nodes ...*testNode) error {
	head := nodes[0].ledger.Head()
	for _, n := range nodes[1:] {
		if h := n.ledger.Head(); h != head {
			return fmt.Errorf("%s at %d %s, %s at %d %s", nodes[0].name, head.Number, head.Hash, n.name, h.Number, h.Hash)
		}
	}
	for i := uint64(0); i <= head.Number; i++ {
		want, err := nodes[0].ledger.CanonicalHash(i)
		if err != nil {
			return err
		}
		for _, n := range nodes[1:] {
			if got, err := n.ledger.CanonicalHash(i); err != nil || got != want {
				return fmt.Errorf("block %d: %s has %s (%v), %s has %s", i, n.name, got, err, nodes[0].name, want)
			}
		}
	}
	return nil
}

// txCounts counts each transaction's appearances in n's canonical chain.
func txCounts(t testing.TB, n *testNode) map[chain.Hash]int {
	t.Helper()
	counts := map[chain.Hash]int{}
	head := n.ledger.Head()
	for i := uint64(1); i <= head.Number; i++ {
		h, err := n.ledger.CanonicalHash(i)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := n.ledger.Block(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Txs {
			counts[tx.Hash()]++
		}
	}
	return counts
}

// allIncludedOnce reports whether every tx is in n's chain exactly once.
func allIncludedOnce(t testing.TB, n *testNode, txs []*chain.Tx) error {
	counts := txCounts(t, n)
	for _, tx := range txs {
		if c := counts[tx.Hash()]; c != 1 {
			return fmt.Errorf("%s: tx %s in the chain %d times", n.name, tx.Hash(), c)
		}
	}
	return nil
}
