package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/gs1"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/serials"
)

// The Supply screen (a wallet registered as a manufacturer or a
// wholesaler): the organisation as the ledger knows it; shipments to
// receive; shipping packs on to another organisation; and for a
// manufacturer, commissioning a batch and recalling, quarantining or
// releasing it. Every action is a wallet call the CLI makes too
// (healthwallet batch commission, shipments, receive, ship, recall).

// maxSerialsFile bounds a serials file: a million serials of at most 20
// characters, with line ends.
const maxSerialsFile = int64(serials.MaxSerials) * (serials.MaxSerialLen + 2)

type supplyView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet
	org  state.Org

	incoming *shipmentsPart
	batches  *fyne.Container // what the organisation holds or made

	// commission (a manufacturer)
	gtin, lot, expiry, count, prefix *widget.Entry
	source                           *widget.RadioGroup
	serialsFile                      []string // read from the file chosen
	fileLabel                        *widget.Label
	problem                          *widget.Label

	// ship
	shipBatch *widget.Select
	shipTo    *widget.Select
	shipList  *widget.Entry
	orgs      []state.Org // the destinations offered, as shipTo lists them

	// recall (a manufacturer)
	recallBatch  *widget.Select
	recallAction *widget.RadioGroup
	recallList   *widget.Entry

	held   []state.Batch // the batches offered, as the selects list them
	scroll *container.Scroll
	loadMu sync.Mutex
	shown  string
}

// Recall actions as the screen names them.
const (
	actionRecallWords     = "Recall (final)"
	actionQuarantineWords = "Quarantine"
	actionReleaseWords    = "Release from quarantine"
)

// Serial sources.
const (
	sourceNumbered = "Numbered"
	sourceFile     = "From a file"
)

func (u *UI) supplyScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	org, ok := myOrganisation(sess)
	if !ok {
		return wrapped("This wallet is not registered as a manufacturer or wholesaler on the network.")
	}
	v := &supplyView{u: u, sess: sess, w: sess.w, org: org}
	v.incoming = newShipmentsPart(u, sess)
	v.incoming.received = v.reload
	v.batches = container.NewVBox(widget.NewLabel("Reading the ledger…"))
	title := "Batches you hold"
	if org.Role == chain.OrgManufacturer {
		title = "Batches you commissioned"
	}
	parts := []fyne.CanvasObject{widget.NewCard(org.Name, orgRoleWords(org.Role), v.orgPart()), widget.NewCard(title, "", v.batches)}
	if org.Role == chain.OrgManufacturer {
		parts = append(parts, aboutCard("Commission a batch",
			"The serial numbers are signed with this wallet's key and stored on the network; the ledger gets only their Merkle root and count, so a pharmacy proves any single pack belongs to the batch.",
			v.commissionPart()))
	}
	parts = append(parts,
		aboutCard("Shipments to receive", "Packs sent to you pass into your custody when you receive them.", v.incoming.box),
		aboutCard("Ship packs", "Custody passes to the organisation you ship to when it receives the shipment.", v.shipPart()))
	if org.Role == chain.OrgManufacturer {
		parts = append(parts, aboutCard("Recall, quarantine or release",
			"In force on every pharmacy's scan from the next block. A recall is final; a quarantine holds packs back until you release them.",
			v.recallPart()))
	}
	v.scroll = container.NewVScroll(container.NewVBox(parts...))
	v.incoming.scroll = v.scroll
	sess.watch(func(chainView) {
		v.incoming.reload()
		v.reload()
	})
	return v.scroll
}

func orgRoleWords(r chain.OrgRole) string {
	switch r {
	case chain.OrgManufacturer:
		return "Manufacturer"
	case chain.OrgWholesaler:
		return "Wholesaler"
	case chain.OrgPharmacy:
		return "Pharmacy"
	}
	return "Organisation"
}

func (v *supplyView) orgPart() fyne.CanvasObject {
	o := v.org
	gln := o.GLN
	if gln == "" {
		gln = "None"
	}
	registrar := v.w.ClinicName(o.Registrar)
	if registrar == "" {
		registrar = shortHWID(identity.IDFromSigningKey(o.Registrar[:]).String())
	}
	id := widget.NewLabelWithStyle(identity.IDFromSigningKey(o.Key[:]).String(), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	id.Wrapping = fyne.TextWrapBreak
	id.Selectable = true
	return widget.NewForm(
		widget.NewFormItem("GLN", wrapped(gln)),
		widget.NewFormItem("Registered", wrapped(fmt.Sprintf("%s by %s (block %d)", dayWords(time.Unix(int64(o.Time), 0)), registrar, o.Block))),
		widget.NewFormItem("ID", id),
	)
}

// --- commissioning ---

func (v *supplyView) commissionPart() fyne.CanvasObject {
	v.gtin = widget.NewEntry()
	v.gtin.SetPlaceHolder("8, 12, 13 or 14 digits, check digit included")
	v.lot = widget.NewEntry()
	v.lot.SetPlaceHolder("such as L2026-041")
	v.expiry = widget.NewEntry()
	v.expiry.SetPlaceHolder("YYMMDD as printed in the code (DD 00: end of the month)")
	v.count = widget.NewEntry()
	v.count.SetPlaceHolder("how many packs, such as 10000")
	v.prefix = widget.NewEntry()
	v.prefix.SetPlaceHolder("what the serials start with (optional)")
	v.fileLabel = wrapped("No file chosen.")
	open := v.u.newFileButton("Choose a serials file…", theme.FolderOpenIcon(), []string{".txt", ".csv"}, v.openSerials)
	numbered := container.NewGridWithColumns(2, v.count, v.prefix)
	fromFile := container.NewBorder(nil, nil, open, nil, v.fileLabel)
	v.source = widget.NewRadioGroup([]string{sourceNumbered, sourceFile}, func(s string) {
		if s == sourceFile {
			numbered.Hide()
			fromFile.Show()
		} else {
			fromFile.Hide()
			numbered.Show()
		}
	})
	v.source.Horizontal = true
	v.source.SetSelected(sourceNumbered)
	v.problem = wrapped("")
	commission := widget.NewButtonWithIcon("Commission", theme.ConfirmIcon(), v.commission)
	commission.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem("GTIN", v.gtin),
		widget.NewFormItem("Lot", v.lot),
		widget.NewFormItem("Expiry", v.expiry),
		widget.NewFormItem("Serial numbers", container.NewVBox(v.source, numbered, fromFile)),
	)
	return container.NewVBox(form, container.NewHBox(commission), v.problem)
}

// openSerials reads a serials file, one serial a line: the file dialog
// calls it, and so do the tests.
func (v *supplyView) openSerials(name string, r io.ReadCloser) {
	list, err := readSerials(r, name)
	if err != nil {
		v.serialsFile = nil
		v.fileLabel.SetText(capitalized(err.Error()) + ".")
		return
	}
	v.serialsFile = list
	v.fileLabel.SetText(fmt.Sprintf("%s: %s.", name, plural(len(list), "serial number", "serial numbers")))
}

// readSerials reads serial numbers one a line, skipping blank lines,
// bounded by the largest list; it closes r.
func readSerials(r io.ReadCloser, name string) ([]string, error) {
	defer r.Close()
	var out []string
	sc := bufio.NewScanner(io.LimitReader(r, maxSerialsFile))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if len(s) > serials.MaxSerialLen {
			return nil, fmt.Errorf("%s, line %d: serial %q is longer than %d characters", name, line, s, serials.MaxSerialLen)
		}
		if len(out) == serials.MaxSerials {
			return nil, fmt.Errorf("%s has more than %s serial numbers", name, thousands(serials.MaxSerials))
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no serial numbers", name)
	}
	return out, nil
}

// numberedSerials makes count serials prefix0001, prefix0002…, as the
// CLI's batch commission --count does: wide enough for count, so they
// sort as numbered.
func numberedSerials(prefix string, count int) ([]string, error) {
	if count < 1 || count > serials.MaxSerials {
		return nil, fmt.Errorf("give a number of packs from 1 to %s", thousands(serials.MaxSerials))
	}
	width := max(len(strconv.Itoa(count)), 4)
	if len(prefix)+width > serials.MaxSerialLen {
		return nil, fmt.Errorf("the prefix %q is too long: a serial number has at most %d characters", prefix, serials.MaxSerialLen)
	}
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s%0*d", prefix, width, i+1)
	}
	return out, nil
}

// gtinOf reads a GTIN as typed: 8, 12, 13 or 14 digits, padded to 14,
// with a valid check digit.
func gtinOf(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch len(s) {
	case 8, 12, 13:
		s = strings.Repeat("0", chain.GTINLen-len(s)) + s
	}
	if err := gs1.ValidGTIN(s); err != nil {
		if errors.Is(err, gs1.ErrCheckDigit) {
			return "", fmt.Errorf("GTIN %s: the check digit is wrong", s)
		}
		return "", fmt.Errorf("GTIN: give 8, 12, 13 or 14 digits")
	}
	return s, nil
}

func (v *supplyView) commission() {
	gtin, err := gtinOf(v.gtin.Text)
	if err != nil {
		v.problem.SetText(err.Error() + ".")
		return
	}
	lot, expiry := strings.TrimSpace(v.lot.Text), strings.TrimSpace(v.expiry.Text)
	if lot == "" {
		v.problem.SetText("Give the lot number.")
		return
	}
	if _, err := gs1.ResolveExpiry(expiry, time.Now()); err != nil {
		v.problem.SetText("Expiry: give the date as YYMMDD, such as 281231.")
		return
	}
	var list []string
	if v.source.Selected == sourceFile {
		if len(v.serialsFile) == 0 {
			v.problem.SetText("Choose a file of serial numbers, one a line.")
			return
		}
		list = v.serialsFile
	} else {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(v.count.Text), ",", ""))
		if err != nil {
			v.problem.SetText("Give the number of packs, such as 10000.")
			return
		}
		if list, err = numberedSerials(strings.TrimSpace(v.prefix.Text), n); err != nil {
			v.problem.SetText(capitalized(err.Error()) + ".")
			return
		}
	}
	v.problem.SetText("")
	var done wallet.Commissioned
	began := time.Now()
	v.u.runTask("Commissioning the batch",
		fmt.Sprintf("Signing %s, storing the list on the network and recording the batch on the ledger…", plural(len(list), "serial number", "serial numbers")),
		func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			done, err = v.w.CommissionBatch(ctx, gtin, lot, expiry, list)
			return err
		}, func(err error) {
			switch {
			case canceled(err):
			case err != nil:
				v.u.showError("Not commissioned", err)
			default:
				v.lot.SetText("")
				v.serialsFile = nil
				v.fileLabel.SetText("No file chosen.")
				dialog.ShowInformation("Batch commissioned", fmt.Sprintf("Lot %s of GTIN %s: %s, on the ledger in %s. Serial list %s.",
					lot, gtin, plural(len(done.List.Serials), "pack", "packs"), time.Since(began).Round(time.Millisecond), done.CID), v.u.win)
				v.reload()
			}
		})
}

// --- shipping ---

func (v *supplyView) shipPart() fyne.CanvasObject {
	v.shipBatch = widget.NewSelect(nil, nil)
	v.shipBatch.PlaceHolder = "the batch (lot)"
	v.shipTo = widget.NewSelect(nil, nil)
	v.shipTo.PlaceHolder = "the organisation"
	v.shipList = widget.NewMultiLineEntry()
	v.shipList.SetPlaceHolder("empty: the whole batch; or serial numbers, one a line or separated by commas")
	v.shipList.SetMinRowsVisible(2)
	ship := widget.NewButtonWithIcon("Ship", theme.MailSendIcon(), v.ship)
	ship.Importance = widget.HighImportance
	return container.NewVBox(widget.NewForm(
		widget.NewFormItem("Batch", v.shipBatch),
		widget.NewFormItem("To", v.shipTo),
		widget.NewFormItem("Packs", v.shipList),
	), container.NewHBox(ship))
}

// serialList reads serial numbers typed one a line or separated by commas.
func serialList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' || r == ' ' || r == '\t' }) {
		out = append(out, f)
	}
	return out
}

func batchWords(b state.Batch) string {
	return fmt.Sprintf("GTIN %s, lot %s", b.GTIN, b.Lot)
}

func (v *supplyView) ship() {
	bi, ti := v.shipBatch.SelectedIndex(), v.shipTo.SelectedIndex()
	if bi < 0 || bi >= len(v.held) || ti < 0 || ti >= len(v.orgs) {
		dialog.ShowInformation("Ship packs", "Choose the batch and the organisation to ship to.", v.u.win)
		return
	}
	b, to := v.held[bi], v.orgs[ti]
	list := serialList(v.shipList.Text)
	if len(list) > chain.MaxShipmentSerials {
		dialog.ShowInformation("Ship packs", fmt.Sprintf("At most %d packs a shipment: ship the whole batch, or fewer packs at a time.", chain.MaxShipmentSerials), v.u.win)
		return
	}
	what := "the whole batch"
	if len(list) > 0 {
		what = plural(len(list), "pack", "packs")
	}
	msg := fmt.Sprintf("Ship %s of %s to %s (%s)? Custody passes when %s receives it.", what, batchWords(b), to.Name, strings.ToLower(orgRoleWords(to.Role)), to.Name)
	d := dialog.NewCustomConfirm("Ship packs", "Ship", "Cancel", wrapped(msg), func(ok bool) {
		if !ok || !v.u.current(v.sess) {
			return
		}
		v.u.runTask("Shipping", "Recording the shipment on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
			_, err := v.w.Ship(ctx, b.GTIN, b.Lot, to.Key, list)
			return err
		}, func(err error) {
			switch {
			case canceled(err):
			case errors.Is(err, state.ErrUnauthorized):
				v.u.showRefusal("Not shipped", "The ledger says you do not hold these packs (or one of them): you can only ship what you received and have not shipped on.", err)
			case errors.Is(err, state.ErrConflict):
				v.u.showRefusal("Not shipped", "These packs (or some of them) are already in a shipment that has not been received yet.", err)
			case err != nil:
				v.u.showError("Not shipped", err)
			default:
				v.shipList.SetText("")
				dialog.ShowInformation("Shipped", fmt.Sprintf("%s of %s is on its way to %s: custody passes when it receives the shipment.", capitalized(what), batchWords(b), to.Name), v.u.win)
				v.reload()
			}
		})
	}, v.u.win)
	d.Resize(fyne.NewSize(500, 0))
	d.Show()
}

// --- recalls ---

func (v *supplyView) recallPart() fyne.CanvasObject {
	v.recallBatch = widget.NewSelect(nil, nil)
	v.recallBatch.PlaceHolder = "the batch (lot)"
	v.recallAction = widget.NewRadioGroup([]string{actionRecallWords, actionQuarantineWords, actionReleaseWords}, nil)
	v.recallAction.Horizontal = true
	v.recallAction.SetSelected(actionQuarantineWords)
	v.recallList = widget.NewMultiLineEntry()
	v.recallList.SetPlaceHolder("empty: the whole batch; or serial numbers, one a line or separated by commas")
	v.recallList.SetMinRowsVisible(2)
	apply := widget.NewButtonWithIcon("Apply", theme.WarningIcon(), v.recall)
	apply.Importance = widget.DangerImportance
	return container.NewVBox(widget.NewForm(
		widget.NewFormItem("Batch", v.recallBatch),
		widget.NewFormItem("Action", v.recallAction),
		widget.NewFormItem("Packs", v.recallList),
	), container.NewHBox(apply))
}

func (v *supplyView) recall() {
	bi := v.recallBatch.SelectedIndex()
	if bi < 0 || bi >= len(v.held) {
		dialog.ShowInformation("Recall", "Choose the batch.", v.u.win)
		return
	}
	b := v.held[bi]
	list := serialList(v.recallList.Text)
	if len(list) > chain.MaxShipmentSerials {
		dialog.ShowInformation("Recall", fmt.Sprintf("At most %d packs at a time: recall the whole batch, or fewer packs at a time.", chain.MaxShipmentSerials), v.u.win)
		return
	}
	action, verb := chain.ActionQuarantine, "Put in quarantine"
	switch v.recallAction.Selected {
	case actionRecallWords:
		action, verb = chain.ActionRecall, "Recall"
	case actionReleaseWords:
		action, verb = chain.ActionRelease, "Release from quarantine"
	}
	what := "the whole batch"
	if len(list) > 0 {
		what = plural(len(list), "pack", "packs")
	}
	msg := fmt.Sprintf("%s %s of %s? Every pharmacy's scan says so from the next block.", verb, what, batchWords(b))
	if action == chain.ActionRecall {
		msg += " A recall is final: recalled packs can never be dispensed again, and patients who kept them are alerted."
	}
	d := dialog.NewCustomConfirm(verb, verb, "Cancel", wrapped(msg), func(ok bool) {
		if !ok || !v.u.current(v.sess) {
			return
		}
		v.u.runTask(verb, "Recording it on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
			return v.w.Recall(ctx, b.GTIN, b.Lot, list, action)
		}, func(err error) {
			switch {
			case canceled(err):
			case err != nil:
				v.u.showError("Not recorded", err)
			default:
				v.recallList.SetText("")
				dialog.ShowInformation("Recorded", fmt.Sprintf("%s: %s of %s. Every pharmacy's scan says so from this block on.", verb, what, batchWords(b)), v.u.win)
				v.reload()
			}
		})
	}, v.u.win)
	d.Resize(fyne.NewSize(500, 0))
	d.Show()
}

// --- reading the ledger ---

// supplyData is what the screen shows from the ledger.
type supplyData struct {
	held []state.Batch // made (a manufacturer) or received
	orgs []state.Org   // where packs may be shipped
	err  error
}

func (d supplyData) key() string {
	var b strings.Builder
	fmt.Fprint(&b, d.err, "|")
	for _, x := range d.held {
		fmt.Fprint(&b, x.GTIN, x.Lot, x.Recalled, x.Quarantined, ";")
	}
	for _, o := range d.orgs {
		fmt.Fprint(&b, o.Key, o.Name, ";")
	}
	return b.String()
}

func (v *supplyView) load() supplyData {
	var d supplyData
	st := v.w.Ledger().State()
	if v.org.Role == chain.OrgManufacturer {
		d.held, d.err = st.BatchesOf(v.org.Key)
	} else {
		in, err := v.w.IncomingShipments(false)
		d.err = err
		for _, s := range in {
			if !s.Received || slices.ContainsFunc(d.held, func(b state.Batch) bool { return b.GTIN == s.GTIN && b.Lot == s.Lot }) {
				continue
			}
			if b, err := st.Batch(s.GTIN, s.Lot); err == nil {
				d.held = append(d.held, b)
			}
		}
	}
	orgs, err := v.w.Organisations()
	if d.err == nil {
		d.err = err
	}
	for _, o := range orgs {
		if !o.Revoked && o.Key != v.org.Key && o.Role != chain.OrgManufacturer {
			d.orgs = append(d.orgs, o)
		}
	}
	return d
}

func (v *supplyView) reload() {
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		d := v.load()
		if v.sess.ctx.Err() != nil {
			return
		}
		key := d.key()
		v.u.do(func() {
			if key == v.shown {
				return
			}
			v.shown = key
			v.show(d)
		})
	})
}

func (v *supplyView) show(d supplyData) {
	if d.err != nil {
		v.batches.Objects = []fyne.CanvasObject{wrapped("The ledger could not be read: " + sentence(d.err))}
		v.batches.Refresh()
		return
	}
	v.held, v.orgs = d.held, d.orgs
	var batchNames, orgNames []string
	var rows []fyne.CanvasObject
	for _, b := range d.held {
		batchNames = append(batchNames, batchWords(b))
		rows = append(rows, batchRow(b))
	}
	for _, o := range d.orgs {
		name := o.Name + " (" + strings.ToLower(orgRoleWords(o.Role))
		if o.GLN != "" {
			name += ", GLN " + o.GLN
		}
		orgNames = append(orgNames, name+")")
	}
	if len(rows) == 0 {
		rows = append(rows, wrapped("None yet."))
	}
	resetSelect(v.shipBatch, batchNames)
	resetSelect(v.shipTo, orgNames)
	if v.recallBatch != nil {
		resetSelect(v.recallBatch, batchNames)
	}
	v.batches.Objects = rows
	v.batches.Refresh()
	v.scroll.Refresh()
}

// resetSelect offers options, keeping the choice made when it is still
// offered.
func resetSelect(s *widget.Select, options []string) {
	chosen := s.Selected
	s.SetOptions(options)
	if slices.Contains(options, chosen) {
		s.SetSelected(chosen)
	} else {
		s.ClearSelected()
	}
}

// batchRow is a batch: its product, lot, count, expiry and standing.
func batchRow(b state.Batch) fyne.CanvasObject {
	icon := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	standing := "in circulation"
	switch {
	case b.Recalled:
		icon = widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon()))
		standing = "recalled on " + dayWords(time.Unix(int64(b.RecalledTime), 0))
	case b.Quarantined:
		icon = widget.NewIcon(theme.NewWarningThemedResource(theme.MediaPauseIcon()))
		standing = "in quarantine"
	}
	expiry := b.Expiry
	if t, err := gs1.ResolveExpiry(b.Expiry, time.Unix(int64(b.Time), 0)); err == nil {
		expiry = t.UTC().Format("2 Jan 2006")
	}
	title := widget.NewLabelWithStyle(batchWords(b), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	line := wrapped(fmt.Sprintf("%s, expires %s, commissioned %s (block %d): %s.", plural(int(b.Count), "pack", "packs"), expiry,
		dayWords(time.Unix(int64(b.Time), 0)), b.Block, standing))
	// The title and its line read as one item.
	body := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, line)
	return container.NewBorder(nil, nil, container.NewVBox(icon), nil, body)
}

// --- shipments to receive (a wholesaler's or a pharmacy's) ---

// shipmentsPart lists the shipments waiting for this organisation's
// receipt, each with Receive.
type shipmentsPart struct {
	u        *UI
	sess     *session
	box      *fyne.Container
	scroll   *container.Scroll
	received func() // after a receipt, for the screen to read again

	mu    sync.Mutex
	shown string
}

func newShipmentsPart(u *UI, sess *session) *shipmentsPart {
	return &shipmentsPart{u: u, sess: sess, box: container.NewVBox(widget.NewLabel("Reading the ledger…"))}
}

func (p *shipmentsPart) reload() {
	p.u.background(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		list, err := p.sess.w.IncomingShipments(true)
		if p.sess.ctx.Err() != nil {
			return
		}
		names := map[chain.PublicKey]string{}
		st := p.sess.w.Ledger().State()
		var key strings.Builder
		fmt.Fprint(&key, err, "|")
		for _, s := range list {
			if o, err := st.Organisation(s.From); err == nil {
				names[s.From] = o.Name
			}
			fmt.Fprint(&key, s.ID, ";")
		}
		p.u.do(func() {
			if key.String() == p.shown {
				return
			}
			p.shown = key.String()
			p.show(list, names, err)
		})
	})
}

func (p *shipmentsPart) show(list []state.Shipment, names map[chain.PublicKey]string, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, wrapped("The ledger could not be read: "+sentence(err)))
	case len(list) == 0:
		rows = append(rows, wrapped("No shipment waits for your receipt."))
	}
	for _, s := range list {
		what := "The whole batch"
		if len(s.Serials) > 0 {
			what = capitalized(plural(len(s.Serials), "pack", "packs"))
		}
		from := names[s.From]
		if from == "" {
			from = shortHWID(identity.IDFromSigningKey(s.From[:]).String())
		}
		text := fmt.Sprintf("%s of GTIN %s, lot %s, from %s, sent %s (block %d).", what, s.GTIN, s.Lot, from, whenWords(time.Unix(int64(s.Time), 0)), s.Block)
		var receive *widget.Button
		receive = widget.NewButtonWithIcon("Receive", theme.DownloadIcon(), func() { p.receive(s, from, receive) })
		receive.Importance = widget.HighImportance
		rows = append(rows, container.NewBorder(nil, nil, nil, receive, wrapped(text)))
	}
	p.box.Objects = rows
	p.box.Refresh()
	if p.scroll != nil {
		p.scroll.Refresh()
	}
}

// receive records the receipt of s; its button stays disabled while it
// runs and after, so that a second tap does not receive it twice.
func (p *shipmentsPart) receive(s state.Shipment, from string, button *widget.Button) {
	if !p.u.current(p.sess) {
		return
	}
	button.Disable()
	p.u.runTask("Receiving", fmt.Sprintf("Recording the receipt of lot %s from %s on the ledger, and fetching the batch's serial list…", s.Lot, from),
		func(ctx context.Context, _ func(int64, int64)) error {
			return p.sess.w.Receive(ctx, s.ID)
		}, func(err error) {
			switch {
			case canceled(err):
				button.Enable()
			case err != nil:
				button.Enable()
				p.u.showError("Not received", err)
			default:
				p.reload()
				if p.received != nil {
					p.received()
				}
				dialog.ShowInformation("Received", fmt.Sprintf("Lot %s of GTIN %s from %s is in your custody.", s.Lot, s.GTIN, from), p.u.win)
			}
		})
}
