package app

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"

	"github.com/healthwallet/healthwallet/assets"

	"github.com/healthwallet/healthwallet/wallet"
)

// Config says which wallet the window opens.
type Config struct {
	DataDir string
	Options wallet.Options
}

// UI is the main window and what it shows.
type UI struct {
	app    fyne.App
	win    fyne.Window
	cfg    Config
	wallet *wallet.Wallet

	ctx    context.Context
	cancel context.CancelFunc

	// do runs a UI update from a background goroutine: fyne.Do, except in
	// tests, whose driver runs it inline and so needs it serialised with
	// the test's own reads of the widget tree.
	do func(func())
}

// New creates the main window; call Start (or ShowWallet) and then the
// window's ShowAndRun.
func New(a fyne.App, cfg Config) *UI {
	ctx, cancel := context.WithCancel(context.Background())
	u := &UI{app: a, cfg: cfg, ctx: ctx, cancel: cancel, do: fyne.Do}
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	u.win = a.NewWindow("Health Wallet")
	u.win.Resize(fyne.NewSize(1024, 700))
	u.win.SetOnClosed(u.close)
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Start shows the unlock screen, or the welcome screen when there is no
// wallet yet.
func (u *UI) Start() {
	if wallet.Exists(u.cfg.DataDir) {
		u.showUnlock()
	} else {
		u.showWelcome()
	}
}

// ShowWallet shows an already unlocked wallet; the UI closes it on exit.
func (u *UI) ShowWallet(w *wallet.Wallet) {
	u.wallet = w
	u.showRecords()
}

// Wallet returns the unlocked wallet, or nil.
func (u *UI) Wallet() *wallet.Wallet { return u.wallet }

func (u *UI) lock() {
	if u.wallet != nil {
		u.wallet.Close()
		u.wallet = nil
	}
	u.showUnlock()
}

func (u *UI) close() {
	u.cancel()
	if u.wallet != nil {
		u.wallet.Close()
		u.wallet = nil
	}
}

// sentence turns an error into what a patient can read; the technical
// detail stays available below it.
func sentence(err error) string {
	switch {
	case errors.Is(err, wallet.ErrWrongPassphrase):
		return "That passphrase is not right. Check it and try again."
	case errors.Is(err, wallet.ErrLocked):
		return "This wallet is already open in another Health Wallet window. Close that one first."
	case errors.Is(err, wallet.ErrWeakPassphrase):
		return fmt.Sprintf("Please choose a longer passphrase: at least %d characters.", wallet.MinPassphraseLen)
	case errors.Is(err, wallet.ErrUnsupportedFile):
		return "That file is not something Health Wallet can import: use FHIR JSON, a PDF or an image."
	}
	return "Something went wrong: " + err.Error()
}
