package app

import (
	"context"
	"errors"
	"fmt"
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

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/pack"
)

// Medicine packs. The Packs screen (a wallet registered as a pharmacy
// organisation): a field a DataMatrix scanner types into, the verdict from
// this wallet's copy of the ledger with a large banner and every check,
// then the dispense, recorded once network-wide; and the shipments waiting
// for the pharmacy's receipt. A patient's Medicines section checks a pack
// too (genuine, not recalled), keeps it in their records, and shows the
// recalls of the packs kept there. The CLI's healthwallet verify-pack,
// dispense-pack, check-pack, link-pack and pack-alerts do the same.

// packView is a pack scan: a pharmacy's (custody and dispense checks, then
// Dispense) or a patient's (genuine and not recalled, then Keep).
type packView struct {
	u          *UI
	sess       *session
	w          *wallet.Wallet
	atPharmacy bool

	code   *widget.Entry
	status *widget.Label
	result *fyne.Container
	scroll *container.Scroll // refreshed when the verdict changes size

	// checked is the code the verdict shown is for: Dispense and Keep act
	// on that one, never on a scan made since.
	checked string
	verdict pack.Verdict
	seq     atomic.Int64 // the newest check; older answers are dropped
}

func newPackView(u *UI, sess *session, atPharmacy bool) *packView {
	v := &packView{u: u, sess: sess, w: sess.w, atPharmacy: atPharmacy}
	v.code = widget.NewEntry()
	v.code.SetPlaceHolder("scan the pack's DataMatrix code, or type (01)…(21)…(10)…(17)…")
	// A scanner in keyboard mode types the code and Enter.
	v.code.OnSubmitted = func(string) { v.check() }
	v.status = wrapped("")
	v.result = container.NewVBox()
	return v
}

// input is the scan field with its Check button.
func (v *packView) input() fyne.CanvasObject {
	check := widget.NewButtonWithIcon("Check", theme.SearchIcon(), v.check)
	check.Importance = widget.HighImportance
	return container.NewVBox(container.NewBorder(nil, nil, nil, check, v.code), v.status)
}

func (u *UI) packsScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	if !sess.view().Joined {
		return u.notOnNetwork("The pack scan")
	}
	v := newPackView(u, sess, true)
	scan := aboutCard("Scan a medicine pack",
		"Scan the DataMatrix code on the pack (the scanner types it here and presses Enter), or paste it: the human-readable (01)…(21)… form, the raw scan or a GS1 Digital Link. It is checked against this wallet's copy of the ledger.",
		v.input())
	incoming := newShipmentsPart(u, sess)
	v.scroll = container.NewVScroll(container.NewVBox(scan, v.result,
		aboutCard("Shipments to receive", "Packs sent to this pharmacy pass into its custody when you receive them: only then may they be dispensed here.", incoming.box)))
	incoming.scroll = v.scroll
	sess.watch(func(chainView) { incoming.reload() })
	// The scanner types into the focused field: have it ready, once the
	// screen is on the canvas (after this build returns).
	sess.spawn(func() { u.do(func() { u.win.Canvas().Focus(v.code) }) })
	return v.scroll
}

// check judges the code typed, in the background. The field is emptied
// for the next scan; the verdict names the code it is for.
func (v *packView) check() {
	code := strings.TrimSpace(v.code.Text)
	if code == "" {
		v.status.SetText("Scan the pack's code first, or type or paste it.")
		return
	}
	v.code.SetText("")
	n := v.seq.Add(1)
	v.status.SetText("Checking against the ledger…")
	v.u.background(func() {
		judge := v.w.CheckPack
		if v.atPharmacy {
			judge = v.w.VerifyPack
		}
		verdict, err := judge(v.sess.ctx, code)
		v.u.do(func() {
			if v.seq.Load() != n {
				return
			}
			if err != nil {
				v.status.SetText("")
				v.u.showError("Could not check the pack", err)
				return
			}
			v.show(code, verdict, false)
		})
	})
}

// show draws a verdict; dispensed says its dispense was just recorded.
func (v *packView) show(code string, verdict pack.Verdict, dispensed bool) {
	v.checked, v.verdict = code, verdict
	v.status.SetText(fmt.Sprintf("Checked %s against the ledger: %s", time.Now().Format("15:04:05"), code))
	var parts []fyne.CanvasObject
	if dispensed {
		parts = append(parts, banner(true, "DISPENSED", "Recorded on the ledger: no pharmacy can dispense this pack again."))
	} else {
		ok, title, line := packHeadline(verdict, v.atPharmacy)
		parts = append(parts, banner(ok, title, line))
	}
	var buttons []fyne.CanvasObject
	switch {
	case dispensed:
	case v.atPharmacy && verdict.OK:
		dispense := widget.NewButtonWithIcon("Dispense", theme.ConfirmIcon(), v.dispense)
		dispense.Importance = widget.HighImportance
		buttons = append(buttons, dispense)
	case !v.atPharmacy && keepable(verdict):
		keep := widget.NewButtonWithIcon("Keep it in my records", theme.DocumentSaveIcon(), v.keep)
		if verdict.OK {
			keep.Importance = widget.HighImportance
		}
		buttons = append(buttons, keep)
	}
	if len(buttons) > 0 {
		parts = append(parts, container.NewHBox(buttons...))
	}
	if !verdict.OK && !dispensed {
		for _, r := range verdict.Reasons {
			l := wrapped(packReasonWords(r))
			l.TextStyle.Bold = true
			parts = append(parts, container.NewBorder(nil, nil,
				widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon())), nil, l))
		}
	}
	checks := widget.NewCard("Every check", "", packChecksPart(verdict.Checks))
	if verdict.Pack.GTIN != "" {
		parts = append(parts, container.NewGridWithColumns(2, widget.NewCard("The pack", "", packForm(verdict, v.atPharmacy)), checks))
	} else {
		parts = append(parts, checks)
	}
	v.result.Objects = parts
	v.result.Refresh()
	if v.scroll != nil {
		v.scroll.Refresh()
	}
}

// dispense records the dispense of the pack checked, after asking.
func (v *packView) dispense() {
	code, verdict := v.checked, v.verdict
	if code == "" || !verdict.OK {
		return
	}
	p := verdict.Pack
	msg := fmt.Sprintf("Dispense the pack of GTIN %s, lot %s, serial %s? The dispense is recorded on the ledger: no pharmacy anywhere can dispense this pack again.",
		p.GTIN, p.Lot, p.Serial)
	d := dialog.NewCustomConfirm("Dispense", "Dispense", "Cancel", wrapped(msg), func(ok bool) {
		if !ok || !v.u.current(v.sess) {
			return
		}
		var after pack.Verdict
		v.u.runTask("Dispensing", "Recording the dispense on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			after, err = v.w.DispensePack(ctx, code)
			return err
		}, func(err error) {
			switch {
			case canceled(err):
			case errors.Is(err, wallet.ErrPackRefused):
				// The ledger moved since the check: a recall, a dispense
				// elsewhere, a shipment on.
				if len(after.Checks) > 0 {
					v.show(code, after, false)
				}
				why := sentence(err)
				if len(after.Reasons) > 0 {
					why = packReasonWords(after.Reasons[0])
				}
				v.u.showRefusal("Not dispensed", why, err)
			case err != nil:
				v.u.showError("Not dispensed", err)
			default:
				v.show(code, after, true)
				v.u.win.Canvas().Focus(v.code) // ready for the next pack
			}
		})
	}, v.u.win)
	d.Resize(fyne.NewSize(500, 0))
	d.Show()
}

// keep asks the medication's name and keeps the pack in the patient's
// records, so that a recall of it raises an alert.
func (v *packView) keep() {
	code, verdict := v.checked, v.verdict
	if code == "" {
		return
	}
	name := widget.NewEntry()
	name.SetPlaceHolder("such as Amlodipine 5 mg")
	body := container.NewVBox(
		wrapped(fmt.Sprintf("The pack (lot %s, serial %s) is kept in your records. If it is ever recalled, Health Wallet tells you.", verdict.Pack.Lot, verdict.Pack.Serial)),
		widget.NewForm(widget.NewFormItem("Medication", name)))
	d := dialog.NewCustomConfirm("Keep it in my records", "Keep", "Cancel", body, func(ok bool) {
		if !ok || !v.u.current(v.sess) {
			return
		}
		medication := strings.TrimSpace(name.Text)
		var after pack.Verdict
		v.u.runTask("Keeping the pack", "Adding it to your records…", func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			_, after, err = v.w.LinkPack(ctx, code, medication)
			return err
		}, func(err error) {
			switch {
			case canceled(err):
			case errors.Is(err, wallet.ErrPackRefused):
				if len(after.Checks) > 0 {
					v.show(code, after, false)
				}
				v.u.showRefusal("Not kept", "This is not a genuine pack, so it was not kept: show it to your pharmacist.", err)
			case err != nil:
				v.u.showError("Not kept", err)
			default:
				what := medication
				if what == "" {
					what = "The pack"
				}
				dialog.ShowInformation("Kept in your records", what+" is in your records (Medications). If it is ever recalled, Medicines tells you.", v.u.win)
				v.u.checkPackAlerts()
			}
		})
	}, v.u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
	v.u.win.Canvas().Focus(name)
}

// keepable reports whether a patient may keep the pack: it is genuine,
// though it may be recalled or expired (worth knowing of). LinkPack
// decides; this only offers the button where it would.
func keepable(v pack.Verdict) bool {
	if v.Batch == nil {
		return false
	}
	for _, c := range v.Checks {
		if !c.OK && !errors.Is(c.Err, pack.ErrRecalled) && !errors.Is(c.Err, pack.ErrQuarantined) && !errors.Is(c.Err, pack.ErrExpired) {
			return false
		}
	}
	return true
}

// --- words ---

// genuineReasons are the refusals that say the pack is not what it
// claims to be; the others (expired, recalled, elsewhere, dispensed)
// concern a genuine pack.
var genuineReasons = []error{pack.ErrMalformed, pack.ErrCheckDigit, pack.ErrUnknownGTIN, pack.ErrLotMismatch,
	pack.ErrNotManufacturer, pack.ErrNotInBatch, pack.ErrExpiryMismatch}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// packHeadline is a verdict at a glance: pass or fail, a word or two in
// large letters, and a line.
func packHeadline(v pack.Verdict, atPharmacy bool) (ok bool, title, line string) {
	if v.OK {
		if atPharmacy {
			return true, "GENUINE", "May be dispensed here."
		}
		return true, "GENUINE", "Made by a registered manufacturer, and not recalled."
	}
	unjudged, fake := len(v.Reasons) > 0, false
	for _, r := range v.Reasons {
		if !errors.Is(r, pack.ErrListUnavailable) {
			unjudged = false
		}
		if isAny(r, genuineReasons) {
			fake = true
		}
	}
	var first error
	if len(v.Reasons) > 0 {
		first = v.Reasons[0]
	}
	switch {
	case unjudged:
		return false, "CANNOT CHECK", "The batch's serial list could not be fetched: check again when connected."
	case fake && atPharmacy:
		return false, "NOT GENUINE", "Do not dispense: " + packReasonShort(first) + "."
	case fake:
		return false, "NOT GENUINE", "Do not use it: show it to your pharmacist (" + packReasonShort(first) + ")."
	case atPharmacy:
		return false, "DO NOT DISPENSE", "Genuine, but do not dispense: " + packReasonShort(first) + "."
	}
	return false, "DO NOT USE", "Genuine, but " + packReasonShort(first) + ": ask your pharmacist."
}

// packReasons pairs each refusal with a few words for the banner and a
// sentence for the list.
var packReasons = []struct {
	err          error
	short, words string
}{
	{pack.ErrCheckDigit, "a wrong check digit", "The product number (GTIN) has a wrong check digit: the code is misprinted or made up."},
	{pack.ErrMalformed, "the code does not read", "The code does not read as a medicine pack's code (GTIN, serial, lot and expiry). Scan it again; if it still fails, it is damaged or not a pack code."},
	{pack.ErrUnknownGTIN, "an unknown product", "Unknown product: no manufacturer put a batch of this product on the ledger."},
	{pack.ErrLotMismatch, "the lot does not match", "Lot mismatch: the ledger has no such lot of this product."},
	{pack.ErrNotManufacturer, "not from a registered manufacturer", "The batch was not put on the ledger by a registered manufacturer."},
	{pack.ErrNotInBatch, "the serial number is not in the batch", "The serial number is not one the manufacturer made in this batch."},
	{pack.ErrExpiryMismatch, "the expiry date does not match", "The expiry date on the pack is not the batch's."},
	{pack.ErrExpired, "expired", "Expired."},
	{pack.ErrRecalled, "recalled", "Recalled: the manufacturer or an authority withdrew it."},
	{pack.ErrQuarantined, "in quarantine", "In quarantine: held back until the manufacturer releases it."},
	{pack.ErrDiverted, "not in this pharmacy's custody", "Diverted: the ledger says this pack was never received by this pharmacy."},
	{pack.ErrAlreadyDispensed, "already dispensed", "Already dispensed: a pharmacy recorded it as handed out."},
	{pack.ErrListUnavailable, "not checked", "Not checked: the manufacturer's serial list could not be fetched; check again when connected."},
}

// packReasonShort names a refusal in a few words.
func packReasonShort(err error) string {
	for _, r := range packReasons {
		if errors.Is(err, r.err) {
			return r.short
		}
	}
	if err == nil {
		return "refused"
	}
	return err.Error()
}

// packReasonWords says a refusal in a sentence, with what was found:
// "Diverted: … (the ledger's custody ends at Demo Wholesale)."
func packReasonWords(err error) string {
	for _, r := range packReasons {
		if errors.Is(err, r.err) {
			found := packFound(err, r.err)
			if found == "" {
				return r.words
			}
			return strings.TrimSuffix(r.words, ".") + " (" + found + ")."
		}
	}
	return capitalized(err.Error()) + "."
}

// packFound is what a refusal found, without its sentinel's words:
// "the ledger's custody ends at Demo Wholesale".
func packFound(err, sentinel error) string {
	s := err.Error()
	i := strings.Index(s, sentinel.Error())
	if i < 0 {
		return ""
	}
	s = strings.TrimSpace(s[i+len(sentinel.Error()):])
	s = strings.TrimPrefix(s, ":")
	return strings.TrimSpace(s)
}

// packChecksPart lists every check with a tick or a cross and what was
// found, in words.
func packChecksPart(checks []pack.Check) fyne.CanvasObject {
	var rows []fyne.CanvasObject
	for _, c := range checks {
		icon := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		detail := capitalized(c.Detail)
		if !c.OK {
			icon = widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon()))
			switch {
			case strings.HasPrefix(c.Detail, "not checked") && !errors.Is(c.Err, pack.ErrListUnavailable):
				detail = "Not checked: " + packReasonShort(c.Err) + "."
			default:
				detail = packReasonWords(c.Err)
			}
		}
		name := widget.NewLabelWithStyle(c.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		item := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), name, wrapped(detail))
		rows = append(rows, container.NewBorder(nil, nil, container.NewVBox(icon), nil, item))
	}
	return container.NewVBox(rows...)
}

// packForm shows what the code says and what the ledger says of the pack.
func packForm(v pack.Verdict, atPharmacy bool) fyne.CanvasObject {
	p := v.Pack
	expiry := p.Expiry
	if !p.ExpiryDate.IsZero() {
		expiry = p.ExpiryDate.UTC().Format("2 Jan 2006")
	}
	items := []*widget.FormItem{
		widget.NewFormItem("GTIN", wrapped(p.GTIN)),
		widget.NewFormItem("Lot", wrapped(orDash(p.Lot))),
		widget.NewFormItem("Expiry", wrapped(orDash(expiry))),
		widget.NewFormItem("Serial", wrapped(orDash(p.Serial))),
	}
	maker := "Unknown: not on the ledger"
	if m := v.Manufacturer; m != nil {
		maker = m.Name
		if m.GLN != "" {
			maker += " (GLN " + m.GLN + ")"
		}
	}
	items = append(items, widget.NewFormItem("Manufacturer", wrapped(maker)))
	if b := v.Batch; b != nil {
		items = append(items, widget.NewFormItem("Batch", wrapped(fmt.Sprintf("%s, on the ledger since %s (block %d)",
			plural(int(b.Count), "pack", "packs"), dayWords(time.Unix(int64(b.Time), 0)), b.Block))))
	}
	if atPharmacy {
		custody := "Unknown"
		switch {
		case v.Holder != nil:
			custody = v.Holder.Name
			if v.Holder.GLN != "" {
				custody += " (GLN " + v.Holder.GLN + ")"
			}
		case v.Batch != nil:
			custody = "Someone not registered as an organisation"
		}
		items = append(items, widget.NewFormItem("Custody", wrapped(custody)))
	}
	return widget.NewForm(items...)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// --- a patient's recall alerts ---

// packAlertWatch reads the recalls of the packs in a patient's records on
// every block, marks the Medicines section with their count, and has its
// screen show them.
type packAlertWatch struct {
	u *UI
	s *session

	mu     sync.Mutex // one read at a time
	shown  string     // what the badge and banner show
	read   bool       // shown holds a read
	alerts []packAlertInfo
	// show draws the alerts on the Medicines screen (nil until built); set
	// and called on the UI goroutine.
	show func([]packAlertInfo)
}

// packAlertInfo is an alert with the name the patient gave the pack.
type packAlertInfo struct {
	wallet.PackAlert
	Name string
}

var packAlertWatches sync.Map // *session → *packAlertWatch

// watchPackAlerts starts the session's alert watch (once).
func (u *UI) watchPackAlerts(s *session) *packAlertWatch {
	if s == nil || !s.view().Joined {
		return nil
	}
	a := &packAlertWatch{u: u, s: s}
	if old, running := packAlertWatches.LoadOrStore(s, a); running {
		return old.(*packAlertWatch)
	}
	s.onClose(func() { packAlertWatches.Delete(s) })
	s.watch(func(chainView) { a.check() })
	return a
}

// checkPackAlerts reads the alerts again now (after a pack was kept).
func (u *UI) checkPackAlerts() {
	s := u.session()
	if s == nil {
		return
	}
	if a, ok := packAlertWatches.Load(s); ok {
		s.spawn(a.(*packAlertWatch).check)
	}
}

func (a *packAlertWatch) check() {
	if !a.mu.TryLock() {
		return // a read is under way; the next block reads again
	}
	defer a.mu.Unlock()
	ctx, w := a.s.ctx, a.s.w
	if ctx.Err() != nil {
		return
	}
	alerts, err := w.PackAlerts(ctx)
	if err != nil {
		return
	}
	var infos []packAlertInfo
	var key strings.Builder
	for _, al := range alerts {
		info := packAlertInfo{PackAlert: al}
		if r, err := w.Get(ctx, al.RecordID); err == nil {
			info.Name = r.Title
		}
		infos = append(infos, info)
		fmt.Fprint(&key, al.RecordID, al.Reason, ";")
	}
	if a.read && key.String() == a.shown {
		return
	}
	a.read, a.shown = true, key.String()
	a.u.do(func() {
		if a.u.session() != a.s || a.u.main == nil {
			return
		}
		a.alerts = infos
		a.u.main.badge("Medicines", len(infos))
		if a.show != nil {
			a.show(infos)
		}
	})
}

// packAlertsPart is the banner of the recalled packs in a patient's
// records: red, at the top of Medicines, one line a pack.
func packAlertsPart(alerts []packAlertInfo) []fyne.CanvasObject {
	if len(alerts) == 0 {
		return nil
	}
	title := "RECALL"
	if len(alerts) > 1 {
		title = fmt.Sprintf("%d RECALLS", len(alerts))
	}
	parts := []fyne.CanvasObject{banner(false, title, "Do not use these medicines: ask your pharmacist or doctor.")}
	for _, al := range alerts {
		name := al.Name
		if name == "" {
			name = "GTIN " + al.Pack.GTIN
		}
		why := capitalized(packReasonShort(al.Reason))
		if found := packFound(al.Reason, errorFor(al.Reason)); found != "" {
			why += " " + found
		}
		l := wrapped(fmt.Sprintf("%s — lot %s, serial %s: %s.", name, al.Pack.Lot, al.Pack.Serial, why))
		l.TextStyle.Bold = true
		parts = append(parts, container.NewBorder(nil, nil, widget.NewIcon(theme.NewErrorThemedResource(theme.WarningIcon())), nil, l))
	}
	return parts
}

// errorFor is the sentinel a pack alert wraps.
func errorFor(err error) error {
	if errors.Is(err, pack.ErrQuarantined) {
		return pack.ErrQuarantined
	}
	return pack.ErrRecalled
}
