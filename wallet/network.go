package wallet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/ipfs"
)

// The files that say which consortium a wallet belongs to. They hold no
// secret of the wallet's own; the swarm key is the consortium's.
const (
	networkFile = "network.json"
	genesisFile = "genesis.json"
	swarmFile   = "swarm.key"
)

// InvitePrefix starts every invite code; the digit is the format version.
const InvitePrefix = "hwinvite1-"

// MaxInviteSize bounds an invite code, so a pasted or opened file cannot
// make the wallet decode something huge.
const MaxInviteSize = 128 << 10

var (
	// ErrNotJoined is returned when a wallet has joined no consortium.
	ErrNotJoined = errors.New("this wallet has not joined a network")
	// ErrBadInvite is returned for an invite code that does not decode.
	ErrBadInvite = errors.New("not a Health Wallet invite")
)

// Network is the consortium a wallet belongs to: the chain's genesis, member
// nodes to dial, and the private network's swarm key. A clinic hands it to
// patients and clinicians as an invite.
type Network struct {
	Genesis *chain.Genesis
	// Peers are member nodes' multiaddrs ending in /p2p/ID.
	Peers []string
	// Listen are the addresses this wallet listens on; empty means any
	// interface on a random TCP port.
	Listen []string
	// SwarmKey is the consortium's pnet key (kubo's format); nil for an
	// open network.
	SwarmKey []byte
}

// networkJSON is network.json, version 1.
type networkJSON struct {
	Version int      `json:"version"`
	Peers   []string `json:"peers"`
	Listen  []string `json:"listen,omitempty"`
}

// inviteJSON is an invite code's payload, version 1.
type inviteJSON struct {
	Version  int             `json:"version"`
	Genesis  json.RawMessage `json:"genesis"`
	Peers    []string        `json:"peers"`
	SwarmKey string          `json:"swarmKey,omitempty"`
}

// Validate checks that the network can be joined: a valid genesis, at least
// one member peer address with a peer ID, and a well-formed swarm key.
func (n Network) Validate() error {
	if n.Genesis == nil {
		return fmt.Errorf("network: no genesis")
	}
	if err := n.Genesis.Validate(); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if len(n.Peers) == 0 {
		return fmt.Errorf("network: no member node to connect to")
	}
	for _, p := range append(append([]string{}, n.Peers...), n.Listen...) {
		if _, err := multiaddr.NewMultiaddr(p); err != nil {
			return fmt.Errorf("network: address %q: %w", p, err)
		}
	}
	if n.SwarmKey != nil {
		if _, err := ipfs.ParseSwarmKey(n.SwarmKey); err != nil {
			return fmt.Errorf("network: %w", err)
		}
	}
	return nil
}

// Join records the network in the wallet's directory; the next Open with
// OnNetwork's options puts the wallet on it. Joining again replaces it.
func Join(dir string, n Network) error {
	if !Exists(dir) {
		return fmt.Errorf("%s: %w", dir, ErrNoWallet)
	}
	if err := n.Validate(); err != nil {
		return err
	}
	if err := n.Genesis.Save(filepath.Join(dir, genesisFile)); err != nil {
		return err
	}
	swarm := filepath.Join(dir, swarmFile)
	if n.SwarmKey != nil {
		if err := atomicfile.WriteFile(swarm, n.SwarmKey, 0o600); err != nil {
			return err
		}
	} else if err := os.Remove(swarm); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	b, _ := json.MarshalIndent(networkJSON{Version: 1, Peers: n.Peers, Listen: n.Listen}, "", "  ")
	return atomicfile.WriteFile(filepath.Join(dir, networkFile), append(b, '\n'), 0o600)
}

// LoadNetwork reads the network a wallet joined, or ErrNotJoined.
func LoadNetwork(dir string) (Network, error) {
	g, err := chain.LoadGenesis(filepath.Join(dir, genesisFile))
	if errors.Is(err, os.ErrNotExist) {
		return Network{}, ErrNotJoined
	}
	if err != nil {
		return Network{}, err
	}
	b, err := os.ReadFile(filepath.Join(dir, networkFile))
	if errors.Is(err, os.ErrNotExist) {
		return Network{}, ErrNotJoined
	}
	if err != nil {
		return Network{}, err
	}
	var nw networkJSON
	if err := json.Unmarshal(b, &nw); err != nil || nw.Version != 1 {
		return Network{}, fmt.Errorf("%s: not a version 1 network file (%v)", networkFile, err)
	}
	n := Network{Genesis: g, Peers: nw.Peers, Listen: nw.Listen}
	key, err := os.ReadFile(filepath.Join(dir, swarmFile))
	switch {
	case err == nil:
		n.SwarmKey = key
	case !errors.Is(err, os.ErrNotExist):
		return Network{}, err
	}
	return n, nil
}

// Options returns base with the wallet put on this network: online, and a
// full node of its chain.
func (n Network) Options(base Options) Options {
	cfg := &ipfs.Config{ListenAddrs: n.Listen, Peers: n.Peers, SwarmKey: n.SwarmKey}
	if len(cfg.ListenAddrs) == 0 {
		cfg.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/0"}
	}
	if base.Network != nil {
		cfg.Logger = base.Network.Logger
	}
	base.Network = cfg
	chainCfg := ChainConfig{}
	if base.Chain != nil {
		chainCfg = *base.Chain
	}
	chainCfg.Genesis = n.Genesis
	base.Chain = &chainCfg
	return base
}

// Invite encodes the network as a code a clinic gives to those who join:
// InvitePrefix, then base64url of a versioned JSON document. It carries the
// swarm key, so treat it as the consortium's secret.
func (n Network) Invite() (string, error) {
	if err := n.Validate(); err != nil {
		return "", err
	}
	g, err := json.Marshal(n.Genesis)
	if err != nil {
		return "", err
	}
	doc := inviteJSON{Version: 1, Genesis: g, Peers: n.Peers}
	if n.SwarmKey != nil {
		doc.SwarmKey = string(n.SwarmKey)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return InvitePrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// ParseInvite decodes an invite code (surrounding white space and line
// breaks, as from a file or an e-mail, are ignored).
func ParseInvite(code string) (Network, error) {
	if len(code) > MaxInviteSize {
		return Network{}, fmt.Errorf("%w: %d bytes", ErrBadInvite, len(code))
	}
	code = strings.Join(strings.Fields(code), "")
	rest, ok := strings.CutPrefix(code, InvitePrefix)
	if !ok {
		return Network{}, fmt.Errorf("%w: it does not start with %q", ErrBadInvite, InvitePrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return Network{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	var doc inviteJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Network{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	if doc.Version != 1 {
		return Network{}, fmt.Errorf("%w: version %d", ErrBadInvite, doc.Version)
	}
	g, err := chain.ReadGenesis(bytes.NewReader(doc.Genesis))
	if err != nil {
		return Network{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	n := Network{Genesis: g, Peers: doc.Peers}
	if doc.SwarmKey != "" {
		n.SwarmKey = []byte(doc.SwarmKey)
	}
	if err := n.Validate(); err != nil {
		return Network{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	return n, nil
}

// ConnectMembers dials the network's member nodes and reports how many
// answered; it fails only when none did. The wallet's own address is
// skipped: a founding clinic's network lists only itself until others join.
func (w *Wallet) ConnectMembers(ctx context.Context, peers []string) (int, error) {
	var errs []error
	connected := 0
	others := 0
	for _, p := range peers {
		if ai, err := peer.AddrInfoFromString(p); err == nil && ai.ID == w.store.PeerID() {
			continue
		}
		others++
		if err := w.ConnectPeer(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("member node %s: %w", p, err))
			continue
		}
		connected++
	}
	if connected == 0 && others > 0 {
		return 0, fmt.Errorf("no member node reachable: %w", errors.Join(errs...))
	}
	return connected, nil
}

// Roles is what the chain says this wallet's key may do beyond being a
// patient, which every wallet is.
type Roles struct {
	// Clinician is set when a clinic registered this key and has not
	// revoked it.
	Clinician *state.Clinician
	// Signer: the key seals the chain's blocks (a clinic).
	Signer bool
	// Authority is set when the key is an admitted licensing authority.
	Authority *state.Authority
	// Licences: the kinds of credential the key holds valid now
	// (prescriber, pharmacist...), from the chain.
	Licences chain.CredentialKinds
}

// Roles reads this wallet's roles from its copy of the chain; a wallet on
// no chain is a patient only.
func (w *Wallet) Roles() (Roles, error) {
	if w.chain == nil {
		return Roles{}, nil
	}
	var r Roles
	r.Signer = slices.Contains(w.chain.ledger.Signers(), w.ChainKey())
	c, err := w.chain.ledger.State().Clinician(w.ChainKey())
	switch {
	case err == nil && !c.Revoked:
		r.Clinician = &c
	case err != nil && !errors.Is(err, state.ErrNotFound):
		return Roles{}, fmt.Errorf("wallet roles: %w", err)
	}
	a, ok, err := w.MyAuthority()
	if err != nil {
		return Roles{}, fmt.Errorf("wallet roles: %w", err)
	}
	if ok {
		r.Authority = &a
	}
	v, err := w.VerifyClinician(w.ChainKey())
	if err != nil {
		return Roles{}, fmt.Errorf("wallet roles: %w", err)
	}
	for _, c := range v.Credentials {
		if c.Valid {
			r.Licences |= chain.KindsOf(c.Kind)
		}
	}
	return r, nil
}
