package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// importDialog offers files or a folder to import.
func (v *recordsView) importDialog() {
	text := widget.NewLabel("Import FHIR R4 JSON (a single resource, a Bundle or bulk NDJSON), PDFs and images. " +
		"Choose a file, or a folder to import every file in it. You can also drop files onto this window.")
	text.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	file := widget.NewButtonWithIcon("Choose a file…", theme.FileIcon(), func() {
		d.Hide()
		fd := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil {
				v.u.showError("Could not open the file", err)
				return
			}
			if rc == nil {
				return
			}
			rc.Close()
			v.importPaths([]string{rc.URI().Path()})
		}, v.u.win)
		fd.Resize(fyne.NewSize(800, 560))
		fd.Show()
	})
	folder := widget.NewButtonWithIcon("Choose a folder…", theme.FolderOpenIcon(), func() {
		d.Hide()
		fd := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
			if err != nil {
				v.u.showError("Could not open the folder", err)
				return
			}
			if l == nil {
				return
			}
			v.importPaths([]string{l.Path()})
		}, v.u.win)
		fd.Resize(fyne.NewSize(800, 560))
		fd.Show()
	})
	d = dialog.NewCustom("Import records", "Close", container.NewVBox(text, container.NewHBox(file, folder)), v.u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// watchDrops imports what is dropped onto the window while this screen's
// session lasts.
func (v *recordsView) watchDrops() {
	v.u.win.SetOnDropped(v.dropped)
}

func (v *recordsView) dropped(_ fyne.Position, uris []fyne.URI) {
	if v.u.Wallet() != v.w || v.w == nil {
		return // locked since, or another session's screen
	}
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	if v.u.main != nil {
		v.u.main.show("Records")
	}
	v.importPaths(paths)
}

// importResult is what one file gave, for the report.
type importResult struct {
	path string
	rep  wallet.ImportReport
	err  error
}

// importPaths imports files (a folder: every file in it) one by one, with
// progress and Cancel, then reports per file. A refused or cancelled file
// leaves nothing behind; the others stay imported.
func (v *recordsView) importPaths(paths []string) {
	w := v.w
	var results []importResult
	v.u.runTask("Importing records", "Reading your files…", func(ctx context.Context, progress func(done, total int64)) error {
		files, err := wallet.FilesToImport(paths)
		if err != nil {
			return err
		}
		const unit = 1000
		total := int64(len(files)) * unit
		for i, f := range files {
			if ctx.Err() != nil {
				results = append(results, importResult{path: f, err: context.Canceled})
				continue
			}
			base := int64(i) * unit
			rep, err := w.ImportFile(ctx, f, func(done, all int64) {
				if all > 0 {
					progress(base+done*unit/all, total)
				}
			})
			results = append(results, importResult{path: f, rep: rep, err: err})
			progress(base+unit, total)
		}
		return nil
	}, func(err error) {
		v.changed()
		if err != nil && !canceled(err) {
			v.u.showError("Could not import", err)
			return
		}
		v.showImportReport(results, canceled(err))
	})
}

// showImportReport says, per file, what was imported or why not.
func (v *recordsView) showImportReport(results []importResult, wasCanceled bool) {
	added, dups, refused := 0, 0, 0
	list := container.NewVBox()
	for _, r := range results {
		line := widget.NewLabel(importLine(r))
		line.Wrapping = fyne.TextWrapWord
		icon := widget.NewIcon(theme.ConfirmIcon())
		if r.err != nil {
			icon.SetResource(theme.ErrorIcon())
			refused++
		}
		added += r.rep.Added
		dups += r.rep.Duplicates
		list.Add(container.NewBorder(nil, nil, container.NewVBox(icon), nil, line))
	}
	summary := fmt.Sprintf("%s added from %s", plural(added, "new record"), plural(len(results)-refused, "file"))
	if dups > 0 {
		summary += fmt.Sprintf("; %s already in your wallet", plural(dups, "record was", "records were"))
	}
	summary += "."
	if refused > 0 {
		summary += fmt.Sprintf(" %s not imported.", plural(refused, "file was", "files were"))
	}
	if wasCanceled {
		summary += " The import was cancelled: files after that point were not imported."
	}
	head := widget.NewLabelWithStyle(summary, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(list)
	scroll.SetMinSize(fyne.NewSize(0, min(float32(len(results))*64, 360)))
	d := dialog.NewCustom("Import report", "Close", container.NewBorder(head, nil, nil, nil, scroll), v.u.win)
	d.Resize(fyne.NewSize(600, 0))
	d.Show()
}

// importLine is one file's line of the report.
func importLine(r importResult) string {
	name := filepath.Base(r.path)
	switch {
	case canceled(r.err):
		return name + ": not imported (cancelled). Nothing from this file was kept."
	case r.err != nil:
		return name + ": not imported. " + importProblem(r.err) + " Nothing from this file was kept."
	}
	s := name + ": " + plural(r.rep.Added, "new record")
	if n := len(r.rep.ByType); n > 0 {
		type kv struct {
			typ string
			n   int
		}
		var types []kv
		for t, n := range r.rep.ByType {
			types = append(types, kv{t, n})
		}
		slices.SortFunc(types, func(a, b kv) int { return cmp.Or(b.n-a.n, strings.Compare(a.typ, b.typ)) })
		var parts []string
		for _, t := range types {
			parts = append(parts, thousands(t.n)+" "+typeName(t.typ))
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if r.rep.Duplicates > 0 {
		s += fmt.Sprintf("; %s already in your wallet", plural(r.rep.Duplicates, "was", "were"))
	}
	return s + "."
}

// importProblem says why a file was refused, naming the part at fault.
func importProblem(err error) string {
	var pe *fhir.ParseError
	if errors.As(err, &pe) {
		where, detail := "", ""
		if pe.Entry != "" {
			where = " (" + pe.Entry + ")"
		}
		if pe.Err != nil {
			detail = ": " + strings.TrimSuffix(pe.Err.Error(), ".")
		}
		switch {
		case errors.Is(err, fhir.ErrEmpty):
			return "The file holds nothing to import."
		case errors.Is(err, fhir.ErrInvalidJSON):
			// The detail starts by saying so itself.
			return "The file is not valid JSON" + where + strings.TrimPrefix(detail, ": not valid JSON") + "."
		case errors.Is(err, fhir.ErrLimit):
			return "The file is too large or too deeply nested to import safely" + where + detail + "."
		}
		return "The file is not FHIR R4 that Health Wallet can read" + where + detail + "."
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "The file is no longer there."
	case errors.Is(err, fs.ErrPermission):
		return "Health Wallet is not allowed to read this file."
	}
	return sentence(err)
}

func typeName(resourceType string) string {
	if resourceType == "Binary" {
		return "file"
	}
	return resourceType
}

// exportKind is what Export writes.
type exportKind int

const (
	exportBundle exportKind = iota // FHIR R4 Bundle, plain JSON
	exportBackup                   // encrypted backup (CAR)
)

// exportDialog offers a FHIR Bundle or an encrypted backup.
func (v *recordsView) exportDialog() {
	bundleText := widget.NewLabel("A FHIR R4 Bundle is one JSON file with all your records that other health apps can read. " +
		"It is NOT encrypted: anyone who gets the file can read your records.")
	bundleText.Wrapping = fyne.TextWrapWord
	backupText := widget.NewLabel("An encrypted backup holds the whole wallet. Only you can restore it, " +
		"with your recovery phrase.")
	backupText.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	choose := func(kind exportKind, name string) func() {
		return func() {
			d.Hide()
			fd := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
				if err != nil {
					v.u.showError("Could not export", err)
					return
				}
				if wc != nil {
					v.exportTo(kind, wc, wc.URI())
				}
			}, v.u.win)
			fd.SetFileName(name)
			fd.Resize(fyne.NewSize(800, 560))
			fd.Show()
		}
	}
	bundle := widget.NewButtonWithIcon("FHIR R4 Bundle (not encrypted)…", theme.DocumentSaveIcon(), choose(exportBundle, "health-records.json"))
	bundle.Importance = widget.WarningImportance
	backup := widget.NewButtonWithIcon("Encrypted backup…", theme.StorageIcon(), choose(exportBackup, "health-wallet-backup.car"))
	backup.Importance = widget.HighImportance
	body := container.NewVBox(backupText, container.NewHBox(backup), widget.NewSeparator(), bundleText, container.NewHBox(bundle))
	d = dialog.NewCustom("Export records", "Close", body, v.u.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// exportTo writes an export with progress and Cancel; out is closed. A
// failed or cancelled export removes what it wrote (uri, when known).
func (v *recordsView) exportTo(kind exportKind, out io.WriteCloser, uri fyne.URI) {
	w := v.w
	title, what := "Exporting a FHIR Bundle", "Writing your records as a FHIR R4 Bundle…"
	if kind == exportBackup {
		title, what = "Making an encrypted backup", "Writing the encrypted backup…"
	}
	v.u.runTask(title, what, func(ctx context.Context, progress func(done, total int64)) error {
		var err error
		if kind == exportBackup {
			_, err = w.ExportBackup(ctx, out, progress)
		} else {
			err = w.ExportBundle(ctx, out, progress)
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil && uri != nil {
			if derr := storage.Delete(uri); derr != nil && !errors.Is(derr, os.ErrNotExist) {
				err = fmt.Errorf("%w (and the partial file could not be removed: %v)", err, derr)
			}
		}
		return err
	}, func(err error) {
		name := "the file"
		if uri != nil {
			name = uri.Name()
		}
		switch {
		case canceled(err):
			dialog.ShowInformation("Export cancelled", "Nothing was saved.", v.u.win)
		case err != nil:
			v.u.showError("Could not export", err)
		case kind == exportBackup:
			dialog.ShowInformation("Backup saved", "Your encrypted backup is saved as "+name+
				". Keep it with your recovery phrase written down: both are needed to restore it.", v.u.win)
		default:
			dialog.ShowInformation("Bundle saved", "Your records are saved as "+name+
				", a FHIR R4 Bundle. This file is not encrypted: keep it safe and share it only with people you trust.", v.u.win)
		}
	})
}
