package p2p

import (
	"bufio"
	"context"
	"go.uber.org/goleak"
	"slices"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// hostile is a raw gossipsub peer on the chain's topics, with no validators
// and no ledger: it publishes whatever it is told to.
type hostile struct {
	host      host.Host
	txs, blks *pubsub.Topic
	subs      []*pubsub.Subscription
}

func newHostile(t *testing.T, honest *testNode) *hostile {
	t.Helper()
	h := newHost(t)
	t.Cleanup(func() { h.Close() })
	ps, err := pubsub.NewGossipSub(context.Background(), h, pubsub.WithMaxMessageSize(chain.MaxBlockSize+64<<10))
	if err != nil {
		t.Fatal(err)
	}
	txName, blkName := Topics(honest.ledger.GenesisHash())
	m := &hostile{host: h}
	if m.txs, err = ps.Join(txName); err != nil {
		t.Fatal(err)
	}
	if m.blks, err = ps.Join(blkName); err != nil {
		t.Fatal(err)
	}
	for _, tp := range []*pubsub.Topic{m.txs, m.blks} {
		sub, err := tp.Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		m.subs = append(m.subs, sub)
	}
	connect(t, h, honest.host)
	// Both directions: the hostile peer's outbound stream exists once the
	// honest node has seen its subscriptions (gossipsub drops messages to
	// a peer it has no stream to yet).
	eventually(t, 20*time.Second, "the peers in each other's topics", func() bool {
		return slices.Contains(honest.node.txTopic.ListPeers(), h.ID()) && slices.Contains(honest.node.blkTopic.ListPeers(), h.ID()) &&
			len(m.txs.ListPeers()) > 0 && len(m.blks.ListPeers()) > 0
	})
	return m
}

// Hostile peers' messages are rejected, the honest head does not move, and
// the sender is penalised.
func TestHostilePeers(t *testing.T) {
	ctx := context.Background()
	g := chaintest.Genesis(1, "clinic-a")
	honest := startNode(t, g, "clinic-a", true)
	acct := chaintest.NewAccounts()
	first := acct.Sign("alice", chaintest.Anchor("alice", "r1"))
	grant := acct.Sign("alice", chaintest.Grant("dr-x"))
	for _, tx := range []*chain.Tx{first, grant} {
		if err := honest.node.SubmitTx(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := honest.ledger.WaitFor(ctxTimeout(t, 20*time.Second), func(tip ledger.Tip) bool {
		n, _ := honest.ledger.State().Nonce(chaintest.Pub("alice"))
		return n == 2
	}); err != nil {
		t.Fatal(err)
	}
	head := honest.ledger.HeadHeader()
	headHash := head.Hash()

	// onHead builds a block on the honest head sealed by signer.
	onHead := func(signer string, txs []*chain.Tx, change func(*chain.Header)) []byte {
		h := chain.Header{ChainID: g.ChainID, ParentHash: headHash, Number: head.Number + 1, Time: head.Time + 1, Difficulty: chain.DiffInTurn}
		blk := chain.NewBlock(h, txs)
		blk.Header.StateRoot = ledger.StateRoot(head.StateRoot, blk.Header.Number, blk.Header.TxRoot, honest.ledger.Signers())
		if change != nil {
			change(&blk.Header)
		}
		if err := blk.Header.Seal(chaintest.Key(signer)); err != nil {
			t.Fatal(err)
		}
		return blk.Encode()
	}
	ok := []*chain.Tx{chaintest.SignNonce("bob", 0, chaintest.Anchor("bob", "r1"))}
	cases := []struct {
		name  string
		topic string // "txs" or "blocks"
		data  []byte
	}{
		{"garbage block", "blocks", []byte("not a block at all")},
		{"garbage transaction", "txs", []byte{1, 2, 3, 4}},
		{"bad seal", "blocks", func() []byte {
			b := onHead("clinic-a", ok, nil)
			b[len(b)-len(ok[0].Encode())-10] ^= 1 // inside the header's seal
			return b
		}()},
		{"a non-signer's block", "blocks", onHead("mallory", ok, nil)},
		{"a wrong parent", "blocks", onHead("mallory", ok, func(h *chain.Header) { h.ParentHash[0] ^= 1 })},
		// Sealed with the signer's own key, as a faulty or compromised
		// signer would: only the state rules can refuse these.
		{"a replayed nonce in a signer's block", "blocks", onHead("clinic-a", []*chain.Tx{first}, nil)},
		{"a revoke by a stranger in a signer's block", "blocks", onHead("clinic-a", []*chain.Tx{chaintest.SignNonce("mallory", 0, chain.ConsentRevoke{Grant: grant.Hash()})}, nil)},
		{"an oversized block", "blocks", make([]byte, chain.MaxBlockSize+1)},
		{"a grant signed by anyone but the patient", "txs", chaintest.Forge("mallory", "alice", 2, chaintest.Grant("mallory")).Encode()},
		{"a grant to oneself", "txs", chaintest.SignNonce("mallory", 0, chain.ConsentGrant{Grantee: chaintest.Pub("mallory"),
			Scope: chain.NewScope(nil, []chain.Category{chain.CategoryOther}), Actions: chain.ActionWrite, Purpose: chain.PurposeTREAT,
			NotBefore: 1, Expiry: 1 << 40}).Encode()},
		{"a bad transaction signature", "txs", chaintest.Forge("mallory", "bob", 0, chaintest.Anchor("bob", "r2")).Encode()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newHostile(t, honest)
			topic := m.blks
			if c.topic == "txs" {
				topic = m.txs
			}
			// gossipsub may drop a message sent in the first moments of
			// a connection (before its send queue to the peer exists), so
			// the hostile peer keeps sending until it is penalised.
			eventually(t, 20*time.Second, "the hostile peer penalised", func() bool {
				if err := topic.Publish(ctx, c.data); err != nil {
					t.Fatal(err)
				}
				return honest.node.Penalty(m.host.ID()) > 0
			})
			if got := honest.ledger.Head().Hash; got != headHash {
				t.Fatalf("honest head moved to %s", got)
			}
			if honest.ledger.Pool().Len() != 0 {
				t.Fatal("the hostile transaction is pending")
			}
		})
	}
}

// A peer that claims a better chain and serves garbage, or serves a chain
// sealed by someone who is not a signer, is penalised by sync; repeated
// offences ban it.
func TestHostileSyncPeers(t *testing.T) {
	ctx := context.Background()
	g := chaintest.Genesis(1, "clinic-a")
	honest := startNode(t, g, "clinic-a", false)
	genesis := honest.ledger.GenesisHash()
	fake := func(blocks []byte) func(network.Stream) {
		return func(s network.Stream) {
			defer s.Close()
			b, err := readFrame(bufio.NewReader(s), maxRequest)
			if err != nil {
				return
			}
			req, _ := decodeRequest(b)
			switch req.kind {
			case kindStatus:
				writeFrame(s, Status{Genesis: genesis, Number: 5, Head: chain.Hash{5}, TotalDifficulty: 99}.encode())
			default:
				writeFrame(s, blocks)
			}
		}
	}
	// A chain of one block sealed by mallory on the honest genesis.
	gh, _ := g.Header()
	h := chain.Header{ChainID: g.ChainID, ParentHash: gh.Hash(), Number: 1, Time: gh.Time + 1, Difficulty: chain.DiffInTurn}
	blk := chain.NewBlock(h, []*chain.Tx{chaintest.SignNonce("bob", 0, chaintest.Anchor("bob", "r1"))})
	blk.Header.StateRoot = ledger.StateRoot(gh.StateRoot, 1, blk.Header.TxRoot, honest.ledger.Signers())
	if err := blk.Header.Seal(chaintest.Key("mallory")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		response []byte
		want     float64
	}{
		{"garbage blocks", []byte{1, 5, 0xff, 0xff}, PenaltyGarbage},
		{"a non-signer's chain", encodeBatch([][]byte{blk.Encode()}), PenaltyInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newHost(t)
			defer m.Close()
			m.SetStreamHandler(protocol.ID(ProtocolID), fake(c.response))
			connect(t, m, honest.host)
			if err := honest.node.SyncWith(ctx, m.ID()); err == nil {
				t.Fatal("sync from a hostile peer succeeded")
			}
			if p := honest.node.Penalty(m.ID()); p < c.want {
				t.Fatalf("penalty %v, want at least %v", p, c.want)
			}
			if honest.ledger.Head().Number != 0 {
				t.Fatal("honest head moved")
			}
		})
	}
	// Offending until banned: disconnected and refused.
	m := newHost(t)
	defer m.Close()
	m.SetStreamHandler(protocol.ID(ProtocolID), fake([]byte{0xff}))
	connect(t, m, honest.host)
	for !honest.node.Banned(m.ID()) {
		honest.node.SyncWith(ctx, m.ID())
	}
	eventually(t, 10*time.Second, "the banned peer disconnected", func() bool {
		return honest.host.Network().Connectedness(m.ID()) != network.Connected
	})
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Close leaves no goroutine behind (the host is closed by its owner).
func TestCloseLeavesNoGoroutine(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	g := chaintest.Genesis(1, "clinic-a")
	func() {
		a := startNodeNoCleanup(t, g, "clinic-a", true)
		b := startNodeNoCleanup(t, g, "follower", false)
		connect(t, a.host, b.host)
		if err := a.node.SubmitTx(context.Background(), chaintest.SignNonce("alice", 0, chaintest.Anchor("alice", "r"))); err != nil {
			t.Fatal(err)
		}
		if err := b.ledger.WaitFor(ctxTimeout(t, 20*time.Second), func(tip ledger.Tip) bool { return tip.Number >= 1 }); err != nil {
			t.Fatal(err)
		}
		a.close()
		b.close()
	}()
	goleak.VerifyNone(t, ignore)
}
