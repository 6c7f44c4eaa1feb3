package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// Records clinicians add for patients: a clinician holding a write grant
// adds one (add-record); the patient sees it as incoming and keeps or
// hides it.

func runAddRecord(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("add-record")
	patient := fs.String("patient", "", "the patient's Health Wallet `ID`")
	files, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	id, err := identity.ParseID(*patient)
	if err != nil {
		return usageError{"give --patient with the patient's Health Wallet ID"}
	}
	if len(files) != 1 {
		return usageError{"name one FHIR JSON file holding one resource"}
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	a, err := w.AddForPatient(ctx, chain.PublicKey(id.SigningKey()), filepath.Base(files[0]), data)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Added %s (%s) for %s\nrecord %s\ncid    %s\nanchor %s\n", a.ResourceType, a.Category, id, a.RecordID, a.CID, a.Anchor)
	return settle(ctx, env, w)
}

// runIncoming lists the records clinicians added for the owner, or prints
// one.
func runIncoming(ctx context.Context, env *cli, args []string) error {
	fs := env.flags("incoming")
	show := fs.String("show", "", "print the record added under this `anchor` ID (FHIR JSON), without keeping it")
	all := fs.Bool("all", false, "also list the records you hid")
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	var anchor chain.Hash
	if *show != "" {
		if anchor, err = parseHash(*show); err != nil {
			return err
		}
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	if *show != "" {
		plain, err := w.ReadIncoming(ctx, anchor)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if json.Indent(&b, plain, "", "  ") == nil {
			plain = append(b.Bytes(), '\n')
		}
		_, err = env.stdout.Write(plain)
		return err
	}
	recs, err := w.Incoming(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ANCHOR\tSTATE\tCATEGORY\tFROM\tROLE\tCLINIC\tTIME")
	for _, r := range recs {
		if r.State == "hidden" && !*all {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Anchor, r.State, r.Category, identity.IDFromSigningKey(r.Author[:]),
			roleName(r.Role), keyPrefix(r.Clinic), alertTime(r.Time))
	}
	return tw.Flush()
}

// runKeep adds an incoming record to the owner's records.
func runKeep(ctx context.Context, env *cli, args []string) error {
	return onIncoming(ctx, env, env.flags("keep"), args, func(w *wallet.Wallet, anchor chain.Hash) error {
		rec, err := w.KeepIncoming(ctx, anchor)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Kept as %s: %s\n", rec.ID, rec.Title)
		// A kept record inside an active read grant's scope is keyed to
		// that grant's clinician, as any new record is.
		n, err := w.KeyNewRecords(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return settle(ctx, env, w)
		}
		return nil
	})
}

// runHide takes an incoming record out of the owner's view.
func runHide(ctx context.Context, env *cli, args []string) error {
	return onIncoming(ctx, env, env.flags("hide"), args, func(w *wallet.Wallet, anchor chain.Hash) error {
		if err := w.HideIncoming(ctx, anchor); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, "Hidden. It stays on the chain (an anchor cannot be undone) but out of your incoming list.")
		return nil
	})
}

// onIncoming parses fs and the one anchor ID argument, opens the wallet on
// its chain and acts on that incoming record.
func onIncoming(ctx context.Context, env *cli, fs *flag.FlagSet, args []string, act func(*wallet.Wallet, chain.Hash) error) error {
	rest, err := env.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"give the anchor ID (see 'healthwallet incoming')"}
	}
	anchor, err := parseHash(rest[0])
	if err != nil {
		return err
	}
	w, done, err := env.openOnChain(ctx)
	if err != nil {
		return err
	}
	defer done()
	return act(w, anchor)
}
