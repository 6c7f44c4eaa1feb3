package app

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/healthwallet/healthwallet/assets"
	"github.com/healthwallet/healthwallet/wallet"
)

// Config says which wallet the window opens.
type Config struct {
	DataDir string
	Options wallet.Options
	// StatusInterval is how often the status bar polls the chain; 0 means
	// every second.
	StatusInterval time.Duration
	// Show names the section to open after unlocking ("Sharing", …);
	// empty means Records.
	Show string
	// Ready, if set, is called once, on the UI goroutine, when the Records
	// screen first has its content (for start-up measurements).
	Ready func()
	// Demo, if set, offers "Try the demo" on the welcome screen: it starts
	// the demo network and returns the demo wallet's directory (which the
	// window then uses), the wallet open on that network, and the network.
	Demo func(ctx context.Context) (dir string, w *wallet.Wallet, n *wallet.Network, err error)
}

// UI is the main window and what it shows.
type UI struct {
	app fyne.App
	win fyne.Window
	cfg Config

	ctx    context.Context
	cancel context.CancelFunc

	// do runs a UI update from a background goroutine: fyne.Do, except in
	// tests, whose driver runs it inline and so needs it serialised with
	// the test's own reads of the widget tree.
	do func(func())

	mu   sync.Mutex
	sess *session // nil while locked

	main *mainView // the unlocked window's frame; nil while locked
	idle *idleWatch

	readyOnce sync.Once
}

// ready reports that the first unlocked screen shows its content.
func (u *UI) ready() {
	if u.cfg.Ready != nil {
		u.readyOnce.Do(u.cfg.Ready)
	}
}

// New creates the main window; call Start (or ShowWallet) and then the
// window's ShowAndRun.
func New(a fyne.App, cfg Config) *UI {
	ctx, cancel := context.WithCancel(context.Background())
	u := &UI{app: a, cfg: cfg, ctx: ctx, cancel: cancel, do: fyne.Do}
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	applyTheme(a)
	u.win = a.NewWindow("Health Wallet")
	u.win.Resize(fyne.NewSize(1100, 720))
	u.win.SetOnClosed(u.close)
	u.idle = newIdleWatch(u)
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

// ShowWallet shows an already unlocked wallet; the UI closes it on lock or
// exit. n is the network it is on, or nil.
func (u *UI) ShowWallet(w *wallet.Wallet, n *wallet.Network) {
	u.unlocked(w, n)
}

// Wallet returns the unlocked wallet, or nil.
func (u *UI) Wallet() *wallet.Wallet {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sess == nil {
		return nil
	}
	return u.sess.w
}

// openOptions are the options to open the wallet with: on its network when
// it joined one.
func (u *UI) openOptions() (wallet.Options, *wallet.Network, error) {
	n, err := wallet.LoadNetwork(u.cfg.DataDir)
	if err != nil {
		if err == wallet.ErrNotJoined {
			return u.cfg.Options, nil, nil
		}
		return u.cfg.Options, nil, err
	}
	return n.Options(u.cfg.Options), &n, nil
}

// unlocked starts a session on w and shows the main window. Call it on the
// UI goroutine.
func (u *UI) unlocked(w *wallet.Wallet, n *wallet.Network) {
	s := startSession(u, w, n)
	u.mu.Lock()
	u.sess = s
	u.mu.Unlock()
	u.showMain()
	u.startNotifier()
	if u.cfg.Show != "" && !u.main.show(u.cfg.Show) {
		// Patients and Clinic appear once the chain says the wallet's
		// roles: the frame shows it then.
		u.main.pendingShow = u.cfg.Show
	}
	u.idle.start()
}

// lock closes the wallet and shows the unlock screen.
func (u *UI) lock() {
	u.endSession()
	u.showUnlock()
}

func (u *UI) endSession() {
	u.idle.stop()
	u.mu.Lock()
	s := u.sess
	u.sess = nil
	u.mu.Unlock()
	if u.main != nil {
		u.main.close()
		u.main = nil
	}
	// A dialog the session opened (an approval, a confirmation, a QR code)
	// must not outlive it: it would show over the unlock screen, and its
	// buttons would act on a closed wallet.
	if u.win != nil {
		overlays := u.win.Canvas().Overlays()
		for _, o := range overlays.List() {
			overlays.Remove(o)
		}
	}
	if s != nil {
		s.close()
	}
}

func (u *UI) close() {
	u.endSession()
	u.cancel()
}
