package app

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
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
	box := container.NewVBox(title, intro, layout.NewSpacer(), create, restore)
	if u.cfg.Demo != nil {
		status := widget.NewLabel("")
		status.Wrapping = fyne.TextWrapWord
		var demo *widget.Button
		demo = widget.NewButton("Try the demo", func() {
			demo.Disable()
			status.SetText("Starting two demo clinics on this computer and a demo wallet with sample records…")
			go func() {
				dir, w, n, err := u.cfg.Demo(u.ctx)
				u.do(func() {
					demo.Enable()
					if err != nil {
						status.SetText(sentence(err))
						return
					}
					u.cfg.DataDir = dir
					u.unlocked(w, n)
				})
			}()
		})
		box.Add(widget.NewSeparator())
		box.Add(demo)
		box.Add(status)
	}
	u.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 300), box)))
}

// passphraseForm is the pair of passphrase entries with a live strength
// hint under them.
func passphraseForm(pass, again *widget.Entry) (*widget.Form, *widget.Label) {
	pass.Password = true
	again.Password = true
	pass.SetPlaceHolder(fmt.Sprintf("at least %d characters; a few words is best", wallet.MinPassphraseLen))
	hint := widget.NewLabel("")
	hint.Wrapping = fyne.TextWrapWord
	strength := widget.NewProgressBar()
	strength.Max = 4
	strength.TextFormatter = func() string { return "" }
	pass.OnChanged = func(s string) {
		if s == "" {
			hint.SetText("")
			strength.SetValue(0)
			return
		}
		score, text := wallet.PassphraseStrength(s)
		strength.SetValue(float64(score))
		hint.SetText(text)
	}
	return widget.NewForm(
		widget.NewFormItem("Passphrase", pass),
		widget.NewFormItem("Strength", container.NewVBox(strength, hint)),
		widget.NewFormItem("Repeat it", again),
	), hint
}

// inviteField is the optional invite a clinic gave, pasted or opened from
// a file, at creation or restore: the wallet joins its network at once.
func (u *UI) inviteField() (fyne.CanvasObject, func() (*wallet.Network, error)) {
	code := widget.NewEntry()
	code.SetPlaceHolder("optional: the invite code your clinic gave you")
	open := widget.NewButton("File…", func() {
		dialog.ShowFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, wallet.MaxInviteSize+1))
			if err != nil {
				u.showError("Could not read the invite", err)
				return
			}
			code.SetText(strings.TrimSpace(string(b)))
		}, u.win)
	})
	get := func() (*wallet.Network, error) {
		if strings.TrimSpace(code.Text) == "" {
			return nil, nil
		}
		n, err := wallet.ParseInvite(code.Text)
		if err != nil {
			return nil, err
		}
		return &n, nil
	}
	return container.NewBorder(nil, nil, nil, open, code), get
}

// joinNew puts a wallet just created or restored on the invite's network:
// it records the network and reopens the wallet online with the same
// passphrase, which the caller clears right after.
func (u *UI) joinNew(w *wallet.Wallet, n *wallet.Network, secret []byte) (*wallet.Wallet, error) {
	if n == nil {
		return w, nil
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := wallet.Join(u.cfg.DataDir, *n); err != nil {
		return nil, err
	}
	return wallet.Open(u.cfg.DataDir, secret, n.Options(u.cfg.Options))
}

func (u *UI) showCreate() {
	pass, again := widget.NewEntry(), widget.NewEntry()
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	form, _ := passphraseForm(pass, again)
	inviteBox, invite := u.inviteField()
	form.Append("Network", inviteBox)
	var createBtn *widget.Button
	createBtn = widget.NewButton("Create wallet", func() {
		if pass.Text != again.Text {
			status.SetText("The two passphrases differ.")
			return
		}
		n, err := invite()
		if err != nil {
			status.SetText(sentence(err))
			return
		}
		createBtn.Disable()
		status.SetText("Creating your keys…")
		secret := []byte(pass.Text)
		go func() {
			w, phrase, err := wallet.Create(u.cfg.DataDir, secret, u.cfg.Options)
			if err == nil {
				w, err = u.joinNew(w, n, secret)
			}
			clear(secret)
			u.do(func() {
				pass.SetText("")
				again.SetText("")
				createBtn.Enable()
				if err != nil {
					status.SetText(sentence(err))
					return
				}
				u.showPhrase(w, n, phrase)
			})
		}()
	})
	createBtn.Importance = widget.HighImportance
	back := widget.NewButton("Back", u.showWelcome)
	u.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(600, 420), container.NewVBox(
		widget.NewLabelWithStyle("Create a new wallet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("The passphrase unlocks the wallet on this computer."),
		form, status,
		container.NewHBox(back, layout.NewSpacer(), createBtn),
	))))
	u.win.Canvas().Focus(pass)
}

// showPhrase shows the recovery phrase once, then asks three of its words
// back before the wallet is used.
func (u *UI) showPhrase(w *wallet.Wallet, n *wallet.Network, phrase string) {
	words := strings.Fields(phrase)
	grid := container.NewGridWithColumns(4)
	for i, word := range words {
		grid.Add(widget.NewLabelWithStyle(strconv.Itoa(i+1)+". "+word, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
	}
	note := widget.NewLabel("Write these 24 words down, in order, and keep them somewhere safe and offline. " +
		"They are the only way to restore your wallet if this computer or your passphrase is lost, and anyone who has them can read your records.")
	note.Wrapping = fyne.TextWrapWord
	done := widget.NewButton("I have written them down", func() { u.showPhraseCheck(w, n, words) })
	done.Importance = widget.HighImportance
	u.win.SetContent(container.NewBorder(
		widget.NewLabelWithStyle("Your recovery phrase", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewVBox(note, done), nil, nil, container.NewPadded(grid)))
}

// phraseCheckPositions picks three distinct word positions (0-based,
// ascending) to ask back.
func phraseCheckPositions(n int) []int {
	out := rand.Perm(n)[:3] // which words are asked is no secret
	slices.Sort(out)
	return out
}

// showPhraseCheck asks for three words of the phrase, so that a phrase not
// written down is noticed now rather than on the day it is needed.
func (u *UI) showPhraseCheck(w *wallet.Wallet, n *wallet.Network, words []string) {
	pos := phraseCheckPositions(len(words))
	form := widget.NewForm()
	var inputs []*widget.Entry
	for _, p := range pos {
		e := widget.NewEntry()
		inputs = append(inputs, e)
		form.Append(fmt.Sprintf("Word %d", p+1), e)
	}
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	check := widget.NewButton("Check", func() {
		for i, p := range pos {
			if strings.ToLower(strings.TrimSpace(inputs[i].Text)) != words[p] {
				status.SetText(fmt.Sprintf("Word %d is not right. Look at what you wrote down, or go back to the phrase.", p+1))
				return
			}
		}
		clear(words)
		u.unlocked(w, n)
	})
	check.Importance = widget.HighImportance
	back := widget.NewButton("Show the phrase again", func() { u.showPhrase(w, n, strings.Join(words, " ")) })
	u.win.SetContent(container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 300), container.NewVBox(
		widget.NewLabelWithStyle("Check your recovery phrase", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("Type these words from what you wrote down."),
		form, status, container.NewHBox(back, layout.NewSpacer(), check)))))
	u.win.Canvas().Focus(inputs[0])
}

func (u *UI) showRestore() {
	phrase := widget.NewMultiLineEntry()
	phrase.SetPlaceHolder("the 24 words, separated by spaces")
	phrase.Wrapping = fyne.TextWrapWord
	pass, again := widget.NewEntry(), widget.NewEntry()
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	form, _ := passphraseForm(pass, again)
	inviteBox, invite := u.inviteField()
	form.Append("Network", inviteBox)
	var restoreBtn *widget.Button
	restoreBtn = widget.NewButton("Restore wallet", func() {
		if pass.Text != again.Text {
			status.SetText("The two passphrases differ.")
			return
		}
		n, err := invite()
		if err != nil {
			status.SetText(sentence(err))
			return
		}
		restoreBtn.Disable()
		status.SetText("Restoring your keys…")
		words, secret := phrase.Text, []byte(pass.Text)
		go func() {
			w, err := wallet.Restore(u.cfg.DataDir, words, secret, u.cfg.Options)
			if err == nil {
				w, err = u.joinNew(w, n, secret)
			}
			clear(secret)
			u.do(func() {
				restoreBtn.Enable()
				if err != nil {
					status.SetText(sentence(err))
					return
				}
				pass.SetText("")
				again.SetText("")
				phrase.SetText("")
				u.unlocked(w, n)
			})
		}()
	})
	restoreBtn.Importance = widget.HighImportance
	form.Items = append([]*widget.FormItem{widget.NewFormItem("Recovery phrase", phrase)}, form.Items...)
	form.Refresh()
	u.win.SetContent(container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle("Restore a wallet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWrap(fyne.NewSize(600, 420), form), status,
		container.NewHBox(widget.NewButton("Back", u.showWelcome), layout.NewSpacer(), restoreBtn),
	)))
}
