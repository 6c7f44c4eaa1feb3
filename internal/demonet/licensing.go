package demonet

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/wallet"
)

// The demo's licensing: the clinics admit two authorities by vote, the
// authorities issue the clinician's and the pharmacist's credentials and
// anchor them, and the holders keep the documents. It happens once, on the
// first start of a consortium directory, in the background while the demo
// is already usable; it then stays as the chain says: a start never votes
// again on an authority the chain knows, nor issues again a credential of
// a kind the chain holds for that holder from that authority, so what a
// user did in the app (removed an authority, revoked a credential) stands.

// The demo's licensing authorities. Their keys, like every demo key, come
// from public phrases (Phrase).
const (
	MedicalBoard  = "Demo Medical Board"
	PharmacyBoard = "Demo Pharmacy Board"
)

// Jurisdiction is where the demo's licences are valid.
const Jurisdiction = "Demo State"

// TrainingName is the demo clinician's training certificate, a yearly
// one that ends TrainingDaysLeft days after the set-up, so that the
// staffing view has one to show.
const (
	TrainingName     = "MRI safety"
	TrainingDaysLeft = 60
)

// authority is a demo licensing authority.
type authority struct {
	member string
	name   string
	kinds  chain.CredentialKinds
}

var authorities = []authority{
	{"medical-board", MedicalBoard, chain.KindsOf(chain.KindPhysician, chain.KindNurse, chain.KindPrescriber, chain.KindTraining)},
	{"pharmacy-board", PharmacyBoard, chain.KindsOf(chain.KindPharmacist)},
}

// credential is a credential the set-up issues; its validity runs from
// `from` to `until`, counted from the day of the set-up (a three-year
// licence granted a year ago, a yearly training taken ten months ago).
type credential struct {
	issuer, holder string // members
	kind           string // a licence kind, or a training's name
	licence        string
	specialty      string
	from, until    period
}

// period is a span of the calendar, for time.AddDate.
type period struct{ years, days int }

func (p period) from(t time.Time) time.Time { return t.AddDate(p.years, 0, p.days) }

var credentials = []credential{
	{"medical-board", "clinician", "physician", "DEMO-MD-1001", "General practice", period{years: -1}, period{years: 2}},
	{"medical-board", "clinician", "prescriber", "DEMO-RX-1001", "", period{years: -1}, period{years: 2}},
	{"medical-board", "clinician", TrainingName, "", "", period{years: -1, days: TrainingDaysLeft}, period{days: TrainingDaysLeft}},
	{"pharmacy-board", "pharmacist", "pharmacist", "DEMO-PH-2001", "Community pharmacy", period{years: -1}, period{years: 2}},
}

// chainKind maps a credential's kind to the chain's as the wallet does:
// the four licences by name, anything else a training.
func chainKind(kind string) chain.CredentialKind {
	if k, err := chain.ParseCredentialKind(kind); err == nil {
		return k
	}
	return chain.KindTraining
}

// anchoredIn finds c on the chain: a credential of its kind for its holder
// from its issuer, whatever its status.
func anchoredIn(st *state.State, c credential) (state.Credential, bool, error) {
	held, err := st.CredentialsOf(memberKey(c.holder))
	if err != nil {
		return state.Credential{}, false, err
	}
	for _, h := range held {
		if h.Issuer == memberKey(c.issuer) && h.Kind == chainKind(c.kind) {
			return h, true, nil
		}
	}
	return state.Credential{}, false, nil
}

// Licensed waits until the licensing set-up has ended, and returns its
// error (nil when there was nothing to do, or all is in place).
func (n *Net) Licensed(ctx context.Context) error {
	select {
	case <-n.licensed:
		return n.licenseErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startSetUp starts the set-ups the chain or a holder lacks, licensing
// then supply chain, in the background, one after the other (so that the
// demo's first start stays quick). It waits for them when the caller is
// to open a member they may need (see StartExcept). Each set-up closes
// the wallets it opened when it ends, so the caller can open its member
// then.
func (n *Net) startSetUp(ctx context.Context, except string) error {
	licensing, err := n.licensingToDo(except)
	if err != nil {
		return fmt.Errorf("demo licensing: %w", err)
	}
	supply, err := n.supplyToDo()
	if err != nil {
		return fmt.Errorf("demo supply chain: %w", err)
	}
	if !licensing {
		close(n.licensed)
	}
	if !supply {
		close(n.supplied)
		if err := n.writePacks(); err != nil {
			n.log.Warn("demo pack codes not written", "err", err)
		}
	}
	if !licensing && !supply {
		return nil
	}
	lendExcept := except != "" && !isClinic(except)
	n.wg.Go(func() {
		// The supply chain's organisations are registered alongside the
		// licensing's votes: a block sooner, at the cost of a few
		// transactions.
		registered := make(chan error, 1)
		if supply {
			go func() { registered <- n.registerOrganisations(n.ctx) }()
		}
		if licensing {
			lend := &lender{n: n, except: except, lendExcept: lendExcept}
			n.licenseErr = n.license(n.ctx, lend)
			lend.close()
			close(n.licensed)
			switch {
			case n.licenseErr == nil:
				n.log.Info("demo licensing set up")
			case n.ctx.Err() == nil:
				n.log.Warn("demo licensing set-up failed", "err", n.licenseErr)
			}
		}
		if supply && n.ctx.Err() == nil {
			began := time.Now()
			lend := &lender{n: n, except: except, lendExcept: lendExcept && isSupplyParty(except)}
			n.supplyErr = n.supply(n.ctx, lend, registered)
			lend.close()
			switch {
			case n.supplyErr == nil:
				n.log.Info("demo supply chain set up", "took", time.Since(began).Round(time.Millisecond))
				if err := n.writePacks(); err != nil {
					n.log.Warn("demo pack codes not written", "err", err)
				}
			case n.ctx.Err() == nil:
				n.log.Warn("demo supply-chain set-up failed", "err", n.supplyErr)
			}
		} else if supply {
			<-registered
			n.supplyErr = n.ctx.Err()
		}
		if supply {
			close(n.supplied)
		}
	})
	if !lendExcept {
		return nil
	}
	// A failed set-up leaves the demo usable without it; it was logged and
	// is retried on the next start.
	if err := n.Licensed(ctx); err != nil && ctx.Err() != nil {
		return err
	}
	if isSupplyParty(except) {
		if err := n.Supplied(ctx); err != nil && ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// licensingToDo reports whether an authority is missing from the chain, a
// credential of an admitted authority is not anchored, or a holder running
// here lacks an anchored credential's document. A holder left to the
// caller is not asked: the set-up that anchored its credentials delivered
// them, or a later start with it running does.
func (n *Net) licensingToDo(except string) (bool, error) {
	st := n.reference().Ledger().State()
	for _, a := range authorities {
		if _, err := st.Authority(memberKey(a.member)); errors.Is(err, state.ErrNotFound) {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	for _, c := range credentials {
		a, err := st.Authority(memberKey(c.issuer))
		if err != nil {
			return false, err
		}
		anchored, ok, err := anchoredIn(st, c)
		switch {
		case err != nil:
			return false, err
		case !ok && a.Admitted:
			return true, nil
		case !ok || c.holder == except:
			continue
		}
		holder := n.running(c.holder)
		if holder == nil {
			continue
		}
		if has, err := holds(holder, anchored.Hash); err != nil || !has {
			return true, err
		}
	}
	return false, nil
}

// holds reports whether w keeps the document of credential h.
func holds(w *wallet.Wallet, h chain.Hash) (bool, error) {
	mine, err := w.Credentials()
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(mine, func(c wallet.HeldCredential) bool { return c.Hash == h }), nil
}

// reference is a clinic running here, whose chain the set-up reads:
// StartExcept leaves out one member at most, and there are two clinics.
func (n *Net) reference() *wallet.Wallet {
	if w := n.Clinics[0].Wallet; w != nil {
		return w
	}
	return n.Clinics[1].Wallet
}

// running returns the wallet of member when this Net runs it.
func (n *Net) running(member string) *wallet.Wallet {
	switch member {
	case "clinician":
		return n.Clinician
	case "pharmacist":
		return n.Pharmacist
	}
	if i := slices.Index(Members, member); isClinic(member) {
		return n.Clinics[i].Wallet
	}
	return nil
}

// license runs the set-up: the clinics' votes, then each authority's
// credentials (the two authorities at once, so their anchors share a
// block), each delivered to its holder.
func (n *Net) license(ctx context.Context, lend *lender) error {
	admitted := make(chan error, 1)
	go func() { admitted <- n.admitAuthorities(ctx) }()
	errs := make([]error, len(authorities))
	var wg sync.WaitGroup
	for i, a := range authorities {
		// The authority's wallet opens and syncs while the votes settle,
		// so that its anchors can go into the block after the admission.
		wg.Go(func() {
			if n.hasWork(a) {
				_, errs[i] = lend.wallet(ctx, a.member)
			}
		})
	}
	wg.Wait()
	if err := <-admitted; err != nil {
		return err
	}
	for i, a := range authorities {
		if errs[i] != nil {
			continue
		}
		wg.Go(func() { errs[i] = n.issue(ctx, lend, a) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// hasWork reports whether authority a may have credentials to issue: it is
// unknown to the chain (about to be admitted) or admitted with one of its
// credentials not anchored. A document a holder lacks is found by issue.
func (n *Net) hasWork(a authority) bool {
	st := n.reference().Ledger().State()
	standing, err := st.Authority(memberKey(a.member))
	if errors.Is(err, state.ErrNotFound) {
		return true
	}
	if err != nil || !standing.Admitted {
		return false
	}
	for _, c := range credentials {
		if c.issuer == a.member {
			if _, ok, err := anchoredIn(st, c); err == nil && !ok {
				return true
			}
		}
	}
	return false
}

// admitAuthorities has every clinic running here vote to admit each
// authority the chain has never known (unless its vote is already
// pending), then waits until the chain admits them all.
func (n *Net) admitAuthorities(ctx context.Context) error {
	ref := n.reference()
	st := ref.Ledger().State()
	pending, err := st.PendingAuthorityVotes()
	if err != nil {
		return err
	}
	var missing []chain.PublicKey
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, a := range authorities {
		key := memberKey(a.member)
		if _, err := st.Authority(key); err == nil {
			continue
		} else if !errors.Is(err, state.ErrNotFound) {
			return err
		}
		missing = append(missing, key)
		for _, c := range n.Clinics {
			w := c.Wallet
			if w == nil || slices.ContainsFunc(pending, func(v state.AuthorityVoteRecord) bool {
				return v.Authority == key && v.Voter == w.ChainKey() && v.Admit && v.Name == a.name && v.Kinds == a.kinds
			}) {
				continue
			}
			wg.Go(func() {
				if err := w.VoteAuthority(ctx, key, true, a.name, a.kinds); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s's vote to admit %s: %w", c.Name, a.name, err))
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	n.log.Info("demo clinics voted to admit the licensing authorities")
	return ref.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		for _, key := range missing {
			if _, err := ref.Ledger().State().Authority(key); err != nil {
				return false
			}
		}
		return true
	})
}

// issue has authority a issue its credentials that the chain lacks, and
// hands its holders the documents they lack.
func (n *Net) issue(ctx context.Context, lend *lender, a authority) error {
	st := n.reference().Ledger().State()
	standing, err := st.Authority(memberKey(a.member))
	if err != nil {
		return err
	}
	var toIssue []credential
	needed := map[chain.Hash]credential{} // anchored, not yet held
	for _, c := range credentials {
		if c.issuer != a.member {
			continue
		}
		anchored, ok, err := anchoredIn(st, c)
		if err != nil {
			return err
		}
		if !ok {
			if standing.Admitted {
				toIssue = append(toIssue, c)
			}
			continue
		}
		holder, err := lend.wallet(ctx, c.holder)
		if err != nil {
			return err
		}
		if holder == nil {
			continue // the caller holds it: a later start delivers
		}
		if has, err := holds(holder, anchored.Hash); err != nil {
			return err
		} else if !has {
			needed[anchored.Hash] = c
		}
	}
	if len(toIssue) == 0 && len(needed) == 0 {
		return nil
	}
	aw, err := lend.wallet(ctx, a.member)
	if err != nil || aw == nil {
		return err
	}
	docs := map[chain.Hash][]byte{}
	if len(needed) > 0 {
		issued, err := aw.IssuedCredentials()
		if err != nil {
			return err
		}
		for _, hc := range issued {
			if _, ok := needed[hc.Hash]; ok {
				docs[hc.Hash] = hc.Doc
			}
		}
	}
	if len(toIssue) > 0 {
		issued, err := n.issueAll(ctx, aw, toIssue)
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		for i, hc := range issued {
			docs[hc.Hash] = hc.Doc
			needed[hc.Hash] = toIssue[i]
		}
		n.log.Info("demo credentials issued", "authority", a.name, "count", len(issued))
	}
	for h, c := range needed {
		doc, ok := docs[h]
		if !ok {
			// The authority's copy is gone: the credential stands on the
			// chain, without a document to show.
			n.log.Warn("demo credential without its document", "authority", a.name, "kind", c.kind, "holder", c.holder)
			continue
		}
		if err := n.deliver(ctx, lend, c.holder, h, doc); err != nil {
			return fmt.Errorf("%s's %s credential: %w", c.holder, c.kind, err)
		}
	}
	return nil
}

// issueAll has the authority's wallet aw issue cs at once, so their
// anchors go into one block.
func (n *Net) issueAll(ctx context.Context, aw *wallet.Wallet, cs []credential) ([]wallet.HeldCredential, error) {
	if err := aw.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, ok, err := aw.MyAuthority()
		return err == nil && ok
	}); err != nil {
		return nil, fmt.Errorf("waiting for the admission: %w", err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	out := make([]wallet.HeldCredential, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			out[i], errs[i] = aw.IssueCredential(ctx, wallet.CredentialRequest{
				Subject: memberKey(c.holder), Kind: c.kind, LicenceNumber: c.licence,
				Jurisdiction: Jurisdiction, Specialty: c.specialty,
				ValidFrom: c.from.from(today), ValidUntil: c.until.from(today),
			})
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// deliver hands doc, the document of credential h, to member's wallet
// once its chain holds the anchor, and files it with the clinic that
// registered member, as a clinic keeps its clinicians' documents when it
// hires them (its staffing view then shows specialties and trainings'
// names).
func (n *Net) deliver(ctx context.Context, lend *lender, member string, h chain.Hash, doc []byte) error {
	w, err := lend.wallet(ctx, member)
	if err != nil || w == nil {
		return err
	}
	if err := waitAnchored(ctx, w, h); err != nil {
		return err
	}
	if _, err := w.AddCredential(ctx, doc); err != nil {
		return err
	}
	for _, r := range registrations {
		clinic := n.Clinics[r.clinic].Wallet
		if r.member != member || clinic == nil {
			continue
		}
		if err := waitAnchored(ctx, clinic, h); err != nil {
			return err
		}
		if _, err := clinic.AddStaffCredential(ctx, doc); err != nil {
			return fmt.Errorf("%s files it: %w", n.Clinics[r.clinic].Name, err)
		}
	}
	return nil
}

// waitAnchored waits until w's chain holds credential h.
func waitAnchored(ctx context.Context, w *wallet.Wallet, h chain.Hash) error {
	if err := w.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		_, err := w.Ledger().State().Credential(h)
		return err == nil
	}); err != nil {
		return fmt.Errorf("waiting for the anchor: %w", err)
	}
	return nil
}

// lender gives the set-up the wallets it needs: those the Net runs, and
// the others (the authorities', the manufacturer's, the wholesaler's, and
// the member left to the caller when the caller waits) opened for the
// set-ups only.
type lender struct {
	n          *Net
	except     string
	lendExcept bool // the caller waits: the left-out member's wallet is free

	mu     sync.Mutex
	opened map[string]*lent
}

// lent is a wallet opened for the set-up, once.
type lent struct {
	once sync.Once
	w    *wallet.Wallet
	err  error
}

// wallet returns member's wallet, or nil when the caller holds it.
func (l *lender) wallet(ctx context.Context, member string) (*wallet.Wallet, error) {
	if w := l.n.running(member); w != nil {
		return w, nil
	}
	if member == l.except && !l.lendExcept || isClinic(member) {
		return nil, nil
	}
	l.mu.Lock()
	if l.opened == nil {
		l.opened = map[string]*lent{}
	}
	e, ok := l.opened[member]
	if !ok {
		e = &lent{}
		l.opened[member] = e
	}
	l.mu.Unlock()
	// Wallets open concurrently (each starts a node and syncs), each once.
	e.once.Do(func() { e.w, e.err = l.open(ctx, member) })
	return e.w, e.err
}

func (l *lender) open(ctx context.Context, member string) (*wallet.Wallet, error) {
	name, _ := memberName(member)
	n := l.n
	w, err := n.openWallet(filepath.Join(n.dir, member), name, n.Addrs(), 0)
	if err != nil {
		return nil, fmt.Errorf("demo %s: %w", member, err)
	}
	if err := n.connect(ctx, w, n.Addrs()); err != nil {
		w.Close()
		return nil, fmt.Errorf("demo %s: %w", member, err)
	}
	// Recorded like the others', so `healthwallet gui --data-dir` opens it
	// on the demo chain.
	if err := wallet.Join(w.Dir(), n.Network()); err != nil {
		w.Close()
		return nil, fmt.Errorf("demo %s: %w", member, err)
	}
	return w, nil
}

// close closes the wallets opened for the set-up.
func (l *lender) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for member, e := range l.opened {
		if e.w == nil {
			continue
		}
		if err := e.w.Close(); err != nil {
			l.n.log.Warn("demo wallet did not close cleanly", "member", member, "err", err)
		}
	}
	l.opened = nil
}
