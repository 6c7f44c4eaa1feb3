package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/qr"
	"github.com/healthwallet/healthwallet/wallet/rx"
)

// The Prescribe screen (a wallet holding a valid prescriber licence): a
// prescription for a patient who shares records with the clinician, or
// any patient by ID. The wallet signs it, records its salted hash on the
// ledger, and adds it to the patient's records when they let the
// clinician add medications; the screen then shows its QR code and saves
// its .hwrx file for the patient to take to a pharmacy. The CLI's
// healthwallet prescribe does the same.

// prefPrescriberName remembers the name printed on the prescriptions this
// wallet writes.
const prefPrescriberName = "prescriber.name"

// A prescription's QR code holds about a kilobyte (a version 25 or so
// symbol, 120 modules a side): it is drawn at one of rxQRPixels, several
// pixels a module, and shown at rxQRSize on screen.
const rxQRSize = 400

// rxQRPixels are the sides tried for a prescription's QR picture: the
// first one that wallet/qr reads back is kept, so that the picture handed
// to a patient is one a pharmacy's Health Wallet is known to read (module
// edges fall unevenly on pixels at some sizes).
var rxQRPixels = []int{800, 960, 1040, 1200}

// readableQR draws text as a QR picture that wallet/qr reads back, or,
// if none of the sizes does, the first one (a phone's scanner may still
// read it) with an error saying so.
func readableQR(text string) ([]byte, error) {
	var first []byte
	for _, size := range rxQRPixels {
		png, err := qr.PNG(text, size)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = png
		}
		if got, err := qr.Read(bytes.NewReader(png)); err == nil && got == text {
			return png, nil
		}
	}
	return first, errors.New("the QR code drawn does not read back here; give the patient the file too")
}

// Code system choices.
const (
	systemRxNorm = "RxNorm"
	systemLocal  = "Local code"
)

type prescribeView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	licence  *widget.Label
	patient  *patientPicker
	name     *widget.Entry
	system   *widget.RadioGroup
	localURI *widget.Entry
	code     *widget.Entry
	display  *widget.Entry
	dosage   *widget.Entry
	quantity *widget.Entry
	unit     *widget.Entry
	refills  *widget.Select
	until    *widget.Entry
	note     *widget.Entry
	problem  *widget.Label
	write    *widget.Button

	result *fyne.Container
	scroll *container.Scroll
}

func (u *UI) prescribeScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	v := &prescribeView{u: u, sess: sess, w: sess.w}
	v.licence = wrapped("")
	v.patient = newPatientPicker()
	v.patient.SetPlaceHolder("the patient's Health Wallet ID (" + identity.IDPrefix + "…)")
	v.name = widget.NewEntry()
	v.name.SetPlaceHolder("as printed on the prescription, such as Dr. Ada Lovelace")
	v.name.SetText(u.app.Preferences().String(prefPrescriberName))
	v.localURI = widget.NewEntry()
	v.localURI.SetPlaceHolder("your formulary's code system URI")
	v.system = widget.NewRadioGroup([]string{systemRxNorm, systemLocal}, func(s string) {
		if s == systemLocal {
			v.localURI.Enable()
		} else {
			v.localURI.Disable()
		}
	})
	v.system.Horizontal = true
	v.system.SetSelected(systemRxNorm)
	v.code = widget.NewEntry()
	v.code.SetPlaceHolder("the medication's code, such as 197361")
	v.display = widget.NewEntry()
	v.display.SetPlaceHolder("such as amlodipine 5 MG Oral Tablet")
	v.dosage = widget.NewEntry()
	v.dosage.SetPlaceHolder("such as 1 tablet by mouth once daily")
	v.quantity = widget.NewEntry()
	v.quantity.SetPlaceHolder("how many each time, such as 30")
	v.unit = widget.NewEntry()
	v.unit.SetPlaceHolder("tablet, mL…")
	var refills []string
	for i := 0; i <= rx.MaxRefills; i++ {
		refills = append(refills, strconv.Itoa(i))
	}
	v.refills = widget.NewSelect(refills, nil)
	v.refills.SetSelectedIndex(0)
	v.until = dayEntry(time.Now().AddDate(0, 0, 30))
	v.note = widget.NewEntry()
	v.note.SetPlaceHolder("optional, to the pharmacist")
	v.problem = wrapped("")
	v.write = widget.NewButtonWithIcon("Sign and record", theme.ConfirmIcon(), v.prescribe)
	v.write.Importance = widget.HighImportance

	form := widget.NewForm(
		widget.NewFormItem("Patient", v.patient),
		widget.NewFormItem("Your name", v.name),
		widget.NewFormItem("Code system", container.NewBorder(nil, nil, v.system, nil, v.localURI)),
		widget.NewFormItem("Code", v.code),
		widget.NewFormItem("Medication", v.display),
		widget.NewFormItem("Dosage", v.dosage),
		widget.NewFormItem("Quantity", container.NewGridWithColumns(2, v.quantity, v.unit)),
		widget.NewFormItem("Refills", v.refills),
		widget.NewFormItem("Valid until", v.until),
		widget.NewFormItem("Note", v.note),
	)
	v.result = container.NewVBox()
	write := aboutCard("Write a prescription",
		"Signed with your key. The ledger holds only a salted hash of it and how often it may be dispensed: no medication and no patient.",
		container.NewVBox(v.licence, form, container.NewHBox(v.write), v.problem))
	v.scroll = container.NewVScroll(container.NewVBox(write, v.result))
	sess.watch(func(chainView) { v.reload() })
	return v.scroll
}

// reload reads the prescriber's licence and the patients who share
// records, for the form.
func (v *prescribeView) reload() {
	v.u.background(func() {
		me, err := v.w.VerifyClinician(v.w.ChainKey())
		access, aerr := v.w.GrantsToMe(v.sess.ctx)
		if v.sess.ctx.Err() != nil {
			return
		}
		v.u.do(func() {
			switch {
			case err != nil:
				v.licence.SetText("Your licence could not be read: " + sentence(err))
			default:
				v.licence.SetText(prescriberWords(me))
			}
			if aerr == nil {
				var ids []string
				for _, a := range access {
					ids = append(ids, a.ID.String())
				}
				slices.Sort(ids)
				v.patient.offer(ids)
			}
		})
	})
}

// patientPicker is the patient's ID, typed or chosen among the patients
// who share records with the prescriber.
type patientPicker struct {
	widget.SelectEntry
	offered []string
}

func newPatientPicker() *patientPicker {
	p := &patientPicker{}
	p.ExtendBaseWidget(p)
	return p
}

func (p *patientPicker) offer(ids []string) {
	if slices.Equal(ids, p.offered) {
		return
	}
	p.offered = ids
	p.SetOptions(ids)
}

// prescriberWords says which licence the prescriptions are written under.
func prescriberWords(me wallet.ClinicianVerdict) string {
	for _, c := range me.Credentials {
		if c.Valid && c.Kind == chain.KindPrescriber {
			return fmt.Sprintf("You write as a prescriber licensed by %s, until %s. Choose a patient who shares records with you, or give any patient's ID.",
				c.IssuerName, dayWords(c.ValidUntil))
		}
	}
	return "Your prescriber licence is not valid now (" + me.Summary + "): the ledger would refuse a prescription."
}

// request reads the form.
func (v *prescribeView) request() (wallet.PrescriptionRequest, error) {
	var r wallet.PrescriptionRequest
	id, err := identity.ParseID(strings.TrimSpace(v.patient.Text))
	if err != nil {
		return r, errors.New("Patient: " + idProblem(err))
	}
	r.Patient = id
	r.PrescriberName = strings.TrimSpace(v.name.Text)
	if r.PrescriberName == "" {
		return r, errors.New("Give your name as the pharmacist should read it on the prescription.")
	}
	o := rx.Order{
		Medication: rx.Coding{System: rx.RxNorm, Code: strings.TrimSpace(v.code.Text), Display: strings.TrimSpace(v.display.Text)},
		Dosage:     strings.TrimSpace(v.dosage.Text),
		Unit:       strings.TrimSpace(v.unit.Text),
		Refills:    v.refills.SelectedIndex(),
		Note:       strings.TrimSpace(v.note.Text),
	}
	if v.system.Selected == systemLocal {
		o.Medication.System = strings.TrimSpace(v.localURI.Text)
	}
	if o.Quantity, err = strconv.ParseFloat(strings.TrimSpace(v.quantity.Text), 64); err != nil {
		return r, errors.New("Quantity: give a number, such as 30 or 2.5.")
	}
	until, err := parseDay(v.until.Text)
	if err != nil {
		return r, errors.New("Valid until: " + err.Error())
	}
	// Dispensable through the last day named.
	o.ValidUntil = until.AddDate(0, 0, 1).Add(-time.Second)
	if !o.ValidUntil.After(time.Now()) {
		return r, errors.New("Valid until: choose a day from today on.")
	}
	if err := o.Check(); err != nil {
		return r, errors.New(orderProblem(err))
	}
	r.Order = o
	return r, nil
}

// orderProblem says what rx.Order.Check found, without the package's
// prefix: "Medication code is empty."
func orderProblem(err error) string {
	s := strings.TrimSuffix(err.Error(), ": "+rx.ErrInvalidOrder.Error())
	return capitalized(s) + "."
}

func (v *prescribeView) prescribe() {
	r, err := v.request()
	if err != nil {
		v.problem.SetText(err.Error())
		return
	}
	v.problem.SetText("")
	v.u.app.Preferences().SetString(prefPrescriberName, r.PrescriberName)
	var done wallet.Prescribed
	var png []byte
	var pngErr error
	v.u.runTask("Writing the prescription", "Signing it and recording it on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
		done, err = v.w.Prescribe(ctx, r)
		if done.Text != "" {
			png, pngErr = readableQR(done.Text)
		}
		return err
	}, func(err error) {
		switch {
		case canceled(err):
		case errors.Is(err, wallet.ErrNotPrescriber):
			v.u.showError("Not written", fmt.Errorf("your prescriber licence is not valid on the ledger now: %w", err))
		case errors.Is(err, rx.ErrInvalidOrder):
			v.problem.SetText(orderProblem(err))
		case err != nil && done.Prescription == nil:
			v.u.showError("Not written", err)
		default:
			// Committed; a delivery that failed leaves the QR code and file.
			v.showResult(r, done, err, png, pngErr)
			v.code.SetText("")
			v.display.SetText("")
			v.dosage.SetText("")
			v.quantity.SetText("")
			v.note.SetText("")
		}
	})
}

// showResult shows the prescription written: its QR code, and its text to
// copy or save as a file.
func (v *prescribeView) showResult(r wallet.PrescriptionRequest, done wallet.Prescribed, deliveryErr error, png []byte, pngErr error) {
	o := r.Order
	lines := []string{
		fmt.Sprintf("%s, %s, %s. %s", medicationWords(o.Medication), quantityWords(o.Quantity, o.Unit), o.Dosage,
			capitalized(plural(int(o.Dispenses()), "dispense", "dispenses"))+" until "+dayWords(o.ValidUntil)+"."),
		"For " + r.Patient.String() + ".",
	}
	switch {
	case done.Delivered:
		lines = append(lines, "It is in the patient's records too: their wallet shows this QR code.")
	case deliveryErr != nil:
		lines = append(lines, "It is recorded on the ledger, but could not be added to the patient's records ("+sentence(deliveryErr)+"). Give them the QR code or the file.")
	default:
		lines = append(lines, "The patient does not let you add medications to their records: give them this QR code (to photograph or print) or the file.")
	}
	var code fyne.CanvasObject
	text := done.Text
	file := rxFileName(o, done.Prescription)
	buttons := container.NewHBox()
	save := widget.NewButtonWithIcon("Save file…", theme.DocumentSaveIcon(), func() {
		v.u.saveFile(file, []byte(text+"\n"))
	})
	save.Importance = widget.HighImportance
	buttons.Add(save)
	if pngErr != nil {
		lines = append(lines, capitalized(pngErr.Error())+".")
	}
	if png == nil {
		code = wrapped("The QR code could not be drawn. Save the file instead.")
	} else {
		img := canvas.NewImageFromResource(fyne.NewStaticResource("prescription.png", png))
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(rxQRSize, rxQRSize))
		code = img
		buttons.Add(widget.NewButtonWithIcon("Save QR picture…", theme.FileImageIcon(), func() {
			v.u.saveFile(strings.TrimSuffix(file, rx.FileExt)+".png", png)
		}))
	}
	buttons.Add(widget.NewButtonWithIcon("Copy text", theme.ContentCopyIcon(), func() { v.u.app.Clipboard().SetContent(text) }))
	v.result.Objects = []fyne.CanvasObject{widget.NewCard("Prescription written", "Recorded on the ledger "+whenWords(time.Now()),
		container.NewVBox(wrapped(strings.Join(lines, "\n")),
			container.NewHBox(layout.NewSpacer(), code, layout.NewSpacer()),
			buttons))}
	v.result.Refresh()
	v.scroll.Refresh()
	v.scroll.ScrollToBottom()
}

// rxFileName is the name offered for a prescription's file:
// "prescription-amlodipine-2026-12-03.hwrx".
func rxFileName(o rx.Order, p *rx.Prescription) string {
	name := o.Medication.Display
	if name == "" {
		name = o.Medication.Code
	}
	if f := strings.Fields(name); len(f) > 0 {
		name = f[0]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		}
		return -1
	}, strings.ToLower(name))
	return "prescription-" + name + "-" + p.Written.Local().Format("2006-01-02") + rx.FileExt
}
