package app

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/vc"
)

// The Credentials screen: a clinician's own licences and training
// certificates with their standing on the ledger, and adding the file an
// authority gave them; for a clinic, checking a candidate's credentials
// (their key, or a credential file they show) and filing a staff member's
// document; for a licensing authority, issuing and revoking (authority.go);
// for a clinic signer, the authorities and the votes on them
// (authority.go). Every action is a wallet call the CLI makes too
// (healthwallet credential add, credentials, verify-clinician, credential
// check, staff add).

// maxCredentialFile bounds a credential document read from a file: a VC is
// a few kilobytes, so a bigger file is the wrong one.
const maxCredentialFile = 64 << 10

type credentialsView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	own      *fyne.Container // this wallet's credentials
	ownShown bool

	candidateKey *widget.Entry
	candidate    *fyne.Container // the verdict on a key or document checked

	auth *authorityView // nil unless an admitted authority
	vote *votingView    // nil unless a clinic signer

	scroll   *container.Scroll
	loadMu   sync.Mutex
	shown    string // what the lists show, to redraw only on change
	detached atomic.Bool
}

func (u *UI) credentialsScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	cv := sess.view()
	if !cv.Joined {
		return u.notOnNetwork("Credentials")
	}
	v := &credentialsView{u: u, sess: sess, w: sess.w}
	r := cv.Roles
	clinic := r.Signer || u.clinicTools()
	var parts []fyne.CanvasObject
	// A clinic's or an authority's own wallet holds no licence of its own,
	// as a rule; a clinician's, or anyone who holds one, does.
	if r.Clinician != nil || r.Licences != 0 || !(clinic || r.Authority != nil) {
		parts = append(parts, aboutCard("Your credentials",
			"Licences and training certificates a licensing authority issued to you. Anyone on the network checks them against the ledger, without asking anyone.",
			v.ownPart()))
	}
	if r.Authority != nil {
		v.auth = newAuthorityView(v)
		parts = append(parts, v.auth.parts()...)
	}
	if clinic {
		parts = append(parts, aboutCard("Check a candidate",
			"When hiring or promoting: what the ledger says of a clinician's licences and trainings. Nothing here touches patient data.",
			v.candidatePart(r.Signer)))
	}
	if r.Signer {
		v.vote = newVotingView(v)
		parts = append(parts, v.vote.part())
	}
	v.scroll = container.NewVScroll(container.NewVBox(parts...))
	sess.watch(func(chainView) {
		if !v.detached.Load() {
			v.reload()
		}
	})
	return v.scroll
}

// --- this wallet's own credentials ---

func (v *credentialsView) ownPart() fyne.CanvasObject {
	v.own = container.NewVBox(widget.NewLabel("Reading the ledger…"))
	add := v.u.newFileButton("Add a credential file…", theme.ContentAddIcon(), []string{".json"}, v.addCredential)
	add.Importance = widget.HighImportance
	return container.NewVBox(v.own,
		wrapped("Your licensing authority gives you a file for each credential it issues. Add it here: it is checked against the ledger and kept in your wallet, ready to show."),
		container.NewHBox(add))
}

// addCredential keeps a credential document read from a file: the file
// dialog calls it, and so do the tests.
func (v *credentialsView) addCredential(name string, r io.ReadCloser) {
	doc, err := readSmall(r, name, maxCredentialFile)
	if err != nil {
		v.u.showError("Credential not added", err)
		return
	}
	var held wallet.HeldCredential
	v.u.runTask("Adding the credential", "Checking "+name+" against the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
		held, err = v.w.AddCredential(ctx, doc)
		return err
	}, func(err error) {
		switch {
		case canceled(err):
			return
		case err != nil:
			v.u.showRefusal("Credential not added", credentialWords(err), err)
			return
		}
		v.reload()
		msg := credentialTitle(held.Verdict) + " is in your wallet. " + verdictSentence(held.Verdict)
		dialog.ShowInformation("Credential added", msg, v.u.win)
	})
}

// credentialWords says why a credential document was refused, in words
// a clinician or a clinic can act on.
func credentialWords(err error) string {
	switch {
	case errors.Is(err, wallet.ErrNotYours):
		return "This credential was issued to another key, not to this wallet: ask the authority for yours."
	case errors.Is(err, wallet.ErrCredentialNotAnchored):
		return "The authority has not recorded this credential on the ledger (yet): ask it to."
	case errors.Is(err, wallet.ErrCredentialDocument):
		return "This file is not a genuine credential: it is damaged, altered, or not a credential at all."
	case errors.Is(err, wallet.ErrNotAuthority):
		return "This wallet is not an admitted licensing authority for that kind of credential."
	case errors.Is(err, wallet.ErrNotSigner):
		return "Only a clinic that seals the chain can do this."
	}
	return sentence(err)
}

// showRefusal shows a refusal in words, with the technical detail one
// click away, as showError does for the errors sentence knows.
func (u *UI) showRefusal(title, words string, err error) {
	msg := wrapped(words)
	detail := widget.NewLabel(err.Error())
	detail.Wrapping = fyne.TextWrapBreak
	detail.TextStyle = fyne.TextStyle{Monospace: true}
	d := dialog.NewCustom(title, "Close", container.NewVBox(msg, widget.NewAccordion(widget.NewAccordionItem("Details", detail))), u.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

func (v *credentialsView) showOwn(held []wallet.HeldCredential, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, wrapped("Your credentials could not be read: "+sentence(err)))
	case len(held) == 0:
		rows = append(rows, wrapped("None in this wallet yet."))
	}
	for _, h := range held {
		rows = append(rows, credentialRow(h.Verdict, ""))
	}
	v.own.Objects = rows
	v.own.Refresh()
}

// --- a candidate's credentials (a clinic) ---

func (v *credentialsView) candidatePart(signer bool) fyne.CanvasObject {
	v.candidateKey = widget.NewEntry()
	v.candidateKey.SetPlaceHolder("the clinician's Health Wallet ID (" + identity.IDPrefix + "…)")
	v.candidateKey.OnSubmitted = func(string) { v.checkKey() }
	checkKey := widget.NewButtonWithIcon("Check", theme.SearchIcon(), v.checkKey)
	v.candidate = container.NewVBox()
	openDoc := v.u.newFileButton("Check a credential file…", theme.FileIcon(), []string{".json"}, func(name string, r io.ReadCloser) {
		v.checkDocument(name, r, signer)
	})
	return container.NewVBox(
		container.NewBorder(nil, nil, nil, checkKey, v.candidateKey),
		wrapped("Or check a credential file the candidate gives you: its signature, and its standing on the ledger. A clinic can file it with its staff records, so that Staffing shows its details."),
		container.NewHBox(openDoc),
		v.candidate)
}

// checkKey shows what the ledger says of the key typed.
func (v *credentialsView) checkKey() {
	key, err := wallet.ParseClinicianKey(v.candidateKey.Text)
	if err != nil {
		v.candidate.Objects = []fyne.CanvasObject{wrapped("That is neither a Health Wallet ID nor a key: check it and try again.")}
		v.candidate.Refresh()
		v.scroll.Refresh()
		return
	}
	v.u.background(func() {
		verdict, err := v.w.VerifyClinician(key)
		v.u.do(func() {
			if err != nil {
				v.u.showError("Could not check", err)
				return
			}
			v.candidate.Objects = []fyne.CanvasObject{clinicianVerdictPart(verdict)}
			v.candidate.Refresh()
			v.scroll.Refresh()
		})
	})
}

// clinicianVerdictPart shows a key's verdict: a line that says it all, and
// every credential anchored for it.
func clinicianVerdictPart(verdict wallet.ClinicianVerdict) fyne.CanvasObject {
	rows := []fyne.CanvasObject{verdictLine(verdict, shortHWID(identity.IDFromSigningKey(verdict.Key[:]).String())+": ")}
	for _, c := range verdict.Credentials {
		rows = append(rows, credentialRow(c, ""))
	}
	if len(verdict.Credentials) == 0 {
		rows = append(rows, wrapped("No credential is anchored on the ledger for this key."))
	}
	return container.NewVBox(rows...)
}

// verdictLine says a clinician's verdict with a check or a warning sign.
func verdictLine(verdict wallet.ClinicianVerdict, prefix string) fyne.CanvasObject {
	icon := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	text := prefix + capitalized(verdict.Summary)
	if !verdict.Verified {
		icon = widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))
	}
	l := wrapped(text)
	l.TextStyle.Bold = true
	return container.NewBorder(nil, nil, icon, nil, l)
}

// checkDocument judges a credential file a candidate shows, without
// keeping it; a signer may then file it.
func (v *credentialsView) checkDocument(name string, r io.ReadCloser, signer bool) {
	doc, err := readSmall(r, name, maxCredentialFile)
	if err != nil {
		v.u.showError("Could not check the file", err)
		return
	}
	v.u.background(func() {
		held, err := v.w.CheckCredentialDocument(doc)
		v.u.do(func() {
			if err != nil {
				v.candidate.Objects = []fyne.CanvasObject{failLine(name + ": " + credentialWords(err))}
				v.candidate.Refresh()
				v.scroll.Refresh()
				return
			}
			subject := "issued to " + subjectWords(held)
			rows := []fyne.CanvasObject{credentialRow(held.Verdict, subject)}
			if signer {
				file := widget.NewButtonWithIcon("File with staff records", theme.DocumentSaveIcon(), func() { v.fileStaff(held) })
				if held.Verdict.Status == 0 {
					file.Disable() // not on the ledger: the wallet refuses it
				}
				rows = append(rows, container.NewHBox(file))
			}
			v.candidate.Objects = rows
			v.candidate.Refresh()
			v.scroll.Refresh()
		})
	})
}

// subjectWords names a credential's holder by Health Wallet ID.
func subjectWords(h wallet.HeldCredential) string {
	key, err := vc.PublicKeyFromDIDKey(h.VC.Subject)
	if err != nil {
		return "a key that is not a Health Wallet's"
	}
	return shortHWID(identity.IDFromSigningKey(key).String())
}

func (v *credentialsView) fileStaff(h wallet.HeldCredential) {
	var filed wallet.HeldCredential
	v.u.runTask("Filing the credential", "Filing "+strings.ToLower(credentialTitle(h.Verdict))+" with this clinic's staff records…",
		func(ctx context.Context, _ func(int64, int64)) error {
			var err error
			filed, err = v.w.AddStaffCredential(ctx, h.Doc)
			return err
		}, func(err error) {
			switch {
			case canceled(err):
			case err != nil:
				v.u.showRefusal("Not filed", credentialWords(err), err)
			default:
				dialog.ShowInformation("Filed", credentialTitle(filed.Verdict)+" of "+subjectWords(filed)+
					" is filed with this clinic's staff records: Staffing shows its details.", v.u.win)
			}
		})
}

// --- reading the ledger ---

// reload reads the lists in the background and redraws those that
// changed.
func (v *credentialsView) reload() {
	v.u.background(func() {
		v.loadMu.Lock()
		defer v.loadMu.Unlock()
		var own, issued []wallet.HeldCredential
		var ownErr, issuedErr error
		if v.own != nil {
			own, ownErr = v.w.Credentials()
		}
		if v.auth != nil {
			issued, issuedErr = v.w.IssuedCredentials()
		}
		var votes votingData
		if v.vote != nil {
			votes = v.vote.load()
		}
		if v.sess.ctx.Err() != nil {
			return
		}
		// An expiry moves with the clock, not with blocks.
		key := time.Now().Truncate(time.Hour).String() + fmt.Sprint(ownErr, issuedErr) +
			heldKey(own) + "|" + heldKey(issued) + "|" + votes.key()
		v.u.do(func() {
			if !v.u.attached("Credentials", v.scroll) {
				v.detached.Store(true)
				return
			}
			if key == v.shown {
				return
			}
			v.shown = key
			if v.own != nil {
				v.showOwn(own, ownErr)
			}
			if v.auth != nil {
				v.auth.showIssued(issued, issuedErr)
			}
			if v.vote != nil {
				v.vote.show(votes)
			}
			v.scroll.Refresh()
		})
	})
}

// heldKey sums up what a list of credentials shows.
func heldKey(held []wallet.HeldCredential) string {
	var b strings.Builder
	for _, h := range held {
		fmt.Fprint(&b, h.Hash, h.Verdict.Status, h.Verdict.Valid, h.Verdict.Reasons, ";")
	}
	return b.String()
}

// --- words and rows shared by the credential screens ---

// aboutCard is a card whose explanation wraps: a card's subtitle does not,
// and a long one would widen the window past 1024 pixels.
func aboutCard(title, about string, body fyne.CanvasObject) *widget.Card {
	return widget.NewCard(title, "", container.NewVBox(wrapped(about), body))
}

// kindWords names a kind of credential.
func kindWords(k chain.CredentialKind) string {
	switch k {
	case chain.KindPhysician:
		return "Physician"
	case chain.KindNurse:
		return "Nurse"
	case chain.KindPharmacist:
		return "Pharmacist"
	case chain.KindPrescriber:
		return "Prescriber"
	case chain.KindTraining:
		return "Training certificate"
	}
	return "Credential"
}

// credentialTitle names a credential: "Physician licence", "MRI safety
// training".
func credentialTitle(c wallet.CredentialVerdict) string {
	if c.Kind == chain.KindTraining {
		name := c.Name
		if c.Doc != nil && c.Doc.Kind != "" {
			name = c.Doc.Kind
		}
		if name == "" || name == "training" {
			return "Training certificate"
		}
		return capitalized(name) + " training"
	}
	return kindWords(c.Kind) + " licence"
}

// statusWords says a credential's standing now.
func verdictSentence(c wallet.CredentialVerdict) string {
	if c.Valid {
		return fmt.Sprintf("Valid until %s (%s).", dayWords(c.ValidUntil), untilWords(c.ValidUntil, time.Now()))
	}
	if len(c.Reasons) == 0 {
		return "Not valid."
	}
	return "Not valid: " + strings.Join(c.Reasons, "; ") + "."
}

// credentialDetails lists what a credential says: its issuer, number,
// jurisdiction, specialty and dates.
func credentialDetails(c wallet.CredentialVerdict) string {
	var parts []string
	if c.IssuerName != "" {
		parts = append(parts, "Issued by "+c.IssuerName)
	} else if !c.Issuer.IsZero() {
		parts = append(parts, "Issued by "+shortHWID(identity.IDFromSigningKey(c.Issuer[:]).String()))
	}
	if d := c.Doc; d != nil {
		if d.LicenceNumber != "" {
			parts = append(parts, "number "+d.LicenceNumber)
		}
		if d.Jurisdiction != "" {
			parts = append(parts, d.Jurisdiction)
		}
		if d.Specialty != "" {
			parts = append(parts, d.Specialty)
		}
	}
	if !c.ValidFrom.IsZero() {
		parts = append(parts, fmt.Sprintf("from %s to %s", dayWords(c.ValidFrom), dayWords(c.ValidUntil)))
	}
	return strings.Join(parts, " · ")
}

// credentialIcon shows a credential's standing at a glance: a check when
// valid, a pause sign when suspended, a cross otherwise.
func credentialIcon(c wallet.CredentialVerdict) *widget.Icon {
	switch {
	case c.Valid:
		return widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	case c.Status == chain.StatusSuspended:
		return widget.NewIcon(theme.NewWarningThemedResource(theme.MediaPauseIcon()))
	}
	return widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon()))
}

// credentialRow is one credential: its icon, title, standing and details,
// with an optional line about whom it was issued to, and buttons.
func credentialRow(c wallet.CredentialVerdict, holder string, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(credentialTitle(c), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	lines := []string{verdictSentence(c)}
	if holder != "" {
		lines = append([]string{capitalized(holder)}, lines...)
	}
	if d := credentialDetails(c); d != "" {
		lines = append(lines, d)
	}
	body := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, wrapped(strings.Join(lines, "\n")))
	var right fyne.CanvasObject
	if len(buttons) > 0 {
		right = container.NewVBox(buttons...)
	}
	return container.NewBorder(nil, nil, container.NewVBox(credentialIcon(c)), right, body)
}

// failLine is a problem in one line, with a cross.
func failLine(text string) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewIcon(theme.NewErrorThemedResource(theme.CancelIcon())), nil, wrapped(text))
}

// --- files ---

// fileButton opens a file through the file dialog and hands it to use;
// tests call use as the dialog would.
type fileButton struct {
	widget.Button
	use func(name string, r io.ReadCloser)
}

// newFileButton makes a button that offers files with these extensions.
func (u *UI) newFileButton(label string, icon fyne.Resource, exts []string, use func(name string, r io.ReadCloser)) *fileButton {
	b := &fileButton{use: use}
	b.Text, b.Icon = label, icon
	b.OnTapped = func() {
		d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			use(rc.URI().Name(), rc)
		}, u.win)
		d.SetFilter(storage.NewExtensionFileFilter(exts))
		d.Show()
	}
	b.ExtendBaseWidget(b)
	return b
}

// readSmall reads a file of at most limit bytes and closes it.
func readSmall(r io.ReadCloser, name string, limit int64) ([]byte, error) {
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %s: it is not the right file", name, sizeWords(limit))
	}
	return b, nil
}

// current reports whether s is still the open session: a confirmation
// answered after the wallet locked (dialogs outlive it) must not act on
// the closed wallet.
func (u *UI) current(s *session) bool { return s != nil && u.session() == s }

// saveFile offers to save data under a suggested file name.
func (u *UI) saveFile(name string, data []byte) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		_, err = wc.Write(data)
		if cerr := wc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			u.showError("Not saved", err)
		}
	}, u.win)
	d.SetFileName(name)
	d.Show()
}

// parseDay reads a date as a person types it: "2027-12-31" or "31 Dec
// 2027"; the day is the local one.
func parseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2 Jan 2006", "2 January 2006"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write it as 2027-12-31 or 31 Dec 2027", s)
}

// dayEntry is a date field, filled with t.
func dayEntry(t time.Time) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(t.Format("2006-01-02"))
	e.SetPlaceHolder("YYYY-MM-DD")
	e.Validator = func(s string) error { _, err := parseDay(s); return err }
	return e
}
