package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
)

// Config configures New.
type Config struct {
	Host   host.Host
	Ledger *ledger.Ledger
	// SyncInterval is how often the node asks its peers for their heads
	// (0: the block period).
	SyncInterval time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Topics returns the gossip topic names of the chain with this genesis.
func Topics(genesis chain.Hash) (txs, blocks string) {
	g := genesis.String()[:16]
	return "/healthwallet/chain/" + g + "/txs/1", "/healthwallet/chain/" + g + "/blocks/1"
}

// Node gossips and syncs one ledger over one host.
type Node struct {
	host   host.Host
	ledger *ledger.Ledger
	log    *slog.Logger
	cfg    Config

	ps                *pubsub.PubSub
	blacklist         pubsub.Blacklist
	txTopic, blkTopic *pubsub.Topic
	txSub, blkSub     *pubsub.Subscription
	penalties         *penalties
	syncNow           chan syncRequest
	cancel            context.CancelFunc
	wg                sync.WaitGroup
	closeOnce         sync.Once
	notifiee          *network.NotifyBundle
	syncMu            sync.Mutex // one sync at a time
	stats             Stats
	statsMu           sync.Mutex
}

// Stats counts what the node did, for status displays and tests.
type Stats struct {
	BlocksGossiped, TxsGossiped int // accepted from gossip
	BlocksSynced                int // inserted from sync responses
	Rejected                    int // invalid messages and responses
}

// New joins the chain's topics on cfg.Host, serves the sync protocol and
// starts syncing. Close stops it; the host stays the caller's.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Host == nil || cfg.Ledger == nil {
		return nil, errors.New("p2p: host and ledger required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = cfg.Ledger.Period()
	}
	n := &Node{
		host:      cfg.Host,
		ledger:    cfg.Ledger,
		log:       cfg.Logger,
		cfg:       cfg,
		blacklist: pubsub.NewMapBlacklist(),
		penalties: newPenalties(cfg.Now),
		syncNow:   make(chan syncRequest, 64),
	}
	txName, blkName := Topics(cfg.Ledger.GenesisHash())
	// The node owns its pubsub: Close cancels loopCtx, which stops it.
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	ps, err := pubsub.NewGossipSub(loopCtx, cfg.Host,
		pubsub.WithMaxMessageSize(chain.MaxBlockSize+64<<10),
		pubsub.WithPeerOutboundQueueSize(1024),
		pubsub.WithValidateQueueSize(1024),
		pubsub.WithBlacklist(n.blacklist),
		pubsub.WithMessageIdFn(func(m *pb.Message) string {
			h := sha256.Sum256(m.Data)
			return string(h[:])
		}),
		pubsub.WithPeerScore(n.scoreParams(txName, blkName), &pubsub.PeerScoreThresholds{
			GossipThreshold:             -50,
			PublishThreshold:            -100,
			GraylistThreshold:           -200,
			AcceptPXThreshold:           10,
			OpportunisticGraftThreshold: 2,
		}),
	)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("p2p: gossipsub: %w", err)
	}
	fail := func(err error) (*Node, error) {
		cancel() // stops the pubsub and everything joined on it
		return nil, err
	}
	n.ps = ps
	if err := ps.RegisterTopicValidator(txName, n.validateTx); err != nil {
		return fail(fmt.Errorf("p2p: %w", err))
	}
	if err := ps.RegisterTopicValidator(blkName, n.validateBlock); err != nil {
		return fail(fmt.Errorf("p2p: %w", err))
	}
	if n.txTopic, err = ps.Join(txName); err != nil {
		return fail(fmt.Errorf("p2p: join %s: %w", txName, err))
	}
	if n.blkTopic, err = ps.Join(blkName); err != nil {
		return fail(fmt.Errorf("p2p: join %s: %w", blkName, err))
	}
	// Subscriptions keep this node in the topics' meshes; the validators
	// have already acted on every message, so the loops only drain.
	if n.txSub, err = n.txTopic.Subscribe(pubsub.WithBufferSize(1024)); err != nil {
		return fail(fmt.Errorf("p2p: %w", err))
	}
	if n.blkSub, err = n.blkTopic.Subscribe(pubsub.WithBufferSize(1024)); err != nil {
		return fail(fmt.Errorf("p2p: %w", err))
	}
	cfg.Host.SetStreamHandler(ProtocolID, n.serveSync)
	n.notifiee = &network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) { n.requestSync(syncRequest{peer: c.RemotePeer(), pool: true}) }}
	cfg.Host.Network().Notify(n.notifiee)

	n.wg.Add(3)
	go n.drain(loopCtx, n.txSub)
	go n.drain(loopCtx, n.blkSub)
	go n.syncLoop(loopCtx)
	for _, p := range cfg.Host.Network().Peers() {
		n.requestSync(syncRequest{peer: p, pool: true})
	}
	return n, nil
}

func (n *Node) scoreParams(txName, blkName string) *pubsub.PeerScoreParams {
	topic := func() *pubsub.TopicScoreParams {
		return &pubsub.TopicScoreParams{
			TopicWeight:                    1,
			TimeInMeshQuantum:              time.Second,
			InvalidMessageDeliveriesWeight: -10,
			InvalidMessageDeliveriesDecay:  0.9,
		}
	}
	return &pubsub.PeerScoreParams{
		Topics:            map[string]*pubsub.TopicScoreParams{txName: topic(), blkName: topic()},
		AppSpecificScore:  func(p peer.ID) float64 { return -penaltyScoreUnit * n.penalties.points(p) },
		AppSpecificWeight: 1,
		// Clinic nodes on one LAN, and every test, share addresses: do not
		// count colocation against them.
		IPColocationFactorWeight: 0,
		DecayInterval:            time.Second,
		DecayToZero:              0.01,
		RetainScore:              10 * time.Minute,
	}
}

func (n *Node) drain(ctx context.Context, sub *pubsub.Subscription) {
	defer n.wg.Done()
	for {
		if _, err := sub.Next(ctx); err != nil {
			return
		}
	}
}

// Close leaves the topics, stops the sync loop and the protocol handler.
// The host is the caller's to close.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.host.RemoveStreamHandler(ProtocolID)
		n.host.Network().StopNotify(n.notifiee)
		n.txSub.Cancel()
		n.blkSub.Cancel()
		n.txTopic.Close()
		n.blkTopic.Close()
		n.cancel() // stops the loops and the pubsub
		n.wg.Wait()
	})
	return nil
}

// Stats returns counters of what the node did.
func (n *Node) Stats() Stats {
	n.statsMu.Lock()
	defer n.statsMu.Unlock()
	return n.stats
}

func (n *Node) count(f func(*Stats)) {
	n.statsMu.Lock()
	f(&n.stats)
	n.statsMu.Unlock()
}

// Penalty returns a peer's current penalty points.
func (n *Node) Penalty(p peer.ID) float64 { return n.penalties.points(p) }

// Banned reports whether a peer is banned.
func (n *Node) Banned(p peer.ID) bool { return n.penalties.isBanned(p) }

// penalise charges a peer and bans it at the threshold.
func (n *Node) penalise(p peer.ID, points float64, why error) {
	if p == "" || p == n.host.ID() {
		return
	}
	n.count(func(s *Stats) { s.Rejected++ })
	n.log.Info("p2p: penalising peer", "peer", p, "points", points, "err", why)
	if n.penalties.add(p, points) {
		n.log.Warn("p2p: banning peer", "peer", p, "for", BanDuration)
		n.blacklist.Add(p)
		n.host.Network().ClosePeer(p)
	}
}

// SubmitTx adds a transaction to the local pool and gossips it.
func (n *Node) SubmitTx(ctx context.Context, tx *chain.Tx) error {
	if err := n.ledger.AddTx(ctx, tx); err != nil {
		return err
	}
	// Our own message goes through our validator again, which finds it
	// pending and ignores it locally; peers validate it themselves.
	if err := n.txTopic.Publish(ctx, tx.Encode()); err != nil {
		return fmt.Errorf("p2p: publish tx %s: %w", tx.Hash(), err)
	}
	return nil
}

// PublishBlock gossips a block this node has inserted (sealed).
func (n *Node) PublishBlock(ctx context.Context, blk *chain.Block) error {
	if err := n.blkTopic.Publish(ctx, blk.Encode()); err != nil {
		return fmt.Errorf("p2p: publish block %d: %w", blk.Header.Number, err)
	}
	return nil
}

// RunSealer seals blocks with key (ledger.RunSealer) and gossips each one,
// until ctx ends.
func (n *Node) RunSealer(ctx context.Context, key ed25519.PrivateKey) error {
	return n.ledger.RunSealer(ctx, key, func(blk *chain.Block) {
		if err := n.PublishBlock(ctx, blk); err != nil && ctx.Err() == nil {
			n.log.Warn("p2p: publish sealed block", "number", blk.Header.Number, "err", err)
		}
	})
}

func (n *Node) validateTx(ctx context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
	if n.penalties.isBanned(from) {
		return pubsub.ValidationReject
	}
	if from == n.host.ID() { // published here, already taken in
		return pubsub.ValidationAccept
	}
	tx, err := chain.Decode(msg.Data)
	if err != nil {
		n.penalise(from, PenaltyGarbage, err)
		return pubsub.ValidationReject
	}
	switch err := n.ledger.AddTx(ctx, tx); {
	case err == nil:
		n.count(func(s *Stats) { s.TxsGossiped++ })
		return pubsub.ValidationAccept
	case errors.Is(err, ledger.ErrInvalidTx):
		n.penalise(from, PenaltyInvalid, err)
		return pubsub.ValidationReject
	default:
		// Known, already included, a nonce race, a full pool: not the
		// sender's fault, but not worth spreading either.
		return pubsub.ValidationIgnore
	}
}

func (n *Node) validateBlock(ctx context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
	if n.penalties.isBanned(from) {
		return pubsub.ValidationReject
	}
	if from == n.host.ID() { // published here, already taken in
		return pubsub.ValidationAccept
	}
	blk, err := chain.DecodeBlock(msg.Data)
	if err != nil {
		n.penalise(from, PenaltyGarbage, err)
		return pubsub.ValidationReject
	}
	switch err := n.ledger.InsertBlock(ctx, blk); {
	case err == nil:
		n.count(func(s *Stats) { s.BlocksGossiped++ })
		return pubsub.ValidationAccept
	case errors.Is(err, ledger.ErrInvalidBlock):
		n.penalise(from, PenaltyInvalid, err)
		return pubsub.ValidationReject
	case errors.Is(err, ledger.ErrUnknownParent):
		// We are behind (or the sender lies, which sync will show).
		n.requestSync(syncRequest{peer: from, orphan: true})
		return pubsub.ValidationIgnore
	default:
		return pubsub.ValidationIgnore
	}
}

// syncRequest asks the sync loop to check a peer soon. orphan: the peer
// gossiped a block whose parent we lack, so it must be able to serve it.
// pool: also pull its pending transactions (on connecting).
type syncRequest struct {
	peer   peer.ID
	orphan bool
	pool   bool // also pull its pending transactions
}

func (n *Node) requestSync(r syncRequest) {
	select {
	case n.syncNow <- r:
	default: // the loop is busy and will poll every peer anyway
	}
}
