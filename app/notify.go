package app

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// notifier tells the patient, while the wallet is unlocked and on a
// network, of what needs them: a new access request, or an emergency
// opening of their summary. Each event gets one desktop notification, ever:
// the events already notified are remembered in the app's preferences, per
// wallet, so a restart does not repeat them. The Sharing section carries a
// count of what is waiting (requests to answer, openings not yet marked
// seen).
type notifier struct {
	u    *UI
	s    *session
	pref string // preferences key of the notified events

	mu sync.Mutex // one check at a time
}

// notifiers holds the notifier of each live session.
var notifiers sync.Map // *session → *notifier

// startNotifier starts watching the chain for the current session; calling
// it again (or for a wallet on no network) does nothing. The UI calls it
// once unlocked; the screens also call it when built, in case.
func (u *UI) startNotifier() {
	s := u.session()
	if s == nil || !s.view().Joined {
		return
	}
	n := &notifier{u: u, s: s, pref: "notified." + s.w.ID().String()}
	if _, running := notifiers.LoadOrStore(s, n); running {
		return
	}
	s.onClose(func() { notifiers.Delete(s) })
	s.watch(func(chainView) { n.check() })
}

// notifyCheck re-counts what is waiting now (after the patient answered a
// request or marked openings seen), in the background.
func (u *UI) notifyCheck() {
	s := u.session()
	if s == nil {
		return
	}
	if n, ok := notifiers.Load(s); ok {
		s.spawn(n.(*notifier).check)
	}
}

func (n *notifier) check() {
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx, w := n.s.ctx, n.s.w
	if ctx.Err() != nil {
		return
	}
	reqs, err := w.RequestInbox(ctx)
	if err != nil {
		slog.Debug("notifier: requests", "err", err)
		return
	}
	alerts, err := w.EmergencyAlerts(ctx, false)
	if err != nil {
		slog.Debug("notifier: emergency alerts", "err", err)
		return
	}
	prefs := n.u.app.Preferences()
	notified := map[string]bool{}
	for _, id := range prefs.StringList(n.pref) {
		notified[id] = true
	}
	var send []*fyne.Notification
	// Only what is still waiting is remembered: an answered request or an
	// opening marked seen never comes back, so the list stays short.
	var keep []string
	for _, r := range reqs {
		id := "request:" + r.ID.String()
		keep = append(keep, id)
		if !notified[id] {
			send = append(send, fyne.NewNotification("New request for your records",
				fmt.Sprintf("%s asks to see: %s, for %s.", partyWords(r.From), strings.ToLower(scopeWords(r.Scope)), purposeWords(r.Purpose))))
		}
	}
	for _, a := range alerts {
		id := "emergency:" + a.Access.String()
		keep = append(keep, id)
		if !notified[id] {
			send = append(send, fyne.NewNotification("Your emergency summary was opened",
				fmt.Sprintf("%s opened it for %s on %s.", n.partyWords(w, a.Clinician), purposeWords(a.Purpose), whenWords(a.Time))))
		}
	}
	if len(send) > 0 || len(keep) != len(notified) {
		prefs.SetStringList(n.pref, keep)
	}
	count := len(reqs) + len(alerts)
	n.u.do(func() {
		if n.u.session() != n.s || n.u.main == nil {
			return
		}
		for _, msg := range send {
			n.u.app.SendNotification(msg)
		}
		n.u.main.badge("Sharing", count)
	})
}

func (n *notifier) partyWords(w *wallet.Wallet, k chain.PublicKey) string {
	p, err := w.Party(k)
	if err != nil {
		return "A clinician"
	}
	return partyWords(p)
}
