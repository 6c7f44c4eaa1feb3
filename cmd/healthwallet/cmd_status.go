package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/healthwallet/healthwallet/internal/control"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// statusTimeout bounds a status query: the node walks its whole store to
// count the pinned bytes.
const statusTimeout = 30 * time.Second

// runStatusCmd is `healthwallet status`: the running node's chain, peers,
// signers and pinning, asked over its control socket (no passphrase: the
// node holds the wallet open). With no node running it shows the wallet's
// records and storage (runStatus) as before, unless --node or --json asks
// for the node only, in which case no node is an error.
func runStatusCmd(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("status")
	nodeOnly := fs.Bool("node", false, "show the running node's status only: fail if no node is running")
	asJSON := fs.Bool("json", false, "print the running node's status as JSON (implies --node)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	st, err := control.Query(qctx, control.SocketPath(env.dataDir))
	switch {
	case err == nil:
	case (errors.Is(err, control.ErrNoNode) || errors.Is(err, control.ErrPathTooLong)) && !*nodeOnly && !*asJSON:
		return runStatus(ctx, env, rest)
	case errors.Is(err, control.ErrNoNode):
		return fmt.Errorf("no node is running for %s (start one with: healthwallet node --genesis FILE)", env.dataDir)
	default:
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.stdout, "%s\n", b)
		return err
	}
	printStatus(env, st, time.Now())
	return nil
}

// printStatus prints a node's status for a person.
func printStatus(env *cli, st control.Status, now time.Time) {
	w := env.stdout
	fmt.Fprintf(w, "node:     %s (up %s)\n", st.NodeID, age(now.Sub(st.StartedAt)))
	head := st.HeadHash
	if len(head) > 12 {
		head = head[:12] + "…"
	}
	fmt.Fprintf(w, "chain:    %s at block %d (head %s, %s old)\n", st.ChainID, st.Height, head, age(now.Sub(st.HeadTime)))
	fmt.Fprintf(w, "peers:    %d\n", st.Peers)
	txs := "transactions"
	if st.Pending == 1 {
		txs = "transaction"
	}
	fmt.Fprintf(w, "pending:  %d %s\n", st.Pending, txs)
	fmt.Fprintf(w, "signer:   %s\n", yesNo(st.Signer))
	fmt.Fprintf(w, "signers:  %d\n", len(st.Signers))
	for _, k := range st.Signers {
		name := signerName(k)
		if name == st.NodeID {
			name += " (this node)"
		}
		fmt.Fprintf(w, "  %s\n", name)
	}
	fmt.Fprintf(w, "pinned:   %s in %d roots\n", byteCount(st.PinnedBytes), st.PinnedCount)
	if st.Pinning {
		fmt.Fprintf(w, "quota:    %s (%d pinned since start, %d waiting for a peer, %d over quota)\n",
			byteCount(st.QuotaBytes), st.PinnedSinceStart, st.WaitingForPeer, st.OverQuota)
	} else {
		fmt.Fprintln(w, "quota:    none (not pinning for the chain: --pin-quota-gib 0)")
	}
}

// signerName turns a signer's key (hex) into its Health Wallet ID, the name
// clinics know each other by; the hex if it is not a key.
func signerName(key string) string {
	b, err := hex.DecodeString(key)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return key
	}
	return identity.IDFromSigningKey(ed25519.PublicKey(b)).String()
}

// age is a duration rounded for reading: "4s", "3m12s", "2h5m", "3d4h".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s" // clocks apart
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	days := int(d / (24 * time.Hour))
	return fmt.Sprintf("%dd%dh", days, int((d%(24*time.Hour))/time.Hour))
}
