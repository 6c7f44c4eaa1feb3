package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	fyneapp "fyne.io/fyne/v2/app"

	hwapp "github.com/healthwallet/healthwallet/app"
	"github.com/healthwallet/healthwallet/internal/demonet"
	"github.com/healthwallet/healthwallet/wallet"
)

const appID = "org.healthwallet.desktop"

func runGUI(_ context.Context, env *cli, args []string) error {
	fs := env.flags("gui")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	ui := hwapp.New(fyneapp.NewWithID(appID), hwapp.Config{DataDir: env.dataDir})
	ui.Start()
	ui.Window().ShowAndRun()
	return nil
}

// demoPassphrase opens the demo wallet; it protects nothing of value.
const demoPassphrase = "demo wallet passphrase"

// runDemo opens the app on a demo wallet, created on first use with sample
// records, so a newcomer sees a populated wallet at once.
func runDemo(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("demo")
	dir := fs.String("demo-dir", filepath.Join(filepath.Dir(wallet.DefaultDir()), "healthwallet-demo"), "demo wallet `directory`")
	samples := fs.String("samples", "", "sample records to import on first use (file or directory)")
	noGUI := fs.Bool("no-gui", false, "prepare the demo wallet and consortium, report, and exit")
	noNet := fs.Bool("no-network", false, "do not start the demo consortium's clinic nodes")
	if _, err := env.parse(fs, args); err != nil {
		return err
	}
	w, err := openDemo(ctx, env, *dir, *samples)
	if err != nil {
		return err
	}
	defer w.Close()
	if !*noNet {
		net, err := demonet.Start(ctx, *dir+"-consortium", nil)
		if err != nil {
			return fmt.Errorf("demo consortium: %w", err)
		}
		defer net.Close()
		head := net.Clinics[0].Ledger.Head()
		fmt.Fprintf(env.stderr, "Demo consortium: %d clinic nodes on loopback, chain %s at block %d (%s)\n",
			len(net.Clinics), demonet.ChainID, head.Number, strings.Join(demonet.Clinics, ", "))
	}
	if *noGUI {
		return nil
	}
	ui := hwapp.New(fyneapp.NewWithID(appID), hwapp.Config{DataDir: *dir})
	ui.ShowWallet(w, nil)
	ui.Window().ShowAndRun()
	return nil
}

func openDemo(ctx context.Context, env *cli, dir, samples string) (*wallet.Wallet, error) {
	if wallet.Exists(dir) {
		return wallet.Open(dir, []byte(demoPassphrase), walletOptions)
	}
	w, _, err := wallet.Create(dir, []byte(demoPassphrase), walletOptions)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.stderr, "Created a demo wallet in %s (passphrase %q)\n", dir, demoPassphrase)
	if samples == "" {
		return w, nil
	}
	files := []string{samples}
	if st, err := os.Stat(samples); err == nil && st.IsDir() {
		entries, _ := os.ReadDir(samples)
		files = files[:0]
		for _, e := range entries {
			if !e.IsDir() && (filepath.Ext(e.Name()) == ".json" || filepath.Ext(e.Name()) == ".ndjson") {
				files = append(files, filepath.Join(samples, e.Name()))
			}
		}
	} else if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(env.stderr, "No sample records at %s; the demo wallet starts empty.\n", samples)
		return w, nil
	}
	for _, f := range files {
		rep, err := w.ImportFile(ctx, f, nil)
		if err != nil {
			fmt.Fprintf(env.stderr, "sample not imported: %v\n", err)
			continue
		}
		fmt.Fprintf(env.stderr, "Imported %d sample records from %s\n", rep.Added, filepath.Base(f))
	}
	return w, nil
}
