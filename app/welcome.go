package app

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
)

// showWelcome offers to create a wallet or restore one from its phrase.
func (u *UI) showWelcome() {
	title := widget.NewLabelWithStyle("Welcome to Health Wallet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	intro := widget.NewLabel("Your health records, encrypted on this computer, shared only when you sign a grant.")
	intro.Alignment = fyne.TextAlignCenter
	intro.Wrapping = fyne.TextWrapWord
	create := widget.NewButton("Create a new wallet", u.showCreate)
	create.Importance = widget.HighImportance
	restore := widget.NewButton("Restore from a recovery phrase", u.showRestore)
	u.win.SetContent(container.NewCenter(container.NewVBox(title, intro, layout.NewSpacer(), create, restore)))
}

func passphraseForm(pass, again *widget.Entry) *widget.Form {
	pass.Password = true
	again.Password = true
	pass.SetPlaceHolder("at least 8 characters; a few words is best")
	return widget.NewForm(
		widget.NewFormItem("Passphrase", pass),
		widget.NewFormItem("Repeat it", again),
	)
}

func (u *UI) showCreate() {
	pass, again := widget.NewEntry(), widget.NewEntry()
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	var createBtn *widget.Button
	createBtn = widget.NewButton("Create wallet", func() {
		if pass.Text != again.Text {
			status.SetText("The two passphrases differ.")
			return
		}
		createBtn.Disable()
		status.SetText("Creating your keys…")
		secret := []byte(pass.Text)
		go func() {
			w, phrase, err := wallet.Create(u.cfg.DataDir, secret, u.cfg.Options)
			u.do(func() {
				pass.SetText("")
				again.SetText("")
				createBtn.Enable()
				if err != nil {
					status.SetText(sentence(err))
					return
				}
				u.wallet = w
				u.showPhrase(phrase)
			})
		}()
	})
	createBtn.Importance = widget.HighImportance
	back := widget.NewButton("Back", u.showWelcome)
	u.win.SetContent(container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle("Create a new wallet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("The passphrase unlocks the wallet on this computer."),
		passphraseForm(pass, again), status,
		container.NewHBox(back, layout.NewSpacer(), createBtn),
	)))
}

// showPhrase shows the recovery phrase once, then the records.
func (u *UI) showPhrase(phrase string) {
	words := strings.Fields(phrase)
	grid := container.NewGridWithColumns(4)
	for i, w := range words {
		grid.Add(widget.NewLabelWithStyle(strconv.Itoa(i+1)+". "+w, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
	}
	note := widget.NewLabel("Write these 24 words down, in order, and keep them somewhere safe and offline. " +
		"They are the only way to restore your wallet if this computer or your passphrase is lost, and anyone who has them can read your records.")
	note.Wrapping = fyne.TextWrapWord
	done := widget.NewButton("I have written them down", func() {
		dialog.ShowConfirm("Recovery phrase", "Have you written all 24 words down? They will not be shown again unless you ask for them.", func(ok bool) {
			if ok {
				u.showRecords()
			}
		}, u.win)
	})
	done.Importance = widget.HighImportance
	u.win.SetContent(container.NewBorder(
		widget.NewLabelWithStyle("Your recovery phrase", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewVBox(note, done), nil, nil, container.NewPadded(grid)))
}

func (u *UI) showRestore() {
	phrase := widget.NewMultiLineEntry()
	phrase.SetPlaceHolder("the 24 words, separated by spaces")
	phrase.Wrapping = fyne.TextWrapWord
	pass, again := widget.NewEntry(), widget.NewEntry()
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	var restoreBtn *widget.Button
	restoreBtn = widget.NewButton("Restore wallet", func() {
		if pass.Text != again.Text {
			status.SetText("The two passphrases differ.")
			return
		}
		restoreBtn.Disable()
		status.SetText("Restoring your keys…")
		words, secret := phrase.Text, []byte(pass.Text)
		go func() {
			w, err := wallet.Restore(u.cfg.DataDir, words, secret, u.cfg.Options)
			u.do(func() {
				restoreBtn.Enable()
				if err != nil {
					status.SetText(sentence(err))
					return
				}
				pass.SetText("")
				again.SetText("")
				phrase.SetText("")
				u.wallet = w
				u.showRecords()
			})
		}()
	})
	restoreBtn.Importance = widget.HighImportance
	form := passphraseForm(pass, again)
	form.Items = append([]*widget.FormItem{widget.NewFormItem("Recovery phrase", phrase)}, form.Items...)
	u.win.SetContent(container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle("Restore a wallet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWrap(fyne.NewSize(560, 320), form), status,
		container.NewHBox(widget.NewButton("Back", u.showWelcome), layout.NewSpacer(), restoreBtn),
	)))
}
