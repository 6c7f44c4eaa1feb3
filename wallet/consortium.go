package wallet

import (
	"errors"
	"fmt"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// Founding a consortium: the genesis that names the founding clinics as the
// chain's first signers, and the swarm key that keeps the network private to
// its members. `healthwallet chain init` writes the same two as files; the
// GUI's clinic screen founds one and puts the founding clinic's wallet on it.

// ConsortiumSpec is what a founding clinic decides.
type ConsortiumSpec struct {
	ChainID string
	// Period is the time between blocks, whole seconds, at least 1 s; zero
	// means the default (2 s, a clinic LAN).
	Period time.Duration
	// Founders are the founding clinics' IDs with their names (a name may
	// be empty); each becomes a signer.
	Founders map[identity.ID]string
	// Listen are the addresses the founding node listens on
	// (/ip4/0.0.0.0/tcp/4001); a private network is TCP only.
	Listen []string
	// Open leaves the network without a swarm key: anyone who learns a
	// member's address can connect (the chain still checks every
	// signature). For tests and demos; members' networks are private.
	Open bool
}

// ErrBadConsortium: a consortium spec that cannot make a chain.
var ErrBadConsortium = errors.New("wallet: bad consortium")

// NewConsortium makes a new consortium's genesis (dated now) and swarm
// key. The Network it returns has no member peers yet: the founding node
// adds its own addresses once it listens (FoundConsortium does).
func NewConsortium(spec ConsortiumSpec, now time.Time) (Network, error) {
	g, err := FoundingGenesis(spec.ChainID, spec.Period, 0, spec.Founders, now)
	if err != nil {
		return Network{}, err
	}
	if len(spec.Listen) == 0 {
		return Network{}, fmt.Errorf("%w: no address to listen on", ErrBadConsortium)
	}
	n := Network{Genesis: g, Listen: spec.Listen}
	if !spec.Open {
		key, err := ipfs.GenerateSwarmKey()
		if err != nil {
			return Network{}, err
		}
		n.SwarmKey = key
	}
	return n, nil
}

// FoundConsortium makes a new consortium (NewConsortium) and puts the
// founding clinic's wallet in dir on it: it opens the wallet on the new
// network (the wallet must not be open elsewhere), takes the node's own
// listen addresses as the network's member peers, records the network
// (Join) and returns the open wallet with the network, whose Invite is
// what the clinic hands its members. The wallet's key must be one of the
// founders.
func FoundConsortium(dir string, passphrase []byte, spec ConsortiumSpec, base Options) (*Wallet, Network, error) {
	n, err := NewConsortium(spec, time.Now())
	if err != nil {
		return nil, Network{}, err
	}
	if _, err := LoadNetwork(dir); err == nil {
		return nil, Network{}, fmt.Errorf("%w: this wallet is already on a network", ErrBadConsortium)
	}
	// Check who the wallet is before it opens on the chain: opening starts
	// the chain's store in dir, which is then this chain's for good.
	offline := base
	offline.Network, offline.Chain = nil, nil
	w, err := Open(dir, passphrase, offline)
	if err != nil {
		return nil, Network{}, err
	}
	id := w.ID()
	if err := w.Close(); err != nil {
		return nil, Network{}, err
	}
	if _, ok := spec.Founders[id]; !ok {
		return nil, Network{}, fmt.Errorf("%w: this wallet (%s) is not among the founding clinics", ErrBadConsortium, id)
	}
	if w, err = Open(dir, passphrase, n.Options(base)); err != nil {
		return nil, Network{}, err
	}
	fail := func(err error) (*Wallet, Network, error) {
		w.Close()
		return nil, Network{}, err
	}
	n.Peers = w.Addrs()
	if len(n.Peers) == 0 {
		return fail(fmt.Errorf("wallet: found consortium: the node listens on no address"))
	}
	if err := Join(dir, n); err != nil {
		return fail(err)
	}
	return w, n, nil
}

// FoundingGenesis is a new consortium's genesis: its chain ID, block period
// (whole seconds, at least 1 s; 0 means 2 s), checkpoint epoch (0 means the
// default) and founding clinics' IDs with their names, at time now. Errors
// wrap ErrBadConsortium. The CLI's `chain init` and NewConsortium share it.
func FoundingGenesis(chainID string, period time.Duration, epoch uint64, founders map[identity.ID]string, now time.Time) (*chain.Genesis, error) {
	if err := chain.ValidChainID(chainID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConsortium, err)
	}
	if len(founders) == 0 {
		return nil, fmt.Errorf("%w: no founding clinic", ErrBadConsortium)
	}
	if period == 0 {
		period = 2 * time.Second
	}
	if period < time.Second || period%time.Second != 0 {
		return nil, fmt.Errorf("%w: the block period is whole seconds, at least 1 s (not %v)", ErrBadConsortium, period)
	}
	keys := map[chain.PublicKey]string{}
	for id, name := range founders {
		keys[chain.PublicKey(id.SigningKey())] = name
	}
	g := chain.NewGenesis(chainID, now, keys)
	g.Period = uint64(period / time.Second)
	if epoch > 0 {
		g.Epoch = epoch
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConsortium, err)
	}
	return g, nil
}
