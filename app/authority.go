package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// Licensing authorities on the Credentials screen. An admitted authority's
// wallet issues credentials to clinicians' keys and suspends, reinstates or
// revokes them; a clinic that seals the chain votes to admit or remove
// authorities. Every action is a wallet call the CLI makes too
// (healthwallet credential issue, credential suspend|reinstate|revoke,
// authority vote, authorities).

// trainingChoice is the kind menu's entry for a training certificate.
const trainingChoice = "Training certificate"

// authorityView is an admitted authority's part of the screen.
type authorityView struct {
	v  *credentialsView
	me state.Authority

	subject      *widget.Entry
	subjectInfo  *widget.Label
	kind         *widget.Select
	training     *widget.Entry
	number       *widget.Entry
	jurisdiction *widget.Entry
	specialty    *widget.Entry
	from, until  *widget.Entry
	problem      *widget.Label

	issued *fyne.Container
}

func newAuthorityView(v *credentialsView) *authorityView {
	return &authorityView{v: v, me: *v.sess.view().Roles.Authority}
}

func (a *authorityView) parts() []fyne.CanvasObject {
	var licences []string
	for _, k := range a.me.Kinds.Kinds() {
		licences = append(licences, strings.ToLower(kindWords(k)))
	}
	intro := fmt.Sprintf("This wallet is %s, a licensing authority the clinics admitted to issue: %s.", a.me.Name, strings.Join(licences, ", "))
	a.issued = container.NewVBox(widget.NewLabel("Reading the ledger…"))
	return []fyne.CanvasObject{
		widget.NewCard("Issue a credential", "", container.NewVBox(wrapped(intro), a.form())),
		aboutCard("Credentials you issued", "Newest first. A suspension can be lifted; a revocation is final. Every node knows at once.", a.issued),
	}
}

func (a *authorityView) form() fyne.CanvasObject {
	a.subject = widget.NewEntry()
	a.subject.SetPlaceHolder("the clinician's Health Wallet ID (" + identity.IDPrefix + "…)")
	a.subjectInfo = wrapped("")
	a.subject.OnChanged = func(string) { a.describeSubject() }
	var kinds []string
	for _, k := range a.me.Kinds.Kinds() {
		if k == chain.KindTraining {
			kinds = append(kinds, trainingChoice)
		} else {
			kinds = append(kinds, kindWords(k)+" licence")
		}
	}
	a.training = widget.NewEntry()
	a.training.SetPlaceHolder("the training's name, such as MRI safety")
	a.kind = widget.NewSelect(kinds, func(s string) {
		if s == trainingChoice {
			a.training.Enable()
			a.number.SetPlaceHolder("optional for a training certificate")
		} else {
			a.training.Disable()
			a.number.SetPlaceHolder("required for a licence")
		}
	})
	a.number = widget.NewEntry()
	a.kind.SetSelectedIndex(0)
	a.jurisdiction = widget.NewEntry()
	a.jurisdiction.SetPlaceHolder("where it applies, such as NL or US-CA")
	a.specialty = widget.NewEntry()
	a.specialty.SetPlaceHolder("optional, such as cardiology")
	now := time.Now()
	a.from, a.until = dayEntry(now), dayEntry(now.AddDate(1, 0, 0))
	a.problem = wrapped("")
	issue := widget.NewButtonWithIcon("Issue", theme.ConfirmIcon(), a.issue)
	issue.Importance = widget.HighImportance
	return container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("Clinician", container.NewVBox(a.subject, a.subjectInfo)),
			widget.NewFormItem("Credential", a.kind),
			widget.NewFormItem("Training", a.training),
			widget.NewFormItem("Licence number", a.number),
			widget.NewFormItem("Jurisdiction", a.jurisdiction),
			widget.NewFormItem("Specialty", a.specialty),
			widget.NewFormItem("Valid from", a.from),
			widget.NewFormItem("Valid until", a.until),
		),
		container.NewHBox(issue), a.problem)
}

// describeSubject says who the key typed is on the chain, as it is typed.
func (a *authorityView) describeSubject() {
	text := strings.TrimSpace(a.subject.Text)
	if text == "" {
		a.subjectInfo.SetText("")
		return
	}
	key, err := wallet.ParseClinicianKey(text)
	if err != nil {
		a.subjectInfo.SetText("Not a Health Wallet ID yet.")
		return
	}
	p, err := a.v.w.Party(key)
	if err != nil {
		a.subjectInfo.SetText(sentence(err))
		return
	}
	a.subjectInfo.SetText(partyWords(p) + ".")
}

// request reads the form.
func (a *authorityView) request() (wallet.CredentialRequest, error) {
	var r wallet.CredentialRequest
	key, err := wallet.ParseClinicianKey(a.subject.Text)
	if err != nil {
		return r, errors.New("Give the clinician's Health Wallet ID: it is on their wallet's My ID screen.")
	}
	r.Subject = key
	if a.kind.Selected == trainingChoice {
		r.Kind = strings.TrimSpace(a.training.Text)
		if r.Kind == "" {
			return r, errors.New("Name the training, such as MRI safety.")
		}
		if k, err := chain.ParseCredentialKind(strings.ToLower(r.Kind)); err == nil && k != chain.KindTraining {
			return r, fmt.Errorf("%q is a licence, not a training: choose it under Credential.", r.Kind)
		}
	} else {
		for _, k := range a.me.Kinds.Kinds() {
			if kindWords(k)+" licence" == a.kind.Selected {
				r.Kind = k.String()
			}
		}
		if strings.TrimSpace(a.number.Text) == "" {
			return r, errors.New("A licence needs its number.")
		}
	}
	r.LicenceNumber = strings.TrimSpace(a.number.Text)
	r.Jurisdiction = strings.TrimSpace(a.jurisdiction.Text)
	r.Specialty = strings.TrimSpace(a.specialty.Text)
	if r.ValidFrom, err = parseDay(a.from.Text); err != nil {
		return r, fmt.Errorf("Valid from: %w", err)
	}
	until, err := parseDay(a.until.Text)
	if err != nil {
		return r, fmt.Errorf("Valid until: %w", err)
	}
	// Valid through the last day named.
	r.ValidUntil = until.AddDate(0, 0, 1).Add(-time.Second)
	if !r.ValidUntil.After(r.ValidFrom) {
		return r, errors.New("The credential must end after it starts.")
	}
	if !r.ValidUntil.After(time.Now()) {
		return r, errors.New("That credential would have ended already: choose a later Valid until.")
	}
	return r, nil
}

func (a *authorityView) issue() {
	r, err := a.request()
	if err != nil {
		a.problem.SetText(err.Error())
		return
	}
	a.problem.SetText("")
	w := a.v.w
	var held wallet.HeldCredential
	a.v.u.runTask("Issuing the credential", "Signing the credential and recording it on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
		held, err = w.IssueCredential(ctx, r)
		return err
	}, func(err error) {
		a.v.reload()
		switch {
		case canceled(err):
			return
		case err != nil:
			a.v.u.showRefusal("Not issued", credentialWords(err), err)
			return
		}
		a.subject.SetText("")
		a.number.SetText("")
		a.training.SetText("")
		a.specialty.SetText("")
		a.issuedDialog(held)
	})
}

// credentialFileName is the name offered when saving an issued credential.
func credentialFileName(h wallet.HeldCredential) string {
	name := strings.ToLower(strings.ReplaceAll(credentialTitle(h.Verdict), " ", "-"))
	id := subjectWords(h)
	if i := strings.Index(id, "…"); i > 0 {
		id = id[:i]
	}
	return name + "-" + id + ".json"
}

func (a *authorityView) issuedDialog(h wallet.HeldCredential) {
	msg := fmt.Sprintf("%s for %s is signed and recorded on the ledger. Save the file and give it to the clinician: they add it under Credentials in their wallet.",
		credentialTitle(h.Verdict), subjectWords(h))
	save := widget.NewButtonWithIcon("Save the file…", theme.DocumentSaveIcon(), func() { a.v.u.saveFile(credentialFileName(h), h.Doc) })
	save.Importance = widget.HighImportance
	d := dialog.NewCustom("Credential issued", "Close", container.NewVBox(wrapped(msg), container.NewHBox(save)), a.v.u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

func (a *authorityView) showIssued(held []wallet.HeldCredential, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, wrapped("The credentials could not be read: "+sentence(err)))
	case len(held) == 0:
		rows = append(rows, wrapped("None yet."))
	}
	for _, h := range held {
		var buttons []fyne.CanvasObject
		switch h.Verdict.Status {
		case chain.StatusActive:
			buttons = append(buttons, widget.NewButton("Suspend…", func() { a.setStatus(h, chain.StatusSuspended) }))
		case chain.StatusSuspended:
			buttons = append(buttons, widget.NewButton("Reinstate…", func() { a.setStatus(h, chain.StatusActive) }))
		}
		if h.Verdict.Status == chain.StatusActive || h.Verdict.Status == chain.StatusSuspended {
			revoke := widget.NewButton("Revoke…", func() { a.setStatus(h, chain.StatusRevoked) })
			revoke.Importance = widget.DangerImportance
			buttons = append(buttons, revoke)
		}
		buttons = append(buttons, widget.NewButtonWithIcon("File", theme.DocumentSaveIcon(), func() { a.v.u.saveFile(credentialFileName(h), h.Doc) }))
		rows = append(rows, credentialRow(h.Verdict, "issued to "+subjectWords(h), buttons...))
	}
	a.issued.Objects = rows
	a.issued.Refresh()
}

// setStatus suspends, reinstates or revokes an issued credential, after
// asking.
func (a *authorityView) setStatus(h wallet.HeldCredential, s chain.CredentialStatus) {
	title := credentialTitle(h.Verdict) + " of " + subjectWords(h)
	var verb, msg string
	switch s {
	case chain.StatusSuspended:
		verb, msg = "Suspend", "Suspend the %s? From the next block no one accepts it, until you reinstate it."
	case chain.StatusActive:
		verb, msg = "Reinstate", "Reinstate the %s? It is valid again from the next block."
	default:
		verb, msg = "Revoke", "Revoke the %s? This is final: it can never be valid again. To license the clinician later, issue a new credential."
	}
	d := dialog.NewCustomConfirm(verb+" a credential", verb, "Cancel", wrapped(fmt.Sprintf(msg, strings.ToLower(title[:1])+title[1:])), func(ok bool) {
		if !ok || !a.v.u.current(a.v.sess) {
			return
		}
		w := a.v.w
		a.v.u.runTask(verb, "Recording it on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
			return w.SetCredentialStatus(ctx, h.Hash, s)
		}, func(err error) {
			a.v.reload()
			if err != nil && !canceled(err) {
				a.v.u.showRefusal(verb+" failed", credentialWords(err), err)
			}
		})
	}, a.v.u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// --- the clinics' votes on authorities ---

// votingView is a clinic signer's part of the screen: the authorities and
// the votes on them.
type votingView struct {
	v *credentialsView

	list  *fyne.Container
	votes *fyne.Container

	key   *widget.Entry
	name  *widget.Entry
	kinds *widget.CheckGroup
}

// votingData is one reading of the ledger for the votes part.
type votingData struct {
	authorities []state.Authority
	votes       []state.AuthorityVoteRecord
	signers     []chain.PublicKey
	err         error
}

func (d votingData) key() string {
	return fmt.Sprint(d.authorities, d.votes, d.signers, d.err)
}

func newVotingView(v *credentialsView) *votingView { return &votingView{v: v} }

func (vv *votingView) part() fyne.CanvasObject {
	vv.list = container.NewVBox(widget.NewLabel("Reading the ledger…"))
	vv.votes = container.NewVBox()
	vv.key = widget.NewEntry()
	vv.key.SetPlaceHolder("the authority's Health Wallet ID (" + identity.IDPrefix + "…)")
	vv.name = widget.NewEntry()
	vv.name.SetPlaceHolder("its name, as clinicians and patients will see it")
	var kinds []string
	for k := chain.KindPhysician; k <= chain.KindTraining; k++ {
		kinds = append(kinds, kindWords(k))
	}
	vv.kinds = widget.NewCheckGroup(kinds, nil)
	vv.kinds.Horizontal = true
	admit := widget.NewButtonWithIcon("Vote to admit", theme.ContentAddIcon(), vv.admit)
	admit.Importance = widget.HighImportance
	return aboutCard("Licensing authorities",
		"The clinics that seal the chain admit the authorities whose credentials count, and remove them, by majority vote.",
		container.NewVBox(
			vv.list,
			widget.NewLabelWithStyle("Votes in progress", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			vv.votes,
			widget.NewSeparator(),
			widget.NewLabelWithStyle("Admit an authority, or change what it may issue", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			widget.NewForm(
				widget.NewFormItem("Authority", vv.key),
				widget.NewFormItem("Name", vv.name),
				widget.NewFormItem("May issue", vv.kinds),
			),
			container.NewHBox(admit)))
}

// load reads the authorities and votes; it runs off the UI goroutine.
func (vv *votingView) load() votingData {
	var d votingData
	if d.authorities, d.err = vv.v.w.Authorities(); d.err != nil {
		return d
	}
	if d.votes, d.err = vv.v.w.AuthorityVotes(); d.err != nil {
		return d
	}
	d.signers = vv.v.w.Ledger().Signers()
	return d
}

// authorityWords names an authority: "Demo Medical Board (hw1qxy…k2f9)".
func authorityWords(name string, k chain.PublicKey) string {
	id := shortHWID(identity.IDFromSigningKey(k[:]).String())
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

// kindsWords lists kinds in words: "physician, nurse and training
// certificates".
func kindsWords(ks chain.CredentialKinds) string {
	var parts []string
	for _, k := range ks.Kinds() {
		if k == chain.KindTraining {
			parts = append(parts, "training certificates")
		} else {
			parts = append(parts, strings.ToLower(kindWords(k))+" licences")
		}
	}
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func (vv *votingView) show(d votingData) {
	if d.err != nil {
		vv.list.Objects = []fyne.CanvasObject{wrapped("The authorities could not be read: " + sentence(d.err))}
		vv.list.Refresh()
		return
	}
	var rows []fyne.CanvasObject
	if len(d.authorities) == 0 {
		rows = append(rows, wrapped("No authority is admitted yet: no credential counts on this network until the clinics admit one."))
	}
	for _, a := range d.authorities {
		when := dayWords(time.Unix(int64(a.Time), 0))
		if !a.Admitted {
			rows = append(rows, wrapped(fmt.Sprintf("%s · removed on %s: the credentials it issued no longer count.", authorityWords(a.Name, a.Key), when)))
			continue
		}
		remove := widget.NewButtonWithIcon("Vote to remove…", theme.ContentRemoveIcon(), func() { vv.remove(a) })
		rows = append(rows, container.NewBorder(nil, nil, nil, remove,
			wrapped(fmt.Sprintf("%s · may issue %s · admitted on %s", authorityWords(a.Name, a.Key), kindsWords(a.Kinds), when))))
	}
	vv.list.Objects = rows
	vv.list.Refresh()
	vv.showVotes(d)
}

// showVotes lists the open proposals: the votes for the same change on
// the same authority count together.
func (vv *votingView) showVotes(d votingData) {
	type proposal struct {
		authority chain.PublicKey
		admit     bool
		name      string
		kinds     chain.CredentialKinds
	}
	var order []proposal
	voters := map[proposal][]chain.PublicKey{}
	for _, r := range d.votes {
		p := proposal{r.Authority, r.Admit, r.Name, r.Kinds}
		if _, ok := voters[p]; !ok {
			order = append(order, p)
		}
		voters[p] = append(voters[p], r.Voter)
	}
	needed := len(d.signers)/2 + 1
	me := vv.v.w.ChainKey()
	var rows []fyne.CanvasObject
	for _, p := range order {
		var names []string
		for _, k := range voters[p] {
			names = append(names, vv.clinicWords(k, me))
		}
		what := fmt.Sprintf("Remove %s", vv.authorityName(p.authority, d))
		if p.admit {
			what = fmt.Sprintf("Admit %s to issue %s", authorityWords(p.name, p.authority), kindsWords(p.kinds))
		}
		rows = append(rows, wrapped(fmt.Sprintf("%s: %d of the %d votes needed (%s).", what, len(voters[p]), needed, strings.Join(names, "; "))))
	}
	if len(rows) == 0 {
		rows = append(rows, wrapped("None."))
	}
	vv.votes.Objects = rows
	vv.votes.Refresh()
}

func (vv *votingView) authorityName(k chain.PublicKey, d votingData) string {
	i := slices.IndexFunc(d.authorities, func(a state.Authority) bool { return a.Key == k })
	if i < 0 {
		return authorityWords("", k)
	}
	return authorityWords(d.authorities[i].Name, k)
}

func (vv *votingView) clinicWords(k, me chain.PublicKey) string {
	s := shortHWID(identity.IDFromSigningKey(k[:]).String())
	if name := vv.v.w.ClinicName(k); name != "" {
		s = name
	}
	if k == me {
		s += " (this clinic)"
	}
	return s
}

func (vv *votingView) admit() {
	key, err := wallet.ParseClinicianKey(vv.key.Text)
	if err != nil {
		dialog.ShowInformation("Vote to admit", "Give the authority's Health Wallet ID: it is on its wallet's My ID screen.", vv.v.u.win)
		return
	}
	name := strings.TrimSpace(vv.name.Text)
	if name == "" {
		dialog.ShowInformation("Vote to admit", "Give the authority's name, such as Demo Medical Board: clinicians and patients see it beside every credential it issues.", vv.v.u.win)
		return
	}
	var kinds chain.CredentialKinds
	for _, s := range vv.kinds.Selected {
		for k := chain.KindPhysician; k <= chain.KindTraining; k++ {
			if kindWords(k) == s {
				kinds |= chain.KindsOf(k)
			}
		}
	}
	if kinds == 0 {
		dialog.ShowInformation("Vote to admit", "Tick what the authority may issue.", vv.v.u.win)
		return
	}
	vv.vote(key, true, name, kinds, func() {
		vv.key.SetText("")
		vv.name.SetText("")
		vv.kinds.SetSelected(nil)
	})
}

func (vv *votingView) remove(a state.Authority) {
	msg := fmt.Sprintf("Vote to remove %s? Once more than half of the clinics agree, the credentials it issued no longer count, and it can issue no more.", authorityWords(a.Name, a.Key))
	d := dialog.NewCustomConfirm("Vote to remove", "Vote", "Cancel", wrapped(msg), func(ok bool) {
		if ok && vv.v.u.current(vv.v.sess) {
			vv.vote(a.Key, false, "", 0, nil)
		}
	}, vv.v.u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

func (vv *votingView) vote(key chain.PublicKey, admit bool, name string, kinds chain.CredentialKinds, ok func()) {
	w := vv.v.w
	vv.v.u.runTask("Voting", "Recording this clinic's vote on the ledger…", func(ctx context.Context, _ func(int64, int64)) error {
		return w.VoteAuthority(ctx, key, admit, name, kinds)
	}, func(err error) {
		vv.v.reload()
		switch {
		case canceled(err):
		case err != nil:
			vv.v.u.showRefusal("Vote not recorded", credentialWords(err), err)
		case ok != nil:
			ok()
		}
	})
}
