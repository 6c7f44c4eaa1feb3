package app

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
)

// settingsScreen: the network this wallet is on (and joining one from an
// invite), appearance, auto-lock, the passphrase, and the clinic tools.
func (u *UI) settingsScreen() fyne.CanvasObject {
	return container.NewVScroll(container.NewVBox(
		widget.NewCard("Network", "The consortium of clinics this wallet shares records through.", u.networkSettings()),
		widget.NewCard("Access requests", "", u.requestSettings()),
		widget.NewCard("Security", "", u.securitySettings()),
		widget.NewCard("Appearance", "", u.appearanceSettings()),
		widget.NewCard("Clinic tools", "", u.clinicToolsSetting()),
	))
}

func (u *UI) networkSettings() fyne.CanvasObject {
	info := widget.NewLabel("")
	info.Wrapping = fyne.TextWrapWord
	n, err := wallet.LoadNetwork(u.cfg.DataDir)
	switch {
	case err == nil:
		info.SetText(fmt.Sprintf("Joined chain %q with %d member node(s)%s. Joining another network replaces it and takes effect the next time you unlock.",
			n.Genesis.ChainID, len(n.Peers), map[bool]string{true: ", private network", false: ""}[n.SwarmKey != nil]))
	case err == wallet.ErrNotJoined:
		info.SetText("Not on a network yet: your records stay on this computer. Your clinic gives you an invite (a code or a file) to join its network.")
	default:
		info.SetText(sentence(err))
	}
	code := widget.NewMultiLineEntry()
	code.SetPlaceHolder(wallet.InvitePrefix + "…")
	code.Wrapping = fyne.TextWrapBreak
	code.SetMinRowsVisible(3)
	join := widget.NewButton("Join", func() { u.joinInvite(code.Text) })
	join.Importance = widget.HighImportance
	open := widget.NewButton("Open an invite file…", func() {
		dialog.ShowFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			b, err := io.ReadAll(io.LimitReader(rc, wallet.MaxInviteSize+1))
			rc.Close()
			if err != nil {
				u.showError("Could not read the invite", err)
				return
			}
			code.SetText(strings.TrimSpace(string(b)))
		}, u.win)
	})
	return container.NewVBox(info, widget.NewLabel("Invite"), code, container.NewHBox(open, join))
}

// joinInvite records the invite's network and reopens the wallet on it.
func (u *UI) joinInvite(code string) {
	n, err := wallet.ParseInvite(code)
	if err != nil {
		u.showError("Not joined", err)
		return
	}
	msg := fmt.Sprintf("Join chain %q? The wallet connects to %d member node(s) and locks; unlock it again to go online.", n.Genesis.ChainID, len(n.Peers))
	dialog.ShowConfirm("Join network", msg, func(ok bool) {
		if !ok {
			return
		}
		if err := wallet.Join(u.cfg.DataDir, n); err != nil {
			u.showError("Not joined", err)
			return
		}
		u.lock()
	}, u.win)
}

// requestSettings is the patient's standing policy on access requests
// from keys that hold no valid licence on the ledger.
func (u *UI) requestSettings() fyne.CanvasObject {
	w := u.Wallet()
	if w == nil {
		return container.NewStack()
	}
	about := wrapped("A request shows whether the ledger verifies its sender as a licensed clinician. With this on, your wallet declines requests from keys that hold no valid licence by itself, and you never see them.")
	status := wrapped("")
	check := widget.NewCheck("Refuse requests from unverified keys", nil)
	var changed func(bool)
	changed = func(on bool) {
		check.Disable()
		u.background(func() {
			err := w.SetRefuseUnverified(on)
			u.do(func() {
				check.Enable()
				if err != nil {
					u.showError("Setting not saved", err)
					// Show what is in force, without saving it again.
					check.OnChanged = nil
					check.SetChecked(w.RefuseUnverified())
					check.OnChanged = changed
					return
				}
				if on {
					status.SetText("On: requests from unverified keys are declined for you.")
				} else {
					status.SetText("Off: you decide on every request yourself.")
				}
			})
		})
	}
	check.OnChanged = changed
	check.Checked = w.RefuseUnverified()
	return container.NewVBox(about, check, status)
}

func (u *UI) securitySettings() fyne.CanvasObject {
	prefs := u.app.Preferences()
	choices := []string{"5 minutes", "10 minutes", "30 minutes", "1 hour", "Never"}
	mins := []int{5, 10, 30, 60, 0}
	lockAfter := widget.NewSelect(choices, func(s string) {
		for i, c := range choices {
			if c == s {
				prefs.SetInt(prefAutoLock, mins[i])
				u.idle.touch()
			}
		}
	})
	cur := prefs.IntWithFallback(prefAutoLock, int(defaultAutoLock/time.Minute))
	for i, m := range mins {
		if m == cur {
			lockAfter.SetSelected(choices[i])
		}
	}
	if lockAfter.Selected == "" {
		lockAfter.PlaceHolder = strconv.Itoa(cur) + " minutes"
	}
	change := widget.NewButton("Change passphrase…", u.changePassphrase)
	phrase := widget.NewButton("Show recovery phrase…", u.revealPhrase)
	return container.NewVBox(
		widget.NewForm(widget.NewFormItem("Lock when idle for", lockAfter)),
		container.NewHBox(change, phrase),
	)
}

func (u *UI) changePassphrase() {
	old := widget.NewPasswordEntry()
	pass, again := widget.NewEntry(), widget.NewEntry()
	form, _ := passphraseForm(pass, again)
	form.Items = append([]*widget.FormItem{widget.NewFormItem("Current passphrase", old)}, form.Items...)
	form.Refresh()
	d := dialog.NewCustomConfirm("Change passphrase", "Change", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		if pass.Text != again.Text {
			dialog.ShowInformation("Not changed", "The two new passphrases differ.", u.win)
			return
		}
		w := u.Wallet()
		if w == nil {
			return
		}
		oldB, newB := []byte(old.Text), []byte(pass.Text)
		old.SetText("")
		pass.SetText("")
		again.SetText("")
		u.background(func() {
			err := w.ChangePassphrase(oldB, newB)
			clear(oldB)
			clear(newB)
			u.do(func() {
				if err != nil {
					u.showError("Not changed", err)
					return
				}
				dialog.ShowInformation("Passphrase changed", "Use the new passphrase from now on. Your recovery phrase is unchanged.", u.win)
			})
		})
	}, u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// revealPhrase shows the recovery phrase after asking for the passphrase
// again, so that an unlocked, unattended window does not give it away.
func (u *UI) revealPhrase() {
	pass := widget.NewPasswordEntry()
	dialog.ShowCustomConfirm("Show recovery phrase", "Show", "Cancel",
		widget.NewForm(widget.NewFormItem("Passphrase", pass)), func(ok bool) {
			secret := []byte(pass.Text)
			pass.SetText("")
			w := u.Wallet()
			if !ok || w == nil {
				return
			}
			u.background(func() {
				err := w.CheckPassphrase(secret)
				clear(secret)
				u.do(func() {
					if err != nil {
						u.showError("Not shown", err)
						return
					}
					words := widget.NewLabel(w.RecoveryPhrase())
					words.Wrapping = fyne.TextWrapWord
					words.TextStyle = fyne.TextStyle{Monospace: true}
					d := dialog.NewCustom("Recovery phrase", "Close", words, u.win)
					d.Resize(fyne.NewSize(520, 0))
					d.Show()
				})
			})
		}, u.win)
}

func (u *UI) appearanceSettings() fyne.CanvasObject {
	prefs := u.app.Preferences()
	names := map[string]string{"system": "As the system", "light": "Light", "dark": "Dark"}
	radio := widget.NewRadioGroup([]string{names["system"], names["light"], names["dark"]}, func(s string) {
		for k, v := range names {
			if v == s {
				prefs.SetString(prefTheme, k)
				applyTheme(u.app)
			}
		}
	})
	radio.Horizontal = true
	radio.SetSelected(names[prefs.StringWithFallback(prefTheme, "system")])
	return widget.NewForm(widget.NewFormItem("Theme", radio))
}

func (u *UI) clinicToolsSetting() fyne.CanvasObject {
	check := widget.NewCheck("Show the Clinic section (run a node, register clinicians, create a consortium)", func(on bool) {
		u.app.Preferences().SetBool(prefClinicTools, on)
		if m := u.main; m != nil {
			if s := u.session(); s != nil {
				m.rebuild(s.view())
				m.show("Settings")
			}
		}
	})
	check.SetChecked(u.clinicTools())
	return check
}
