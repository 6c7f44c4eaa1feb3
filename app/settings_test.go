package app

import (
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/wallet"
)

// newOfflineWallet creates a wallet (not on any network) and returns its
// directory.
func newOfflineWallet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	return dir
}

// Left alone, an unlocked window locks itself: the wallet closes and the
// unlock screen is back; activity in the window puts it off.
func TestAutoLock(t *testing.T) {
	u := newTestUI(t, newOfflineWallet(t))
	onUI(func() {
		u.idle.check = 10 * time.Millisecond
		u.idle.testLimit = 400 * time.Millisecond
	})
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	typeInto(entries(u.Window())[0], testPassphrase)
	tap(t, u.Window(), "Unlock")
	waitFor(t, "main window", func() bool { return u.Wallet() != nil })
	unlockedAt := time.Now()
	// Keep busy for longer than the limit: no lock.
	var lastTouch time.Time
	for time.Since(unlockedAt) < 800*time.Millisecond {
		lastTouch = time.Now()
		u.idle.touch()
		if u.Wallet() == nil {
			t.Fatal("locked while in use")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "auto-lock", func() bool {
		return u.Wallet() == nil && findButton(u.Window(), "Unlock") != nil
	})
	if time.Since(lastTouch) < 400*time.Millisecond {
		t.Fatal("locked before the idle limit passed")
	}
}

// Settings → Network: an offline wallet joins a network from a pasted
// invite, locks, and is online after the next unlock.
func TestJoinFromSettings(t *testing.T) {
	c, _ := newConsortium(t)
	code, err := c.Network.Invite()
	if err != nil {
		t.Fatal(err)
	}
	dir := newOfflineWallet(t)
	u := unlockUI(t, dir)
	onUI(func() { u.main.show("Settings") })
	var invite *widget.Entry
	waitFor(t, "invite box", func() bool {
		for _, e := range entries(u.Window()) {
			if strings.HasPrefix(e.PlaceHolder, wallet.InvitePrefix) {
				invite = e
			}
		}
		return invite != nil
	})
	typeInto(invite, "not an invite")
	tap(t, u.Window(), "Join")
	waitFor(t, "refusal", func() bool {
		return hasLabel(u.Window(), func(s string) bool { return strings.Contains(s, "not a Health Wallet invite") })
	})
	tap(t, u.Window(), "Close")
	typeInto(invite, code)
	tap(t, u.Window(), "Join")
	tap(t, u.Window(), "Yes")
	waitFor(t, "locked after joining", func() bool { return u.Wallet() == nil && findButton(u.Window(), "Unlock") != nil })
	typeInto(entries(u.Window())[0], testPassphrase)
	tap(t, u.Window(), "Unlock")
	waitFor(t, "online", func() bool { return hasLabel(u.Window(), func(s string) bool { return s == "1 peer" }) })
}

// The theme choice is kept and applied: dark gives a dark background.
func TestThemeChoice(t *testing.T) {
	u := unlockUI(t, newOfflineWallet(t))
	onUI(func() { u.main.show("Settings") })
	var radio *widget.RadioGroup
	waitFor(t, "theme choice", func() bool {
		everything(u.Window(), func(o fyne.CanvasObject) {
			if r, ok := o.(*widget.RadioGroup); ok {
				radio = r
			}
		})
		return radio != nil
	})
	for _, tc := range []struct {
		choice string
		dark   bool
	}{{"Dark", true}, {"Light", false}} {
		onUI(func() { radio.SetSelected(tc.choice) })
		var bg color.Color
		onUI(func() { bg = u.app.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight) })
		r, g, b, _ := bg.RGBA()
		if dark := r+g+b < 3*0x8000; dark != tc.dark {
			t.Errorf("%s: background %v", tc.choice, bg)
		}
		if got := u.app.Preferences().String(prefTheme); got != strings.ToLower(tc.choice) {
			t.Errorf("%s: preference %q", tc.choice, got)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 records"}, {1, "1 record"}, {999, "999 records"}, {1000, "1,000 records"}, {10000, "10,000 records"}, {1234567, "1,234,567 records"}} {
		if got := plural(tc.n, "record"); got != tc.want {
			t.Errorf("plural(%d) = %q", tc.n, got)
		}
	}
	if got := plural(2, "allergy", "allergies"); got != "2 allergies" {
		t.Errorf("got %q", got)
	}
}

// Locking ends everything the session started — the network, the sealer,
// the chain poller, the notifier, the screens' background loads — and
// closes the wallet: no goroutine is left behind.
func TestLockLeavesNoGoroutine(t *testing.T) {
	_, dirs := newConsortium(t, "patient")
	ignore := goleak.IgnoreCurrent()
	u := unlockUI(t, dirs["patient"])
	waitFor(t, "connected", func() bool { return hasLabel(u.Window(), func(s string) bool { return s == "1 peer" }) })
	for _, name := range []string{"Sharing", "Activity", "My ID", "Records"} {
		onUI(func() { u.main.show(name) })
	}
	onUI(u.lock)
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	if err := goleak.Find(ignore); err != nil {
		t.Fatal(err)
	}
}

// Locking closes the dialogs the session opened: nothing of the wallet
// shows over the unlock screen, and no button is left to act on a closed
// wallet.
func TestLockClosesDialogs(t *testing.T) {
	u := unlockUI(t, newOfflineWallet(t))
	acted := false
	onUI(func() {
		dialog.ShowConfirm("Share", "Share your records?", func(bool) { acted = true }, u.Window())
	})
	waitFor(t, "the dialog", func() bool {
		var n int
		onUI(func() { n = len(u.Window().Canvas().Overlays().List()) })
		return n == 1
	})
	onUI(u.lock)
	waitFor(t, "unlock screen", func() bool { return findButton(u.Window(), "Unlock") != nil })
	var left int
	onUI(func() { left = len(u.Window().Canvas().Overlays().List()) })
	if left != 0 || acted {
		t.Fatalf("after locking: %d overlays, callback ran: %v", left, acted)
	}
}
