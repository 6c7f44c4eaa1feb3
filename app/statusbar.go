package app

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// statusBar is the strip at the bottom of the unlocked window: the
// network's state in a sentence, and the lock button.
type statusBar struct {
	u     *UI
	bar   fyne.CanvasObject
	sync  *widget.Label
	peers *widget.Label
	icon  *widget.Icon
}

func newStatusBar(u *UI) *statusBar {
	s := &statusBar{u: u, sync: widget.NewLabel(""), peers: widget.NewLabel(""), icon: widget.NewIcon(theme.MediaRecordIcon())}
	lock := widget.NewButtonWithIcon("Lock", theme.LogoutIcon(), u.lock)
	lock.Importance = widget.LowImportance
	s.bar = container.NewVBox(widget.NewSeparator(),
		container.NewHBox(s.icon, s.sync, layout.NewSpacer(), s.peers, lock))
	s.update(u.session().view())
	return s
}

// syncText says in words how the wallet stands with its network.
func syncText(v chainView, now time.Time) (text string, ok bool) {
	if !v.Joined {
		return "Offline: this wallet has not joined a network (see Network in Settings)", false
	}
	if !v.Connected && v.Status.Peers == 0 {
		if v.Err != nil {
			return "Cannot reach the network's clinic nodes; retrying", false
		}
		return "Connecting to the network…", false
	}
	head := v.Status.Head
	age := now.Sub(time.Unix(int64(head.Time), 0))
	switch {
	case head.Number == 0:
		return "Connected; the chain has no blocks yet", true
	case age < 2*time.Minute:
		return fmt.Sprintf("Up to date · block %d", head.Number), true
	default:
		return fmt.Sprintf("Block %d, last one %s ago", head.Number, roundAge(age)), true
	}
}

func roundAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func (s *statusBar) update(v chainView) {
	text, ok := syncText(v, time.Now())
	s.sync.SetText(text)
	if ok {
		s.icon.SetResource(theme.NewSuccessThemedResource(theme.MediaRecordIcon()))
	} else {
		s.icon.SetResource(theme.NewWarningThemedResource(theme.MediaRecordIcon()))
	}
	switch n := v.Status.Peers; {
	case !v.Joined:
		s.peers.SetText("")
	case n == 1:
		s.peers.SetText("1 peer")
	default:
		s.peers.SetText(fmt.Sprintf("%d peers", n))
	}
}
