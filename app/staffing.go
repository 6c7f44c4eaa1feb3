package app

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// The Staffing screen: a clinic's clinicians by kind of licence and by
// specialty, and the licences and trainings that end in the next 30 and
// 90 days. It is made from credentials only (the ledger's anchors and
// statuses, and the documents the clinic filed under Credentials), never
// from patient data. The CLI's healthwallet staffing prints the same.

type staffingView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	summary  *widget.Label
	byKind   *fyne.Container
	soon     *fyne.Container // within 30 days
	later    *fyne.Container // in 31 to 90 days
	members  *fyne.Container
	scroll   *container.Scroll
	loadMu   sync.Mutex
	shown    string
	detached atomic.Bool
}

func (u *UI) staffingScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	if !sess.view().Joined {
		return u.notOnNetwork("Staffing")
	}
	v := &staffingView{u: u, sess: sess, w: sess.w}
	v.summary = wrapped("Reading the ledger…")
	v.byKind = container.NewGridWithColumns(2)
	v.soon = container.NewVBox()
	v.later = container.NewVBox()
	v.members = container.NewVBox()
	v.scroll = container.NewVScroll(container.NewVBox(
		aboutCard("Your clinicians", "From their credentials on the ledger and the documents filed under Credentials; never from patient records.",
			container.NewVBox(v.summary, v.byKind)),
		widget.NewCard("Ending in the next 30 days", "", v.soon),
		widget.NewCard("Ending in 31 to 90 days", "", v.later),
		widget.NewCard("Everyone, with their credentials", "", v.members),
	))
	sess.watch(func(chainView) {
		if !v.detached.Load() {
			v.reload()
		}
	})
	return v.scroll
}

func (v *staffingView) reload() {
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		now := time.Now()
		s, err := v.w.Staffing(now)
		if v.sess.ctx.Err() != nil {
			return
		}
		// "in 12 days" moves on with the clock, not with blocks.
		key := now.Truncate(time.Hour).String() + fmt.Sprintf("%v%+v", err, s)
		v.u.do(func() {
			if !v.u.attached("Staffing", v.scroll) {
				v.detached.Store(true)
				return
			}
			if key == v.shown {
				return
			}
			v.shown = key
			if err != nil {
				v.summary.SetText("The staffing view could not be made: " + sentence(err))
				return
			}
			v.show(s, now)
		})
	})
}

func (v *staffingView) show(s wallet.Staffing, now time.Time) {
	verified := 0
	for _, m := range s.Members {
		if m.Verified {
			verified++
		}
	}
	switch len(s.Members) {
	case 0:
		v.summary.SetText("This clinic has registered no clinician yet (under Clinic). Their licences and trainings show here once it has.")
	default:
		v.summary.SetText(fmt.Sprintf("%s registered by this clinic; %d of them %s a valid licence now.",
			plural(len(s.Members), "clinician", "clinicians"), verified, map[bool]string{true: "holds", false: "hold"}[verified == 1]))
	}

	var cells []fyne.CanvasObject
	cells = append(cells, countList("Valid credentials by kind", s.ByKind, "None valid."))
	cells = append(cells, countList("Valid licences by specialty", s.BySpecialty, "No specialty on file: file the clinicians' credential documents under Credentials."))
	v.byKind.Objects = cells
	v.byKind.Refresh()

	v.soon.Objects = expiringRows(s.Within30, s.Members, now, "Nothing ends in the next 30 days.")
	v.soon.Refresh()
	v.later.Objects = expiringRows(s.Within90, s.Members, now, "Nothing ends in 31 to 90 days.")
	v.later.Refresh()

	var rows []fyne.CanvasObject
	for i, m := range s.Members {
		if i > 0 {
			rows = append(rows, widget.NewSeparator())
		}
		rows = append(rows, memberPart(m))
	}
	if len(rows) == 0 {
		rows = append(rows, wrapped("No one yet."))
	}
	v.members.Objects = rows
	v.members.Refresh()
	v.scroll.Refresh()
}

// countList is a titled list of counts, largest first, then by name.
func countList(title string, counts map[string]int, none string) fyne.CanvasObject {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	var lines []string
	for _, n := range names {
		lines = append(lines, fmt.Sprintf("%s: %d", capitalized(n), counts[n]))
	}
	body := none
	if len(lines) > 0 {
		body = strings.Join(lines, "\n")
	}
	return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()),
		widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), wrapped(body))
}

// memberWords names a clinician: "Physician hw1qxy…k2f9".
func memberWords(m wallet.StaffMember) string {
	return roleWords(m.Role) + " " + shortHWID(identity.IDFromSigningKey(m.Key[:]).String())
}

func expiringRows(list []wallet.Expiring, members []wallet.StaffMember, now time.Time, none string) []fyne.CanvasObject {
	if len(list) == 0 {
		return []fyne.CanvasObject{wrapped(none)}
	}
	var rows []fyne.CanvasObject
	for _, e := range list {
		who := shortHWID(identity.IDFromSigningKey(e.Member[:]).String())
		if i := slices.IndexFunc(members, func(m wallet.StaffMember) bool { return m.Key == e.Member }); i >= 0 {
			who = memberWords(members[i])
		}
		issuer := ""
		if e.Credential.IssuerName != "" {
			issuer = " (" + e.Credential.IssuerName + ")"
		}
		rows = append(rows, container.NewBorder(nil, nil, container.NewVBox(credentialIcon(e.Credential)), nil,
			wrapped(fmt.Sprintf("%s · %s%s · ends %s, %s", who, credentialTitle(e.Credential), issuer,
				dayWords(e.Credential.ValidUntil), untilWords(e.Credential.ValidUntil, now)))))
	}
	return rows
}

// memberPart is one clinician: whether the ledger verifies them, and each
// credential anchored for them.
func memberPart(m wallet.StaffMember) fyne.CanvasObject {
	state := "no valid licence on the ledger"
	if m.Verified {
		state = "verified"
	}
	title := widget.NewLabelWithStyle(memberWords(m)+" · "+state, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	rows := []fyne.CanvasObject{title}
	for _, c := range m.Credentials {
		rows = append(rows, credentialRow(c, ""))
	}
	if len(m.Credentials) == 0 {
		rows = append(rows, wrapped("No credential anchored for this clinician."))
	}
	return container.NewVBox(rows...)
}
