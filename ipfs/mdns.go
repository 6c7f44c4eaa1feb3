package ipfs

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// mdnsService is the opt-in LAN discovery.
type mdnsService interface{ Close() error }

// mdnsServiceName keeps our nodes from answering other IPFS software's LAN
// discovery, and theirs from ours.
const mdnsServiceName = "_healthwallet-p2p._udp"

type mdnsNotifee struct {
	ctx context.Context
	n   *Node
}

// HandlePeerFound is called by the mDNS service from goroutines it owns and
// stops on Close; it dials with a bounded timeout.
func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	if ai.ID == m.n.host.ID() {
		return
	}
	m.n.AddPeers(ai)
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	if err := m.n.host.Connect(ctx, ai); err != nil {
		m.n.log.Debug("LAN peer not reachable", "peer", ai.ID, "err", err)
	}
}

func (n *Node) startMDNS(ctx context.Context) error {
	s := mdns.NewMdnsService(n.host, mdnsServiceName, mdnsNotifee{ctx: ctx, n: n})
	if err := s.Start(); err != nil {
		return err
	}
	n.mdns = s
	return nil
}
