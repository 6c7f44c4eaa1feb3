package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/qr"
)

// The clinician's workspace: find a patient by ID (pasted or read from a
// QR picture of their My ID screen), ask for access, see the patients who
// share records and read them, and add a record under a write grant. Every
// action is a wallet call the CLI makes too (healthwallet request, shared,
// add-record).

// maxAddedRecord bounds a FHIR file a clinician adds for a patient, so that
// a wrong file chosen by mistake is refused before it is read whole.
const maxAddedRecord = 8 << 20

type patientsView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	id       *patientIDEntry
	idStatus *widget.Label

	categories []*widget.Check
	purpose    *widget.Select
	days       *widget.Entry
	note       *widget.Entry
	ask        *widget.Button
	asked      *widget.Label

	patients *fyne.Container // one row per patient sharing records
	detail   *fyne.Container // the selected patient's records
	right    *container.Scroll

	loadMu sync.Mutex
	expiry *time.Timer // reads the chain again when the next grant ends

	root     fyne.CanvasObject
	detached atomic.Bool // the frame replaced this screen (roles changed): stop reading

	mu       sync.Mutex // guards the fields below, read by the loader
	selected *chain.PublicKey
	shown    string // the grants the detail was read for, to reread only on change
	access   []wallet.PatientAccess
}

// patientIDEntry is the patient's ID field; it also takes the ID from a
// QR picture.
type patientIDEntry struct {
	widget.Entry
	v *patientsView
}

func (u *UI) patientsScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	v := &patientsView{u: u, sess: sess, w: sess.w}

	v.id = &patientIDEntry{v: v}
	v.id.ExtendBaseWidget(v.id)
	v.id.SetPlaceHolder(identity.IDPrefix + "…")
	v.idStatus = wrapped("")
	v.id.OnChanged = func(string) { v.checkID() }
	readQR := widget.NewButtonWithIcon("Read a QR picture…", theme.FileImageIcon(), func() {
		d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			v.id.readQR(rc)
		}, u.win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg"}))
		d.Show()
	})
	find := widget.NewCard("Find a patient", "Their Health Wallet ID is on their wallet's My ID screen, as text and as a QR code.",
		container.NewVBox(container.NewBorder(nil, nil, nil, readQR, v.id), v.idStatus))

	var cats []string
	for c := chain.CategoryConditions; c <= chain.CategoryOther; c++ {
		cats = append(cats, c.String())
		check := widget.NewCheck(categoryWords(c), func(bool) { v.checkID() })
		v.categories = append(v.categories, check)
	}
	v.categories[0].SetChecked(true)
	catGrid := container.NewGridWithColumns(2)
	for _, c := range v.categories {
		catGrid.Add(c)
	}
	var purposes []string
	for p := chain.PurposeTREAT; p <= chain.PurposeRECORDMGT; p++ {
		purposes = append(purposes, capitalized(purposeWords(p)))
	}
	v.purpose = widget.NewSelect(purposes, nil)
	v.purpose.SetSelectedIndex(0)
	v.days = widget.NewEntry()
	v.days.SetText("30")
	v.days.OnChanged = func(string) { v.checkID() }
	v.note = widget.NewEntry()
	v.note.SetPlaceHolder("optional: a short note the patient reads with the request")
	v.ask = widget.NewButtonWithIcon("Ask for access", theme.MailSendIcon(), v.requestAccess)
	v.ask.Importance = widget.HighImportance
	v.asked = wrapped("")
	request := widget.NewCard("Ask for access", "",
		container.NewVBox(widget.NewLabel("Records to see"), catGrid,
			widget.NewForm(
				widget.NewFormItem("Purpose", v.purpose),
				widget.NewFormItem("For (days)", v.days),
				widget.NewFormItem("Note", v.note)),
			container.NewHBox(v.ask), v.asked))

	v.patients = container.NewVBox(widget.NewLabel("Reading the chain…"))
	v.detail = container.NewVBox(wrapped("Choose a patient to see the records they share with you."))
	shared := widget.NewCard("Shared with you", "", container.NewVBox(
		wrapped("Patients who granted you access, while their grants last."), v.patients, widget.NewSeparator(), v.detail))

	v.checkID()
	sess.watch(func(chainView) {
		if !v.detached.Load() {
			v.reload()
		}
	})
	left := container.NewVScroll(container.NewVBox(find, request))
	v.right = container.NewVScroll(shared)
	split := container.NewHSplit(left, v.right)
	split.Offset = 0.5
	v.root = split
	return split
}

// capitalized starts s with a capital letter.
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// patientID is the ID typed or read, if it is a valid one.
func (v *patientsView) patientID() (identity.ID, error) {
	return identity.ParseID(strings.TrimSpace(v.id.Text))
}

// checkID says, as the ID is typed, whether it is valid, and enables the
// request when it and the rest of the form are.
func (v *patientsView) checkID() {
	if v.ask == nil {
		return // still building the form
	}
	text := strings.TrimSpace(v.id.Text)
	id, err := v.patientID()
	switch {
	case text == "":
		v.idStatus.SetText("Paste the patient's ID (it starts with " + identity.IDPrefix + "), or read it from a QR picture.")
	case err != nil:
		v.idStatus.SetText(idProblem(err))
	case id.String() == v.w.ID().String():
		v.idStatus.SetText("That is your own ID.")
		err = errors.New("own ID")
	default:
		v.idStatus.SetText("A valid Health Wallet ID: " + shortHWID(id.String()) + ".")
	}
	_, daysErr := v.duration()
	if err != nil || daysErr != nil || len(v.chosenCategories()) == 0 {
		v.ask.Disable()
	} else {
		v.ask.Enable()
	}
}

// idProblem says what is wrong with a typed ID.
func idProblem(err error) string {
	switch {
	case errors.Is(err, identity.ErrIDChecksum):
		return "This ID has a typo: a character is wrong or two are swapped. Check it against the patient's My ID screen."
	case errors.Is(err, identity.ErrIDPrefix):
		return "A Health Wallet ID starts with " + identity.IDPrefix + "."
	case errors.Is(err, identity.ErrIDLength):
		return "This ID is too short or too long: copy all of it."
	case errors.Is(err, identity.ErrIDCharacter):
		return "This ID has a wrong character:" + strings.TrimPrefix(err.Error(), identity.ErrIDCharacter.Error()) + "."
	case errors.Is(err, identity.ErrIDVersion):
		return "This ID is mistyped, or comes from a newer version of Health Wallet."
	}
	return "This is not a Health Wallet ID."
}

func (v *patientsView) chosenCategories() []string {
	var out []string
	for i, c := range v.categories {
		if c.Checked {
			out = append(out, chain.Category(i+1).String())
		}
	}
	return out
}

func (v *patientsView) duration() (time.Duration, error) {
	d, err := strconv.ParseFloat(strings.TrimSpace(v.days.Text), 64)
	if err != nil || d <= 0 || d > 3650 {
		return 0, fmt.Errorf("days: give a number from 1 to 3650")
	}
	return time.Duration(d * 24 * float64(time.Hour)), nil
}

// readQR takes the patient's ID from a QR picture (a photo or screenshot
// of their My ID screen): the file dialog calls it, and so do the tests.
func (e *patientIDEntry) readQR(r io.ReadCloser) {
	v := e.v
	v.idStatus.SetText("Reading the QR code…")
	go func() {
		text, err := qr.Read(r)
		r.Close()
		var id identity.ID
		if err == nil {
			id, err = identity.ParseID(strings.TrimSpace(text))
		}
		v.u.do(func() {
			switch {
			case errors.Is(err, qr.ErrNoCode):
				v.idStatus.SetText("No QR code found in that picture. Try a sharper picture of the patient's My ID screen.")
			case errors.Is(err, identity.ErrInvalidID):
				v.idStatus.SetText("That QR code does not hold a Health Wallet ID.")
			case err != nil:
				v.idStatus.SetText("The picture could not be read: " + err.Error())
			default:
				e.SetText(id.String())
			}
		})
	}()
}

// requestAccess sends the access request and says it waits for the
// patient.
func (v *patientsView) requestAccess() {
	id, err := v.patientID()
	if err != nil {
		return
	}
	dur, err := v.duration()
	if err != nil {
		v.asked.SetText("Give the number of days, from 1 to 3650.")
		return
	}
	req := wallet.AccessRequest{Categories: v.chosenCategories(), Purpose: chain.Purpose(v.purpose.SelectedIndex() + 1),
		Duration: dur, Note: strings.TrimSpace(v.note.Text)}
	v.ask.Disable()
	v.asked.SetText("Sending the request…")
	v.u.background(func() {
		_, err := v.w.RequestAccess(v.sess.ctx, id, req)
		v.u.do(func() {
			v.checkID()
			if err != nil {
				v.asked.SetText("")
				if errors.Is(err, wallet.ErrNotClinician) {
					v.asked.SetText("Your registration as a clinician is not on the chain (any more): ask your clinic.")
					return
				}
				v.u.showError("Request not sent", err)
				return
			}
			v.asked.SetText(fmt.Sprintf("Asked %s for %s, for %s. Waiting for the patient to answer in their wallet: they appear under Shared with you once they agree.",
				shortHWID(id.String()), strings.ToLower(joinWords(req.Categories)), durationWords(dur)))
		})
	})
}

// joinWords lists categories in words: "Conditions, Allergies".
func joinWords(names []string) string {
	var parts []string
	for _, n := range names {
		c, err := chain.ParseCategory(n)
		if err != nil {
			continue
		}
		parts = append(parts, categoryWords(c))
	}
	return strings.Join(parts, ", ")
}

// reload reads the patients sharing with this clinician and redraws.
func (v *patientsView) reload() {
	if v.detached.Load() || v.sess.ctx.Err() != nil {
		return
	}
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		access, err := v.w.GrantsToMe(v.sess.ctx)
		if v.sess.ctx.Err() != nil {
			return
		}
		v.u.do(func() {
			if !v.u.attached("Patients", v.root) {
				v.detached.Store(true)
				if v.expiry != nil {
					v.expiry.Stop()
				}
				return
			}
			if err != nil {
				v.patients.Objects = []fyne.CanvasObject{wrapped(sentence(err))}
				v.relayout()
				return
			}
			v.showPatients(access)
		})
	})
}

func grantsKey(a wallet.PatientAccess) string {
	var b strings.Builder
	for _, g := range a.Grants {
		b.WriteString(g.ID.String())
	}
	return b.String()
}

func (v *patientsView) showPatients(access []wallet.PatientAccess) {
	now := time.Now()
	rows := []fyne.CanvasObject{}
	if len(access) == 0 {
		rows = append(rows, wrapped("No patient shares records with you now. Ask a patient for access: they answer in their own wallet."))
	}
	for _, a := range access {
		open := widget.NewButtonWithIcon("Records of "+shortHWID(a.ID.String()), theme.FolderOpenIcon(), func() { v.choose(a) })
		rows = append(rows, container.NewHBox(open), wrapped(accessWords(a, now)))
	}
	v.patients.Objects = rows
	v.relayout()
	v.reloadAtExpiry(access, now)

	v.mu.Lock()
	v.access = access
	sel := v.selected
	v.mu.Unlock()
	if sel == nil {
		return
	}
	i := slices.IndexFunc(access, func(a wallet.PatientAccess) bool { return a.Patient == *sel })
	if i < 0 {
		v.mu.Lock()
		v.shown = ""
		v.mu.Unlock()
		id := identity.IDFromSigningKey(sel[:])
		v.detail.Objects = []fyne.CanvasObject{wrapped(fmt.Sprintf(
			"%s no longer shares records with you: they revoked the access or it ended. What you read before stays with you; nothing more opens.",
			shortHWID(id.String())))}
		v.relayout()
		return
	}
	if grantsKey(access[i]) != v.shownKey() {
		v.choose(access[i])
	}
}

// reloadAtExpiry reads the chain again when the first grant shown ends:
// an expiry is no transaction, so no block announces it.
func (v *patientsView) reloadAtExpiry(access []wallet.PatientAccess, now time.Time) {
	if v.expiry != nil {
		v.expiry.Stop()
		v.expiry = nil
	}
	var next time.Time
	for _, a := range access {
		for _, g := range a.Grants {
			if g.Expiry >= 1<<63-1 {
				continue // never
			}
			if e := time.Unix(int64(g.Expiry), 0); next.IsZero() || e.Before(next) {
				next = e
			}
		}
	}
	if next.IsZero() {
		return
	}
	v.expiry = time.AfterFunc(max(next.Sub(now), 0)+time.Second, func() {
		if v.sess.ctx.Err() == nil {
			v.reload()
		}
	})
}

func (v *patientsView) shownKey() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.shown
}

// accessWords says what a patient shares and until when: "Conditions,
// Allergies · can read and add · until 3 Jan 2027, in 31 days".
func accessWords(a wallet.PatientAccess, now time.Time) string {
	var what []string
	for _, c := range a.Categories {
		what = append(what, categoryWords(c))
	}
	if n := len(a.RecordIDs); n > 0 {
		what = append(what, plural(n, "named record", "named records"))
	}
	can := "can read"
	switch {
	case a.Read && a.Write:
		can = "can read and add records"
	case a.Write:
		can = "can add records (not read)"
	}
	until := "with no end date"
	if !a.Expires.IsZero() {
		until = fmt.Sprintf("until %s, %s", dayWords(a.Expires), untilWords(a.Expires, now))
	}
	return fmt.Sprintf("%s · %s · %s", strings.Join(what, ", "), can, until)
}

// choose shows a patient's shared records, read in the background.
func (v *patientsView) choose(a wallet.PatientAccess) {
	v.mu.Lock()
	key := a.Patient
	v.selected = &key
	v.shown = grantsKey(a)
	v.mu.Unlock()
	title := widget.NewLabelWithStyle("Records shared by "+shortHWID(a.ID.String()), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.detail.Objects = []fyne.CanvasObject{title, widget.NewLabel("Fetching the list of shared records…")}
	v.relayout()
	v.u.background(func() {
		recs, err := v.w.Shared(v.sess.ctx, a.Patient)
		if v.sess.ctx.Err() != nil {
			return
		}
		v.u.do(func() {
			v.mu.Lock()
			current := v.selected != nil && *v.selected == a.Patient
			v.mu.Unlock()
			if !current {
				return
			}
			rows := []fyne.CanvasObject{title}
			if a.Write {
				add := widget.NewButtonWithIcon("Add a record for this patient…", theme.ContentAddIcon(), func() { v.addRecordDialog(a) })
				rows = append(rows, container.NewHBox(add))
			}
			switch {
			case err != nil:
				rows = append(rows, wrapped("The shared records could not be listed: "+sentence(err)))
			case len(recs) == 0 && a.Read:
				rows = append(rows, wrapped("The patient's grant covers no record yet: records they add in its categories appear here."))
			case len(recs) == 0:
				rows = append(rows, wrapped("This patient lets you add records, not read them."))
			}
			for _, r := range recs {
				rows = append(rows, v.recordRow(r))
			}
			v.detail.Objects = rows
			v.relayout()
		})
	})
}

func sharedTitle(r wallet.SharedRecord) string {
	if r.Title != "" {
		return r.Title
	}
	if r.ResourceType != "" {
		return r.ResourceType
	}
	return r.ID
}

func (v *patientsView) recordRow(r wallet.SharedRecord) fyne.CanvasObject {
	var info []string
	if c, err := chain.ParseCategory(r.Category); err == nil {
		info = append(info, categoryWords(c))
	}
	if !r.Date.IsZero() {
		info = append(info, dayWords(r.Date))
	}
	if r.Size > 0 {
		info = append(info, sizeWords(r.Size))
	}
	open := widget.NewButton("Open", func() { v.open(r) })
	label := wrapped(sharedTitle(r) + " · " + strings.Join(info, " · "))
	return container.NewBorder(nil, nil, nil, open, label)
}

// sizeWords says a size in bytes with a unit: "12.5 KB".
func sizeWords(n int64) string {
	switch {
	case n < 1000:
		return plural(int(n), "byte", "bytes")
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// open reads a shared record (refused once the access ended) and shows it.
func (v *patientsView) open(r wallet.SharedRecord) {
	v.u.background(func() {
		data, err := v.w.ReadShared(v.sess.ctx, r)
		v.u.do(func() {
			if err != nil {
				if errors.Is(err, wallet.ErrAccessEnded) {
					v.reload()
				}
				v.u.showError("Could not open the record", err)
				return
			}
			var body fyne.CanvasObject
			if r.ResourceType != "" && (r.ContentType == "" || strings.Contains(r.ContentType, "json")) {
				body = v.u.fhirView(r.ResourceType, data)
			} else {
				body = v.u.attachmentView(sharedTitle(r), r.ContentType, data)
			}
			d := dialog.NewCustom(sharedTitle(r), "Close", container.NewVScroll(body), v.u.win)
			d.Resize(fyne.NewSize(720, 520))
			d.Show()
		})
	})
}

// addRecordDialog lets the clinician choose a FHIR JSON file (a lab
// result as an Observation, a note as a DocumentReference) to add for the
// patient.
func (v *patientsView) addRecordDialog(a wallet.PatientAccess) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		v.addRecord(a.Patient, rc.URI().Name(), rc)
	}, v.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Show()
}

// addRecord adds the FHIR resource read from r for the patient under the
// write grant: the file dialog calls it, and so do the tests.
func (v *patientsView) addRecord(patient chain.PublicKey, name string, r io.ReadCloser) {
	data, err := io.ReadAll(io.LimitReader(r, maxAddedRecord+1))
	r.Close()
	if err == nil && len(data) > maxAddedRecord {
		err = fmt.Errorf("%s is larger than %s: add one FHIR resource at a time", name, sizeWords(maxAddedRecord))
	}
	if err != nil {
		v.u.showError("Record not added", err)
		return
	}
	id := identity.IDFromSigningKey(patient[:])
	var added wallet.Authored
	v.u.runTask("Adding the record", "Encrypting "+name+" to the patient and recording it on the chain…",
		func(ctx context.Context, _ func(done, total int64)) error {
			added, err = v.w.AddForPatient(ctx, patient, name, data)
			return err
		},
		func(err error) {
			switch {
			case canceled(err):
			case errors.Is(err, wallet.ErrNoWriteGrant):
				v.u.showError("Record not added", fmt.Errorf("the patient's grant does not let you add this kind of record: %w", err))
			case err != nil:
				v.u.showError("Record not added", err)
			default:
				dialog.ShowInformation("Record added", fmt.Sprintf(
					"Added the %s (%s) for %s. It is encrypted so that only the patient (and you) can read it, and signed by you on the chain. The patient sees it in their wallet under Sharing, From clinicians.",
					added.ResourceType, strings.ToLower(categoryWords(added.Category)), shortHWID(id.String())), v.u.win)
			}
		})
}

// relayout lays the shared-with-you column out again after its rows
// changed: a container's new rows change its height, which only its
// parents' layout accounts for.
func (v *patientsView) relayout() {
	v.patients.Refresh()
	v.detail.Refresh()
	v.right.Refresh()
}
