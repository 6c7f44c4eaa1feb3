// Package demonet runs the demo consortium that `healthwallet demo` (and so
// `make run`) starts on a first run: two clinic nodes on loopback, in the
// same process, each a full node (an IPFS node whose libp2p host carries
// the chain's gossip and sync, a ledger, and a sealer) of a fixed demo
// chain.
//
// The demo genesis and its signer keys are derived from public strings:
// anyone can seal blocks on the demo chain. It exists to show the product
// working on one machine, never to hold real data; a real consortium makes
// its genesis with `healthwallet chain init`.
package demonet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/p2p"
	"github.com/healthwallet/healthwallet/ipfs"
)

// ChainID is the demo chain's ID.
const ChainID = "healthwallet-demo"

// Clinics are the demo consortium's members.
var Clinics = []string{"Demo Clinic North", "Demo Clinic South"}

// ClinicKey returns the demo signing key of clinic i (public by design).
func ClinicKey(i int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("healthwallet demo clinic signing key/" + Clinics[i]))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Genesis returns the demo chain's genesis: the demo clinics as signers,
// a 2 s period, fixed time, so every demo install runs the same chain.
func Genesis() *chain.Genesis {
	signers := map[chain.PublicKey]string{}
	for i, name := range Clinics {
		signers[chain.PublicKeyOf(ClinicKey(i))] = name
	}
	return chain.NewGenesis(ChainID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), signers)
}

// Clinic is one running demo clinic node.
type Clinic struct {
	Name   string
	IPFS   *ipfs.Node
	Ledger *ledger.Ledger
	Chain  *p2p.Node
}

// Net is the running demo consortium.
type Net struct {
	Clinics []*Clinic
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Start runs the demo clinics with their data under dir (created if
// needed; a restart resumes their chain) until Close.
func Start(ctx context.Context, dir string, log *slog.Logger) (_ *Net, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := Genesis()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n := &Net{cancel: cancel}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	var first []string
	for i, name := range Clinics {
		clog := log.With("clinic", name)
		c := &Clinic{Name: name}
		n.Clinics = append(n.Clinics, c)
		cdir := filepath.Join(dir, fmt.Sprintf("clinic-%d", i+1))
		if c.IPFS, err = ipfs.New(ctx, ipfs.Config{
			DataDir:     filepath.Join(cdir, "ipfs"),
			ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"},
			Peers:       first,
			Logger:      clog,
		}); err != nil {
			return nil, fmt.Errorf("demo clinic %s: %w", name, err)
		}
		if c.Ledger, err = ledger.Open(ctx, ledger.Config{Dir: filepath.Join(cdir, "chain"), Genesis: g, Logger: clog}); err != nil {
			return nil, fmt.Errorf("demo clinic %s: %w", name, err)
		}
		if c.Chain, err = p2p.New(ctx, p2p.Config{Host: c.IPFS.Host(), Ledger: c.Ledger, Logger: clog}); err != nil {
			return nil, fmt.Errorf("demo clinic %s: %w", name, err)
		}
		key := ClinicKey(i)
		n.wg.Go(func() { c.Chain.RunSealer(runCtx, key) })
		if i == 0 {
			for _, a := range c.IPFS.Addrs() {
				first = append(first, a.String())
			}
		}
	}
	return n, nil
}

// Addrs returns the clinics' multiaddrs (with /p2p/ IDs), for a wallet's
// node to peer with.
func (n *Net) Addrs() []string {
	var out []string
	for _, c := range n.Clinics {
		if c.IPFS == nil {
			continue
		}
		for _, a := range c.IPFS.Addrs() {
			out = append(out, a.String())
		}
	}
	return out
}

// Close stops the sealers, then each clinic's chain node, ledger and IPFS
// node.
func (n *Net) Close() error {
	n.cancel()
	n.wg.Wait()
	var errs []error
	for _, c := range n.Clinics {
		if c.Chain != nil {
			errs = append(errs, c.Chain.Close())
		}
		if c.Ledger != nil {
			errs = append(errs, c.Ledger.Close())
		}
		if c.IPFS != nil {
			errs = append(errs, c.IPFS.Close())
		}
	}
	return errors.Join(errs...)
}
