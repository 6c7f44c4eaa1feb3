package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/gs1"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/pack"
	"github.com/healthwallet/healthwallet/wallet/serials"
)

// Medicines' supply chain from the command line: a clinic (or an admitted
// authority) registers manufacturers, wholesalers and pharmacies; a
// manufacturer commissions a batch, organisations ship and receive it and
// the manufacturer recalls; a pharmacy judges a scanned pack from its copy
// of the chain and dispenses it; a patient checks a pack, keeps it in
// their records and is told of its recall.

func runOrg(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "register":
			return runOrgRegister(ctx, env, args[1:])
		case "list":
			return runOrgList(ctx, env, args[1:])
		}
	}
	return usageError{"the org subcommands are: register, list"}
}

// runOrgRegister (a clinic that seals the chain, or an admitted
// authority) registers a supply-chain organisation under its key.
func runOrgRegister(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("org register")
	roleName := fs.String("role", "", "what it does: manufacturer, wholesaler or pharmacy")
	name := fs.String("name", "", "the organisation's `name`, as pharmacists will read it")
	gln := fs.String("gln", "", "its GS1 Global Location Number (13 digits), if it has one")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give the organisation's key: its Health Wallet ID or chain key"}
	}
	key, err := wallet.ParseClinicianKey(rest[0])
	if err != nil {
		return usageError{fmt.Sprintf("%q is neither a Health Wallet ID nor a chain key", rest[0])}
	}
	role, err := chain.ParseOrgRole(strings.ToLower(strings.TrimSpace(*roleName)))
	if err != nil {
		return usageError{fmt.Sprintf("--role %q: give manufacturer, wholesaler or pharmacy", *roleName)}
	}
	if strings.TrimSpace(*name) == "" {
		return usageError{"give --name"}
	}
	if g := strings.TrimSpace(*gln); g != "" {
		if err := validGLN(g); err != nil {
			return usageError{fmt.Sprintf("--gln %q: %v", g, err)}
		}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := w.RegisterOrganisation(ctx, key, role, *name, *gln); err != nil {
		return err
	}
	o, err := w.Ledger().State().Organisation(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Registered %s as a %s%s (block %d): %s\n", o.Name, o.Role, glnNote(o.GLN), o.Block, identity.IDFromSigningKey(key[:]))
	return nil
}

// validGLN checks a Global Location Number: 13 digits, the last the GS1
// check digit of the others.
func validGLN(gln string) error {
	if len(gln) != chain.GLNLen {
		return fmt.Errorf("a GLN has %d digits, not %d", chain.GLNLen, len(gln))
	}
	d, err := gs1.CheckDigit(gln[:chain.GLNLen-1])
	if err != nil {
		return err
	}
	if d != gln[chain.GLNLen-1] {
		return fmt.Errorf("the check digit should be %c", d)
	}
	return nil
}

func glnNote(gln string) string {
	if gln == "" {
		return ""
	}
	return " (GLN " + gln + ")"
}

// runOrgList lists the registered organisations.
func runOrgList(ctx context.Context, env *cli, args []string) error {
	w, err := env.openListing(ctx, "org list", args)
	if err != nil {
		return err
	}
	defer w.Close()
	orgs, err := w.Organisations()
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		fmt.Fprintln(env.stdout, "No supply-chain organisation is registered on this chain.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORGANISATION\tROLE\tGLN\tSTANDING\tREGISTERED BY\tKEY")
	for _, o := range orgs {
		standing := "registered " + day(o.Time)
		if o.Revoked {
			standing = "revoked " + day(o.RevokedTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Name, o.Role, orNone(o.GLN), standing, registrarLabel(w, o.Registrar), identity.IDFromSigningKey(o.Key[:]))
	}
	return tw.Flush()
}

// registrarLabel names who registered an organisation: a clinic by the
// genesis, an authority by its name, else a short key.
func registrarLabel(w *wallet.Wallet, k chain.PublicKey) string {
	if name := w.ClinicName(k); name != "" {
		return name
	}
	if a, err := w.Ledger().State().Authority(k); err == nil {
		return a.Name
	}
	return keyPrefix(k)
}

// orgLabel names an organisation by its registration, else a short key.
func orgLabel(w *wallet.Wallet, k chain.PublicKey) string {
	if o, err := w.Ledger().State().Organisation(k); err == nil {
		return o.Name
	}
	return keyPrefix(k)
}

func runBatch(ctx context.Context, env *cli, args []string) error {
	if len(args) > 0 && args[0] == "commission" {
		return runBatchCommission(ctx, env, args[1:])
	}
	return usageError{"the batch subcommand is: commission"}
}

// runBatchCommission (a registered manufacturer) commissions a batch: its
// signed serial list goes to IPFS, its Merkle root and pack count on the
// chain.
func runBatchCommission(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("batch commission")
	gtin := fs.String("gtin", "", "the product's `GTIN` (8, 12, 13 or 14 digits, check digit included)")
	lot := fs.String("lot", "", "the batch's `lot` number")
	expiry := fs.String("expiry", "", "the expiry date as printed in the code, `YYMMDD` (DD 00: end of the month)")
	serialsFile := fs.String("serials", "", "read the serial numbers from `file`, one a line (- for standard input)")
	count := fs.Int("count", 0, "number the serials 1 to `N` instead (with --prefix)")
	prefix := fs.String("prefix", "", "what numbered serials start with (with --count)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	g, err := gtinFlag(*gtin)
	if err != nil {
		return err
	}
	if *lot == "" || *expiry == "" {
		return usageError{"give --gtin, --lot and --expiry"}
	}
	if _, err := gs1.ResolveExpiry(*expiry, time.Now()); err != nil {
		return usageError{fmt.Sprintf("--expiry %q: give the date as YYMMDD", *expiry)}
	}
	var list []string
	switch {
	case (*serialsFile == "") == (*count == 0):
		return usageError{"give --serials FILE or --count N"}
	case *serialsFile != "":
		if *prefix != "" {
			return usageError{"--prefix goes with --count"}
		}
		if list, err = env.readSerials(*serialsFile); err != nil {
			return err
		}
	default:
		if list, err = numberedSerials(*prefix, *count); err != nil {
			return err
		}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	began := time.Now()
	c, err := w.CommissionBatch(ctx, g, *lot, *expiry, list)
	if err != nil {
		return err
	}
	took := time.Since(began)
	fmt.Fprintf(env.stdout, "Commissioned %s of %s lot %s, expiry %s (block %d)\n", plural(len(c.List.Serials), "pack", "packs"), g, *lot, *expiry, w.Ledger().Head().Number)
	fmt.Fprintf(env.stdout, "  serials' Merkle root  %s\n", c.List.Root())
	fmt.Fprintf(env.stdout, "  signed serial list    %s (pinned in IPFS)\n", c.CID)
	fmt.Fprintf(env.stdout, "  took                  %s (list signed, stored, committed and in a block)\n", took.Round(time.Millisecond))
	return nil
}

// gtinFlag reads a --gtin: 8, 12, 13 or 14 digits, padded to 14, with a
// valid check digit.
func gtinFlag(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", usageError{"give --gtin"}
	}
	switch len(s) {
	case 8, 12, 13:
		s = strings.Repeat("0", chain.GTINLen-len(s)) + s
	}
	if err := gs1.ValidGTIN(s); err != nil {
		return "", usageError{fmt.Sprintf("--gtin %s: %v", s, err)}
	}
	return s, nil
}

// numberedSerials makes count serials prefix0001, prefix0002… wide enough
// for count and sorting as they are numbered.
func numberedSerials(prefix string, count int) ([]string, error) {
	if count < 1 || count > serials.MaxSerials {
		return nil, usageError{fmt.Sprintf("--count must be 1 to %d", serials.MaxSerials)}
	}
	width := max(len(strconv.Itoa(count)), 4)
	if len(prefix)+width > serials.MaxSerialLen {
		return nil, usageError{fmt.Sprintf("--prefix %q is too long: a serial has at most %d characters", prefix, serials.MaxSerialLen)}
	}
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s%0*d", prefix, width, i+1)
	}
	return out, nil
}

// readSerials reads serial numbers one a line from a file (or standard
// input for "-"), skipping blank lines, bounded by the largest list.
func (env *cli) readSerials(path string) ([]string, error) {
	var r io.Reader = env.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var out []string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if len(s) > serials.MaxSerialLen {
			return nil, fmt.Errorf("%s:%d: serial %q is longer than %d characters", path, line, s, serials.MaxSerialLen)
		}
		if len(out) == serials.MaxSerials {
			return nil, fmt.Errorf("%s: more than %d serials", path, serials.MaxSerials)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no serial numbers", path)
	}
	return out, nil
}

// serialsArg reads --serials of ship and recall: a file of serials, one a
// line, or a comma-separated list.
func (env *cli) serialsArg(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if s == "-" {
		return env.readSerials(s)
	}
	if fi, err := os.Stat(s); err == nil && fi.Mode().IsRegular() {
		return env.readSerials(s)
	}
	list := splitList(s)
	if len(list) == 0 {
		return nil, usageError{fmt.Sprintf("--serials %q: give a file or serials separated by commas", s)}
	}
	if len(list) > chain.MaxShipmentSerials {
		return nil, usageError{fmt.Sprintf("--serials: %d serials, at most %d a transaction", len(list), chain.MaxShipmentSerials)}
	}
	return list, nil
}

// runShip (an organisation holding the packs) ships a whole batch or
// listed packs to another organisation.
func runShip(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("ship")
	gtin := fs.String("gtin", "", "the product's `GTIN`")
	lot := fs.String("lot", "", "the batch's `lot`")
	to := fs.String("to", "", "the receiving organisation's `key` (Health Wallet ID or chain key)")
	serialList := fs.String("serials", "", "ship only these packs: a `file` of serials, one a line, or S1,S2,… (default: the whole batch)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	g, err := gtinFlag(*gtin)
	if err != nil {
		return err
	}
	if *lot == "" || *to == "" {
		return usageError{"give --gtin, --lot and --to"}
	}
	dest, err := wallet.ParseClinicianKey(*to)
	if err != nil {
		return usageError{fmt.Sprintf("--to %q is neither a Health Wallet ID nor a chain key", *to)}
	}
	list, err := env.serialsArg(*serialList)
	if err != nil {
		return err
	}
	if len(list) > chain.MaxShipmentSerials {
		return usageError{fmt.Sprintf("--serials: %d serials, at most %d a shipment (or ship the whole batch)", len(list), chain.MaxShipmentSerials)}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	id, err := w.Ship(ctx, g, *lot, dest, list)
	if err != nil {
		return err
	}
	what := "the whole batch"
	if len(list) > 0 {
		what = plural(len(list), "pack", "packs")
	}
	fmt.Fprintf(env.stdout, "Shipped %s of %s lot %s to %s (block %d): shipment %s\n", what, g, *lot, orgLabel(w, dest), w.Ledger().Head().Number, id)
	fmt.Fprintln(env.stdout, "Custody passes when the recipient receives it: healthwallet receive "+id.String())
	return nil
}

// runShipments lists the shipments sent to this wallet's organisation.
func runShipments(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("shipments")
	pending := fs.Bool("pending", false, "only those not yet received")
	offline := fs.Bool("offline", false, "do not contact the member nodes: use this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	w, err := env.openReading(ctx, *offline)
	if err != nil {
		return err
	}
	defer w.Close()
	list, err := w.IncomingShipments(*pending)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		if *pending {
			fmt.Fprintln(env.stdout, "No shipment waits for your receipt.")
		} else {
			fmt.Fprintln(env.stdout, "No shipment was sent to this wallet's organisation.")
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHIPMENT\tFROM\tGTIN\tLOT\tPACKS\tSENT\tRECEIVED")
	for _, s := range list {
		packs := "whole batch"
		if len(s.Serials) > 0 {
			packs = strconv.Itoa(len(s.Serials))
		}
		received := "no"
		if s.Received {
			received = fmt.Sprintf("block %d", s.ReceivedBlock)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\tblock %d, %s\t%s\n", s.ID, orgLabel(w, s.From), s.GTIN, s.Lot, packs, s.Block, day(s.Time), received)
	}
	return tw.Flush()
}

// runReceive (a shipment's recipient) acknowledges it: custody passes.
func runReceive(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("receive")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give the shipment's ID (healthwallet shipments --pending lists them)"}
	}
	id, err := parseHash(rest[0])
	if err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := w.Receive(ctx, id); err != nil {
		return err
	}
	s, err := w.Ledger().State().Shipment(id)
	if err != nil {
		return err
	}
	what := "the whole batch"
	if len(s.Serials) > 0 {
		what = plural(len(s.Serials), "pack", "packs")
	}
	fmt.Fprintf(env.stdout, "Received %s of %s lot %s from %s (block %d): custody is yours.\n", what, s.GTIN, s.Lot, orgLabel(w, s.From), s.ReceivedBlock)
	return nil
}

// runRecall (the batch's manufacturer or an admitted authority) recalls,
// quarantines or releases a batch or single packs.
func runRecall(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("recall")
	gtin := fs.String("gtin", "", "the product's `GTIN`")
	lot := fs.String("lot", "", "the batch's `lot`")
	serialList := fs.String("serials", "", "only these packs: a `file` of serials, one a line, or S1,S2,… (default: the whole batch)")
	quarantine := fs.Bool("quarantine", false, "put in quarantine instead (not dispensed until released)")
	release := fs.Bool("release", false, "end a quarantine (a recall is final)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	g, err := gtinFlag(*gtin)
	if err != nil {
		return err
	}
	if *lot == "" {
		return usageError{"give --gtin and --lot"}
	}
	action := chain.ActionRecall
	switch {
	case *quarantine && *release:
		return usageError{"give --quarantine or --release, not both"}
	case *quarantine:
		action = chain.ActionQuarantine
	case *release:
		action = chain.ActionRelease
	}
	list, err := env.serialsArg(*serialList)
	if err != nil {
		return err
	}
	if len(list) > chain.MaxShipmentSerials {
		return usageError{fmt.Sprintf("--serials: %d serials, at most %d a recall (or recall the whole batch)", len(list), chain.MaxShipmentSerials)}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if action == chain.ActionRecall {
		fmt.Fprintln(env.stderr, "A recall is final: recalled packs can never be dispensed again.")
	}
	if err := w.Recall(ctx, g, *lot, list, action); err != nil {
		return err
	}
	what := "the whole batch"
	if len(list) > 0 {
		what = plural(len(list), "pack", "packs")
	}
	done2 := map[chain.RecallAction]string{chain.ActionRecall: "Recalled", chain.ActionQuarantine: "Put in quarantine", chain.ActionRelease: "Released from quarantine"}[action]
	fmt.Fprintf(env.stdout, "%s: %s of %s lot %s (block %d); every pharmacy's scan says so from this block on.\n", done2, what, g, *lot, w.Ledger().Head().Number)
	return nil
}

// readPackCode reads a scanned pack code: the argument itself, or for "-"
// one line of standard input, as a DataMatrix scanner in keyboard mode
// types it (GS separators and all) and ends it with Enter.
func (env *cli) readPackCode(arg string) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	r := bufio.NewReaderSize(io.LimitReader(env.stdin, gs1.MaxInput+2), gs1.MaxInput+2)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("standard input: no pack code")
	}
	return line, nil
}

// packCodeArg is the one pack code argument of a pack command.
func (env *cli) packCodeArg(rest []string) (string, error) {
	if len(rest) != 1 {
		return "", usageError{"give the pack's code as scanned, in quotes: '(01)…(21)…(10)…(17)…', the raw scan, a GS1 Digital Link, or - to read a scan from standard input"}
	}
	return env.readPackCode(rest[0])
}

// runVerifyPack prints the verdict on a scanned pack from this wallet's
// copy of the chain: at a registered pharmacy whether it may be dispensed
// here, else whether it is genuine and not recalled. Exit status 0: it
// passes; 1: refused; 2: could not judge.
func runVerifyPack(ctx context.Context, env *cli, args []string) error {
	return judgePack(ctx, env, "verify-pack", args, (*wallet.Wallet).VerifyPack)
}

// runCheckPack is a patient's check of a pack: genuine and not recalled,
// whoever holds it.
func runCheckPack(ctx context.Context, env *cli, args []string) error {
	return judgePack(ctx, env, "check-pack", args, (*wallet.Wallet).CheckPack)
}

func judgePack(ctx context.Context, env *cli, name string, args []string, judge func(*wallet.Wallet, context.Context, string) (pack.Verdict, error)) error {
	fs := env.flags(name)
	offline := fs.Bool("offline", false, "do not contact the member nodes: judge from this wallet's copy of the chain")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	code, err := env.packCodeArg(rest)
	if err != nil {
		return cannotJudge(err)
	}
	w, err := env.openReading(ctx, *offline)
	if err != nil {
		return cannotJudge(err)
	}
	defer w.Close()
	v, err := judge(w, ctx, code)
	if err != nil {
		return cannotJudge(err)
	}
	printPackVerdict(env.stdout, w.Ledger().Head(), v, "")
	return packExit(v)
}

// packExit is a verdict's exit status: 0 it passes, 1 refused, 2 the
// serial list could not be fetched to judge it.
func packExit(v pack.Verdict) error {
	switch {
	case v.OK:
		return nil
	case unjudged(v):
		return exitStatus{code: 2}
	}
	return exitStatus{code: 1}
}

// unjudged reports whether the only thing a verdict found wrong is that
// the batch's serial list could not be fetched: no judgement either way.
func unjudged(v pack.Verdict) bool {
	for _, r := range v.Reasons {
		if !errors.Is(r, pack.ErrListUnavailable) {
			return false
		}
	}
	return len(v.Reasons) > 0
}

// runDispensePack (a registered pharmacy) judges the pack and, if it may
// be dispensed here, records the dispense on the chain. Exit status 0:
// dispensed; 1: refused; 2: could not act.
func runDispensePack(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("dispense-pack")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	code, err := env.packCodeArg(rest)
	if err != nil {
		return cannotJudge(err)
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return cannotJudge(err)
	}
	defer done()
	v, err := w.DispensePack(ctx, code)
	switch {
	case errors.Is(err, wallet.ErrPackRefused):
		printPackVerdict(env.stdout, w.Ledger().Head(), v, "")
		return packExit(v)
	case err != nil:
		return cannotJudge(err)
	}
	printPackVerdict(env.stdout, w.Ledger().Head(), v, fmt.Sprintf("DISPENSED — recorded on the ledger (block %d); no pharmacy can dispense this pack again", w.Ledger().Head().Number))
	return nil
}

// runLinkPack (a patient) keeps a pack it was given in its records, so a
// recall of it raises an alert.
func runLinkPack(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("link-pack")
	name := fs.String("name", "", "the `medication` as you call it (\"Amlodipine 5 mg\"; default: the product's GTIN)")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	code, err := env.packCodeArg(rest)
	if err != nil {
		return err
	}
	w, err := env.openReading(ctx, false)
	if err != nil {
		return err
	}
	defer w.Close()
	rec, v, err := w.LinkPack(ctx, code, *name)
	if errors.Is(err, wallet.ErrPackRefused) {
		printPackVerdict(env.stdout, w.Ledger().Head(), v, "NOT KEPT — not a genuine pack: "+reasonList(v))
		return exitStatus{code: 1}
	}
	if err != nil {
		return err
	}
	p := v.Pack
	fmt.Fprintf(env.stdout, "Kept in your records as %s: %s, lot %s, serial %s, expires %s.\n", rec.ID, orNone(strings.TrimSpace(*name)), p.Lot, p.Serial, p.ExpiryDate.Format("2 Jan 2006"))
	if !v.OK {
		fmt.Fprintf(env.stdout, "Warning — %s.\n", reasonList(v))
	} else {
		fmt.Fprintln(env.stdout, "A recall of this pack will show in: healthwallet pack-alerts")
	}
	return nil
}

// runPackAlerts lists the packs in the patient's records that are
// recalled or in quarantine now.
func runPackAlerts(ctx context.Context, env *cli, args []string) error {
	w, err := env.openListing(ctx, "pack-alerts", args)
	if err != nil {
		return err
	}
	defer w.Close()
	alerts, err := w.PackAlerts(ctx)
	if err != nil {
		return err
	}
	if len(alerts) == 0 {
		fmt.Fprintln(env.stdout, "None of the packs in your records is recalled or in quarantine.")
		return nil
	}
	for _, a := range alerts {
		p := a.Pack
		fmt.Fprintf(env.stdout, "%s — %s, lot %s, serial %s (record %s)\n", strings.ToUpper(packReason(a.Reason)), p.GTIN, p.Lot, p.Serial, a.RecordID)
		fmt.Fprintf(env.stdout, "    %s: do not use it; ask your pharmacist\n", strings.TrimPrefix(a.Reason.Error(), "pack: "))
	}
	return nil
}

// genuineReasons are the refusals that say the pack is not what it claims
// to be; the others (expired, recalled, elsewhere, dispensed) concern a
// genuine pack.
var genuineReasons = []error{pack.ErrMalformed, pack.ErrCheckDigit, pack.ErrUnknownGTIN, pack.ErrLotMismatch,
	pack.ErrNotManufacturer, pack.ErrNotInBatch, pack.ErrExpiryMismatch}

// printPackVerdict prints a verdict judged at the chain's head: the
// headline (or the verdict's own), the pack and what the ledger says of
// it, then every check.
func printPackVerdict(out io.Writer, head ledger.Tip, v pack.Verdict, headline string) {
	atPharmacy := false
	for _, c := range v.Checks {
		if c.Name == pack.CheckCustody {
			atPharmacy = true
		}
	}
	switch {
	case headline != "":
	case v.OK && atPharmacy:
		headline = "GENUINE — may be dispensed"
	case v.OK:
		headline = "GENUINE — not recalled"
	case unjudged(v):
		headline = "CANNOT JUDGE — " + reasonList(v)
	case notGenuine(v):
		headline = "NOT GENUINE — " + reasonList(v)
	case atPharmacy:
		headline = "NOT TO BE DISPENSED — " + reasonList(v)
	default:
		headline = "NOT TO BE USED — " + reasonList(v)
	}
	fmt.Fprintln(out, headline)
	p := v.Pack
	if p.GTIN != "" {
		fmt.Fprintf(out, "\nGTIN %s, lot %s, serial %s, expiry %s\n", p.GTIN, orNone(p.Lot), orNone(p.Serial), orNone(p.Expiry))
	}
	if m := v.Manufacturer; m != nil {
		fmt.Fprintf(out, "  made by %s%s\n", m.Name, glnNote(m.GLN))
	}
	if b := v.Batch; b != nil {
		fmt.Fprintf(out, "  batch of %s on the ledger since %s (block %d)\n", plural(int(b.Count), "pack", "packs"), day(b.Time), b.Block)
	}
	if h := v.Holder; h != nil {
		fmt.Fprintf(out, "  held by %s\n", h.Name)
	}
	fmt.Fprintf(out, "  from this wallet's copy of the chain: block %d, %s\n\n", head.Number, longTime(time.Unix(int64(head.Time), 0)))
	for _, c := range v.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(out, "%s %s — %s\n", mark, c.Name, c.Detail)
	}
}

func notGenuine(v pack.Verdict) bool {
	for _, r := range v.Reasons {
		for _, g := range genuineReasons {
			if errors.Is(r, g) {
				return true
			}
		}
	}
	return false
}

// reasonList names a verdict's reasons, most serious first.
func reasonList(v pack.Verdict) string {
	var why []string
	for _, r := range v.Reasons {
		why = append(why, packReason(r))
	}
	return strings.Join(why, "; ")
}

// packReason is a refusal in the pharmacist's words.
func packReason(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{
		{pack.ErrCheckDigit, "bad GTIN check digit"},
		{pack.ErrMalformed, "unreadable or malformed code"},
		{pack.ErrUnknownGTIN, "unknown product: no batch of this GTIN on the ledger"},
		{pack.ErrLotMismatch, "lot mismatch: this lot is not on the ledger"},
		{pack.ErrNotManufacturer, "not from a registered manufacturer"},
		{pack.ErrNotInBatch, "serial number not in the batch"},
		{pack.ErrExpiryMismatch, "expiry mismatch: not the batch's expiry date"},
		{pack.ErrExpired, "expired"},
		{pack.ErrRecalled, "recalled"},
		{pack.ErrQuarantined, "in quarantine"},
		{pack.ErrDiverted, "diverted: custody does not end at this pharmacy"},
		{pack.ErrAlreadyDispensed, "already dispensed"},
		{pack.ErrListUnavailable, "the batch's serial list could not be fetched"},
	} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return err.Error()
}
