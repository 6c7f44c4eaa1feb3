package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func runChain(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return runChainInit(ctx, env, args[1:])
		case "invite":
			return runChainInvite(ctx, env, args[1:])
		}
	}
	return usageError{"the chain subcommands are: init, invite"}
}

// runChainInvite writes the invite code that patients and clinicians join
// with: the genesis, member nodes and swarm key in one line.
func runChainInvite(_ context.Context, env *cli, args []string) error {
	fs := env.flags("chain invite")
	genesisPath := fs.String("genesis", "", "the consortium's genesis `file`")
	var peers repeated
	fs.Var(&peers, "peer", "a member node's multiaddr ending in /p2p/ID (repeat)")
	swarmKey := fs.String("swarm-key", "", "the consortium's swarm key `file`")
	out := fs.String("out", "", "write the invite to `file` instead of standard output")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	if *genesisPath == "" || len(peers) == 0 {
		return usageError{"give --genesis FILE and at least one --peer"}
	}
	g, err := chain.LoadGenesis(*genesisPath)
	if err != nil {
		return err
	}
	n := wallet.Network{Genesis: g, Peers: peers}
	if *swarmKey != "" {
		if n.SwarmKey, err = os.ReadFile(*swarmKey); err != nil {
			return err
		}
	}
	code, err := n.Invite()
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(env.stdout, code)
		return nil
	}
	if err := atomicfile.WriteFile(*out, []byte(code+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Wrote %s: give it only to members (it holds the swarm key)\n", *out)
	return nil
}

// runChainInit writes a new consortium's genesis file, and optionally its
// swarm key: what a founding clinic hands its members.
func runChainInit(_ context.Context, env *cli, args []string) error {
	fs := env.flags("chain init")
	chainID := fs.String("chain-id", "", "the consortium's chain `name` (letters, digits, '-', '.', '_')")
	var signers repeated
	fs.Var(&signers, "signer", "a founding clinic's Health Wallet `ID`, optionally ID=Name; repeat for each")
	period := fs.Duration("period", 2*time.Second, "target time between blocks")
	epoch := fs.Uint64("epoch", 30000, "blocks between signer checkpoints")
	out := fs.String("out", "genesis.json", "genesis `file` to write")
	swarmKey := fs.String("swarm-key-out", "", "also write a new private-network swarm key to `file`")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	if *chainID == "" || len(signers) == 0 {
		return usageError{"give --chain-id and at least one --signer"}
	}
	if *period < time.Second || *period%time.Second != 0 {
		return usageError{"--period is whole seconds, at least 1s"}
	}
	founders := map[identity.ID]string{}
	for _, s := range signers {
		idText, name, _ := strings.Cut(s, "=")
		id, err := identity.ParseID(idText)
		if err != nil {
			return fmt.Errorf("signer %q: %w", idText, err)
		}
		founders[id] = name
	}
	g, err := wallet.FoundingGenesis(*chainID, *period, *epoch, founders, time.Now())
	if err != nil {
		return err
	}
	if err := g.Save(*out); err != nil {
		return err
	}
	h, err := g.Header()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Wrote %s: chain %s, %d signers, genesis %s\n", *out, g.ChainID, len(g.Signers), h.Hash())
	if *swarmKey != "" {
		key, err := ipfs.GenerateSwarmKey()
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*swarmKey, key, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Wrote %s: the consortium's swarm key; give it only to members\n", *swarmKey)
	}
	return nil
}
