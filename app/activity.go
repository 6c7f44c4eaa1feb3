package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhirexport"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// The Activity screen: the patient's audit log from the chain (healthwallet
// audit), newest first, filterable by kind, and exportable as FHIR.

// activityKinds are the filter's choices: a name and the audit actions it
// shows (nil: all).
var activityKinds = []struct {
	name    string
	actions []string
}{
	{"Everything", nil},
	{"Requests", []string{fhirexport.ActionRequest}},
	{"Declined requests", []string{fhirexport.ActionDecline}},
	{"Grants", []string{fhirexport.ActionGrant}},
	{"Revokes", []string{fhirexport.ActionRevoke}},
	{"Expiries", []string{fhirexport.ActionExpiry}},
	{"Keys of newer records given", []string{fhirexport.ActionKeyRelease}},
	{"Records added by clinicians", []string{fhirexport.ActionRecordAdded}},
	{"Emergency access", []string{fhirexport.ActionEmergencyAuthorize, fhirexport.ActionEmergencyAccess, fhirexport.ActionEmergencyRelease}},
	{"Records put on the chain", []string{fhirexport.ActionAnchor}},
}

// activityShown bounds the rows drawn at once; the export has them all.
const activityShown = 300

type activityView struct {
	u    *UI
	sess *session

	filter *widget.Select
	count  *widget.Label
	rows   *fyne.Container

	loadMu  sync.Mutex
	head    uint64 // the head the log was read at
	loaded  bool
	entries []activityEntry // newest first
	expiry  *time.Timer     // reads the log again when the next grant expires

	root     fyne.CanvasObject
	detached atomic.Bool // the frame replaced this screen: stop reading
}

// activityEntry is a log entry in words.
type activityEntry struct {
	fhirexport.Entry
	what    string // a sentence
	detail  string // why, what, note
	records int    // anchors: how many records this line stands for
}

func (u *UI) activityScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	u.startNotifier()
	if !sess.view().Joined {
		return u.notOnNetwork("Your activity log")
	}
	v := &activityView{u: u, sess: sess}
	var names []string
	for _, k := range activityKinds {
		names = append(names, k.name)
	}
	v.filter = widget.NewSelect(names, func(string) { v.draw() })
	v.filter.SetSelectedIndex(0)
	v.count = widget.NewLabel("Reading the chain…")
	v.rows = container.NewVBox()
	export := widget.NewButtonWithIcon("Export as FHIR…", theme.DocumentSaveIcon(), v.export)
	about := wrapped("Everything that happened to your records on the chain: requests, your answers, grants, revokes, expiries, keys given, records clinicians added and emergency openings. Every clinic on the network can audit the same log.")
	top := container.NewVBox(about, container.NewHBox(widget.NewLabel("Show"), v.filter, v.count, layout.NewSpacer(), export))
	v.root = container.NewBorder(top, nil, nil, nil, container.NewVScroll(v.rows))
	sess.watch(func(cv chainView) {
		if !v.detached.Load() {
			v.reload(cv.Status.Head.Number, false)
		}
	})
	return v.root
}

// reload reads the log again when the chain has a new head, or when
// forced: an expiry is no transaction, so no new block announces it.
func (v *activityView) reload(head uint64, force bool) {
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		if v.detached.Load() || (v.loaded && head == v.head && !force) {
			return
		}
		entries, next, err := v.load(v.sess.ctx)
		if v.sess.ctx.Err() != nil {
			return
		}
		if err == nil {
			v.head, v.loaded = head, true
			if v.expiry != nil {
				v.expiry.Stop()
			}
			if !next.IsZero() {
				v.expiry = time.AfterFunc(time.Until(next)+time.Second, func() {
					if v.sess.ctx.Err() == nil {
						v.reload(head, true)
					}
				})
			}
		}
		v.u.do(func() {
			if v.u.session() != v.sess {
				return
			}
			if !v.u.attached("Activity", v.root) {
				v.detached.Store(true)
				return
			}
			if err != nil {
				v.count.SetText("")
				v.rows.Objects = []fyne.CanvasObject{wrapped("Could not read the log: " + sentence(err))}
				v.rows.Refresh()
				return
			}
			v.entries = entries
			v.draw()
		})
	})
}

// load reads the log, and when the next grant in force expires (zero:
// none does).
func (v *activityView) load(ctx context.Context) ([]activityEntry, time.Time, error) {
	w := v.sess.w
	var next time.Time
	grants, err := w.GrantsInForce(ctx)
	if err != nil {
		return nil, next, err
	}
	for _, g := range grants {
		if !g.Expires.IsZero() && (next.IsZero() || g.Expires.Before(next)) {
			next = g.Expires
		}
	}
	log, err := w.AuditLog(ctx)
	if err != nil {
		return nil, next, err
	}
	names := partyNamer{w: w, me: w.ID().String(), seen: map[string]string{}}
	out := make([]activityEntry, 0, len(log))
	for _, e := range log {
		// A grant anchors every record it covers, each its own
		// transaction: one line says it for those of one block.
		if n := len(out); n > 0 && e.Action == fhirexport.ActionAnchor {
			if last := &out[n-1]; last.Action == fhirexport.ActionAnchor && last.Block == e.Block && last.Actor.Key == e.Actor.Key {
				last.records++
				last.what = fmt.Sprintf("%s put the fingerprints of %d records on the chain (never their content), so they can be shared.",
					strings.ToUpper(names.name(&e.Actor)[:1])+names.name(&e.Actor)[1:], last.records)
				last.detail = fmt.Sprintf("Block %d", e.Block)
				continue
			}
		}
		out = append(out, activityEntry{Entry: e, what: names.sentence(e), detail: activityDetail(e), records: 1})
	}
	slices.Reverse(out)
	return out, next, nil
}

// draw shows the entries the filter selects.
func (v *activityView) draw() {
	if v.rows == nil || v.count == nil {
		return // still being built
	}
	var actions []string
	if i := v.filter.SelectedIndex(); i >= 0 {
		actions = activityKinds[i].actions
	}
	var rows []fyne.CanvasObject
	n := 0
	for _, e := range v.entries {
		if actions != nil && !slices.Contains(actions, e.Action) {
			continue
		}
		n++
		if n > activityShown {
			continue
		}
		when := widget.NewLabelWithStyle(whenWords(e.Recorded), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		text := wrapped(e.what)
		if e.detail != "" {
			text.SetText(e.what + "\n" + e.detail)
		}
		rows = append(rows, container.NewBorder(nil, nil, when, nil, text), widget.NewSeparator())
	}
	switch {
	case len(v.entries) == 0:
		rows = []fyne.CanvasObject{wrapped("Nothing has happened to your records on the chain yet.")}
	case n == 0:
		rows = []fyne.CanvasObject{wrapped("Nothing of this kind yet.")}
	}
	switch {
	case n > activityShown:
		v.count.SetText(fmt.Sprintf("the newest %d of %d events (the export has them all)", activityShown, n))
	default:
		v.count.SetText(plural(n, "event", "events"))
	}
	v.rows.Objects = rows
	v.rows.Refresh()
}

func (v *activityView) export() {
	w := v.sess.w
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		var size int
		v.u.runTask("Exporting", "Writing your activity log as FHIR…", func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			size, err = writeActivityFHIR(ctx, w, wc)
			return err
		}, func(err error) {
			if err != nil {
				_ = storage.Delete(wc.URI()) // no half-written log left behind
			}
			switch {
			case canceled(err):
			case err != nil:
				v.u.showError("Export failed", err)
			default:
				dialog.ShowInformation("Exported", fmt.Sprintf("Your activity log was saved as a FHIR R4 Bundle (%d KB) of AuditEvent, Consent and Provenance resources. It is not encrypted: keep it safe.",
					(size+1023)/1024), v.u.win)
			}
		})
	}, v.u.win)
	d.SetFileName("health-wallet-activity.json")
	d.Show()
}

// writeActivityFHIR writes the audit log as a FHIR R4 Bundle (healthwallet
// audit --fhir) to out and closes it; it returns the bytes written.
func writeActivityFHIR(ctx context.Context, w *wallet.Wallet, out io.WriteCloser) (int, error) {
	b, err := w.ExportAuditFHIR(ctx)
	if err != nil {
		out.Close()
		return 0, err
	}
	n, err := out.Write(b)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// partyNamer names the parties of the log, asking the chain once each.
type partyNamer struct {
	w    *wallet.Wallet
	me   string
	seen map[string]string
}

func (pn partyNamer) name(p *fhirexport.Party) string {
	if p == nil {
		return "someone"
	}
	if p.ID == pn.me {
		return "you"
	}
	if s, ok := pn.seen[p.ID]; ok {
		return s
	}
	s := shortHWID(p.ID)
	if id, err := identity.ParseID(p.ID); err == nil {
		if party, err := pn.w.Party(chain.PublicKey(id.SigningKey())); err == nil {
			s = partyWords(party)
		}
	}
	pn.seen[p.ID] = s
	return s
}

// sentence says what an entry records, as the patient would put it.
func (pn partyNamer) sentence(e fhirexport.Entry) string {
	actor, other := pn.name(&e.Actor), pn.name(e.Other)
	scope := strings.ToLower(entryScopeWords(e.Scope))
	var s string
	switch e.Action {
	case fhirexport.ActionRequest:
		s = fmt.Sprintf("%s asked to see %s", actor, scope)
	case fhirexport.ActionDecline:
		s = fmt.Sprintf("%s declined a request from %s", actor, other)
	case fhirexport.ActionGrant:
		s = fmt.Sprintf("%s shared %s with %s", actor, scope, other)
	case fhirexport.ActionRevoke:
		if e.Other == nil {
			s = fmt.Sprintf("%s withdrew the emergency summary: no clinician can open it any more", actor)
		} else {
			s = fmt.Sprintf("%s revoked the access of %s", actor, other)
		}
	case fhirexport.ActionExpiry:
		s = fmt.Sprintf("The access of %s to %s expired", other, scope)
	case fhirexport.ActionKeyRelease:
		s = fmt.Sprintf("Keys of newer records were given to %s under their grant", other)
	case fhirexport.ActionRecordAdded:
		s = fmt.Sprintf("%s added a record for you", actor)
	case fhirexport.ActionAnchor:
		s = fmt.Sprintf("%s put a record's fingerprint on the chain (never its content), so it can be shared", actor)
	case fhirexport.ActionEmergencyAuthorize:
		s = fmt.Sprintf("%s set up emergency access to your summary", actor)
	case fhirexport.ActionEmergencyAccess:
		s = fmt.Sprintf("%s opened your emergency summary", actor)
	case fhirexport.ActionEmergencyRelease:
		s = fmt.Sprintf("%s released its part of the emergency key to %s", actor, other)
	default:
		s = fmt.Sprintf("%s: %s", actor, e.Action)
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// activityDetail is an entry's why, scope, note and block.
func activityDetail(e fhirexport.Entry) string {
	var parts []string
	if e.Purpose != "" {
		if p, err := chain.ParsePurpose(e.Purpose); err == nil {
			parts = append(parts, "Why: "+purposeWords(p))
		}
	}
	if e.Action == fhirexport.ActionRecordAdded || e.Action == fhirexport.ActionAnchor {
		if len(e.Scope) > 0 {
			parts = append(parts, "Record "+strings.Join(e.Scope, ", "))
		}
	}
	if e.Note != "" {
		parts = append(parts, "Note: “"+e.Note+"”")
	}
	if e.Tx != "" {
		parts = append(parts, fmt.Sprintf("Block %d", e.Block))
	}
	return strings.Join(parts, " · ")
}

// entryScopeWords lists a log entry's scope: category names, or record IDs.
func entryScopeWords(scope []string) string {
	var cats []chain.Category
	var ids []string
	for _, s := range scope {
		if c, err := chain.ParseCategory(s); err == nil {
			cats = append(cats, c)
		} else {
			ids = append(ids, s)
		}
	}
	return scopeWords(chain.Scope{Categories: cats, RecordIDs: ids})
}
