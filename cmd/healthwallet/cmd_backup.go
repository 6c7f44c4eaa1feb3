package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ipfs/go-cid"

	"github.com/healthwallet/healthwallet/wallet"
)

func runBackup(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("backup")
	out := fset.String("out", "", "write the backup to `file` (a CAR file, conventionally .car; - for standard output)")
	if _, err := env.parse(fset, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"name the backup file with --out FILE.car"}
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	report := env.stdout
	var root cid.Cid
	if *out == "-" {
		report = env.stderr
		if root, err = w.ExportBackup(ctx, env.stdout, nil); err != nil {
			return err
		}
	} else {
		progress := env.progressFor(filepath.Base(*out))
		err = writeFileAtomic(*out, func(dst io.Writer) (err error) {
			root, err = w.ExportBackup(ctx, dst, progress)
			return err
		})
		env.endProgress(progress)
		if err != nil {
			return err
		}
	}
	n, err := recordCount(ctx, w)
	if err != nil {
		return err
	}
	if *out != "-" {
		if st, err := os.Stat(*out); err == nil {
			fmt.Fprintf(report, "Backed up %d records to %s (%s), encrypted.\n", n, *out, byteCount(st.Size()))
		}
	}
	fmt.Fprintf(report, "Root CID: %s\n", root)
	return nil
}

// restoreBackup is restore --backup: the wallet comes back with its records,
// or not at all.
func restoreBackup(ctx context.Context, env *cli, path, phrase string, pass []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	progress := env.progressFor(filepath.Base(path))
	w, err := wallet.RestoreBackup(ctx, env.dataDir, phrase, pass, f, walletOptions, progress)
	env.endProgress(progress)
	if err != nil {
		return err
	}
	defer w.Close()
	n, err := recordCount(ctx, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Restored the wallet in %s with %d records from %s\nYour ID: %s\n", env.dataDir, n, path, w.ID())
	return nil
}

func recordCount(ctx context.Context, w *wallet.Wallet) (int, error) {
	counts, err := w.Counts(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, nil
}

func byteCount(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
