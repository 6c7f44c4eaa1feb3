package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// maxJSONShown bounds the raw JSON put in a label: a record with a large
// embedded file would make the window crawl; the whole record can be
// exported.
const maxJSONShown = 200 << 10

// fhirView renders one FHIR resource for reading: its labelled fields,
// with the raw JSON one click away. Used for the patient's own records and
// for records shared with a clinician.
func (u *UI) fhirView(resourceType string, data []byte) fyne.CanvasObject {
	box := container.NewVBox()
	fields := fhir.Display(resourceType, data)
	if len(fields) == 0 {
		note := widget.NewLabel("This record has no details Health Wallet can show. Its content is below as it was received.")
		note.Wrapping = fyne.TextWrapWord
		box.Add(note)
	} else {
		grid := container.New(layout.NewFormLayout())
		for _, f := range fields {
			label := widget.NewLabelWithStyle(f.Label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
			value := widget.NewLabel(f.Value)
			value.Wrapping = fyne.TextWrapWord
			value.Selectable = true
			grid.Add(label)
			grid.Add(value)
		}
		box.Add(grid)
	}

	raw := widget.NewLabelWithStyle(rawJSON(data), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	raw.Wrapping = fyne.TextWrapBreak
	raw.Selectable = true
	var toggle *widget.Button
	toggle = widget.NewButtonWithIcon("Show JSON", theme.VisibilityIcon(), func() {
		if raw.Visible() {
			raw.Hide()
			toggle.SetText("Show JSON")
			toggle.SetIcon(theme.VisibilityIcon())
		} else {
			raw.Show()
			toggle.SetText("Hide JSON")
			toggle.SetIcon(theme.VisibilityOffIcon())
		}
		// Lay the view out again: the driver then grows its parents to fit.
		box.Refresh()
	})
	if len(fields) > 0 {
		raw.Hide()
	} else {
		toggle.SetText("Hide JSON")
		toggle.SetIcon(theme.VisibilityOffIcon())
	}
	box.Add(container.NewHBox(toggle))
	box.Add(raw)
	return box
}

// rawJSON is the record indented for reading, cut at maxJSONShown.
func rawJSON(data []byte) string {
	var b bytes.Buffer
	body := data
	if json.Indent(&b, data, "", "  ") == nil {
		body = b.Bytes()
	}
	if len(body) > maxJSONShown {
		return strings.ToValidUTF8(string(body[:maxJSONShown]), "") +
			fmt.Sprintf("\n\n… (%d KB more: export the record to read all of it)", (len(body)-maxJSONShown)>>10)
	}
	return strings.ToValidUTF8(string(body), "\uFFFD")
}

// attachmentView shows an attachment: an image inline, and for every file
// a way to open it in another application or save a copy.
func (u *UI) attachmentView(name, contentType string, data []byte) fyne.CanvasObject {
	box := container.NewVBox()
	info := widget.NewLabel(fmt.Sprintf("%s · %s · %s", name, attachmentKind(contentType), byteSize(int64(len(data)))))
	info.Wrapping = fyne.TextWrapWord
	box.Add(info)
	if strings.HasPrefix(contentType, "image/") {
		img := canvas.NewImageFromReader(bytes.NewReader(data), name)
		img.FillMode = canvas.ImageFillContain
		img.ScaleMode = canvas.ImageScaleSmooth
		img.SetMinSize(fyne.NewSize(360, 360))
		box.Add(img)
	}
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	status.Hide()
	open := widget.NewButtonWithIcon("Open", theme.FileApplicationIcon(), func() {
		u.openTempCopy(name, data, func(text string) {
			status.SetText(text)
			status.Show()
			box.Refresh()
		})
	})
	save := widget.NewButtonWithIcon("Save as…", theme.DocumentSaveIcon(), func() {
		u.saveAttachment(name, data)
	})
	box.Add(container.NewHBox(open, save))
	note := widget.NewLabel("Open makes a temporary copy on this computer for another application to show; it is deleted when the wallet locks.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	box.Add(note)
	box.Add(status)
	return box
}

// largeAttachmentView offers a file too large to hold in memory: the
// wallet decrypts it straight into the chosen file (or a temporary copy).
func (v *recordsView) largeAttachmentView(r wallet.Record) fyne.CanvasObject {
	u, w := v.u, v.w
	name := attachmentName(r)
	box := container.NewVBox()
	info := widget.NewLabel(fmt.Sprintf("%s · %s · %s", name, attachmentKind(r.ContentType), byteSize(r.Size)))
	info.Wrapping = fyne.TextWrapWord
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	status.Hide()
	open := widget.NewButtonWithIcon("Open", theme.FileApplicationIcon(), func() {
		s := u.session()
		var path string
		u.runTask("Opening "+name, "Decrypting a temporary copy…", func(ctx context.Context, _ func(done, total int64)) error {
			if s == nil {
				return errLocked
			}
			dir, err := sessionTempDir(s)
			if err != nil {
				return err
			}
			path = filepath.Join(dir, safeFileName(name))
			return w.SaveAs(ctx, r.ID, path)
		}, func(err error) {
			if err == nil {
				var link *url.URL
				if link, err = url.Parse(storage.NewFileURI(path).String()); err == nil {
					err = u.app.OpenURL(link)
				}
			}
			switch {
			case canceled(err):
			case err != nil:
				u.showError("Could not open the file", err)
			default:
				status.SetText("Opened a temporary copy of " + name + ". It is deleted when the wallet locks.")
				status.Show()
				box.Refresh()
			}
		})
	})
	save := widget.NewButtonWithIcon("Save as…", theme.DocumentSaveIcon(), func() {
		d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
			if err != nil {
				u.showError("Could not save the file", err)
				return
			}
			if wc == nil {
				return
			}
			wc.Close() // SaveAs writes the file whole, or not at all
			path := wc.URI().Path()
			u.runTask("Saving "+name, "Decrypting the file…", func(ctx context.Context, _ func(done, total int64)) error {
				return w.SaveAs(ctx, r.ID, path)
			}, func(err error) {
				if err != nil {
					storage.Delete(wc.URI()) // the empty file the dialog made
					if canceled(err) {
						return
					}
					u.showError("Could not save the file", err)
					return
				}
				dialog.ShowInformation("Saved", "Saved "+wc.URI().Name()+". This copy is not encrypted: keep it somewhere safe.", u.win)
			})
		}, u.win)
		d.SetFileName(safeFileName(name))
		d.Show()
	})
	note := widget.NewLabel("Open makes a temporary copy on this computer for another application to show; it is deleted when the wallet locks.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	box.Objects = []fyne.CanvasObject{info, container.NewHBox(open, save), note, status}
	return box
}

// byteSize writes a size as "1.2 MB".
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

// sessionTempDirs holds each session's directory of temporary decrypted
// copies, made on first use and removed when the session ends.
var sessionTempDirs sync.Map // *session → string

var errLocked = errors.New("the wallet is locked")

func sessionTempDir(s *session) (string, error) {
	if d, ok := sessionTempDirs.Load(s); ok {
		return d.(string), nil
	}
	// MkdirTemp makes it 0700: only this user reads the copies.
	dir, err := os.MkdirTemp("", "healthwallet-session-")
	if err != nil {
		return "", fmt.Errorf("temporary copy: %w", err)
	}
	if d, loaded := sessionTempDirs.LoadOrStore(s, dir); loaded {
		os.RemoveAll(dir)
		return d.(string), nil
	}
	s.onClose(func() {
		os.RemoveAll(dir)
		sessionTempDirs.Delete(s)
	})
	return dir, nil
}

// openTempCopy writes a decrypted copy into the session's temporary
// directory and asks the system to open it.
func (u *UI) openTempCopy(name string, data []byte, opened func(string)) {
	s := u.session()
	u.background(func() {
		path, err := writeTempCopy(s, name, data)
		u.do(func() {
			if err == nil {
				var link *url.URL
				link, err = url.Parse(storage.NewFileURI(path).String())
				if err == nil {
					err = u.app.OpenURL(link)
				}
			}
			if err != nil {
				u.showError("Could not open the file", err)
				return
			}
			opened("Opened a temporary copy of " + name + ". It is deleted when the wallet locks.")
		})
	})
}

func writeTempCopy(s *session, name string, data []byte) (string, error) {
	if s == nil || s.ctx.Err() != nil {
		return "", errLocked
	}
	dir, err := sessionTempDir(s)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, safeFileName(name))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("temporary copy: %w", err)
	}
	return path, nil
}

// safeFileName keeps a record's title usable as a file name on every
// system: no separators, control characters or leading dots.
func safeFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|':
			return '_'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	if name == "" {
		name = "record"
	}
	return name
}

// saveAttachment saves the file where the user chooses.
func (u *UI) saveAttachment(name string, data []byte) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			u.showError("Could not save the file", err)
			return
		}
		if wc == nil {
			return
		}
		u.background(func() {
			_, err := wc.Write(data)
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				storage.Delete(wc.URI()) // no half-written copy
			}
			u.do(func() {
				if err != nil {
					u.showError("Could not save the file", err)
					return
				}
				dialog.ShowInformation("Saved", "Saved "+wc.URI().Name()+". This copy is not encrypted: keep it somewhere safe.", u.win)
			})
		})
	}, u.win)
	d.SetFileName(safeFileName(name))
	d.Show()
}
