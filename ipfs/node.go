package ipfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/ipfs/boxo/bitswap"
	"github.com/ipfs/boxo/bitswap/network/bsnet"
	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrLocked is returned when another process has the node's data directory.
var ErrLocked = errors.New("the data directory is in use by another Health Wallet process")

// ErrUnavailable is returned when content could not be found on this node
// or any connected peer before the caller's deadline.
var ErrUnavailable = errors.New("content not available from any connected peer")

// ErrOffline is returned by network operations of an offline node.
var ErrOffline = errors.New("node is offline")

const lockFile = "ipfs.lock"

// Node is a content store with, unless offline, a libp2p host and bitswap
// around it: what it holds it serves, what it lacks it fetches from peers.
type Node struct {
	*Store
	cfg  Config
	log  *slog.Logger
	lock *flock.Flock

	host    host.Host
	bitswap *bitswap.Bitswap
	online  blockservice.BlockService
	dag     ipld.DAGService // online when the node is

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mdns mdnsService

	peersMu sync.Mutex
	peers   map[peer.ID]peer.AddrInfo // static and chain-named peers, redialed

	closeOnce sync.Once
	closeErr  error
}

// New opens the store in cfg.DataDir and, unless cfg.Offline, starts the
// node's host and bitswap. Close stops everything New started.
func New(ctx context.Context, cfg Config) (_ *Node, err error) {
	cfg = cfg.withDefaults()
	if cfg.DataDir == "" {
		return nil, errors.New("ipfs: no data directory")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", cfg.DataDir, err)
	}
	lk := flock.New(filepath.Join(cfg.DataDir, lockFile))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", cfg.DataDir, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", cfg.DataDir, ErrLocked)
	}
	n := &Node{cfg: cfg, log: cfg.Logger, lock: lk, peers: map[peer.ID]peer.AddrInfo{}}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	n.Store, err = openStore(filepath.Join(cfg.DataDir, blocksDir), cfg.MinFreeBytes)
	if err != nil {
		return nil, err
	}
	n.dag = n.Store.dag
	if cfg.Offline {
		return n, nil
	}
	if err := n.start(cfg); err != nil {
		return nil, err
	}
	return n, nil
}

const blocksDir = "blocks"

func (n *Node) start(cfg Config) error {
	key, err := loadDeviceKey(cfg.DataDir)
	if err != nil {
		return err
	}
	var psk pnet.PSK
	if cfg.SwarmKey != nil {
		if psk, err = ParseSwarmKey(cfg.SwarmKey); err != nil {
			return err
		}
	}
	cm, err := connmgr.NewConnManager(cfg.ConnsLow, cfg.ConnsHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return err
	}
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		return err
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(cfg.ListenAddrs...),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.UserAgent("healthwallet"),
		libp2p.Transport(tcp.NewTCPTransport),
	}
	if psk != nil {
		opts = append(opts, libp2p.PrivateNetwork(psk))
		for _, a := range cfg.ListenAddrs {
			if strings.Contains(a, "/quic") || strings.Contains(a, "/udp/") {
				return fmt.Errorf("listen address %s: a private network (swarm key) runs over TCP only", a)
			}
		}
	} else {
		opts = append(opts, libp2p.Transport(quic.NewTransport))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		rm.Close()
		return fmt.Errorf("start libp2p host: %w", err)
	}
	n.host = h

	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.bitswap = bitswap.New(ctx, bsnet.NewFromIpfsHost(h), nil, n.Store.blockstore,
		bitswap.EngineBlockstoreWorkerCount(8),
		bitswap.SetSendDontHaves(true),
	)
	n.online = blockservice.New(n.Store.blockstore, n.bitswap, blockservice.WithAllowlist(allowlist))
	n.dag = merkledag.NewDAGService(n.online)

	for _, s := range cfg.Peers {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return fmt.Errorf("static peer %q: %w", s, err)
		}
		n.peers[ai.ID] = *ai
	}
	n.wg.Add(1)
	go n.keepPeersConnected(ctx, cfg.RedialInterval)
	if cfg.MDNS {
		if err := n.startMDNS(ctx); err != nil {
			return err
		}
	}
	n.log.Debug("ipfs node started", "peer", h.ID(), "addrs", h.Addrs())
	return nil
}

// Online reports whether the node has a network.
func (n *Node) Online() bool { return n.host != nil }

// PeerID is the node's libp2p identity (the device key's).
func (n *Node) PeerID() peer.ID {
	if n.host == nil {
		return ""
	}
	return n.host.ID()
}

// Host is the node's libp2p host, to be shared with the chain's gossip.
func (n *Node) Host() host.Host { return n.host }

// Addrs are the node's listen addresses, each ending in /p2p/<id>.
func (n *Node) Addrs() []ma.Multiaddr {
	if n.host == nil {
		return nil
	}
	addrs, _ := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()})
	return addrs
}

// Connect dials a peer by full multiaddr (with /p2p/<id>) and keeps it on
// the list of peers to redial.
func (n *Node) Connect(ctx context.Context, addr string) error {
	if n.host == nil {
		return ErrOffline
	}
	ai, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return fmt.Errorf("peer address %q: %w", addr, err)
	}
	n.peersMu.Lock()
	n.peers[ai.ID] = *ai
	n.peersMu.Unlock()
	if err := n.host.Connect(ctx, *ai); err != nil {
		return fmt.Errorf("connect to %s: %w", ai.ID, err)
	}
	return nil
}

// AddPeers adds peers (the chain names its members' nodes) to redial.
func (n *Node) AddPeers(ais ...peer.AddrInfo) {
	n.peersMu.Lock()
	defer n.peersMu.Unlock()
	for _, ai := range ais {
		n.peers[ai.ID] = ai
	}
}

// keepPeersConnected dials the known peers now and whenever they are found
// disconnected, until ctx ends.
func (n *Node) keepPeersConnected(ctx context.Context, every time.Duration) {
	defer n.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n.peersMu.Lock()
		var todo []peer.AddrInfo
		for _, ai := range n.peers {
			if len(n.host.Network().ConnsToPeer(ai.ID)) == 0 {
				todo = append(todo, ai)
			}
		}
		n.peersMu.Unlock()
		for _, ai := range todo {
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := n.host.Connect(dctx, ai); err != nil && ctx.Err() == nil {
				n.log.Debug("peer not reachable", "peer", ai.ID, "err", err)
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Add stores r as a UnixFS DAG and announces its blocks to peers that want
// them. progress, if set, is told the bytes read so far.
func (n *Node) Add(ctx context.Context, r io.Reader, progress func(int64)) (cid.Cid, error) {
	if progress != nil {
		r = &progressReader{r: r, f: progress}
	}
	return n.Store.add(ctx, n.dag, r)
}

// Get opens content, fetching missing blocks from peers; each block is
// checked against its hash. Content no peer has ends at ctx's deadline with
// ErrUnavailable. progress, if set, is told the bytes read so far.
func (n *Node) Get(ctx context.Context, c cid.Cid, progress func(int64)) (Content, error) {
	if err := validateCID(c); err != nil {
		return nil, err
	}
	// One bitswap session per read: it learns which peers have the DAG and
	// asks them first for the rest, as kubo's cat does.
	content, err := n.Store.get(ctx, merkledag.NewSession(ctx, n.dag), c)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("get %s: %w (%v)", c, ErrUnavailable, ctx.Err())
		}
		return nil, err
	}
	if progress != nil {
		content = &progressContent{Content: content, f: progress}
	}
	return content, nil
}

// Close stops the node: discovery, bitswap, the host, then the store.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		var errs []error
		if n.cancel != nil {
			n.cancel()
		}
		n.wg.Wait()
		if n.mdns != nil {
			errs = append(errs, n.mdns.Close())
		}
		if n.online != nil {
			errs = append(errs, n.online.Close()) // closes bitswap
		}
		if n.host != nil {
			errs = append(errs, n.host.Close())
		}
		if n.Store != nil {
			errs = append(errs, n.Store.Close())
		}
		errs = append(errs, n.lock.Unlock())
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

type progressReader struct {
	r io.Reader
	n int64
	f func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	k, err := p.r.Read(b)
	if k > 0 {
		p.n += int64(k)
		p.f(p.n)
	}
	return k, err
}

type progressContent struct {
	Content
	n int64
	f func(int64)
}

func (p *progressContent) Read(b []byte) (int, error) {
	k, err := p.Content.Read(b)
	if k > 0 {
		p.n += int64(k)
		p.f(p.n)
	}
	return k, err
}
