package app

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/qr"
	"github.com/healthwallet/healthwallet/wallet/rx"
)

// The Pharmacy screen (a wallet holding a valid pharmacist licence): the
// prescription the patient hands over, pasted as text, opened from its
// .hwrx file or read from a picture of its QR code, judged from this
// wallet's copy of the ledger with a large pass or fail and every check;
// then the dispense, recorded on the ledger so that no pharmacy anywhere
// dispenses it more often than prescribed. The CLI's healthwallet
// verify-prescription and dispense do the same.

// maxRxFile bounds a .hwrx file: the text, with room for line ends.
const maxRxFile = rx.MaxTextLen + 1<<10

type pharmacyView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	text   *widget.Entry
	status *widget.Label
	result *fyne.Container
	scroll *container.Scroll

	// checked is the text the verdict shown is for: Dispense records that
	// one, never an edit made since.
	checked string
	verdict rx.Verdict
	seq     atomic.Int64 // the newest check; older answers are dropped
}

func (u *UI) pharmacyScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	v := &pharmacyView{u: u, sess: sess, w: sess.w}
	v.text = widget.NewMultiLineEntry()
	v.text.SetPlaceHolder(rx.TextPrefix + "… (the prescription's text)")
	v.text.Wrapping = fyne.TextWrapBreak
	v.text.SetMinRowsVisible(3)
	v.text.OnChanged = func(s string) {
		if strings.TrimSpace(s) != v.checked && v.checked != "" {
			v.clear()
		}
	}
	openFile := u.newFileButton("Open a prescription file…", theme.FolderOpenIcon(), []string{rx.FileExt}, v.openFile)
	readQR := u.newFileButton("Read a QR picture…", theme.FileImageIcon(), []string{".png", ".jpg", ".jpeg"}, v.readQR)
	check := widget.NewButtonWithIcon("Check", theme.SearchIcon(), v.check)
	check.Importance = widget.HighImportance
	v.status = wrapped("")
	v.result = container.NewVBox()
	input := aboutCard("Check a prescription",
		"Paste the text, open the "+rx.FileExt+" file the patient gave you, or read the QR code from a picture. It is checked against this wallet's copy of the ledger.",
		container.NewVBox(v.text, container.NewHBox(openFile, readQR, layout.NewSpacer(), check), v.status))
	v.scroll = container.NewVScroll(container.NewVBox(input, v.result))
	return v.scroll
}

// clear forgets the verdict shown.
func (v *pharmacyView) clear() {
	v.seq.Add(1)
	v.checked = ""
	v.verdict = rx.Verdict{}
	v.result.Objects = nil
	v.result.Refresh()
	v.status.SetText("")
}

// openFile reads a .hwrx file and checks it: the file dialog calls it, and
// so do the tests.
func (v *pharmacyView) openFile(name string, r io.ReadCloser) {
	b, err := readSmall(r, name, maxRxFile)
	if err != nil {
		v.u.showError("Could not open the prescription", err)
		return
	}
	v.text.SetText(strings.TrimSpace(string(b)))
	v.check()
}

// readQR reads the prescription's QR code from a picture and checks it.
func (v *pharmacyView) readQR(name string, r io.ReadCloser) {
	v.status.SetText("Reading the QR code in " + name + "…")
	v.u.background(func() {
		text, err := qr.Read(r)
		r.Close()
		v.u.do(func() {
			if err != nil {
				v.status.SetText(sentence(err))
				return
			}
			v.text.SetText(strings.TrimSpace(text))
			v.check()
		})
	})
}

// check judges the text from the ledger in the background.
func (v *pharmacyView) check() {
	text := strings.TrimSpace(v.text.Text)
	if text == "" {
		v.status.SetText("Paste the prescription's text first, or open its file or a picture of its QR code.")
		return
	}
	n := v.seq.Add(1)
	v.status.SetText("Checking against the ledger…")
	v.u.background(func() {
		verdict, err := v.w.VerifyPrescription(text)
		v.u.do(func() {
			if v.seq.Load() != n {
				return
			}
			if err != nil {
				v.status.SetText("")
				v.u.showError("Could not check the prescription", err)
				return
			}
			v.show(text, verdict, false)
		})
	})
}

// show draws a verdict; dispensed says a dispense was just recorded.
func (v *pharmacyView) show(text string, verdict rx.Verdict, dispensed bool) {
	v.checked, v.verdict = text, verdict
	v.status.SetText(fmt.Sprintf("Checked %s against the ledger.", time.Now().Format("15:04:05")))
	var parts []fyne.CanvasObject
	switch {
	case dispensed:
		total := 0
		if verdict.Prescription != nil {
			total = int(verdict.Prescription.Dispenses)
		}
		left := "None left."
		if verdict.Remaining > 0 {
			left = capitalized(plural(verdict.Remaining, "refill", "refills")) + " left."
		}
		parts = append(parts, banner(true, "DISPENSED", fmt.Sprintf("Dispense %d of %d is recorded on the ledger. %s",
			total-verdict.Remaining, total, left)))
	case verdict.OK:
		parts = append(parts, banner(true, "PASS", "May be dispensed: "+plural(verdict.Remaining, "dispense", "dispenses")+" left."))
		dispense := widget.NewButtonWithIcon("Dispense", theme.ConfirmIcon(), v.dispense)
		dispense.Importance = widget.HighImportance
		parts = append(parts, container.NewHBox(dispense))
	default:
		parts = append(parts, banner(false, "FAIL", "Do not dispense."))
		for _, r := range verdict.Reasons {
			l := wrapped(rxReasonWords(r))
			l.TextStyle.Bold = true
			parts = append(parts, container.NewBorder(nil, nil,
				widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon())), nil, l))
		}
	}
	checks := widget.NewCard("Every check", "", checksPart(verdict.Checks))
	if verdict.Prescription != nil {
		// Side by side: what to hand over, and why it may (not) be.
		parts = append(parts, container.NewGridWithColumns(2, widget.NewCard("The prescription", "", prescriptionForm(verdict)), checks))
	} else {
		parts = append(parts, checks)
	}
	v.result.Objects = parts
	v.result.Refresh()
	v.scroll.Refresh()
}

// Banner colours: dark enough for white text to read on them (contrast
// above 4.5:1), in the light theme and the dark one alike.
var (
	passColour = color.NRGBA{R: 0x1b, G: 0x6e, B: 0x32, A: 0xff}
	failColour = color.NRGBA{R: 0xb0, G: 0x1c, B: 0x1c, A: 0xff}
)

// banner is the verdict at a glance, large, on green or red.
func banner(ok bool, title, line string) fyne.CanvasObject {
	bg := failColour
	if ok {
		bg = passColour
	}
	rect := canvas.NewRectangle(bg)
	rect.CornerRadius = theme.Padding() * 2
	big := canvas.NewText(title, color.White)
	big.TextSize = 48
	big.TextStyle.Bold = true
	big.Alignment = fyne.TextAlignCenter
	small := canvas.NewText(line, color.White)
	small.TextSize = 18
	small.Alignment = fyne.TextAlignCenter
	return container.NewStack(rect, container.NewPadded(container.NewVBox(big, small)))
}

// rxReasonWords says a refusal so a pharmacist can tell the patient.
func rxReasonWords(err error) string {
	switch {
	case errors.Is(err, rx.ErrMalformed):
		return "Not a readable prescription: the text or file is damaged, incomplete, or not a prescription."
	case errors.Is(err, rx.ErrForged):
		return "Forged: whoever signed it never held a prescriber licence from an admitted authority."
	case errors.Is(err, rx.ErrPrescriberInvalid):
		return "The prescriber's licence was not valid when it was written (revoked, suspended or expired)."
	case errors.Is(err, rx.ErrAltered):
		return "Altered: its content (medication, dose, quantity, dates) is not what the prescriber signed."
	case errors.Is(err, rx.ErrUnknown):
		return "Unknown: no prescriber recorded this prescription on the ledger."
	case errors.Is(err, rx.ErrExpired):
		return "Expired: the last day it could be dispensed has passed."
	case errors.Is(err, rx.ErrAlreadyDispensed):
		return "Already dispensed: every dispense it allows is recorded on the ledger, here or at another pharmacy."
	}
	return capitalized(err.Error()) + "."
}

// checksPart lists every check with a tick or a cross and what was found.
func checksPart(checks []rx.Check) fyne.CanvasObject {
	var rows []fyne.CanvasObject
	for _, c := range checks {
		icon := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		if !c.OK {
			icon = widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon()))
		}
		name := widget.NewLabelWithStyle(c.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		// The name and what was found read as one item.
		item := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), name, wrapped(capitalized(c.Detail)))
		rows = append(rows, container.NewBorder(nil, nil, container.NewVBox(icon), nil, item))
	}
	return container.NewVBox(rows...)
}

// medicationWords names a medication with its code: "amlodipine 5 MG Oral
// Tablet (RxNorm 197361)".
func medicationWords(c rx.Coding) string {
	system := c.System
	if system == rx.RxNorm {
		system = "RxNorm"
	}
	code := system + " " + c.Code
	if c.Display == "" {
		return code
	}
	return c.Display + " (" + code + ")"
}

// quantityWords: "30 tablet", "2.5 mL".
func quantityWords(q float64, unit string) string {
	return strconv.FormatFloat(q, 'f', -1, 64) + " " + unit
}

// prescriptionForm shows what a prescription says and who wrote it.
func prescriptionForm(verdict rx.Verdict) fyne.CanvasObject {
	p, o := verdict.Prescription, verdict.Order
	prescriber := shortHWID(identity.IDFromSigningKey(p.Prescriber[:]).String())
	if p.PrescriberName != "" {
		prescriber = p.PrescriberName + " (" + prescriber + ")"
	}
	if verdict.IssuerName != "" {
		prescriber += ", licensed by " + verdict.IssuerName
	}
	written := dayWords(p.Written) + " (the prescriber's clock)"
	if !verdict.Committed.IsZero() {
		written = whenWords(verdict.Committed) + " (recorded on the ledger)"
	}
	refills := "no refills"
	if n := int(p.Dispenses) - 1; n > 0 {
		refills = plural(n, "refill", "refills")
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Medication", wrapped(medicationWords(o.Medication))),
		widget.NewFormItem("Dosage", wrapped(o.Dosage)),
		widget.NewFormItem("Quantity", wrapped(quantityWords(o.Quantity, o.Unit)+" each time, "+refills)),
		widget.NewFormItem("Valid until", wrapped(whenWords(p.Expiry))),
		widget.NewFormItem("Patient", wrapped(p.Patient)),
		widget.NewFormItem("Prescriber", wrapped(prescriber)),
		widget.NewFormItem("Written", wrapped(written)),
	}
	if o.Note != "" {
		items = append(items, widget.NewFormItem("Note", wrapped(o.Note)))
	}
	return widget.NewForm(items...)
}

// dispense records the dispense of the prescription checked, after
// asking.
func (v *pharmacyView) dispense() {
	text, verdict := v.checked, v.verdict
	if text == "" || !verdict.OK {
		return
	}
	o := verdict.Order
	msg := fmt.Sprintf("Dispense %s, %s, to the patient %s? The dispense is recorded on the ledger: no pharmacy can dispense this prescription more often than its %s.",
		medicationWords(o.Medication), quantityWords(o.Quantity, o.Unit), shortHWID(verdict.Prescription.Patient),
		plural(int(verdict.Prescription.Dispenses), "dispense", "dispenses"))
	d := dialog.NewCustomConfirm("Dispense", "Dispense", "Cancel", wrapped(msg), func(ok bool) {
		if !ok || !v.u.current(v.sess) {
			return
		}
		var after rx.Verdict
		v.u.runTask("Dispensing", "Recording the dispense on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			after, err = v.w.Dispense(ctx, text)
			return err
		}, func(err error) {
			switch {
			case canceled(err):
			case errors.Is(err, wallet.ErrDispenseRefused):
				// The ledger moved since the check: another pharmacy
				// dispensed it, or the prescriber's standing changed.
				why := strings.TrimPrefix(err.Error(), wallet.ErrDispenseRefused.Error()+": ")
				if len(after.Reasons) > 0 {
					why = rxReasonWords(after.Reasons[0])
				}
				if len(after.Checks) > 0 {
					v.show(text, after, false)
				}
				d := dialog.NewCustom("Not dispensed", "Close", wrapped(capitalized(why)), v.u.win)
				d.Resize(fyne.NewSize(460, 0))
				d.Show()
			case err != nil:
				v.u.showError("Not dispensed", err)
			default:
				v.show(text, after, true)
			}
		})
	}, v.u.win)
	d.Resize(fyne.NewSize(500, 0))
	d.Show()
}
