package ipfs

import (
	"log/slog"
	"time"
)

// Config says how a node runs. The zero value (with DataDir set) is a node
// listening on all interfaces on random ports, dialing no one, announcing
// nothing.
type Config struct {
	// DataDir holds blocks/, the device key and the node's lock.
	DataDir string

	// Offline runs the store alone: no host, no bitswap, nothing on the
	// network. Wallet commands that only touch local records use it.
	Offline bool

	// ListenAddrs are multiaddrs to listen on; empty means TCP and QUIC on
	// every interface, random ports. With a swarm key only TCP is used:
	// QUIC cannot carry a private-network key.
	ListenAddrs []string

	// SwarmKey is the consortium's pre-shared key in kubo's swarm.key
	// format; nil means no private network (a single user's devices).
	SwarmKey []byte

	// Peers are static peers (the clinics' nodes), full multiaddrs ending
	// in /p2p/<id>. The node dials them at start and redials them when the
	// connection drops.
	Peers []string

	// MDNS announces the node on the local network and finds peers there.
	// Off by default: it tells everyone on a café's Wi-Fi that this device
	// runs Health Wallet. A clinic turns it on for its LAN.
	MDNS bool

	// ConnsLow and ConnsHigh bound the connection manager; zero means 32
	// and 128, right for a desktop.
	ConnsLow, ConnsHigh int

	// RedialInterval is how often lost static peers are dialed again; zero
	// means 30 s.
	RedialInterval time.Duration

	// MinFreeBytes is the disk space the store refuses to fill; zero means
	// DefaultMinFreeBytes.
	MinFreeBytes uint64

	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.ConnsLow == 0 {
		c.ConnsLow = 32
	}
	if c.ConnsHigh == 0 {
		c.ConnsHigh = 128
	}
	if c.RedialInterval == 0 {
		c.RedialInterval = 30 * time.Second
	}
	if c.MinFreeBytes == 0 {
		c.MinFreeBytes = DefaultMinFreeBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if len(c.ListenAddrs) == 0 {
		c.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/0", "/ip6/::/tcp/0"}
		if c.SwarmKey == nil {
			c.ListenAddrs = append(c.ListenAddrs, "/ip4/0.0.0.0/udp/0/quic-v1", "/ip6/::/udp/0/quic-v1")
		}
	}
	return c
}
