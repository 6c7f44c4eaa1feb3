package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	hwapp "github.com/healthwallet/healthwallet/app"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/internal/demonet"
	"github.com/healthwallet/healthwallet/wallet"
)

const appID = "org.healthwallet.desktop"

// processStart approximates the process's start for --ready-file: package
// variables are initialised before main runs.
var processStart = time.Now()

// guiFlags are the flags `gui` and `demo` share.
type guiFlags struct {
	show      *string
	readyFile *string
}

func addGUIFlags(env *cli, name string) (*flag.FlagSet, guiFlags) {
	fs := env.flags(name)
	return fs, guiFlags{
		show:      fs.String("show", "", "`section` to open once unlocked (Records, Sharing, Activity, My ID, Settings…)"),
		readyFile: fs.String("ready-file", "", "write the milliseconds from process start to the first unlocked screen to `file` (for start-up measurements)"),
	}
}

// config is the app's configuration for these flags.
func (g guiFlags) config(dataDir string) hwapp.Config {
	cfg := hwapp.Config{DataDir: dataDir, Options: walletOptions, Show: *g.show}
	if file := *g.readyFile; file != "" {
		cfg.Ready = func() {
			ms := time.Since(processStart).Milliseconds()
			if err := atomicfile.WriteFile(file, []byte(strconv.FormatInt(ms, 10)+"\n"), 0o644); err != nil {
				slog.Warn("ready file not written", "file", file, "err", err)
			}
		}
	}
	return cfg
}

func runGUI(ctx context.Context, env *cli, args []string) error {
	fs, g := addGUIFlags(env, "gui")
	unlock := fs.Bool("unlock", false, "open the wallet at once with the passphrase from --passphrase-file or $"+envPassphrase+" (else a prompt), without the unlock screen")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	if !*unlock {
		cfg := g.config(env.dataDir)
		demo := &demoOffer{env: env}
		defer demo.close()
		cfg.Demo = demo.start
		ui := hwapp.New(fyneapp.NewWithID(appID), cfg)
		ui.Start()
		showAndRun(ctx, ui)
		return nil
	}
	pass, err := env.passphrase("Passphrase: ")
	if err != nil {
		return err
	}
	// The keystore's Argon2id and the window's set-up (GL, fonts) each take
	// a few hundred milliseconds on their own core: overlap them.
	type opened struct {
		w   *wallet.Wallet
		n   *wallet.Network
		err error
	}
	opening := make(chan opened, 1)
	go func() {
		w, n, err := openForGUI(env.dataDir, pass)
		opening <- opened{w, n, err}
	}()
	ui := hwapp.New(fyneapp.NewWithID(appID), g.config(env.dataDir))
	o := <-opening
	if o.err != nil {
		return o.err
	}
	ui.ShowWallet(o.w, o.n)
	showAndRun(ctx, ui)
	return nil
}

// showAndRun runs the window until the user closes it or ctx ends (Ctrl+C,
// SIGTERM), which closes it the same way, so the wallet closes cleanly.
func showAndRun(ctx context.Context, ui *hwapp.UI) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			fyne.Do(ui.Window().Close)
		case <-done:
		}
	}()
	ui.Window().ShowAndRun()
	close(done)
}

// openForGUI opens the wallet in dir, on its network when it joined one,
// as the unlock screen does; the session the UI starts on it dials the
// members.
func openForGUI(dir string, pass []byte) (*wallet.Wallet, *wallet.Network, error) {
	n, err := wallet.LoadNetwork(dir)
	switch {
	case errors.Is(err, wallet.ErrNotJoined):
		w, err := wallet.Open(dir, pass, walletOptions)
		return w, nil, err
	case err != nil:
		return nil, nil, err
	}
	w, err := wallet.Open(dir, pass, n.Options(walletOptions))
	if err != nil {
		return nil, nil, err
	}
	return w, &n, nil
}

// demoPassphrase opens the demo wallet; it protects nothing of value.
const demoPassphrase = "demo wallet passphrase"

// runDemo opens the app on a demo wallet, created on first use with sample
// records, on a demo consortium running in this process: two clinics that
// seal the chain and a clinician, Dr. Ada Demo, who asks the patient for
// access, so a newcomer sees the whole flow at once.
func runDemo(ctx context.Context, env *cli, args []string) error {
	fs, g := addGUIFlags(env, "demo")
	dir := fs.String("demo-dir", defaultDemoDir(), "demo wallet `directory` (the consortium lives next to it, in DIR-consortium)")
	samples := fs.String("samples", "", "sample records to import on first use: a FHIR file, or a directory of Synthea bundles (the first is used)")
	noGUI := fs.Bool("no-gui", false, "prepare the demo wallet and consortium, wait until the clinician's request reached the wallet, report, and exit")
	noNet := fs.Bool("no-network", false, "do not start the demo consortium")
	as := fs.String("as", "", "open the wallet of a demo `member` instead of the patient's: "+strings.Join(demonet.Members, ", "))
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	if *as != "" {
		return runDemoAs(ctx, env, g, *dir+"-consortium", *as, *noGUI)
	}
	if err := prepareDemo(ctx, env, *dir, *samples); err != nil {
		return err
	}
	if *noNet {
		w, err := wallet.Open(*dir, []byte(demoPassphrase), walletOptions)
		if err != nil {
			return err
		}
		if *noGUI {
			return w.Close()
		}
		return showDemo(ctx, env, g, *dir, w, nil)
	}
	net, w, n, err := startDemo(ctx, *dir)
	if err != nil {
		return err
	}
	defer net.Close()
	head := net.Clinics[0].Wallet.Ledger().Head()
	fmt.Fprintf(env.stderr, "Demo consortium on loopback: %s, with %s (a clinician of %s); chain %s at block %d\n",
		strings.Join(demonet.Clinics, " and "), demonet.ClinicianName, demonet.Clinics[0], demonet.ChainID, head.Number)
	if *noGUI {
		defer w.Close()
		return waitForDemoRequest(ctx, env, net, w, n)
	}
	net.AskPatient(w.ID())
	return showDemo(ctx, env, g, *dir, w, &n)
}

// startDemo starts the demo consortium beside the demo wallet in dir
// (prepared already) and opens the wallet on it.
func startDemo(ctx context.Context, dir string) (*demonet.Net, *wallet.Wallet, wallet.Network, error) {
	net, err := demonet.Start(ctx, dir+"-consortium", slog.Default())
	if err != nil {
		return nil, nil, wallet.Network{}, fmt.Errorf("demo consortium: %w", err)
	}
	// The clinics listen on new ports each run: join again.
	n := net.Network()
	if err := wallet.Join(dir, n); err != nil {
		net.Close()
		return nil, nil, wallet.Network{}, fmt.Errorf("join the demo consortium: %w", err)
	}
	w, err := wallet.Open(dir, []byte(demoPassphrase), n.Options(walletOptions))
	if err != nil {
		net.Close()
		return nil, nil, wallet.Network{}, err
	}
	return net, w, n, nil
}

// demoOffer is the welcome screen's "Try the demo": the demo wallet (with
// the sample records when this is a source checkout) on the demo
// consortium, which runs until the program ends.
type demoOffer struct {
	env *cli
	mu  sync.Mutex
	net *demonet.Net
}

func (d *demoOffer) start(ctx context.Context) (string, *wallet.Wallet, *wallet.Network, error) {
	dir := defaultDemoDir()
	if err := prepareDemo(ctx, d.env, dir, defaultSamples); err != nil {
		return "", nil, nil, err
	}
	net, w, n, err := startDemo(ctx, dir)
	if err != nil {
		return "", nil, nil, err
	}
	d.mu.Lock()
	if d.net != nil {
		d.net.Close()
	}
	d.net = net
	d.mu.Unlock()
	net.AskPatient(w.ID())
	return dir, w, &n, nil
}

func (d *demoOffer) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.net != nil {
		d.net.Close()
	}
}

// defaultSamples are the Synthea records of a source checkout (make run
// passes the same); an installed app's demo starts without records.
const defaultSamples = "../shared/testdata/fhir/synthea-bundles"

func defaultDemoDir() string {
	return filepath.Join(filepath.Dir(wallet.DefaultDir()), "healthwallet-demo")
}

// runDemoAs runs the demo consortium but for one member, whose wallet the
// app shows: the demo from a clinic's or the clinician's side.
func runDemoAs(ctx context.Context, env *cli, g guiFlags, dir, member string, noGUI bool) error {
	net, err := demonet.StartExcept(ctx, dir, slog.Default(), member)
	if err != nil {
		return fmt.Errorf("demo consortium: %w", err)
	}
	defer net.Close()
	w, n, err := net.OpenMember(member, walletOptions)
	if err != nil {
		return fmt.Errorf("demo %s: %w", member, err)
	}
	fmt.Fprintf(env.stderr, "Demo consortium on loopback, seen by %s; chain %s at block %d\n",
		member, demonet.ChainID, w.Ledger().Head().Number)
	if noGUI {
		return w.Close()
	}
	fmt.Fprintf(env.stderr, "Demo wallet %s (passphrase %q)\n", w.Dir(), demonet.Passphrase)
	ui := hwapp.New(fyneapp.NewWithID(appID), g.config(w.Dir()))
	ui.ShowWallet(w, &n)
	showAndRun(ctx, ui)
	return nil
}

func showDemo(ctx context.Context, env *cli, g guiFlags, dir string, w *wallet.Wallet, n *wallet.Network) error {
	fmt.Fprintf(env.stderr, "Demo wallet %s (passphrase %q)\n", dir, demoPassphrase)
	ui := hwapp.New(fyneapp.NewWithID(appID), g.config(dir))
	ui.ShowWallet(w, n) // the UI closes w on lock or exit
	showAndRun(ctx, ui)
	return nil
}

// waitForDemoRequest has the clinician ask the patient (unless a request
// or grant of theirs stands) and waits until the patient's wallet holds the
// request, so a script knows the Sharing inbox shows it.
func waitForDemoRequest(ctx context.Context, env *cli, net *demonet.Net, w *wallet.Wallet, n wallet.Network) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := w.ConnectMembers(ctx, n.Peers); err != nil {
		return err
	}
	sent, err := net.RequestAccess(ctx, w.ID())
	if err != nil {
		return fmt.Errorf("the demo clinician's request: %w", err)
	}
	waiting := func(ledger.Tip) bool {
		reqs, err := w.PendingRequests(ctx)
		return err == nil && slices.ContainsFunc(reqs, func(r wallet.PendingRequest) bool {
			return r.Clinician == net.Clinician.ChainKey()
		})
	}
	if !sent && !waiting(ledger.Tip{}) {
		fmt.Fprintf(env.stderr, "You answered %s's request on an earlier run: access is granted\n", demonet.ClinicianName)
		return nil
	}
	if err := w.Ledger().WaitFor(ctx, waiting); err != nil {
		return fmt.Errorf("waiting for the demo clinician's request: %w", err)
	}
	// The request shows the clinician's licences: wait until the boards'
	// credentials reached their holders, as the demo promises them.
	if err := net.Licensed(ctx); err != nil {
		return fmt.Errorf("the demo boards' credentials: %w", err)
	}
	fmt.Fprintf(env.stderr, "%s's access request waits in the Sharing inbox\n", demonet.ClinicianName)
	return nil
}

// prepareDemo creates the demo wallet on first use and imports the sample
// records.
//
// The demo is one patient's wallet, so from a directory it imports a single
// Synthea bundle: the issue names the bulk-10-patients set, but that mixes
// ten people's records in one wallet and holds no Observations, while one
// Synthea patient's bundle has a life's worth of them (weight, blood
// pressure, cholesterol…), which is what gives the charts data.
func prepareDemo(ctx context.Context, env *cli, dir, samples string) error {
	if wallet.Exists(dir) {
		return nil
	}
	w, _, err := wallet.Create(dir, []byte(demoPassphrase), walletOptions)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(env.stderr, "Created a demo wallet in %s (passphrase %q)\n", dir, demoPassphrase)
	if samples == "" {
		return nil
	}
	file, err := demoSample(samples)
	if err != nil {
		fmt.Fprintf(env.stderr, "No sample records (%v); the demo wallet starts empty.\n", err)
		return nil
	}
	rep, err := w.ImportFile(ctx, file, nil)
	if err != nil {
		fmt.Fprintf(env.stderr, "Sample records not imported: %v\n", err)
		return nil
	}
	fmt.Fprintf(env.stderr, "Imported %d sample records from %s\n", rep.Added, filepath.Base(file))
	return nil
}

// demoSample is the file to import: samples itself, or the first file (by
// name) an import of the directory samples would read.
func demoSample(samples string) (string, error) {
	if _, err := os.Stat(samples); err != nil {
		return "", err
	}
	files, err := wallet.FilesToImport([]string{samples})
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("nothing to import in %s", samples)
	}
	return files[0], nil
}
