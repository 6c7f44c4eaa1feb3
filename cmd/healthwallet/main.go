// Command healthwallet is Health Wallet: with no arguments it opens the
// desktop app; its subcommands make every wallet function scriptable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/healthwallet/healthwallet/wallet"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// walletOptions are the options every command opens wallets with.
var walletOptions wallet.Options

// command is one subcommand.
type command struct {
	name    string
	args    string // usage after the name
	summary string
	run     func(ctx context.Context, env *cli, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"init", "", "create a new wallet and show its recovery phrase", runInit},
		{"restore", "", "restore a wallet from its 24-word recovery phrase", runRestore},
		{"id", "", "print your Health Wallet ID", runID},
		{"import", "FILE|DIR...", "import FHIR R4 JSON (resource, Bundle, NDJSON), PDFs and images", runImport},
		{"list", "", "list records", runList},
		{"show", "ID", "show a record (FHIR JSON, or save an attachment with --out)", runShow},
		{"export", "", "export every record as one FHIR R4 Bundle", runExport},
		{"backup", "--out FILE", "write an encrypted backup of the whole wallet as one CAR file", runBackup},
		{"status", "[--node] [--json]", "show the running node's height, peers, signers and pinning; with no node, the wallet's records and storage", runStatusCmd},
		{"delete", "ID...", "delete records from this wallet and free their space", runDelete},
		{"passwd", "", "change the wallet's passphrase", runPasswd},
		{"chain", "init|invite", "create a new consortium's genesis file (and swarm key), or an invite code for its members", runChain},
		{"join", "--invite FILE | --genesis FILE --peer ADDR", "record the consortium this wallet uses: genesis, member nodes, swarm key", runJoin},
		{"clinician", "register --card CARD", "register a clinician's key (a clinic, while a signer)", runClinician},
		{"request", "--patient ID --category C", "ask a patient for access to records (a clinician)", runRequest},
		{"requests", "", "list the access requests waiting for your answer", runRequests},
		{"approve", "REQUEST [--write]", "grant a request: share the records' keys with the clinician (--write: may also add records)", runApprove},
		{"decline", "REQUEST", "decline a request", runDecline},
		{"grant", "--to ID --categories C [--write]", "give a clinician access unasked: read records, add records (--write), or both", runGrant},
		{"revoke", "GRANT", "end a grant you made (what was already read cannot be recalled)", runRevoke},
		{"shared", "--patient ID [--record ID]", "list or read the records a patient shares with you", runShared},
		{"add-record", "--patient ID FILE", "add a FHIR resource for a patient under a write grant (a clinician)", runAddRecord},
		{"incoming", "[--show ANCHOR]", "list the records clinicians added for you, or print one", runIncoming},
		{"keep", "ANCHOR", "keep a record a clinician added: it joins your records", runKeep},
		{"hide", "ANCHOR", "hide a record a clinician added (it stays on the chain)", runHide},
		{"emergency", "authorize|open|withdraw", "authorise an emergency summary clinics can open together; open one (a clinician); withdraw it", runEmergency},
		{"alerts", "[--all]", "list emergency accesses to your summary, and mark them seen", runAlerts},
		{"authority", "vote|list", "vote to admit or remove a licensing authority (a clinic); list the authorities and open votes", runAuthority},
		{"credential", "issue|status|add|list|check", "issue a clinician's credential or set its status (an authority); keep yours (a clinician); check a candidate's (a clinic)", runCredential},
		{"verify-clinician", "ID", "judge a clinician's credentials from the local chain: the verdict and why (exit 0 verified, 1 not)", runVerifyClinician},
		{"staffing", "", "a clinic's clinicians by kind and specialty, and the licences and trainings ending in 30/90 days", runStaffing},
		{"prescribe", "--patient ID --rxnorm CODE ...", "write an e-prescription and commit it on the chain (a prescriber)", runPrescribe},
		{"rx", "verify|dispense FILE", "judge a prescription from the local chain (exit 0 pass, 1 fail); dispense it (a pharmacist)", runRx},
		{"org", "register|list", "register a manufacturer, wholesaler or pharmacy (a clinic or an authority); list the supply chain's organisations", runOrg},
		{"batch", "commission --gtin G --lot L --expiry YYMMDD", "commission a batch of serialised packs: signed serial list in IPFS, Merkle root on the chain (a manufacturer)", runBatch},
		{"ship", "--gtin G --lot L --to KEY", "ship a batch, or listed packs, to another organisation (the holder)", runShip},
		{"shipments", "[--pending]", "list the shipments sent to your organisation", runShipments},
		{"receive", "SHIPMENT", "receive a shipment: custody of its packs passes to you", runReceive},
		{"recall", "--gtin G --lot L", "recall, quarantine or release a batch or single packs (its manufacturer or an authority)", runRecall},
		{"verify-pack", "'CODE'|-", "judge a scanned medicine pack from the local chain: genuine, may be dispensed here, or why not (exit 0 pass, 1 fail)", runVerifyPack},
		{"dispense-pack", "'CODE'|-", "judge a scanned pack and record its dispense on the chain (a pharmacy)", runDispensePack},
		{"check-pack", "'CODE'|-", "check a medicine pack you were given: genuine and not recalled (exit 0 yes, 1 no)", runCheckPack},
		{"link-pack", "'CODE' [--name MED]", "keep a pack you were given in your records, so its recall alerts you", runLinkPack},
		{"pack-alerts", "", "list the packs in your records that are recalled or in quarantine", runPackAlerts},
		{"audit", "[--fhir FILE]", "your audit log from the chain; --fhir writes it as FHIR R4 AuditEvent, Consent and Provenance", runAudit},
		{"node", "--genesis FILE", "run headless as a full node of a consortium's chain (a clinic's always-on node)", runNode},
		{"gui", "", "open the desktop app (the default)", runGUI},
		{"demo", "", "open the desktop app on a demo wallet with sample records", runDemo},
		{"version", "", "print the version", runVersion},
	}
}

// cli is what every command gets: flags shared by all, and the process's
// standard streams and environment (replaceable in tests).
type cli struct {
	dataDir        string
	passphraseFile string
	verbose        bool

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	global := env.flags("healthwallet")
	showVersion := global.Bool("version", false, "print the version and exit")
	global.Usage = func() { usage(stderr, global) }
	if err := global.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "healthwallet", version)
		return 0
	}
	args = global.Args()
	name := "gui"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout, global)
		return 0
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == name {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "healthwallet: unknown command %q (run 'healthwallet help')\n", name)
		return 2
	}
	level := slog.LevelWarn
	if env.verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if err := cmd.run(ctx, env, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var es exitStatus
		if errors.As(err, &es) {
			if es.err != nil {
				fmt.Fprintf(stderr, "healthwallet %s: %s\n", cmd.name, describe(es.err))
			}
			return es.code
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "healthwallet %s: %s\nusage: healthwallet %s %s\n", cmd.name, ue.msg, cmd.name, cmd.args)
			return 2
		}
		fmt.Fprintf(stderr, "healthwallet %s: %s\n", cmd.name, describe(err))
		return 1
	}
	return 0
}

// flags returns a flag set holding the flags every command accepts, so they
// may stand before or after the command name.
func (env *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	if env.dataDir == "" {
		env.dataDir = wallet.DefaultDir()
	}
	fs.StringVar(&env.dataDir, "data-dir", env.dataDir, "wallet data `directory`")
	fs.StringVar(&env.passphraseFile, "passphrase-file", env.passphraseFile, "read the passphrase from the first line of `file` (else $HEALTHWALLET_PASSPHRASE, else a prompt)")
	fs.BoolVar(&env.verbose, "v", env.verbose, "verbose logging")
	return fs
}

// parse parses a command's flags, allowing flags after positional arguments.
func (env *cli) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// describe turns an error into the sentence a user reads.
func describe(err error) string {
	switch {
	case errors.Is(err, wallet.ErrNoWallet):
		return err.Error() + " (create one with 'healthwallet init' or 'healthwallet restore', or pass --data-dir)"
	case errors.Is(err, wallet.ErrLocked):
		return err.Error() + " (close it there first)"
	}
	return err.Error()
}

func usage(w io.Writer, global *flag.FlagSet) {
	fmt.Fprintf(w, "Health Wallet %s: your health records, encrypted, in your hands.\n\n", version)
	fmt.Fprintln(w, "usage: healthwallet [flags] [command] [command flags]")
	fmt.Fprintln(w, "\ncommands:")
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	// A command's synopsis and its summary side by side; a long synopsis
	// on a line of its own, so the summaries stay in one column.
	const column = 34
	for _, c := range sorted {
		synopsis := strings.TrimSpace(c.name + " " + c.args)
		if len(synopsis) > column-2 {
			fmt.Fprintf(w, "  %s\n  %-*s%s\n", synopsis, column, "", c.summary)
			continue
		}
		fmt.Fprintf(w, "  %-*s%s\n", column, synopsis, c.summary)
	}
	fmt.Fprintln(w, "\nflags (accepted before or after the command):")
	var b strings.Builder
	global.SetOutput(&b)
	global.PrintDefaults()
	global.SetOutput(w)
	fmt.Fprint(w, b.String())
}

func runVersion(_ context.Context, env *cli, _ []string) error {
	fmt.Fprintln(env.stdout, "healthwallet", version)
	return nil
}
