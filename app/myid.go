package app

import (
	"encoding/base64"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/qr"
)

// The My ID screen: the patient's Health Wallet ID to give to a clinician
// (as text and as a QR code to scan), and the identity card a clinic
// registers a clinician with (healthwallet id, healthwallet id --card).

// idQRSize is the QR code's side in pixels: large enough for a phone's
// camera across a desk.
const idQRSize = 320

func (u *UI) myIDScreen() fyne.CanvasObject {
	w := u.Wallet()
	if w == nil {
		return container.NewStack()
	}
	u.startNotifier()
	id := w.ID().String()

	idText := widget.NewLabelWithStyle(id, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	idText.Selectable = true
	idText.Wrapping = fyne.TextWrapBreak
	copyID := widget.NewButtonWithIcon("Copy ID", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(id)
	})
	var code fyne.CanvasObject
	if png, err := qr.PNG(id, idQRSize); err != nil {
		code = wrapped("The QR code could not be drawn: " + err.Error())
	} else {
		img := canvas.NewImageFromResource(fyne.NewStaticResource("health-wallet-id.png", png))
		img.FillMode = canvas.ImageFillContain
		img.ScaleMode = canvas.ImageScalePixels // sharp module edges scan best
		img.SetMinSize(fyne.NewSize(idQRSize, idQRSize))
		code = img
	}
	patient := widget.NewCard("Your Health Wallet ID", "",
		container.NewVBox(
			wrapped("Give it to a clinician so they can ask you for access; they see nothing until you approve."),
			container.NewBorder(nil, nil, nil, copyID, idText),
			wrapped("Or let them scan this code with their phone or their Health Wallet:"),
			container.NewHBox(layout.NewSpacer(), code, layout.NewSpacer()),
		))
	return container.NewVScroll(container.NewVBox(patient, u.identityCardPart(w)))
}

// identityCardPart shows the wallet's public identity card: what a
// clinician gives their clinic to be registered (it carries the key that
// patients' grants are sealed to).
func (u *UI) identityCardPart(w *wallet.Wallet) fyne.CanvasObject {
	card, err := identityCardText(w)
	if err != nil {
		return widget.NewCard("For clinicians", "", wrapped("Your identity card could not be made: "+err.Error()))
	}
	text := widget.NewLabelWithStyle(card, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	text.Selectable = true
	text.Wrapping = fyne.TextWrapBreak
	copyCard := widget.NewButtonWithIcon("Copy card", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(card)
	})
	save := widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), func() {
		d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
			if err != nil || wc == nil {
				return
			}
			_, err = fmt.Fprintln(wc, card)
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				u.showError("Not saved", err)
			}
		}, u.win)
		d.SetFileName("health-wallet-identity-card.txt")
		d.Show()
	})
	status := "If you work at a clinic, give this card to it: the clinic registers you on its network with it, and patients can then share records with you. It holds only public keys, no secrets."
	if s := u.session(); s != nil {
		if c := s.view().Roles.Clinician; c != nil {
			name := w.ClinicName(c.Clinic)
			if name == "" {
				name = "a clinic"
			}
			status = fmt.Sprintf("You are registered as a %s by %s. A clinic registers a clinician with this card; it holds only public keys, no secrets.",
				c.Role.String(), name)
		}
	}
	return widget.NewCard("For clinicians: your identity card", "",
		container.NewVBox(wrapped(status), container.NewHBox(copyCard, save),
			widget.NewAccordion(widget.NewAccordionItem("Show the card", text))))
}

// identityCardText is the card as the CLI prints it (healthwallet id
// --card): base64url of the public identity.
func identityCardText(w *wallet.Wallet) (string, error) {
	b, err := w.Public().MarshalBinary()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
