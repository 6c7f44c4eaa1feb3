package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// The patient's sharing screen: access requests to answer, the grants in
// force, records clinicians added, and emergency access. Every button is a
// wallet call the CLI makes too (healthwallet requests, approve, decline,
// grant, revoke, incoming, keep, hide, emergency, alerts).

// settleWait bounds how long an action waits for its transaction to be in
// a block before telling the patient it is sent but not yet recorded.
const settleWait = 90 * time.Second

// errNotSettled: the action was sent but no block holds it yet.
var errNotSettled = errors.New("sent, but not yet recorded on the chain")

type sharingView struct {
	u    *UI
	sess *session

	tabs       *container.AppTabs
	requests   *fyne.Container
	grants     *fyne.Container
	incoming   *fyne.Container
	alerts     *fyne.Container
	emergency  *widget.Label // the authorization in force, in a sentence
	withdraw   *widget.Button
	authorize  *widget.Button
	showHidden *widget.Check

	loadMu sync.Mutex // one load at a time
	keys   [4]string  // what each part shows now, to rebuild only on change
	data   sharingData
	expiry *time.Timer // reads the chain again when the next grant expires

	detached atomic.Bool // the frame replaced this screen: stop reading
}

// sharingData is one reading of the chain for the screen.
type sharingData struct {
	requests   []wallet.RequestInfo
	grants     []wallet.GrantInfo
	incoming   []wallet.IncomingRecord
	alerts     []wallet.EmergencyAlert // every emergency access, newest first
	unseen     map[chain.Hash]bool     // accesses not yet acknowledged
	parties    map[chain.PublicKey]wallet.Party
	verdicts   map[chain.PublicKey]wallet.ClinicianVerdict // requesters' credentials, from the ledger
	refuse     bool                                        // the patient declines unverified keys' requests
	emergency  wallet.EmergencyStatus
	authorized bool
}

func (u *UI) sharingScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	u.startNotifier()
	if !sess.view().Joined {
		return u.notOnNetwork("Sharing")
	}
	v := &sharingView{u: u, sess: sess}
	v.requests = container.NewVBox()
	v.grants = container.NewVBox()
	v.incoming = container.NewVBox()
	v.alerts = container.NewVBox()

	shareNew := widget.NewButtonWithIcon("Share without a request…", theme.ContentAddIcon(), v.grantDialog)
	grantsPart := container.NewBorder(container.NewHBox(shareNew, layout.NewSpacer()), nil, nil, nil,
		container.NewVScroll(v.grants))

	v.showHidden = widget.NewCheck("Also show records I hid", func(bool) { v.reload() })
	incomingPart := container.NewBorder(container.NewHBox(v.showHidden), nil, nil, nil, container.NewVScroll(v.incoming))

	v.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Requests", theme.MailReplyIcon(), container.NewVScroll(v.requests)),
		container.NewTabItemWithIcon("Active grants", theme.ConfirmIcon(), grantsPart),
		container.NewTabItemWithIcon("From clinicians", theme.DocumentIcon(), incomingPart),
		container.NewTabItemWithIcon("Emergency access", theme.WarningIcon(), container.NewVScroll(v.emergencyPart())),
	)
	v.setPlaceholders()
	sess.watch(func(chainView) {
		if !v.detached.Load() {
			v.reload()
		}
	})
	return v.tabs
}

// attached reports whether o is what the named section shows: the frame
// builds a section's screen anew when the wallet's roles change, and the
// old screen's watcher, which lives as long as the session, should stop
// reading the chain for nothing. Call it on the UI goroutine.
func (u *UI) attached(section string, o fyne.CanvasObject) bool {
	if u.main == nil {
		return false
	}
	for i, s := range u.main.sections {
		if s.name == section && i < len(u.main.tabs.Items) {
			box, ok := u.main.tabs.Items[i].Content.(*fyne.Container)
			return ok && len(box.Objects) == 1 && box.Objects[0] == o
		}
	}
	return false
}

// notOnNetwork says in one sentence why a screen (what it shows) has
// nothing to show, and where to fix it.
func (u *UI) notOnNetwork(what string) fyne.CanvasObject {
	msg := widget.NewLabel(what + " needs your clinics' network, which this wallet has not joined yet: join it under Network in Settings with the invite your clinic gave you.")
	msg.Wrapping = fyne.TextWrapWord
	open := widget.NewButton("Open Settings", func() {
		if u.main != nil {
			u.main.show("Settings")
		}
	})
	return container.NewVBox(msg, container.NewHBox(open))
}

func (v *sharingView) setPlaceholders() {
	for _, box := range []*fyne.Container{v.requests, v.grants, v.incoming} {
		box.Objects = []fyne.CanvasObject{widget.NewLabel("Reading the chain…")}
		box.Refresh()
	}
	v.keys = [4]string{"unread", "unread", "unread", "unread"}
}

// reload reads the chain in the background and redraws the parts that
// changed.
func (v *sharingView) reload() {
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		if v.detached.Load() {
			return
		}
		d, err := v.load(v.sess.ctx)
		if v.sess.ctx.Err() != nil {
			return
		}
		v.u.do(func() {
			if v.u.session() != v.sess {
				return
			}
			if !v.u.attached("Sharing", v.tabs) {
				v.detached.Store(true)
				return
			}
			if err != nil {
				v.showLoadError(err)
				return
			}
			v.show(d)
		})
	})
}

func (v *sharingView) load(ctx context.Context) (sharingData, error) {
	w := v.sess.w
	d := sharingData{parties: map[chain.PublicKey]wallet.Party{}, unseen: map[chain.Hash]bool{},
		verdicts: map[chain.PublicKey]wallet.ClinicianVerdict{}}
	var err error
	if d.requests, err = w.RequestInbox(ctx); err != nil {
		return d, err
	}
	for _, r := range d.requests {
		if d.verdicts[r.From.Key], err = w.VerifyClinician(r.From.Key); err != nil {
			return d, err
		}
	}
	d.refuse = w.RefuseUnverified()
	if d.grants, err = w.GrantsInForce(ctx); err != nil {
		return d, err
	}
	if d.incoming, err = w.Incoming(ctx); err != nil {
		return d, err
	}
	slices.Reverse(d.incoming) // newest first
	if d.alerts, err = w.EmergencyAlerts(ctx, true); err != nil {
		return d, err
	}
	slices.Reverse(d.alerts)
	unseen, err := w.EmergencyAlerts(ctx, false)
	if err != nil {
		return d, err
	}
	for _, a := range unseen {
		d.unseen[a.Access] = true
	}
	if d.emergency, d.authorized, err = w.EmergencyInForce(); err != nil {
		return d, err
	}
	for _, r := range d.incoming {
		if d.parties[r.Author], err = w.Party(r.Author); err != nil {
			return d, err
		}
	}
	for _, a := range d.alerts {
		if d.parties[a.Clinician], err = w.Party(a.Clinician); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (v *sharingView) showLoadError(err error) {
	msg := widget.NewLabel("Could not read the chain: " + sentence(err))
	msg.Wrapping = fyne.TextWrapWord
	for _, box := range []*fyne.Container{v.requests, v.grants, v.incoming} {
		box.Objects = []fyne.CanvasObject{msg}
		box.Refresh()
	}
	v.keys = [4]string{"unread", "unread", "unread", "unread"}
}

// show redraws the parts whose content changed since the last reading, so
// that a new block does not reset what the patient is looking at.
func (v *sharingView) show(d sharingData) {
	v.data = d
	var keys [4]string
	keys[0] = fmt.Sprint(d.refuse)
	for _, r := range d.requests {
		keys[0] += r.ID.String() + d.verdicts[r.From.Key].Summary
	}
	hour := time.Now().Truncate(time.Hour).String() // "in 12 days" moves on
	keys[1] = hour
	for _, g := range d.grants {
		keys[1] += g.ID.String()
	}
	keys[2] = fmt.Sprint(v.showHidden.Checked)
	for _, r := range d.incoming {
		keys[2] += r.Anchor.String() + r.State
	}
	keys[3] = fmt.Sprint(d.authorized, d.emergency.Authorization)
	for _, a := range d.alerts {
		keys[3] += fmt.Sprint(a.Access, a.Releases, d.unseen[a.Access])
	}
	if keys[0] != v.keys[0] {
		v.showRequests(d.requests, d.verdicts, d.refuse)
	}
	if keys[1] != v.keys[1] {
		v.showGrants(d.grants)
		v.reloadAtExpiry(d.grants)
	}
	if keys[2] != v.keys[2] {
		v.showIncoming(d)
	}
	if keys[3] != v.keys[3] {
		v.showEmergency(d)
	}
	v.keys = keys
	v.tabs.Items[0].Text = countedTitle("Requests", len(d.requests))
	v.tabs.Items[3].Text = countedTitle("Emergency access", len(d.unseen))
	v.tabs.Refresh()
}

// reloadAtExpiry reads the chain again once the next grant has expired:
// an expiry is no transaction, so no new block announces it.
func (v *sharingView) reloadAtExpiry(grants []wallet.GrantInfo) {
	if v.expiry != nil {
		v.expiry.Stop()
	}
	var next time.Time
	for _, g := range grants {
		if !g.Expires.IsZero() && (next.IsZero() || g.Expires.Before(next)) {
			next = g.Expires
		}
	}
	if next.IsZero() {
		return
	}
	v.expiry = time.AfterFunc(time.Until(next)+time.Second, func() {
		if v.sess.ctx.Err() == nil {
			v.reload()
		}
	})
}

func countedTitle(s string, n int) string {
	if n > 0 {
		return fmt.Sprintf("%s (%d)", s, n)
	}
	return s
}

// --- requests ---

func (v *sharingView) showRequests(reqs []wallet.RequestInfo, verdicts map[chain.PublicKey]wallet.ClinicianVerdict, refuse bool) {
	if len(reqs) == 0 {
		v.requests.Objects = []fyne.CanvasObject{wrapped("No one is waiting for an answer. When a clinician asks to see your records, the request appears here.")}
		v.requests.Refresh()
		return
	}
	var cards []fyne.CanvasObject
	for _, r := range reqs {
		lines := []string{
			"Wants to see: " + scopeWords(r.Scope),
			"Why: " + purposeWords(r.Purpose),
			"For: " + durationWords(time.Duration(r.Duration)*time.Second),
		}
		if r.Note != "" {
			lines = append(lines, "Their note: “"+r.Note+"”")
		}
		approve := widget.NewButtonWithIcon("Approve…", theme.ConfirmIcon(), func() { v.approveDialog(r) })
		approve.Importance = widget.HighImportance
		decline := widget.NewButtonWithIcon("Decline…", theme.CancelIcon(), func() { v.declineDialog(r) })
		asked := "Asked"
		if !r.Asked.IsZero() {
			asked += " " + whenWords(r.Asked)
		}
		cards = append(cards, widget.NewCard(partyWords(r.From), asked,
			container.NewVBox(requesterVerdict(verdicts[r.From.Key], refuse), wrapped(strings.Join(lines, "\n")), container.NewHBox(approve, decline))))
	}
	v.requests.Objects = cards
	v.requests.Refresh()
}

// requesterVerdict says what the ledger holds of a requester's licences:
// a check and "Verified physician, Demo Medical Board", or a warning the
// patient cannot miss.
func requesterVerdict(verdict wallet.ClinicianVerdict, refuse bool) fyne.CanvasObject {
	if verdict.Verified {
		l := wrapped(capitalized(verdict.Summary))
		l.TextStyle.Bold = true
		return container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil, l)
	}
	warn := widget.NewLabelWithStyle("This key holds no valid licence on the ledger", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.DangerImportance
	var more []string
	// The summary names what is wrong with a licence it did find.
	if len(verdict.Credentials) > 0 {
		more = append(more, capitalized(verdict.Summary)+".")
	}
	more = append(more, "No licensing authority vouches for this person as a clinician: approve only if you know who they are.")
	if refuse {
		more = append(more, "Your setting declines such requests: this one will be declined for you shortly.")
	}
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.NewErrorThemedResource(theme.WarningIcon()))), nil,
		container.NewVBox(warn, wrapped(strings.Join(more, " "))))
}

// durationChoices are the lengths offered for a grant, shortest first.
var durationChoices = []time.Duration{
	time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour, 365 * 24 * time.Hour,
}

func (v *sharingView) approveDialog(r wallet.RequestInfo) {
	asked := time.Duration(r.Duration) * time.Second
	var catNames []string
	catOf := map[string]chain.Category{}
	for _, c := range r.Scope.Categories {
		catNames = append(catNames, categoryWords(c))
		catOf[categoryWords(c)] = c
	}
	var items []*widget.FormItem
	cats := widget.NewCheckGroup(catNames, nil)
	cats.SetSelected(catNames)
	if len(catNames) > 0 {
		items = append(items, widget.NewFormItem("Share", cats))
	}
	records := widget.NewCheck(fmt.Sprintf("The %s they named", plural(len(r.Scope.RecordIDs), "record", "records")), nil)
	records.SetChecked(true)
	if len(r.Scope.RecordIDs) > 0 {
		items = append(items, widget.NewFormItem("", records))
	}
	lengths := []string{durationWords(asked) + " (as asked)"}
	choice := map[string]time.Duration{lengths[0]: asked}
	for i := len(durationChoices) - 1; i >= 0; i-- {
		if d := durationChoices[i]; d < asked {
			lengths = append(lengths, durationWords(d))
			choice[durationWords(d)] = d
		}
	}
	length := widget.NewSelect(lengths, nil)
	length.SetSelectedIndex(0)
	items = append(items, widget.NewFormItem("For", length))
	write := widget.NewCheck("Also let them add records of these kinds to my wallet (test results, notes)", nil)
	items = append(items, widget.NewFormItem("", write))
	intro := wrapped(fmt.Sprintf("%s asks for this for %s. You can share less, or for less time.", partyWords(r.From), purposeWords(r.Purpose)))
	items = append([]*widget.FormItem{widget.NewFormItem("", intro)}, items...)

	d := dialog.NewForm("Approve request", "Share", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		var a wallet.Approval
		for _, name := range cats.Selected {
			a.Categories = append(a.Categories, catOf[name].String())
		}
		if records.Checked {
			a.RecordIDs = r.Scope.RecordIDs
		}
		if len(a.Categories) == 0 && len(a.RecordIDs) == 0 {
			dialog.ShowInformation("Nothing to share", "Tick at least one kind of record to share, or decline the request instead.", v.u.win)
			return
		}
		a.Duration, a.Write = choice[length.Selected], write.Checked
		w := v.sess.w
		v.submit("Sharing", "Sharing your records with "+partyWords(r.From)+" and recording it on the chain…",
			func(ctx context.Context) error { _, err := w.Approve(ctx, r.ID, a); return err })
	}, v.u.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

func (v *sharingView) declineDialog(r wallet.RequestInfo) {
	v.confirm("Decline request", fmt.Sprintf("Decline the request from %s? They will see that you said no, and may ask again.", partyWords(r.From)),
		"Decline", func() {
			w := v.sess.w
			v.submit("Declining", "Recording your answer on the chain…", func(ctx context.Context) error { return w.Decline(ctx, r.ID) })
		})
}

// --- grants ---

func (v *sharingView) showGrants(grants []wallet.GrantInfo) {
	if len(grants) == 0 {
		v.grants.Objects = []fyne.CanvasObject{wrapped("You are not sharing records with anyone now.")}
		v.grants.Refresh()
		return
	}
	now := time.Now()
	var cards []fyne.CanvasObject
	for _, g := range grants {
		ends := "Never ends"
		if !g.Expires.IsZero() {
			ends = fmt.Sprintf("Ends %s (%s)", dayWords(g.Expires), untilWords(g.Expires, now))
		}
		lines := []string{actionsWords(g.Actions) + ": " + scopeWords(g.Scope), "Why: " + purposeWords(g.Purpose), ends}
		revoke := widget.NewButtonWithIcon("Revoke…", theme.DeleteIcon(), func() { v.revokeDialog(g) })
		revoke.Importance = widget.DangerImportance
		since := ""
		if !g.Granted.IsZero() {
			since = "Shared since " + whenWords(g.Granted)
		}
		cards = append(cards, widget.NewCard(partyWords(g.To), since,
			container.NewVBox(wrapped(strings.Join(lines, "\n")), container.NewHBox(revoke))))
	}
	v.grants.Objects = cards
	v.grants.Refresh()
}

func (v *sharingView) revokeDialog(g wallet.GrantInfo) {
	v.confirm("Revoke access", fmt.Sprintf("Stop sharing with %s? They can open nothing more under this grant, and no new records will be keyed to them. What they already read cannot be recalled.", partyWords(g.To)),
		"Revoke", func() {
			w := v.sess.w
			v.submit("Revoking", "Recording the end of this access on the chain…", func(ctx context.Context) error { return w.Revoke(ctx, g.ID) })
		})
}

// grantDialog shares with a registered clinician who did not ask.
func (v *sharingView) grantDialog() {
	id := widget.NewEntry()
	id.SetPlaceHolder("hw1…")
	id.Validator = func(s string) error {
		if _, err := identity.ParseID(strings.TrimSpace(s)); err != nil {
			return errors.New("not a Health Wallet ID")
		}
		return nil
	}
	// A grid of checks, not a CheckGroup: fourteen categories in one
	// column are too tall for the window, in one row too wide.
	catChecks := map[chain.Category]*widget.Check{}
	var grid []fyne.CanvasObject
	for c := chain.CategoryConditions; c.Valid(); c++ {
		catChecks[c] = widget.NewCheck(categoryWords(c), nil)
		grid = append(grid, catChecks[c])
	}
	cats := container.NewGridWithColumns(3, grid...)
	var lengths []string
	choice := map[string]time.Duration{}
	for _, d := range durationChoices {
		lengths = append(lengths, durationWords(d))
		choice[durationWords(d)] = d
	}
	length := widget.NewSelect(lengths, nil)
	length.SetSelected(durationWords(30 * 24 * time.Hour))
	purposes := []chain.Purpose{chain.PurposeTREAT, chain.PurposeCAREMGT, chain.PurposePATRQT, chain.PurposeFAMRQT, chain.PurposeSUPNWK, chain.PurposeHRESCH}
	var purposeNames []string
	for _, p := range purposes {
		purposeNames = append(purposeNames, purposeWords(p))
	}
	purpose := widget.NewSelect(purposeNames, nil)
	purpose.SetSelectedIndex(0)
	read := widget.NewCheck("Let them read these records", nil)
	read.SetChecked(true)
	write := widget.NewCheck("Let them add records of these kinds to my wallet (test results, notes)", nil)
	items := []*widget.FormItem{
		widget.NewFormItem("Clinician's ID", id),
		widget.NewFormItem("Records", cats),
		widget.NewFormItem("For", length),
		widget.NewFormItem("Why", purpose),
		widget.NewFormItem("", read),
		widget.NewFormItem("", write),
	}
	items[0].HintText = "Their Health Wallet ID, from their My ID screen"
	d := dialog.NewForm("Share without a request", "Share", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		to, err := identity.ParseID(strings.TrimSpace(id.Text))
		if err != nil {
			return // the validator kept Share disabled
		}
		spec := wallet.GrantSpec{Clinician: to, Duration: choice[length.Selected], Read: read.Checked, Write: write.Checked,
			Purpose: purposes[max(purpose.SelectedIndex(), 0)]}
		for c := chain.CategoryConditions; c.Valid(); c++ {
			if catChecks[c].Checked {
				spec.Categories = append(spec.Categories, c.String())
			}
		}
		switch {
		case len(spec.Categories) == 0:
			dialog.ShowInformation("Nothing to share", "Tick at least one kind of record.", v.u.win)
			return
		case !spec.Read && !spec.Write:
			dialog.ShowInformation("Nothing to share", "Let them read these records, add to them, or both.", v.u.win)
			return
		}
		w := v.sess.w
		v.submit("Sharing", "Sharing your records and recording it on the chain…",
			func(ctx context.Context) error { _, err := w.Grant(ctx, spec); return err })
	}, v.u.win)
	d.Resize(fyne.NewSize(640, 0))
	d.Show()
}

// --- records from clinicians ---

func (v *sharingView) showIncoming(d sharingData) {
	var cards []fyne.CanvasObject
	for _, r := range d.incoming {
		if r.State == "hidden" && !v.showHidden.Checked {
			continue
		}
		author := d.parties[r.Author]
		state := map[string]string{"new": "New", "kept": "Kept in your records", "hidden": "Hidden"}[r.State]
		sub := state
		if !r.Time.IsZero() {
			sub = fmt.Sprintf("%s · made %s", state, whenWords(r.Time))
		}
		open := widget.NewButtonWithIcon("Read", theme.VisibilityIcon(), func() { v.readIncoming(r) })
		row := container.NewHBox(open)
		if r.State != "kept" {
			keep := widget.NewButtonWithIcon("Keep", theme.DocumentSaveIcon(), func() { v.keepIncoming(r) })
			keep.Importance = widget.HighImportance
			row.Add(keep)
		}
		if r.State == "new" {
			row.Add(widget.NewButtonWithIcon("Hide…", theme.VisibilityOffIcon(), func() { v.hideIncoming(r) }))
		}
		body := container.NewVBox(wrapped("Added by "+partyWords(author)), row)
		cards = append(cards, widget.NewCard(categoryWords(r.Category)+" record", sub, body))
	}
	if len(cards) == 0 {
		cards = []fyne.CanvasObject{wrapped("No clinician has added records for you. A clinician you let add records (a test result, a visit note) sends them here; you read each one and keep it or hide it.")}
	}
	v.incoming.Objects = cards
	v.incoming.Refresh()
}

func (v *sharingView) readIncoming(r wallet.IncomingRecord) {
	w := v.sess.w
	var plain []byte
	v.u.runTask("Opening", "Fetching and decrypting the record…", func(ctx context.Context, _ func(int64, int64)) error {
		var err error
		plain, err = w.ReadIncoming(ctx, r.Anchor)
		return err
	}, func(err error) {
		if canceled(err) {
			return
		}
		if err != nil {
			v.u.showError("Could not open the record", err)
			return
		}
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		_ = json.Unmarshal(plain, &head) // fhirView shows whatever it is
		scroll := container.NewVScroll(v.u.fhirView(head.ResourceType, plain))
		scroll.SetMinSize(fyne.NewSize(620, 420))
		d := dialog.NewCustom(categoryWords(r.Category)+" record from "+partyWords(v.data.parties[r.Author]), "Close", scroll, v.u.win)
		d.Show()
	})
}

func (v *sharingView) keepIncoming(r wallet.IncomingRecord) {
	w := v.sess.w
	var kept wallet.Record
	v.u.runTask("Keeping", "Adding the record to your wallet…", func(ctx context.Context, _ func(int64, int64)) error {
		var err error
		if kept, err = w.KeepIncoming(ctx, r.Anchor); err != nil {
			return err
		}
		// A kept record inside an active read grant's scope is keyed to
		// that grant's clinician, as any new record is.
		n, err := w.KeyNewRecords(ctx)
		if err != nil || n == 0 {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, settleWait)
		defer cancel()
		if w.WaitSettled(sctx) != nil {
			return errNotSettled
		}
		return nil
	}, func(err error) {
		v.reload()
		switch {
		case err == nil || errors.Is(err, errNotSettled):
			dialog.ShowInformation("Kept", fmt.Sprintf("“%s” is now in your records.", kept.Title), v.u.win)
		case canceled(err):
		default:
			v.u.showError("Not kept", err)
		}
	})
}

func (v *sharingView) hideIncoming(r wallet.IncomingRecord) {
	v.confirm("Hide record", "Hide this record? It stays on the chain (an anchor cannot be undone) but leaves this list. You can still see it with “Also show records I hid”.",
		"Hide", func() {
			v.u.background(func() {
				err := v.sess.w.HideIncoming(v.sess.ctx, r.Anchor)
				v.u.do(func() {
					if err != nil {
						v.u.showError("Not hidden", err)
					}
					v.reload()
				})
			})
		})
}

// --- emergency access ---

func (v *sharingView) emergencyPart() fyne.CanvasObject {
	about := wrapped("If you set this up, any registered clinician can open an emergency summary of your records — allergies, medications, active conditions, blood group and emergency contact — without asking you first. " +
		"Every opening is recorded on the chain and you are alerted; no single clinic can open it, because its key is split among the clinics.")
	v.emergency = wrapped("")
	blood := widget.NewSelect([]string{"Not given", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"}, nil)
	blood.SetSelectedIndex(0)
	name := widget.NewEntry()
	phone := widget.NewEntry()
	phone.SetPlaceHolder("+44 20 7946 0000")
	relation := widget.NewEntry()
	relation.SetPlaceHolder("spouse, parent, friend…")
	form := widget.NewForm(
		widget.NewFormItem("Blood group", blood),
		widget.NewFormItem("Emergency contact", name),
		widget.NewFormItem("Their phone", phone),
		widget.NewFormItem("Who they are to you", relation),
	)
	v.authorize = widget.NewButtonWithIcon("Authorize", theme.ConfirmIcon(), func() {
		extras := fhir.EmergencyExtras{ContactName: strings.TrimSpace(name.Text), ContactPhone: strings.TrimSpace(phone.Text),
			ContactRelationship: strings.TrimSpace(relation.Text)}
		if blood.SelectedIndex() > 0 {
			extras.BloodGroup = blood.Selected
		}
		v.authorizeEmergency(extras)
	})
	v.authorize.Importance = widget.HighImportance
	v.withdraw = widget.NewButtonWithIcon("Withdraw…", theme.CancelIcon(), v.withdrawEmergency)
	v.withdraw.Disable()
	setup := container.NewVBox(v.emergency, form,
		wrapped("The summary is made from the records in your wallet now, with what you enter here. Authorizing again replaces it."),
		container.NewHBox(v.authorize, v.withdraw))
	// The openings come first: a new one is what needs the patient.
	return container.NewVBox(about,
		widget.NewCard("Emergency openings", "Each time a clinician opened your summary", v.alerts),
		widget.NewCard("Your emergency summary", "", setup))
}

func (v *sharingView) showEmergency(d sharingData) {
	if d.authorized {
		since := ""
		if !d.emergency.Since.IsZero() {
			since = " since " + dayWords(d.emergency.Since)
		}
		v.emergency.SetText("Set up" + since + ". " + keyHoldersWords(d.emergency.Threshold, d.emergency.Holders))
		v.authorize.SetText("Update")
		v.withdraw.Enable()
	} else {
		v.emergency.SetText("Not set up: no clinician can open an emergency summary of your records.")
		v.authorize.SetText("Authorize")
		v.withdraw.Disable()
	}
	var rows []fyne.CanvasObject
	var last uint64
	for _, a := range d.alerts {
		text := fmt.Sprintf("%s: %s opened it for %s.", whenWords(a.Time), partyWords(d.parties[a.Clinician]), purposeWords(a.Purpose))
		if a.Note != "" {
			text += " Their note: “" + a.Note + "”."
		}
		text += fmt.Sprintf(" %s released a part of the key.", plural(a.Releases, "clinic", "clinics"))
		l := wrapped(text)
		if d.unseen[a.Access] {
			l.TextStyle.Bold = true
			l.SetText("New — " + text)
			last = max(last, a.Block)
		}
		rows = append(rows, l)
	}
	if len(rows) == 0 {
		rows = append(rows, wrapped("No clinician has opened your emergency summary."))
	}
	if last > 0 {
		seen := widget.NewButton("Mark as seen", func() {
			v.u.background(func() {
				err := v.sess.w.AcknowledgeEmergencyAlerts(last)
				v.u.do(func() {
					if err != nil {
						v.u.showError("Not marked", err)
					}
					v.reload()
					v.u.notifyCheck()
				})
			})
		})
		rows = append(rows, container.NewHBox(seen))
	}
	v.alerts.Objects = rows
	v.alerts.Refresh()
}

func (v *sharingView) authorizeEmergency(extras fhir.EmergencyExtras) {
	w := v.sess.w
	var a wallet.EmergencyAuthorized
	v.u.runTask("Emergency access", "Making your emergency summary, splitting its key among the clinics and recording it on the chain…",
		func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			if a, err = w.AuthorizeEmergency(ctx, extras); err != nil {
				return err
			}
			sctx, cancel := context.WithTimeout(ctx, settleWait)
			defer cancel()
			if w.WaitSettled(sctx) != nil {
				return errNotSettled
			}
			return nil
		}, func(err error) {
			v.reload()
			switch {
			case canceled(err):
				return
			case errors.Is(err, wallet.ErrNoClinicKeys):
				dialog.ShowInformation("Not yet possible", "No clinic on this network has published its key for emergency shares yet. A clinic's node does so once it runs; try again shortly.", v.u.win)
				return
			case err != nil && !errors.Is(err, errNotSettled):
				v.u.showError("Emergency access not set up", err)
				return
			}
			msg := fmt.Sprintf("Your emergency summary holds %s.\n\n%s Each opening is recorded on the chain.",
				summaryWords(a.Summary), keyHoldersWords(a.Threshold, a.Holders))
			if err != nil {
				msg += "\n\n" + notSettledWords
			}
			v.info("Emergency access set up", msg)
		})
}

func (v *sharingView) withdrawEmergency() {
	id := v.data.emergency.Authorization
	v.confirm("Withdraw emergency access", "Withdraw your emergency summary? No clinician can open it any more; what was opened before cannot be recalled.",
		"Withdraw", func() {
			w := v.sess.w
			v.submit("Withdrawing", "Recording the withdrawal on the chain…", func(ctx context.Context) error { return w.Revoke(ctx, id) })
		})
}

// keyHoldersWords says who can open the emergency summary.
func keyHoldersWords(threshold, holders int) string {
	if holders == 1 {
		return "Your network has one clinic, which holds the whole key and opens the summary for a registered clinician; with more clinics, no single one could."
	}
	return fmt.Sprintf("Its key is split among %d clinics: any %d of them together can open it for a registered clinician.", holders, threshold)
}

// summaryWords says what went into an emergency summary.
func summaryWords(info fhir.EmergencySummaryInfo) string {
	parts := info.Contents()
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// --- actions ---

const notSettledWords = "It is sent, but no clinic node has recorded it on the chain yet. It takes effect once one does: keep the wallet open and connected for a while."

// submit runs a wallet action that sends a transaction, with a progress
// dialog, then waits for a block to hold it so that the lists the patient
// looks at next show it.
func (v *sharingView) submit(title, what string, act func(context.Context) error) {
	w := v.sess.w
	v.u.runTask(title, what, func(ctx context.Context, _ func(int64, int64)) error {
		if err := act(ctx); err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, settleWait)
		defer cancel()
		if w.WaitSettled(sctx) != nil {
			return errNotSettled
		}
		return nil
	}, func(err error) {
		v.reload()
		v.u.notifyCheck()
		switch {
		case err == nil, canceled(err):
		case errors.Is(err, errNotSettled):
			v.info(title, notSettledWords)
		case errors.Is(err, wallet.ErrNotClinician):
			v.info(title, "That ID is not a clinician registered on this network. A clinic registers its clinicians first; check the ID with them.")
		case errors.Is(err, wallet.ErrNoRequest):
			v.info(title, "This request has already been answered.")
		default:
			v.u.showError(title+" failed", err)
		}
	})
}

func (v *sharingView) confirm(title, message, confirm string, yes func()) {
	d := dialog.NewCustomConfirm(title, confirm, "Cancel", wrapped(message), func(ok bool) {
		if ok {
			yes()
		}
	}, v.u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

func (v *sharingView) info(title, message string) {
	d := dialog.NewCustom(title, "Close", wrapped(message), v.u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// --- words ---

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

var categoryText = map[chain.Category]string{
	chain.CategoryConditions:    "Conditions",
	chain.CategoryMedications:   "Medications",
	chain.CategoryAllergies:     "Allergies",
	chain.CategoryObservations:  "Test results and measurements",
	chain.CategoryImmunizations: "Immunizations",
	chain.CategoryProcedures:    "Procedures",
	chain.CategoryEncounters:    "Visits",
	chain.CategoryDocuments:     "Documents",
	chain.CategoryPatient:       "Personal details",
	chain.CategoryCareTeam:      "Care team",
	chain.CategoryDevices:       "Devices",
	chain.CategoryCarePlans:     "Care plans",
	chain.CategoryBilling:       "Billing",
	chain.CategoryOther:         "Other records",
}

func categoryWords(c chain.Category) string {
	if s, ok := categoryText[c]; ok {
		return s
	}
	return c.String()
}

// scopeWords lists what a request or grant covers.
func scopeWords(s chain.Scope) string {
	var parts []string
	for _, c := range s.Categories {
		parts = append(parts, categoryWords(c))
	}
	if n := len(s.RecordIDs); n > 0 {
		parts = append(parts, plural(n, "named record", "named records"))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

var purposeText = map[chain.Purpose]string{
	chain.PurposeTREAT: "treatment", chain.PurposeETREAT: "emergency treatment", chain.PurposeBTG: "an emergency (break the glass)",
	chain.PurposeCAREMGT: "coordinating your care", chain.PurposePOPHLTH: "population health", chain.PurposeHPAYMT: "payment for care",
	chain.PurposeCLMATTCH: "an insurance claim", chain.PurposeCOVERAGE: "checking insurance cover", chain.PurposeHOPERAT: "running the clinic",
	chain.PurposeHSYSADMIN: "health system administration", chain.PurposePATADMIN: "patient administration",
	chain.PurposeHQUALIMP: "improving the quality of care", chain.PurposeHRESCH: "research", chain.PurposeCLINTRL: "a clinical trial",
	chain.PurposePUBHLTH: "public health", chain.PurposeHLEGAL: "legal reasons", chain.PurposePATRQT: "your own request",
	chain.PurposeFAMRQT: "a family member's request", chain.PurposePWATRNY: "power of attorney", chain.PurposeSUPNWK: "your support network",
	chain.PurposeHMARKT: "marketing", chain.PurposeTRAIN: "training", chain.PurposeDONAT: "donation", chain.PurposeHDIRECT: "a directory",
	chain.PurposeRECORDMGT: "records management",
}

func purposeWords(p chain.Purpose) string {
	if s, ok := purposeText[p]; ok {
		return s
	}
	return p.String()
}

func roleWords(r chain.Role) string {
	switch {
	case r == chain.RoleOtherClinician:
		return "Clinician"
	case r.Valid():
		s := r.String()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return "Clinician"
}

func actionsWords(a chain.Actions) string {
	switch {
	case a&chain.ActionRead != 0 && a&chain.ActionWrite != 0:
		return "Can read and add"
	case a&chain.ActionWrite != 0:
		return "Can add (not read)"
	}
	return "Can read"
}

// partyWords names someone on the chain: "Physician at Riverside Clinic
// (hw1qxy…k2f9)".
func partyWords(p wallet.Party) string {
	id := shortHWID(p.ID.String())
	if !p.Clinician {
		if p.ClinicName != "" {
			return fmt.Sprintf("%s (%s)", p.ClinicName, id)
		}
		return "Someone not registered as a clinician (" + id + ")"
	}
	clinic := p.ClinicName
	if clinic == "" {
		clinic = "clinic " + shortHWID(p.Clinic.String())
	}
	s := fmt.Sprintf("%s at %s (%s)", roleWords(p.Role), clinic, id)
	if p.Revoked {
		s += ", no longer registered"
	}
	return s
}

// shortHWID shortens a Health Wallet ID or key for reading; the full one
// is on the other party's My ID screen.
func shortHWID(id string) string {
	if len(id) <= 16 {
		return id
	}
	return id[:10] + "…" + id[len(id)-4:]
}

func dayWords(t time.Time) string { return t.Local().Format("2 Jan 2006") }

func whenWords(t time.Time) string { return t.Local().Format("2 Jan 2006, 15:04") }

// untilWords says how far t is from now: "in 12 days".
func untilWords(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "ended"
	case d < time.Minute:
		return "in less than a minute"
	case d < time.Hour:
		return "in " + plural(int(d.Round(time.Minute)/time.Minute), "minute", "minutes")
	case d < 48*time.Hour:
		return "in " + plural(int(d.Round(time.Hour)/time.Hour), "hour", "hours")
	}
	// Rounded: a grant of 7 days made a minute ago ends "in 7 days".
	return "in " + plural(int(d.Round(24*time.Hour)/(24*time.Hour)), "day", "days")
}

// durationWords says a grant's length: "30 days", "1 year", "2 hours".
func durationWords(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 365*day && d%(365*day) == 0:
		return plural(int(d/(365*day)), "year", "years")
	case d >= day && d%day == 0:
		return plural(int(d/day), "day", "days")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour", "hours")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute", "minutes")
	}
	return plural(int(d/time.Second), "second", "seconds")
}
