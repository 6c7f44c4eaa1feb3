package app

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
)

// The Medicines section, every wallet's on a network: the recalls of the
// packs the patient kept (a red banner, and a count on the section), the
// prescriptions in their records with what the ledger says is left of
// them and the QR code to show a pharmacy, and a check of a medicine pack
// (packs.go). The CLI's healthwallet prescriptions, check-pack, link-pack
// and pack-alerts do the same.

// rxShowQRSize is the side of a prescription's QR code in its dialog:
// as large as a 700-pixel-high window leaves room for, so that a
// pharmacy's scanner or phone reads it from the screen.
const rxShowQRSize = 480

type medicinesView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	alerts        *fyne.Container
	prescriptions *fyne.Container
	check         *packView
	scroll        *container.Scroll

	loadMu sync.Mutex
	shown  string
}

func (u *UI) medicinesScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	if !sess.view().Joined {
		return u.notOnNetwork("Medicines")
	}
	v := &medicinesView{u: u, sess: sess, w: sess.w}
	v.alerts = container.NewVBox()
	v.prescriptions = container.NewVBox(widget.NewLabel("Reading your records…"))
	v.check = newPackView(u, sess, false)
	checkCard := aboutCard("Check a medicine pack",
		"Scan or type the code on the pack (the square DataMatrix code, or the numbers printed beside it): it is checked against the ledger. Keep a genuine pack in your records, and Health Wallet tells you if it is ever recalled.",
		container.NewVBox(v.check.input(), v.check.result))
	v.scroll = container.NewVScroll(container.NewVBox(v.alerts,
		aboutCard("Your prescriptions", "Show a prescription's QR code to the pharmacy, or give it the file: it checks it against the ledger and records each dispense.", v.prescriptions),
		checkCard))
	v.check.scroll = v.scroll
	if a := u.watchPackAlerts(sess); a != nil {
		a.show = v.showAlerts
		v.showAlerts(a.alerts)
		u.checkPackAlerts()
	}
	sess.watch(func(chainView) { v.reload() })
	return v.scroll
}

func (v *medicinesView) showAlerts(alerts []packAlertInfo) {
	v.alerts.Objects = packAlertsPart(alerts)
	v.alerts.Refresh()
	v.scroll.Refresh()
}

// reload reads the prescriptions in the background and redraws them when
// something changed.
func (v *medicinesView) reload() {
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		list, err := v.w.Prescriptions(v.sess.ctx)
		if v.sess.ctx.Err() != nil {
			return
		}
		var key strings.Builder
		fmt.Fprint(&key, err, time.Now().Truncate(time.Hour), "|")
		for _, p := range list {
			fmt.Fprint(&key, p.Prescription.Commitment(), p.Remaining, p.Expired, p.RecordID, ";")
		}
		v.u.do(func() {
			if key.String() == v.shown {
				return
			}
			v.shown = key.String()
			v.showPrescriptions(list, err)
		})
	})
}

func (v *medicinesView) showPrescriptions(list []wallet.PrescriptionRecord, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, wrapped("Your prescriptions could not be read: "+sentence(err)))
	case len(list) == 0:
		rows = append(rows, wrapped("None yet. A prescription your doctor writes arrives here."))
	}
	for _, p := range list {
		rows = append(rows, v.prescriptionRow(p))
	}
	v.prescriptions.Objects = rows
	v.prescriptions.Refresh()
	v.scroll.Refresh()
}

// prescriptionStanding says what is left of a prescription.
func prescriptionStanding(p wallet.PrescriptionRecord) (string, bool) {
	switch {
	case p.Expired:
		return "Expired on " + dayWords(p.Prescription.Expiry) + ".", false
	case p.Remaining <= 0:
		return "Fully dispensed: no dispense left.", false
	}
	return fmt.Sprintf("%s of %d left, until %s.", capitalized(plural(p.Remaining, "dispense", "dispenses")),
		p.Prescription.Dispenses, dayWords(p.Prescription.Expiry)), true
}

func (v *medicinesView) prescriptionRow(p wallet.PrescriptionRecord) fyne.CanvasObject {
	o := p.Order
	standing, usable := prescriptionStanding(p)
	icon := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	if !usable {
		icon = widget.NewIcon(theme.NewDisabledResource(theme.CancelIcon()))
	}
	prescriber := p.Prescription.PrescriberName
	if prescriber == "" {
		prescriber = "your prescriber"
	}
	lines := []string{
		o.Dosage + "; " + quantityWords(o.Quantity, o.Unit) + " each time.",
		standing,
		"Written by " + prescriber + " on " + dayWords(p.Prescription.Written) + ".",
	}
	if p.RecordID == "" {
		lines = append(lines, "New: not yet kept in your records (Sharing, From clinicians).")
	}
	title := widget.NewLabelWithStyle(medicationWords(o.Medication), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	show := widget.NewButtonWithIcon("Show QR code", theme.ViewFullScreenIcon(), func() { v.showQR(p) })
	if usable {
		show.Importance = widget.HighImportance
	}
	save := widget.NewButtonWithIcon("Save file…", theme.DocumentSaveIcon(), func() {
		v.u.saveFile(rxFileName(o, p.Prescription), []byte(p.Text+"\n"))
	})
	body := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, wrapped(strings.Join(lines, "\n")))
	return container.NewBorder(nil, nil, container.NewVBox(icon), container.NewVBox(show, save), body)
}

// showQR shows a prescription's handover QR code large, for a pharmacy to
// scan from the screen.
func (v *medicinesView) showQR(p wallet.PrescriptionRecord) {
	v.u.background(func() {
		// Drawn and read back (prescribe.go's readableQR): the code shown
		// is one a pharmacy's Health Wallet is known to read.
		png, err := readableQR(p.Text)
		v.u.do(func() {
			if !v.u.current(v.sess) {
				return
			}
			save := widget.NewButtonWithIcon("Save file…", theme.DocumentSaveIcon(), func() {
				v.u.saveFile(rxFileName(p.Order, p.Prescription), []byte(p.Text+"\n"))
			})
			// The buttons on one row: the code takes the height.
			var d dialog.Dialog
			closeButton := widget.NewButton("Close", func() { d.Hide() })
			body := container.NewVBox(rxQRContent(p, png, err), container.NewHBox(layout.NewSpacer(), save, closeButton, layout.NewSpacer()))
			d = dialog.NewCustomWithoutButtons("Your prescription", body, v.u.win)
			d.Show()
		})
	})
}

// rxQRContent is the dialog's body: the code, what it is, and the words
// for the pharmacist.
func rxQRContent(p wallet.PrescriptionRecord, png []byte, pngErr error) fyne.CanvasObject {
	standing, _ := prescriptionStanding(p)
	head := wrapped(medicationWords(p.Order.Medication) + ". " + standing)
	head.Alignment = fyne.TextAlignCenter
	var code fyne.CanvasObject
	if png == nil {
		code = wrapped("The QR code could not be drawn: save the file and give it to the pharmacy instead.")
	} else {
		img := canvas.NewImageFromResource(fyne.NewStaticResource("prescription.png", png))
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(rxShowQRSize, rxShowQRSize))
		code = img
	}
	parts := []fyne.CanvasObject{head, container.NewHBox(layout.NewSpacer(), code, layout.NewSpacer())}
	if pngErr != nil {
		parts = append(parts, wrapped(capitalized(pngErr.Error())+"."))
	}
	return container.NewVBox(parts...)
}
