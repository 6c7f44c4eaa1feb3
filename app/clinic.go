package app

import (
	"context"
	"encoding/base64"
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
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// The clinic's screen: its node's dashboard, registering and revoking its
// clinicians, votes on the signer set, and founding a consortium or
// inviting others to the one it is on. Every action is a wallet call the
// CLI can make too (healthwallet status, clinician register, chain init,
// chain invite).

// maxCardFile bounds an identity card file, which is a short line.
const maxCardFile = 16 << 10

// listEvery is how often the lists that read many blocks (registrations,
// votes) are read again while blocks keep coming.
const listEvery = 5 * time.Second

type clinicView struct {
	u    *UI
	sess *session
	w    *wallet.Wallet

	// dashboard
	chainID, height, syncing, peers, signers, signer, pending, storage *widget.Label

	// clinicians
	card          *widget.Entry
	role          *widget.Select
	register      *widget.Button
	registrations *fyne.Container
	signerOnly    []fyne.Disableable

	// votes
	voteID     *widget.Entry
	votes      *fyne.Container
	myProposal *fyne.Container

	statusSeq atomic.Int64
	root      fyne.CanvasObject
	detached  atomic.Bool // the frame replaced this screen (roles changed): stop reading

	scroll *container.Scroll

	listMu   sync.Mutex
	listedAt time.Time
	listHead uint64

	mu       sync.Mutex
	proposed map[chain.PublicKey]bool // this node's votes, as proposed here
}

func (u *UI) clinicScreen() fyne.CanvasObject {
	sess := u.session()
	if sess == nil {
		return container.NewStack()
	}
	v := &clinicView{u: u, sess: sess, w: sess.w, proposed: map[chain.PublicKey]bool{}}
	if !sess.view().Joined {
		return container.NewVScroll(container.NewVBox(
			widget.NewCard("This wallet is not on a network", "",
				wrapped("A clinic's node runs on a consortium's network. Join one with the invite a member clinic gave you (see Network in Settings), or found a new consortium here as its first clinic.")),
			widget.NewCard("Found a new consortium", "", v.foundForm()),
		))
	}
	parts := container.NewVBox(
		widget.NewCard("This node", "", v.dashboard()),
		widget.NewCard("Clinicians", "A clinic registers its clinicians with the identity card from their wallet's My ID screen. Patients can then share records with them.", v.clinicians()),
		widget.NewCard("Signer votes", "The clinics that seal the chain (signers) add or remove a clinic by majority vote.", v.voting()),
		widget.NewCard("Invite someone", "", v.invitePart()),
	)
	sess.watch(func(cv chainView) {
		if !v.detached.Load() {
			v.refreshStatus(cv)
			v.reloadLists(false)
		}
	})
	// Pinning, storage and the pool change between blocks too.
	sess.wg.Go(func() {
		t := time.NewTicker(dashboardEvery)
		defer t.Stop()
		for {
			select {
			case <-sess.ctx.Done():
				return
			case <-t.C:
				if v.detached.Load() {
					return
				}
				v.refreshStatus(sess.view())
				v.reloadLists(false) // a change skipped as too soon after the last look
			}
		}
	})
	v.scroll = container.NewVScroll(parts)
	v.root = v.scroll
	return v.scroll
}

// --- dashboard ---

// dashboardEvery is how often the dashboard reads the node's counters
// again between blocks.
const dashboardEvery = 2 * time.Second

// refreshStatus reads the store's size in the background and shows cv
// with it, unless a newer reading overtook it.
func (v *clinicView) refreshStatus(cv chainView) {
	n := v.statusSeq.Add(1)
	// Callers run in the session's goroutines, so its close waits for this.
	v.sess.wg.Go(func() {
		store, serr := v.w.Status(v.sess.ctx)
		if v.sess.ctx.Err() != nil {
			return
		}
		v.u.do(func() {
			if !v.u.attached("Clinic", v.root) {
				v.detached.Store(true)
				return
			}
			if v.statusSeq.Load() == n {
				v.showStatus(cv, store, serr)
			}
		})
	})
}

func (v *clinicView) dashboard() fyne.CanvasObject {
	l := func() *widget.Label { return wrapped("…") }
	v.chainID, v.height, v.syncing, v.peers = l(), l(), l(), l()
	v.signers, v.signer, v.pending, v.storage = l(), l(), l(), l()
	return widget.NewForm(
		widget.NewFormItem("Chain", v.chainID),
		widget.NewFormItem("Newest block", v.height),
		widget.NewFormItem("Sync", v.syncing),
		widget.NewFormItem("Peers", v.peers),
		widget.NewFormItem("Signers", v.signers),
		widget.NewFormItem("This wallet", v.signer),
		widget.NewFormItem("Waiting", v.pending),
		widget.NewFormItem("Storage", v.storage),
	)
}

func (v *clinicView) showStatus(cv chainView, store wallet.Status, storeErr error) {
	st := cv.Status
	now := time.Now()
	v.chainID.SetText(st.ChainID)
	if st.Head.Number == 0 {
		v.height.SetText("No block yet: the first one is sealed when there is something to record.")
	} else {
		age := now.Sub(time.Unix(int64(st.Head.Time), 0))
		v.height.SetText(fmt.Sprintf("Block %d, sealed %s ago (%s)", st.Head.Number, roundAge(max(age, 0)), whenWords(time.Unix(int64(st.Head.Time), 0))))
	}
	text, _ := syncText(cv, now)
	// The sync protocol does not report peers' heights, so the node's own
	// counters are what it can say about catching up.
	v.syncing.SetText(fmt.Sprintf("%s. Blocks received: %d by gossip, %d by sync; %s refused.", text,
		st.Stats.BlocksGossiped, st.Stats.BlocksSynced, plural(st.Stats.Rejected, "message", "messages")))
	v.peers.SetText(plural(st.Peers, "peer connected", "peers connected"))
	var names []string
	for _, k := range st.Signers {
		names = append(names, v.clinicWords(k))
	}
	v.signers.SetText(fmt.Sprintf("%s: %s", plural(len(st.Signers), "clinic", "clinics"), strings.Join(names, "; ")))
	if st.IsSigner {
		v.signer.SetText("Is a signer: this node seals blocks while it runs.")
	} else {
		v.signer.SetText("Is not a signer: it keeps a verified copy of the chain but does not seal blocks. Registering clinicians and voting need a signer's wallet.")
	}
	for _, d := range v.signerOnly {
		if st.IsSigner {
			d.Enable()
		} else {
			d.Disable()
		}
	}
	v.pending.SetText(plural(st.Pending, "transaction", "transactions") + " waiting for a block")
	v.dropDecided(st.Signers)
	v.storage.SetText(storageWords(st.Pinning, v.w.PinQuota(), store, storeErr))
}

// clinicWords names a clinic: "Riverside Clinic (hw1qxy…k2f9)".
func (v *clinicView) clinicWords(k chain.PublicKey) string {
	id := shortHWID(identity.IDFromSigningKey(k[:]).String())
	s := id
	if name := v.w.ClinicName(k); name != "" {
		s = name + " (" + id + ")"
	}
	if k == v.w.ChainKey() {
		s += ", this wallet"
	}
	return s
}

func storageWords(p *wallet.PinStats, quota int64, store wallet.Status, storeErr error) string {
	stored := "unknown"
	if storeErr == nil {
		stored = fmt.Sprintf("%s in %s", sizeWords(store.Store.BlockBytes), plural(store.Store.Blocks, "block", "blocks"))
	}
	if p == nil {
		return "Not pinning for the network: this node keeps only its own wallet's content (" + stored + ")."
	}
	s := fmt.Sprintf("%s pinned for the network; %s stored of a %s quota.",
		plural(p.Pinned, "record or key capsule", "records and key capsules"), stored, sizeWords(quota))
	if p.Unavailable > 0 {
		s += " " + plural(p.Unavailable, "item waits", "items wait") + " for a peer to serve it."
	}
	if p.OverQuota > 0 {
		s += " " + plural(p.OverQuota, "item was", "items were") + " left unpinned because the quota is full."
	}
	return s
}

// --- clinicians ---

func (v *clinicView) clinicians() fyne.CanvasObject {
	v.card = widget.NewMultiLineEntry()
	v.card.SetPlaceHolder("the clinician's identity card (a long line of letters and digits)")
	v.card.Wrapping = fyne.TextWrapBreak
	v.card.SetMinRowsVisible(3)
	openCard := widget.NewButtonWithIcon("Open a card file…", theme.FolderOpenIcon(), func() {
		dialog.ShowFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			b, err := io.ReadAll(io.LimitReader(rc, maxCardFile))
			rc.Close()
			if err != nil {
				v.u.showError("Could not read the card", err)
				return
			}
			v.card.SetText(strings.TrimSpace(string(b)))
		}, v.u.win)
	})
	var roles []string
	for r := chain.RolePhysician; r <= chain.RoleOtherClinician; r++ {
		roles = append(roles, roleWords(r))
	}
	v.role = widget.NewSelect(roles, nil)
	v.role.SetSelectedIndex(0)
	v.register = widget.NewButtonWithIcon("Register", theme.ConfirmIcon(), v.registerClinician)
	v.register.Importance = widget.HighImportance
	v.signerOnly = append(v.signerOnly, v.register)
	v.registrations = container.NewVBox(widget.NewLabel("Reading the chain…"))
	return container.NewVBox(
		widget.NewForm(widget.NewFormItem("Identity card", v.card), widget.NewFormItem("Role", v.role)),
		container.NewHBox(openCard, v.register),
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Clinicians this clinic registered", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.registrations,
	)
}

// parseCard reads an identity card as the CLI prints it (healthwallet id
// --card) and My ID shows it: base64url of the public identity.
func parseCard(text string) (identity.Public, error) {
	var pub identity.Public
	raw, err := base64.RawURLEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return pub, fmt.Errorf("not an identity card: %w", err)
	}
	if err := pub.UnmarshalBinary(raw); err != nil {
		return pub, fmt.Errorf("not an identity card: %w", err)
	}
	if err := pub.Verify(); err != nil {
		return pub, fmt.Errorf("the identity card does not check out: %w", err)
	}
	return pub, nil
}

func (v *clinicView) registerClinician() {
	if strings.TrimSpace(v.card.Text) == "" {
		dialog.ShowInformation("Register a clinician", "Paste the clinician's identity card, or open the file they gave you.", v.u.win)
		return
	}
	pub, err := parseCard(v.card.Text)
	if err != nil {
		v.u.showError("Not registered", err)
		return
	}
	role := chain.Role(v.role.SelectedIndex() + 1)
	v.submit("Registering the clinician", fmt.Sprintf("Registering %s as %s…", shortHWID(pub.ID().String()), strings.ToLower(roleWords(role))),
		func(ctx context.Context) error {
			_, err := v.w.RegisterClinician(ctx, pub, role)
			return err
		}, func() {
			v.card.SetText("")
			dialog.ShowInformation("Clinician registered", fmt.Sprintf("%s is registered as %s of this clinic. Patients can now share records with them.",
				pub.ID(), strings.ToLower(roleWords(role))), v.u.win)
		})
}

// submit sends a transaction with a progress dialog and waits for a block
// to hold it, then rereads the lists.
func (v *clinicView) submit(title, what string, act func(context.Context) error, ok func()) {
	v.u.runTask(title, what, func(ctx context.Context, _ func(done, total int64)) error {
		if err := act(ctx); err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := v.w.WaitSettled(sctx); err != nil {
			return fmt.Errorf("sent, but no block holds it yet (is a signer's node running?): %w", err)
		}
		return nil
	}, func(err error) {
		v.reloadLists(true)
		switch {
		case canceled(err):
		case err != nil:
			v.u.showError(title+" failed", err)
		case ok != nil:
			ok()
		}
	})
}

// reloadLists reads the registrations and the votes again: now if forced,
// else when the head moved and they are older than listEvery.
func (v *clinicView) reloadLists(force bool) {
	if v.sess.ctx.Err() != nil {
		return
	}
	v.u.background(func() {
		v.listMu.Lock()
		defer v.listMu.Unlock()
		head := v.w.Ledger().Head().Number
		if !force && !v.listedAt.IsZero() && (head == v.listHead || time.Since(v.listedAt) < listEvery) {
			return
		}
		v.listedAt, v.listHead = time.Now(), head
		ctx := v.sess.ctx
		regs, rerr := v.w.ClinicianRegistrations(ctx)
		votes, verr := v.w.SignerVotes(ctx)
		if ctx.Err() != nil {
			return
		}
		v.u.do(func() {
			v.showRegistrations(regs, rerr)
			v.showVotes(votes, verr)
		})
	})
}

func (v *clinicView) showRegistrations(regs []wallet.RegisteredClinician, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, wrapped("The registrations could not be read: "+sentence(err)))
	case len(regs) == 0:
		rows = append(rows, wrapped("None yet."))
	}
	slices.Reverse(regs) // newest first
	for _, r := range regs {
		text := fmt.Sprintf("%s · %s · registered %s", r.ID, roleWords(r.Role), dayWords(r.Registered))
		if r.Revoked {
			rows = append(rows, wrapped(text+" · registration revoked"))
			continue
		}
		revoke := widget.NewButton("Revoke", func() { v.revokeClinician(r) })
		rows = append(rows, container.NewBorder(nil, nil, nil, revoke, wrapped(text)))
	}
	v.registrations.Objects = rows
	v.registrations.Refresh()
	v.relayout()
}

func (v *clinicView) revokeClinician(r wallet.RegisteredClinician) {
	msg := fmt.Sprintf("Revoke the registration of %s (%s)? Patients can no longer share records with this key; grants they made to it stop working. The clinician needs a new wallet key to be registered again.",
		r.ID, strings.ToLower(roleWords(r.Role)))
	dialog.ShowCustomConfirm("Revoke a clinician", "Revoke", "Cancel", wrapped(msg), func(ok bool) {
		if !ok {
			return
		}
		v.submit("Revoking the registration", "Recording the revocation on the chain…", func(ctx context.Context) error {
			_, err := v.w.RevokeClinician(ctx, r.Key)
			return err
		}, nil)
	}, v.u.win)
}

// --- votes ---

func (v *clinicView) voting() fyne.CanvasObject {
	v.voteID = widget.NewEntry()
	v.voteID.SetPlaceHolder("the clinic's Health Wallet ID (" + identity.IDPrefix + "…)")
	add := widget.NewButtonWithIcon("Vote to add this clinic", theme.ContentAddIcon(), func() { v.propose(true) })
	remove := widget.NewButtonWithIcon("Vote to remove this signer", theme.ContentRemoveIcon(), func() { v.propose(false) })
	v.signerOnly = append(v.signerOnly, add, remove)
	v.votes = container.NewVBox(widget.NewLabel("Reading the chain…"))
	v.myProposal = container.NewVBox()
	return container.NewVBox(
		v.voteID, container.NewHBox(add, remove),
		wrapped("This node casts its vote in each block it seals until the change is made or you withdraw the vote. A vote lasts while this wallet is open."),
		v.myProposal,
		widget.NewLabelWithStyle("Votes in progress on the chain", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.votes,
	)
}

func (v *clinicView) propose(authorize bool) {
	id, err := identity.ParseID(strings.TrimSpace(v.voteID.Text))
	if err != nil {
		dialog.ShowInformation("Signer vote", idProblem(err), v.u.win)
		return
	}
	k := chain.PublicKey(id.SigningKey())
	signers := v.w.Ledger().Signers()
	switch {
	case authorize && slices.Contains(signers, k):
		dialog.ShowInformation("Signer vote", "That clinic already seals the chain.", v.u.win)
		return
	case !authorize && !slices.Contains(signers, k):
		dialog.ShowInformation("Signer vote", "That ID is not one of the chain's signers.", v.u.win)
		return
	}
	v.w.Ledger().Propose(k, authorize)
	v.mu.Lock()
	v.proposed[k] = authorize
	v.mu.Unlock()
	v.voteID.SetText("")
	v.showMyProposals()
}

func (v *clinicView) showMyProposals() {
	v.mu.Lock()
	defer v.mu.Unlock()
	var rows []fyne.CanvasObject
	keys := make([]chain.PublicKey, 0, len(v.proposed))
	for k := range v.proposed {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b chain.PublicKey) int { return slices.Compare(a[:], b[:]) })
	for _, k := range keys {
		verb := "add"
		if !v.proposed[k] {
			verb = "remove"
		}
		withdraw := widget.NewButton("Withdraw", func() {
			v.w.Ledger().Discard(k)
			v.mu.Lock()
			delete(v.proposed, k)
			v.mu.Unlock()
			v.showMyProposals()
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, withdraw,
			wrapped(fmt.Sprintf("This node votes to %s %s.", verb, v.clinicWords(k)))))
	}
	v.myProposal.Objects = rows
	v.myProposal.Refresh()
	v.relayout()
}

func (v *clinicView) showVotes(votes []wallet.SignerVote, err error) {
	var rows []fyne.CanvasObject
	switch {
	case err != nil:
		rows = append(rows, wrapped("The votes could not be read: "+sentence(err)))
	case len(votes) == 0:
		rows = append(rows, wrapped("None."))
	}
	for _, sv := range votes {
		verb := "Add"
		if !sv.Authorize {
			verb = "Remove"
		}
		var voters []string
		for _, k := range sv.For {
			voters = append(voters, v.clinicWords(k))
		}
		rows = append(rows, wrapped(fmt.Sprintf("%s %s: %d of the %d votes needed (%s).",
			verb, v.clinicWords(sv.Target), len(sv.For), sv.Needed, strings.Join(voters, "; "))))
	}
	v.votes.Objects = rows
	v.votes.Refresh()
	v.relayout()
}

// dropDecided stops casting this node's votes that the chain has carried
// out: a vote on a settled question would only keep the sealer busy.
func (v *clinicView) dropDecided(signers []chain.PublicKey) {
	v.mu.Lock()
	changed := false
	for k, add := range v.proposed {
		if slices.Contains(signers, k) == add {
			v.w.Ledger().Discard(k)
			delete(v.proposed, k)
			changed = true
		}
	}
	v.mu.Unlock()
	if changed {
		v.showMyProposals()
	}
}

// --- invites and founding ---

// invitePart offers the invite to the network this wallet is on, with this
// node's own addresses first among the members to dial.
func (v *clinicView) invitePart() fyne.CanvasObject {
	show := widget.NewButtonWithIcon("Show the invite…", theme.MailForwardIcon(), func() {
		n, err := wallet.LoadNetwork(v.u.cfg.DataDir)
		if err != nil {
			v.u.showError("No invite", err)
			return
		}
		peers := v.w.Addrs()
		for _, p := range n.Peers {
			if !slices.Contains(peers, p) {
				peers = append(peers, p)
			}
		}
		n.Peers = peers
		v.u.showInvite(n)
	})
	return container.NewVBox(
		wrapped("Patients, clinicians and other clinics join this network with an invite. It holds the network's key, so give it only to members."),
		container.NewHBox(show))
}

// showInvite shows a network's invite code with Copy and Save.
func (u *UI) showInvite(n wallet.Network) {
	code, err := n.Invite()
	if err != nil {
		u.showError("No invite", err)
		return
	}
	text := widget.NewLabelWithStyle(code, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	text.Selectable = true
	text.Wrapping = fyne.TextWrapBreak
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { u.app.Clipboard().SetContent(code) })
	save := widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), func() {
		d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
			if err != nil || wc == nil {
				return
			}
			_, err = fmt.Fprintln(wc, code)
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				u.showError("Not saved", err)
			}
		}, u.win)
		d.SetFileName(n.Genesis.ChainID + "-invite.txt")
		d.Show()
	})
	intro := wrapped(fmt.Sprintf("The invite to chain %q: whoever has it can join the network, so it goes only to members (patients, clinicians, clinics), never in public. It lists %s to connect to.",
		n.Genesis.ChainID, plural(len(n.Peers), "member node address", "member node addresses")))
	d := dialog.NewCustom("Invite to the network", "Close",
		container.NewBorder(container.NewVBox(intro, container.NewHBox(copyBtn, save)), nil, nil, nil, container.NewVScroll(text)), u.win)
	d.Resize(fyne.NewSize(640, 420))
	d.Show()
}

// foundForm founds a consortium with this wallet as a founding clinic, puts
// the wallet on it and shows the invite.
func (v *clinicView) foundForm() fyne.CanvasObject {
	chainID := widget.NewEntry()
	chainID.SetPlaceHolder("a short name: letters, digits, - . _ (riverside-health)")
	name := widget.NewEntry()
	name.SetPlaceHolder("your clinic's name, as members see it")
	period := widget.NewEntry()
	period.SetText("2")
	others := widget.NewMultiLineEntry()
	others.SetPlaceHolder("optional: other founding clinics, one per line: their ID, then their name")
	others.SetMinRowsVisible(3)
	listen := widget.NewEntry()
	listen.SetText("/ip4/0.0.0.0/tcp/4001")
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("this wallet's passphrase, to restart it on the new network")
	status := wrapped("")
	var create *widget.Button
	create = widget.NewButtonWithIcon("Create the consortium", theme.ConfirmIcon(), func() {
		spec, err := v.consortiumSpec(chainID.Text, name.Text, period.Text, others.Text, listen.Text)
		if err != nil {
			status.SetText(err.Error())
			return
		}
		secret := []byte(pass.Text)
		pass.SetText("")
		create.Disable()
		status.SetText("Checking the passphrase…")
		v.found(spec, secret, func(msg string) {
			create.Enable()
			status.SetText(msg)
		})
	})
	create.Importance = widget.HighImportance
	return container.NewVBox(
		wrapped("As the first clinic, you choose the chain's name and how often blocks are sealed, and name the founding clinics that seal it (this wallet is one). The wallet then restarts as the network's first node and shows the invite for members."),
		widget.NewForm(
			widget.NewFormItem("Chain name", chainID),
			widget.NewFormItem("Your clinic", name),
			widget.NewFormItem("Seconds between blocks", period),
			widget.NewFormItem("Other founders", others),
			widget.NewFormItem("Listen on", listen),
			widget.NewFormItem("Passphrase", pass),
		),
		container.NewHBox(create), status)
}

// consortiumSpec reads the founding form.
func (v *clinicView) consortiumSpec(chainID, name, period, others, listen string) (wallet.ConsortiumSpec, error) {
	spec := wallet.ConsortiumSpec{ChainID: strings.TrimSpace(chainID), Founders: map[identity.ID]string{v.w.ID(): strings.TrimSpace(name)}}
	if err := chain.ValidChainID(spec.ChainID); err != nil {
		return spec, errors.New("The chain name is 1 to 64 letters, digits, '-', '.', '_' or ':', with no spaces.")
	}
	secs, err := strconv.Atoi(strings.TrimSpace(period))
	if err != nil || secs < 1 || secs > 3600 {
		return spec, errors.New("The time between blocks is a whole number of seconds, from 1 to 3600.")
	}
	spec.Period = time.Duration(secs) * time.Second
	for i, line := range strings.Split(others, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		id, err := identity.ParseID(f[0])
		if err != nil {
			return spec, fmt.Errorf("Other founders, line %d: %s", i+1, idProblem(err))
		}
		spec.Founders[id] = strings.Join(f[1:], " ")
	}
	for _, a := range strings.Fields(listen) {
		spec.Listen = append(spec.Listen, a)
	}
	if len(spec.Listen) == 0 {
		return spec, errors.New("Give an address to listen on, such as /ip4/0.0.0.0/tcp/4001.")
	}
	return spec, nil
}

// found closes the session, founds the consortium with the wallet in the
// data directory, and opens the wallet again on it. fail reports a problem
// while the form is still shown.
func (v *clinicView) found(spec wallet.ConsortiumSpec, secret []byte, fail func(string)) {
	u := v.u
	go func() {
		err := v.w.CheckPassphrase(secret)
		u.do(func() {
			if err != nil {
				clear(secret)
				fail(sentence(err))
				return
			}
			// The wallet must be closed to reopen on the network.
			u.endSession()
			u.win.SetContent(container.NewCenter(widget.NewLabel("Starting the new network…")))
			go func() {
				w, n, err := wallet.FoundConsortium(u.cfg.DataDir, secret, spec, u.cfg.Options)
				clear(secret)
				u.do(func() {
					if err != nil {
						u.showUnlock()
						u.showError("The consortium was not created", err)
						return
					}
					u.unlocked(w, &n)
					if u.main != nil {
						u.main.show("Clinic")
					}
					u.showInvite(n)
				})
			}()
		})
	}()
}

// relayout lays the screen out again after a list changed height: only
// the parents' layout accounts for it.
func (v *clinicView) relayout() {
	if v.scroll != nil {
		v.scroll.Refresh()
	}
}
