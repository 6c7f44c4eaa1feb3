package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// runJoin records the consortium a wallet belongs to: its genesis, member
// nodes and swarm key, from an invite or from the separate files. Commands
// that use the chain read it.
func runJoin(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("join")
	invite := fs.String("invite", "", "an invite `file` from a clinic (or - for standard input)")
	genesisPath := fs.String("genesis", "", "the consortium's genesis `file`")
	var peers, listen repeated
	fs.Var(&peers, "peer", "a member node's multiaddr ending in /p2p/ID (repeat)")
	fs.Var(&listen, "listen", "multiaddr to listen on (repeat; default: loopback and LAN, random port)")
	swarmKey := fs.String("swarm-key", "", "the consortium's swarm key `file`")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	var n wallet.Network
	switch {
	case *invite != "":
		var b []byte
		var err error
		if *invite == "-" {
			b, err = io.ReadAll(io.LimitReader(env.stdin, wallet.MaxInviteSize+1))
		} else {
			b, err = os.ReadFile(*invite)
		}
		if err != nil {
			return err
		}
		if n, err = wallet.ParseInvite(string(b)); err != nil {
			return fmt.Errorf("%s: %w", *invite, err)
		}
		n.Peers = append(n.Peers, peers...)
	case *genesisPath != "" && len(peers) > 0:
		g, err := chain.LoadGenesis(*genesisPath)
		if err != nil {
			return err
		}
		n = wallet.Network{Genesis: g, Peers: peers}
		if *swarmKey != "" {
			if n.SwarmKey, err = os.ReadFile(*swarmKey); err != nil {
				return err
			}
		}
	default:
		return usageError{"give --invite FILE, or --genesis FILE and at least one --peer"}
	}
	n.Listen = listen
	if err := wallet.Join(env.dataDir, n); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Joined chain %s (%d member nodes)\n", n.Genesis.ChainID, len(n.Peers))
	return nil
}

// openOnChain opens the wallet as a node of the chain it joined, dials the
// member nodes and syncs. While the command runs, the wallet seals if its
// key is a signer, so that a clinic can act with its node stopped. Once
// synced it warns, on standard error, of emergency accesses to the owner's
// summary not yet acknowledged with 'healthwallet alerts'.
func (env *cli) openOnChain(ctx context.Context) (w *wallet.Wallet, done func(), err error) {
	if w, done, err = env.openOnChainQuiet(ctx); err != nil {
		return nil, nil, err
	}
	env.warnEmergencyAlerts(ctx, w)
	return w, done, nil
}

// openOnChainQuiet is openOnChain without the emergency warning.
func (env *cli) openOnChainQuiet(ctx context.Context) (w *wallet.Wallet, done func(), err error) {
	n, err := wallet.LoadNetwork(env.dataDir)
	if errors.Is(err, wallet.ErrNotJoined) {
		return nil, nil, fmt.Errorf("this wallet has not joined a chain: run healthwallet join first")
	}
	if err != nil {
		return nil, nil, err
	}
	pass, err := env.passphrase("Passphrase: ")
	if err != nil {
		return nil, nil, err
	}
	if w, err = wallet.Open(env.dataDir, pass, n.Options(walletOptions)); err != nil {
		return nil, nil, err
	}
	if _, err := w.ConnectMembers(ctx, n.Peers); err != nil {
		w.Close()
		return nil, nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	sealer := make(chan struct{})
	go func() { w.RunSealer(sctx); close(sealer) }()
	return w, func() { stop(); <-sealer; w.Close() }, nil
}

// settle waits for the wallet's transactions to be in a block.
func settle(ctx context.Context, env *cli, w *wallet.Wallet) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := w.WaitSettled(ctx); err != nil {
		return fmt.Errorf("not yet in a block (is a clinic node running?): %w", err)
	}
	fmt.Fprintf(env.stderr, "in block %d\n", w.Ledger().Head().Number)
	return nil
}

// identityCard is the wallet's public identity card: what a clinician
// gives its clinic to be registered (it carries the encryption key that
// patients' grants are sealed to).
func identityCard(w *wallet.Wallet) (string, error) {
	b, err := w.Public().MarshalBinary()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func runClinician(ctx context.Context, env *cli, args []string) error {
	if len(args) == 0 || args[0] != "register" {
		return usageError{"the clinician subcommand is: register"}
	}
	fs := env.flags("clinician register")
	card := fs.String("card", "", "the clinician's identity `card` (healthwallet id --card)")
	roleName := fs.String("role", "physician", "physician, nurse, pharmacist, dentist, midwife, psychologist, therapist or other-clinician")
	if _, err := env.parse(fs, args[1:]); err != nil {
		return err
	}
	raw, err := base64.RawURLEncoding.DecodeString(*card)
	if err != nil || *card == "" {
		return usageError{"give --card, as healthwallet id --card prints it"}
	}
	var pub identity.Public
	if err := pub.UnmarshalBinary(raw); err != nil {
		return err
	}
	role, err := chain.ParseRole(*roleName)
	if err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if _, err := w.RegisterClinician(ctx, pub, role); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Registered %s as %s\n", pub.ID(), role)
	return settle(ctx, env, w)
}

func runRequest(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("request")
	patient := fs.String("patient", "", "the patient's Health Wallet `ID`")
	var cats, recs repeated
	fs.Var(&cats, "category", "a record category to ask for (repeat): conditions, medications, allergies, observations, …")
	fs.Var(&recs, "record", "a record ID to ask for (repeat)")
	purposeName := fs.String("purpose", "TREAT", "HL7 PurposeOfUse code")
	days := fs.Float64("days", 30, "how long access is wanted, in days")
	note := fs.String("note", "", "a short note to the patient")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	id, err := identity.ParseID(*patient)
	if err != nil {
		return usageError{"give --patient with the patient's Health Wallet ID"}
	}
	purpose, err := chain.ParsePurpose(*purposeName)
	if err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	reqID, err := w.RequestAccess(ctx, id, wallet.AccessRequest{Categories: cats, RecordIDs: recs, Purpose: purpose,
		Duration: time.Duration(*days * 24 * float64(time.Hour)), Note: *note})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, reqID)
	return settle(ctx, env, w)
}

func runRequests(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("requests")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	reqs, err := w.PendingRequests(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tFROM\tROLE\tASKS FOR\tPURPOSE\tDAYS\tNOTE")
	for _, r := range reqs {
		role := "?"
		if cl, err := w.Ledger().State().Clinician(r.Clinician); err == nil {
			role = cl.Role.String()
		}
		var scope []string
		for _, c := range r.Scope.Categories {
			scope = append(scope, c.String())
		}
		scope = append(scope, r.Scope.RecordIDs...)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", r.ID, identity.IDFromSigningKey(r.Clinician[:]), role,
			strings.Join(scope, ","), r.Purpose, float64(r.Duration)/86400, r.Note)
	}
	return tw.Flush()
}

func parseHash(s string) (chain.Hash, error) {
	var h chain.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, usageError{"give the 64-hex-digit ID"}
	}
	return chain.Hash(b), nil
}

func runApprove(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("approve")
	var cats, recs repeated
	fs.Var(&cats, "category", "share only this category (repeat; default: what was asked)")
	fs.Var(&recs, "record", "share only this record (repeat)")
	days := fs.Float64("days", 0, "share for fewer days than asked")
	write := fs.Bool("write", false, "also let the clinician add records in the scope (lab results, notes)")
	return answer(ctx, env, fs, "the request ID", args, func(w *wallet.Wallet, req chain.Hash) error {
		grant, err := w.Approve(ctx, req, wallet.Approval{Categories: cats, RecordIDs: recs,
			Duration: time.Duration(*days * 24 * float64(time.Hour)), Write: *write})
		if err == nil {
			fmt.Fprintln(env.stdout, grant)
		}
		return err
	})
}

func runDecline(ctx context.Context, env *cli, args []string) error {
	return answer(ctx, env, env.flags("decline"), "one ID", args, func(w *wallet.Wallet, h chain.Hash) error { return w.Decline(ctx, h) })
}

func runRevoke(ctx context.Context, env *cli, args []string) error {
	err := answer(ctx, env, env.flags("revoke"), "the grant ID", args, func(w *wallet.Wallet, h chain.Hash) error { return w.Revoke(ctx, h) })
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "Revoked. The clinician can open nothing more under this grant; what they already read cannot be recalled.")
	return nil
}

// runGrant gives a registered clinician access the patient was not asked
// for: to read records, to add records, or both.
func runGrant(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("grant")
	to := fs.String("to", "", "the clinician's Health Wallet `ID`")
	cats := fs.String("categories", "", "comma-separated record `categories`: conditions, medications, allergies, observations, …")
	recs := fs.String("records", "", "comma-separated record `IDs`")
	purposeName := fs.String("purpose", "TREAT", "HL7 PurposeOfUse code")
	days := fs.Float64("days", 0, "how long the grant lasts, in days (default 30)")
	duration := fs.Duration("duration", 0, "how long the grant lasts, as a `duration` (2h, 90m), instead of --days")
	write := fs.Bool("write", false, "also let the clinician add records in the scope (lab results, notes)")
	noRead := fs.Bool("no-read", false, "share no records: with --write, the clinician may only add")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	id, err := identity.ParseID(*to)
	if err != nil {
		return usageError{"give --to with the clinician's Health Wallet ID"}
	}
	spec := wallet.GrantSpec{Clinician: id, Categories: splitList(*cats), RecordIDs: splitList(*recs), Read: !*noRead, Write: *write}
	if len(spec.Categories) == 0 && len(spec.RecordIDs) == 0 {
		return usageError{"give --categories or --records"}
	}
	if !spec.Read && !spec.Write {
		return usageError{"with --no-read, give --write: the grant must allow something"}
	}
	switch {
	case *days > 0 && *duration > 0:
		return usageError{"give --days or --duration, not both"}
	case *days < 0 || *duration < 0:
		return usageError{"the grant's length must be positive"}
	case *duration > 0:
		spec.Duration = *duration
	case *days > 0:
		spec.Duration = time.Duration(*days * 24 * float64(time.Hour))
	default:
		spec.Duration = 30 * 24 * time.Hour
	}
	if spec.Purpose, err = chain.ParsePurpose(*purposeName); err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	grant, err := w.Grant(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, grant)
	return settle(ctx, env, w)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// answer parses fs and the one ID argument, opens the wallet on its chain,
// acts on the ID and waits for the transactions to settle.
func answer(ctx context.Context, env *cli, fs *flag.FlagSet, what string, args []string, act func(*wallet.Wallet, chain.Hash) error) error {
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give " + what}
	}
	h, err := parseHash(rest[0])
	if err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := act(w, h); err != nil {
		return err
	}
	return settle(ctx, env, w)
}

func runShared(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("shared")
	patient := fs.String("patient", "", "the patient's Health Wallet `ID`")
	record := fs.String("record", "", "print this shared record (FHIR JSON)")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	id, err := identity.ParseID(*patient)
	if err != nil {
		return usageError{"give --patient with the patient's Health Wallet ID"}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	recs, err := w.Shared(ctx, chain.PublicKey(id.SigningKey()))
	if err != nil {
		return err
	}
	if *record != "" {
		for _, r := range recs {
			if r.ID == *record {
				b, err := w.ReadShared(ctx, r)
				if err != nil {
					return err
				}
				_, err = env.stdout.Write(b)
				return err
			}
		}
		return fmt.Errorf("record %s is not shared with you (or no longer)", *record)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tDATE\tTITLE")
	for _, r := range recs {
		date := ""
		if !r.Date.IsZero() {
			date = r.Date.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.ResourceType, date, r.Title)
	}
	return tw.Flush()
}
