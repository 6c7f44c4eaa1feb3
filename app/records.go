package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
)

// recordsView is the patient's main screen: the record list and the
// selected record.
type recordsView struct {
	u       *UI
	records []wallet.Record
	list    *widget.List
	search  *widget.Entry
	count   *widget.Label
	detail  *fyne.Container
}

func (u *UI) recordsScreen() fyne.CanvasObject {
	v := &recordsView{u: u}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search records")
	v.search.OnChanged = func(string) { v.reload() }
	v.count = widget.NewLabel("")
	v.list = widget.NewList(
		func() int { return len(v.records) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("title")
			title.Truncation = fyne.TextTruncateEllipsis
			sub := widget.NewLabelWithStyle("type · date", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
			return container.NewVBox(title, sub)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(v.records) {
				return
			}
			r := v.records[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(r.Title)
			box.Objects[1].(*widget.Label).SetText(subtitle(r))
		},
	)
	v.list.OnSelected = func(i widget.ListItemID) {
		if i < len(v.records) {
			v.show(v.records[i])
		}
	}
	v.detail = container.NewStack(widget.NewLabel("Select a record to read it."))

	toolbar := container.NewHBox(
		widget.NewButtonWithIcon("Import…", theme.ContentAddIcon(), v.importDialog),
		widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), v.exportDialog),
		layout.NewSpacer(),
	)
	left := container.NewBorder(container.NewVBox(v.search, v.count), nil, nil, nil, v.list)
	split := container.NewHSplit(left, v.detail)
	split.Offset = 0.42
	v.reload()
	return container.NewBorder(toolbar, nil, nil, nil, split)
}

func subtitle(r wallet.Record) string {
	s := r.ResourceType
	if !r.Date.IsZero() {
		s += " · " + r.Date.Local().Format("2 Jan 2006")
	}
	return s
}

func (v *recordsView) reload() {
	w := v.u.Wallet()
	if w == nil {
		return
	}
	text := v.search.Text
	go func() {
		recs, err := w.List(v.u.ctx, wallet.Query{Text: text})
		v.u.do(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s", sentence(err)), v.u.win)
				return
			}
			v.records = recs
			v.count.SetText(fmt.Sprintf("%d records", len(recs)))
			v.list.UnselectAll()
			v.list.Refresh()
		})
	}()
}

// show renders one record: its catalog fields, then its content.
func (v *recordsView) show(r wallet.Record) {
	w := v.u.Wallet()
	go func() {
		var body string
		if r.Kind == wallet.KindFHIR {
			_, plain, err := w.Read(v.u.ctx, r.ID)
			if err != nil {
				body = sentence(err)
			} else {
				var b bytes.Buffer
				if json.Indent(&b, plain, "", "  ") == nil {
					body = b.String()
				} else {
					body = string(plain)
				}
			}
		} else {
			body = fmt.Sprintf("%s file, %d bytes. Use Export to save it.", r.ContentType, r.Size)
		}
		v.u.do(func() {
			date := "no date"
			if !r.Date.IsZero() {
				date = r.Date.Local().Format("2 January 2006 15:04")
			}
			fields := widget.NewForm(
				widget.NewFormItem("Type", widget.NewLabel(r.ResourceType)),
				widget.NewFormItem("Date", widget.NewLabel(date)),
				widget.NewFormItem("Category", widget.NewLabel(r.Category)),
				widget.NewFormItem("Size", widget.NewLabel(fmt.Sprintf("%d bytes", r.Size))),
				widget.NewFormItem("Record ID", widget.NewLabel(r.ID)),
			)
			title := widget.NewLabelWithStyle(r.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Wrapping = fyne.TextWrapWord
			content := widget.NewLabelWithStyle(body, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			content.Wrapping = fyne.TextWrapBreak
			v.detail.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(title, fields), nil, nil, nil, container.NewVScroll(content))}
			v.detail.Refresh()
		})
	}()
}

func (v *recordsView) importDialog() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		path := rc.URI().Path()
		rc.Close()
		v.importFile(path)
	}, v.u.win)
	d.Show()
}

// importFile imports one file with a progress bar and a report.
func (v *recordsView) importFile(path string) {
	w := v.u.Wallet()
	bar := widget.NewProgressBar()
	prog := dialog.NewCustomWithoutButtons("Importing "+shortName(path), bar, v.u.win)
	prog.Show()
	go func() {
		rep, err := w.ImportFile(v.u.ctx, path, func(done, total int64) {
			v.u.do(func() {
				if total > 0 {
					bar.SetValue(float64(done) / float64(total))
				}
			})
		})
		v.u.do(func() {
			prog.Hide()
			if err != nil {
				dialog.ShowInformation("Not imported", sentence(err)+"\n\nNothing from this file was kept.", v.u.win)
				return
			}
			dialog.ShowInformation("Imported", fmt.Sprintf("%d new records from %s (%d were already in your wallet).",
				rep.Added, shortName(path), rep.Duplicates), v.u.win)
			v.reload()
		})
	}()
}

func shortName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

func (v *recordsView) exportDialog() {
	w := v.u.Wallet()
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		go func() {
			err := w.ExportBundle(v.u.ctx, wc, nil)
			cerr := wc.Close()
			v.u.do(func() {
				if err == nil {
					err = cerr
				}
				if err != nil {
					dialog.ShowInformation("Export failed", sentence(err), v.u.win)
					return
				}
				dialog.ShowInformation("Exported", "Your records were saved as a FHIR R4 Bundle. That file is not encrypted: keep it safe.", v.u.win)
			})
		}()
	}, v.u.win)
	d.SetFileName("health-records.json")
	d.Show()
}
