package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/control"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
)

// runNode runs the wallet headless as a full node of a consortium's chain:
// it verifies and stores every block, gossips and syncs, and seals blocks
// while its key is one of the signers (a clinic's always-on node). It runs
// until SIGINT or SIGTERM and then shuts down cleanly.
func runNode(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("node")
	genesisPath := fs.String("genesis", "", "the consortium's genesis `file` (healthwallet chain init)")
	var listen, peers repeated
	fs.Var(&listen, "listen", "multiaddr to listen on (repeat; default TCP and QUIC on port 4001, all interfaces)")
	fs.Var(&peers, "peer", "a member node's multiaddr ending in /p2p/ID (repeat)")
	swarmKey := fs.String("swarm-key", "", "the consortium's private-network swarm key `file`")
	every := fs.Duration("status-every", time.Minute, "print a status line this often (0: never)")
	quotaGiB := fs.Float64("pin-quota-gib", 10, "pin the ciphertexts and key capsules the chain references until the store holds this many GiB (0: pin nothing)")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	if *genesisPath == "" {
		return usageError{"give --genesis FILE"}
	}
	g, err := chain.LoadGenesis(*genesisPath)
	if err != nil {
		return err
	}
	netCfg := &ipfs.Config{ListenAddrs: listen, Peers: peers}
	if len(listen) == 0 {
		netCfg.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"}
	}
	if *swarmKey != "" {
		if netCfg.SwarmKey, err = os.ReadFile(*swarmKey); err != nil {
			return err
		}
		if len(listen) == 0 {
			netCfg.ListenAddrs = netCfg.ListenAddrs[:1] // a private network is TCP only
		}
	}
	pass, err := env.passphrase("Passphrase: ")
	if err != nil {
		return err
	}
	quota := int64(*quotaGiB * (1 << 30))
	opts := walletOptions
	opts.Network = netCfg
	opts.Chain = &wallet.ChainConfig{Genesis: g, PinQuota: quota}
	w, err := wallet.Open(env.dataDir, pass, opts)
	if err != nil {
		return err
	}
	defer w.Close()
	started := time.Now()
	st, err := w.ChainStatus()
	if err != nil {
		return err
	}
	// `healthwallet status` asks this socket. It serves until the wallet
	// closes (deferred calls run last first), not just until the signal, so
	// a node finishing its shutdown still answers. Without it the node
	// still runs: it only cannot be asked.
	sock := control.SocketPath(env.dataDir)
	ctl, err := control.Serve(context.WithoutCancel(ctx), sock, func(ctx context.Context) (control.Status, error) {
		return nodeStatus(ctx, w, quota, started)
	})
	if err != nil {
		slog.Warn("node: no status socket: 'healthwallet status' will not see this node", "err", err)
	} else {
		defer ctl.Close()
	}
	fmt.Fprintf(env.stdout, "node %s\nchain %s at block %d, signer: %s\nlistening on:\n  %s\n",
		w.ID(), st.ChainID, st.Head.Number, yesNo(st.IsSigner), strings.Join(w.Addrs(), "\n  "))
	sealer := make(chan error, 1)
	go func() { sealer <- w.RunSealer(ctx) }()
	var tick <-chan time.Time
	if *every > 0 {
		t := time.NewTicker(*every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			printNodeStatus(env, w)
		case err := <-sealer:
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			printNodeStatus(env, w)
			fmt.Fprintln(env.stdout, "stopped")
			return nil
		}
	}
}

func printNodeStatus(env *cli, w *wallet.Wallet) {
	st, err := w.ChainStatus()
	if err != nil {
		return
	}
	pinning := "not pinning"
	if p := st.Pinning; p != nil {
		pinning = fmt.Sprintf("%d pinned, %d waiting for a peer, %d over quota", p.Pinned, p.Unavailable, p.OverQuota)
	}
	fmt.Fprintf(env.stdout, "%s block %d (%s…), %d peers, %d pending, signer: %s, %d signers, %s\n",
		time.Now().UTC().Format(time.RFC3339), st.Head.Number, st.Head.Hash.String()[:12], st.Peers, st.Pending, yesNo(st.IsSigner), len(st.Signers), pinning)
}

// nodeStatus is what the node reports on its status socket. The store's
// figures come from a walk of the whole blockstore (the wallet's Status),
// once per query.
func nodeStatus(ctx context.Context, w *wallet.Wallet, quota int64, started time.Time) (control.Status, error) {
	cs, err := w.ChainStatus()
	if err != nil {
		return control.Status{}, err
	}
	ws, err := w.Status(ctx)
	if err != nil {
		return control.Status{}, fmt.Errorf("store: %w", err)
	}
	st := control.Status{
		NodeID:      w.ID().String(),
		ChainID:     cs.ChainID,
		Height:      cs.Head.Number,
		HeadHash:    cs.Head.Hash.String(),
		HeadTime:    time.Unix(int64(cs.Head.Time), 0).UTC(),
		Peers:       cs.Peers,
		Pending:     cs.Pending,
		Signer:      cs.IsSigner,
		Signers:     make([]string, 0, len(cs.Signers)),
		StartedAt:   started.UTC(),
		PinnedBytes: ws.Store.BlockBytes,
		PinnedCount: ws.Store.Pins,
	}
	for _, k := range cs.Signers {
		st.Signers = append(st.Signers, k.String())
	}
	if p := cs.Pinning; p != nil {
		st.Pinning = true
		st.QuotaBytes = quota
		st.PinnedSinceStart = p.Pinned
		st.WaitingForPeer = p.Unavailable
		st.OverQuota = p.OverQuota
	}
	return st, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
