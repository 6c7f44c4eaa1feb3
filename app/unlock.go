package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
)

// showUnlock asks for the passphrase.
func (u *UI) showUnlock() {
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("Passphrase")
	status := widget.NewLabel("")
	var unlockBtn *widget.Button
	unlock := func() {
		if unlockBtn.Disabled() {
			return
		}
		unlockBtn.Disable()
		status.SetText("Unlocking…")
		secret := []byte(pass.Text)
		go func() {
			opts, n, err := u.openOptions()
			var w *wallet.Wallet
			if err == nil {
				w, err = wallet.Open(u.cfg.DataDir, secret, opts)
			}
			clear(secret)
			u.do(func() {
				unlockBtn.Enable()
				pass.SetText("")
				if err != nil {
					status.SetText(sentence(err))
					u.win.Canvas().Focus(pass)
					return
				}
				u.unlocked(w, n)
			})
		}()
	}
	unlockBtn = widget.NewButton("Unlock", unlock)
	unlockBtn.Importance = widget.HighImportance
	pass.OnSubmitted = func(string) { unlock() }
	box := container.NewVBox(
		widget.NewLabelWithStyle("Health Wallet is locked", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		container.NewGridWrap(fyne.NewSize(360, pass.MinSize().Height), pass),
		unlockBtn, status,
	)
	u.win.SetContent(container.NewCenter(box))
	u.win.Canvas().Focus(pass)
}
