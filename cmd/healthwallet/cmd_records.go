package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"github.com/healthwallet/healthwallet/wallet"
)

func runImport(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("import")
	paths, err := env.parse(fset, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError{"name at least one file or directory"}
	}
	files, err := wallet.FilesToImport(paths)
	if err != nil {
		return err
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()

	var added, dups, failed int
	for _, f := range files {
		progress := env.progressFor(f)
		rep, err := w.ImportFile(ctx, f, progress)
		env.endProgress(progress)
		if err != nil {
			failed++
			fmt.Fprintf(env.stderr, "not imported: %s\n", err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		added += rep.Added
		dups += rep.Duplicates
		fmt.Fprintf(env.stdout, "%s: %d added, %d already in the wallet\n", f, rep.Added, rep.Duplicates)
	}
	fmt.Fprintf(env.stdout, "%d records added from %d files (%d already in the wallet)\n", added, len(files)-failed, dups)
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not imported (nothing from them was kept)", failed, len(files))
	}
	return nil
}

// progressFor returns a progress reporter drawing on standard error when it
// is a terminal, or nil.
func (env *cli) progressFor(label string) wallet.Progress {
	f, ok := env.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(done, total int64) {
		fmt.Fprintf(f, "\r%s: %d/%d", label, done, total)
	}
}

func (env *cli) endProgress(p wallet.Progress) {
	if p != nil {
		fmt.Fprint(env.stderr, "\r\033[K")
	}
}

func runList(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("list")
	typ := fset.String("type", "", "only records of this FHIR resource `type`")
	cat := fset.String("category", "", "only records in this `category` (conditions, medications, ...)")
	search := fset.String("search", "", "only records whose title contains `text`")
	asJSON := fset.Bool("json", false, "print JSON, one object per record")
	if _, err := env.parse(fset, args); err != nil {
		return err
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	recs, err := w.List(ctx, wallet.Query{ResourceType: *typ, Category: *cat, Text: *search})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		for _, r := range recs {
			if err := enc.Encode(listEntry(r)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE\tTYPE\tTITLE")
	for _, r := range recs {
		date := ""
		if !r.Date.IsZero() {
			date = r.Date.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, date, r.ResourceType, r.Title)
	}
	return tw.Flush()
}

type jsonRecord struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	ResourceType string `json:"resourceType"`
	Category     string `json:"category"`
	ContentType  string `json:"contentType"`
	Title        string `json:"title"`
	Date         string `json:"date,omitempty"`
	Size         int64  `json:"size"`
	CID          string `json:"cid"`
	Source       string `json:"source,omitempty"`
	Added        string `json:"added"`
}

func listEntry(r wallet.Record) jsonRecord {
	j := jsonRecord{ID: r.ID, Kind: string(r.Kind), ResourceType: r.ResourceType, Category: r.Category,
		ContentType: r.ContentType, Title: r.Title, Size: r.Size, CID: r.CID, Source: r.Source,
		Added: r.AddedAt.Format("2006-01-02T15:04:05Z07:00")}
	if !r.Date.IsZero() {
		j.Date = r.Date.Format("2006-01-02T15:04:05Z07:00")
	}
	return j
}

func runShow(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("show")
	out := fset.String("out", "", "write the record's content to `file` (written only once fully decrypted and verified)")
	raw := fset.Bool("raw", false, "print FHIR JSON as stored, not indented")
	ids, err := env.parse(fset, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usageError{"name one record ID (see 'healthwallet list')"}
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	if *out != "" {
		if err := w.SaveAs(ctx, ids[0], *out); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "saved to %s\n", *out)
		return nil
	}
	rec, err := w.Get(ctx, ids[0])
	if err != nil {
		return err
	}
	if rec.Kind != wallet.KindFHIR {
		if f, ok := env.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return fmt.Errorf("record %s is a %s file %q: save it with --out FILE", rec.ID, rec.ContentType, rec.Title)
		}
	}
	_, plain, err := w.Read(ctx, ids[0])
	if err != nil {
		return err
	}
	if rec.Kind == wallet.KindFHIR && !*raw {
		var b bytes.Buffer
		if err := json.Indent(&b, plain, "", "  "); err != nil {
			return fmt.Errorf("record %s: %w", rec.ID, err)
		}
		b.WriteByte('\n')
		plain = b.Bytes()
	}
	_, err = env.stdout.Write(plain)
	return err
}

func runExport(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("export")
	out := fset.String("out", "", "write the Bundle to `file` instead of standard output")
	if _, err := env.parse(fset, args); err != nil {
		return err
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	if *out == "" {
		return w.ExportBundle(ctx, env.stdout, nil)
	}
	return writeFileAtomic(*out, func(dst io.Writer) error { return w.ExportBundle(ctx, dst, nil) })
}

// writeFileAtomic writes path through a temporary file that is renamed into
// place only when write succeeded.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o600, write)
}

func runDelete(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("delete")
	ids, err := env.parse(fset, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usageError{"name the record IDs to delete (see 'healthwallet list')"}
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	for _, id := range ids {
		if err := w.Delete(ctx, id); err != nil {
			return err
		}
	}
	rep, err := w.GC(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Deleted %d records; %d bytes freed.\n", len(ids), rep.Bytes)
	return nil
}

func runStatus(ctx context.Context, env *cli, args []string) error {
	fset := env.flags("status")
	if _, err := env.parse(fset, args); err != nil {
		return err
	}
	w, err := env.openWallet()
	if err != nil {
		return err
	}
	defer w.Close()
	st, err := w.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ID:       %s\nrecords:  %d\nblocks:   %d (%d bytes of ciphertext, %d pinned roots)\non disk:  %d bytes\n",
		w.ID(), st.Records, st.Store.Blocks, st.Store.BlockBytes, st.Store.Pins, st.Store.RepoBytes)
	if st.Online {
		fmt.Fprintf(env.stdout, "peer:     %s (%d connected)\n", st.PeerID, st.Store.Peers)
	}
	return nil
}
