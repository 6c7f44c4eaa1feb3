// Package demonet runs the demo consortium that `healthwallet demo` (and so
// `make run`) starts: two clinics, a clinician and a pharmacist on
// loopback, in the same process, so one machine shows the whole flow. Each
// clinic is a real clinic wallet (restored from a fixed recovery phrase)
// that seals the demo chain's blocks and pins what it references; the
// clinician "Dr. Ada Demo" is a wallet that clinic 1 registers and that asks
// the demo patient for access; the pharmacist "Pharmacist Pat Demo" is one
// that clinic 2 registers. On first use the clinics also admit two licensing
// authorities, whose wallets issue the clinician's and the pharmacist's
// credentials (licensing.go), and then set up a medicine supply chain: a
// manufacturer and a wholesaler, the pharmacist's wallet as a pharmacy,
// batches commissioned, shipped and received, one recalled (supply.go).
//
// Every demo key comes from a public string: anyone can seal blocks on the
// demo chain or act as its clinician. It exists to show the product working
// on one machine, never to hold real data; a real consortium makes its
// genesis with `healthwallet chain init`.
package demonet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/chain/state"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/identity"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// ChainID is the demo chain's ID. Version 2: the signers became wallets'
// chain keys, so a directory of the first demo chain is not mixed up with
// this one.
const ChainID = "healthwallet-demo-2"

// Clinics are the demo consortium's members, in order: clinic i's wallet
// lives in <dir>/clinic-(i+1).
var Clinics = []string{"Demo Clinic North", "Demo Clinic South"}

// ClinicianName is the demo clinician, registered by Clinics[0].
const ClinicianName = "Dr. Ada Demo"

// PharmacistName is the demo pharmacist, registered by Clinics[1].
const PharmacistName = "Pharmacist Pat Demo"

// Passphrase seals the demo wallets' keystores. Their recovery phrases are
// public, so the passphrase protects nothing and the cheapest Argon2id cost
// (keystore.TestParams) keeps the demo's start-up quick.
const Passphrase = "demo consortium passphrase"

// RequestNote is the note of the clinician's demo access request.
const RequestNote = "Demo: first visit at Demo Clinic North"

// demoRequest is what the demo clinician asks the patient for.
var demoRequest = wallet.AccessRequest{
	Categories: []string{"conditions", "medications", "allergies"},
	Purpose:    chain.PurposeTREAT,
	Duration:   30 * 24 * time.Hour,
	Note:       RequestNote,
}

// Phrase returns the fixed recovery phrase of the demo party named name
// (one of Clinics, ClinicianName, PharmacistName, MedicalBoard or
// PharmacyBoard): its entropy is SHA-256 of a label.
func Phrase(name string) string {
	id := demoIdentity(name)
	return id.Mnemonic()
}

func demoIdentity(name string) *identity.Identity {
	entropy := sha256.Sum256([]byte("healthwallet demo recovery phrase/" + name))
	id, err := identity.FromEntropy(entropy[:])
	if err != nil {
		// 32 bytes of entropy always make an identity.
		panic(fmt.Sprintf("demonet: identity of %s: %v", name, err))
	}
	return id
}

// ClinicKey returns the chain key of demo clinic i (public by design).
func ClinicKey(i int) chain.PublicKey {
	return chain.PublicKey(demoIdentity(Clinics[i]).Public().SigningKey)
}

// Genesis returns the demo chain's genesis: the demo clinics' wallets as
// signers, a 2 s period, fixed time, so every demo install runs the same
// chain.
func Genesis() *chain.Genesis {
	signers := map[chain.PublicKey]string{}
	for i, name := range Clinics {
		signers[ClinicKey(i)] = name
	}
	return chain.NewGenesis(ChainID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), signers)
}

// Clinic is one running demo clinic.
type Clinic struct {
	Name   string
	Wallet *wallet.Wallet
}

// Net is the running demo consortium.
type Net struct {
	// Clinics are in the order of the package's Clinics; a clinic left to
	// the caller (StartExcept) has no Wallet here.
	Clinics []*Clinic
	// Clinician and Pharmacist are nil when left to the caller.
	Clinician  *wallet.Wallet
	Pharmacist *wallet.Wallet

	dir     string
	genesis *chain.Genesis
	log     *slog.Logger
	ctx     context.Context // ends at Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	askOnce sync.Once
	// licensed is closed when the licensing set-up has ended; licenseErr
	// is then its outcome.
	licensed   chan struct{}
	licenseErr error
	// supplied is closed when the supply-chain set-up has ended;
	// supplyErr is then its outcome.
	supplied  chan struct{}
	supplyErr error
}

// clinicPinQuota is what each demo clinic pins for the network, as a real
// clinic node does.
const clinicPinQuota = 1 << 30 // 1 GiB

// loopback is where every demo node listens: this machine only, a random
// port each run (Network gives the ports of this run).
var loopback = []string{"/ip4/127.0.0.1/tcp/0"}

// Members are the demo parties' short names, as `healthwallet demo --as`
// takes them: the directory each wallet lives in under the consortium's.
// The clinics, the clinician and the pharmacist run with the consortium;
// the authorities', the manufacturer's and the wholesaler's wallets open
// only for the set-ups (licensing.go, supply.go) or when asked for with
// --as.
var Members = []string{"clinic-1", "clinic-2", "clinician", "pharmacist", "medical-board", "pharmacy-board", "manufacturer", "wholesaler"}

// memberNames are the parties of Members, in the same order.
var memberNames = []string{Clinics[0], Clinics[1], ClinicianName, PharmacistName, MedicalBoard, PharmacyBoard, ManufacturerName, WholesalerName}

// memberName is the party a member's directory holds.
func memberName(member string) (string, bool) {
	for i, m := range Members {
		if m == member {
			return memberNames[i], true
		}
	}
	return "", false
}

// isClinic reports whether member is one of the clinics, which seal and pin.
func isClinic(member string) bool {
	i := slices.Index(Members, member)
	return i >= 0 && i < len(Clinics)
}

// memberKey is the chain key of member (one of Members).
func memberKey(member string) chain.PublicKey {
	name, _ := memberName(member)
	return chain.PublicKey(demoIdentity(name).Public().SigningKey)
}

// Start runs the demo clinics, clinician and pharmacist with their wallets
// under dir (created on first use from the fixed phrases; a restart
// resumes their chain) until Close. The clinician's registration by clinic
// 1 and the pharmacist's by clinic 2 are submitted if the chain does not
// hold them yet, and the licensing set-up (authorities and credentials)
// then the supply chain's run in the background if they have not been
// done: see Licensed and Supplied.
func Start(ctx context.Context, dir string, log *slog.Logger) (*Net, error) {
	return StartExcept(ctx, dir, log, "")
}

// StartExcept is Start without the wallet of member (one of Members; ""
// for none), which the caller opens itself with OpenMember, to look at the
// demo through that party's eyes. Unless member is a clinic, an unfinished
// licensing set-up completes before StartExcept returns (a few blocks, on
// first use only), so that the member's wallet opens holding its
// credentials; so does an unfinished supply-chain set-up when member is
// the manufacturer, the wholesaler or the pharmacist, so that its wallet
// opens holding its packs. A clinic's own vote is missing from the
// licensing set-up, which waits for it (the clinic may cast it in the
// app).
func StartExcept(ctx context.Context, dir string, log *slog.Logger, except string) (_ *Net, err error) {
	if except != "" {
		if _, ok := memberName(except); !ok {
			return nil, fmt.Errorf("demo: no member %q (one of %s)", except, strings.Join(Members, ", "))
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n := &Net{dir: dir, genesis: Genesis(), log: log, ctx: runCtx, cancel: cancel, licensed: make(chan struct{}), supplied: make(chan struct{})}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	for i, name := range Clinics {
		c := &Clinic{Name: name}
		n.Clinics = append(n.Clinics, c)
		if Members[i] == except {
			continue
		}
		peers := n.Addrs()
		if c.Wallet, err = n.openWallet(filepath.Join(dir, Members[i]), name, peers, clinicPinQuota); err != nil {
			return nil, fmt.Errorf("demo clinic %s: %w", name, err)
		}
		if err := n.connect(ctx, c.Wallet, peers); err != nil {
			return nil, fmt.Errorf("demo clinic %s: %w", name, err)
		}
		w := c.Wallet
		n.wg.Go(func() {
			if err := w.RunSealer(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("demo clinic stopped sealing", "clinic", name, "err", err)
			}
		})
	}
	// The first clinic started alone: have it catch up with the others,
	// so it judges below whether the clinician is registered on the
	// latest chain.
	if first := n.Clinics[0].Wallet; first != nil {
		var others []string
		for _, c := range n.Clinics[1:] {
			if c.Wallet != nil {
				others = append(others, c.Wallet.Addrs()...)
			}
		}
		if err := n.connect(ctx, first, others); err != nil {
			return nil, fmt.Errorf("demo clinic %s: %w", Clinics[0], err)
		}
	}
	for _, p := range []struct {
		member string
		w      **wallet.Wallet
	}{{"clinician", &n.Clinician}, {"pharmacist", &n.Pharmacist}} {
		if p.member == except {
			continue
		}
		name, _ := memberName(p.member)
		if *p.w, err = n.openWallet(filepath.Join(dir, p.member), name, n.Addrs(), 0); err != nil {
			return nil, fmt.Errorf("demo %s: %w", p.member, err)
		}
		if err := n.connect(ctx, *p.w, n.Addrs()); err != nil {
			return nil, fmt.Errorf("demo %s: %w", p.member, err)
		}
	}
	// Each demo wallet also records the network, so `healthwallet gui
	// --data-dir DIR/clinic-1` (or clinician) opens it on the demo chain
	// while this consortium runs, and as a clinic or clinician after.
	for _, w := range n.wallets() {
		if err := wallet.Join(w.Dir(), n.Network()); err != nil {
			return nil, fmt.Errorf("demo wallet %s: %w", w.Dir(), err)
		}
	}
	for _, r := range registrations {
		if err := n.register(ctx, r.clinic, r.member, r.role); err != nil {
			return nil, fmt.Errorf("register the demo %s: %w", r.member, err)
		}
	}
	if err := n.startSetUp(ctx, except); err != nil {
		return nil, err
	}
	return n, nil
}

// OpenMember opens the wallet of member (one of Members, the one
// StartExcept left out) on the running demo network, restoring it from its
// fixed phrase on first use, and returns it with the network it is on.
func (n *Net) OpenMember(member string, base wallet.Options) (*wallet.Wallet, wallet.Network, error) {
	name, ok := memberName(member)
	if !ok {
		return nil, wallet.Network{}, fmt.Errorf("demo: no member %q", member)
	}
	dir := filepath.Join(n.dir, member)
	base.KDF = keystore.TestParams
	if !wallet.Exists(dir) {
		w, err := wallet.Restore(dir, Phrase(name), []byte(Passphrase), base)
		if err != nil {
			return nil, wallet.Network{}, err
		}
		if err := w.Close(); err != nil {
			return nil, wallet.Network{}, err
		}
	}
	nw := n.Network()
	if err := wallet.Join(dir, nw); err != nil {
		return nil, wallet.Network{}, err
	}
	opts := nw.Options(base)
	if isClinic(member) {
		opts.Chain.PinQuota = clinicPinQuota
	}
	w, err := wallet.Open(dir, []byte(Passphrase), opts)
	return w, nw, err
}

// openWallet opens (or, on first use, restores from its fixed phrase) the
// demo wallet of name in dir, on the demo chain.
func (n *Net) openWallet(dir, name string, peers []string, pinQuota int64) (*wallet.Wallet, error) {
	opts := wallet.Options{
		KDF:     keystore.TestParams,
		Logger:  n.log.With("demo", name),
		Network: &ipfs.Config{ListenAddrs: loopback, Peers: peers, Logger: n.log.With("demo", name)},
		Chain:   &wallet.ChainConfig{Genesis: n.genesis, PinQuota: pinQuota},
	}
	if wallet.Exists(dir) {
		return wallet.Open(dir, []byte(Passphrase), opts)
	}
	if err := removeOldNode(dir, n.log); err != nil {
		return nil, err
	}
	return wallet.Restore(dir, Phrase(name), []byte(Passphrase), opts)
}

// removeOldNode removes what the first demo chain left in a member's
// directory: a bare node (chain/ and ipfs/, no wallet) of a chain this
// version no longer runs, whose chain/ would clash with the wallet's. It
// held only demo blocks sealed with public keys.
func removeOldNode(dir string, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(dir, "ipfs")); err != nil {
		return nil
	}
	log.Info("removing a node of the earlier demo chain", "dir", dir)
	return os.RemoveAll(dir)
}

// connect dials the members already running, so a restarted node catches
// up before it is used.
func (n *Net) connect(ctx context.Context, w *wallet.Wallet, peers []string) error {
	if len(peers) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := w.ConnectMembers(ctx, peers)
	return err
}

// registrations are the demo's clinicians and the clinics that register
// them.
var registrations = []struct {
	clinic int
	member string
	role   chain.Role
}{
	{0, "clinician", chain.RolePhysician},
	{1, "pharmacist", chain.RolePharmacist},
}

// register has clinic register the demo member as role unless the chain
// already holds the registration. Nothing goes into the block until the
// clinics seal: the caller does not wait for it.
func (n *Net) register(ctx context.Context, clinic int, member string, role chain.Role) error {
	w := n.Clinics[clinic].Wallet
	if w == nil {
		return nil // the caller runs this clinic: registering is up to them
	}
	name, _ := memberName(member)
	who := demoIdentity(name).Public()
	_, err := w.Ledger().State().Clinician(chain.PublicKey(who.SigningKey))
	if err == nil {
		return nil
	}
	if !errors.Is(err, state.ErrNotFound) {
		return err
	}
	_, err = w.RegisterClinician(ctx, who, role)
	return err
}

// wallets are the demo wallets this Net opened.
func (n *Net) wallets() []*wallet.Wallet {
	var out []*wallet.Wallet
	for _, c := range n.Clinics {
		if c.Wallet != nil {
			out = append(out, c.Wallet)
		}
	}
	for _, w := range []*wallet.Wallet{n.Clinician, n.Pharmacist} {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

// Network is the demo consortium as a member joins it: wallet.Join(dir,
// n.Network()). Its peer addresses hold for this run only (random ports),
// so join again on every start.
func (n *Net) Network() wallet.Network {
	return wallet.Network{Genesis: n.genesis, Peers: n.Addrs(), Listen: loopback}
}

// Addrs returns the clinics' multiaddrs (with /p2p/ IDs), for a wallet's
// node to peer with.
func (n *Net) Addrs() []string {
	var out []string
	for _, c := range n.Clinics {
		if c.Wallet != nil {
			out = append(out, c.Wallet.Addrs()...)
		}
	}
	return out
}

// AskPatient has the demo clinician send patient the demo access request,
// in the background, once the clinician's registration is on the chain;
// see RequestAccess. Calls after the first do nothing.
func (n *Net) AskPatient(patient identity.ID) {
	n.askOnce.Do(func() {
		n.wg.Go(func() {
			sent, err := n.RequestAccess(n.ctx, patient)
			switch {
			case err != nil && n.ctx.Err() == nil:
				n.log.Warn("the demo clinician's access request failed", "err", err)
			case sent:
				n.log.Info("the demo clinician asked the patient for access", "patient", patient)
			}
		})
	})
}

// RequestAccess waits until the demo clinician is registered on its copy
// of the chain, then asks patient for the demo access (conditions,
// medications and allergies, for treatment, 30 days) unless a request of
// the clinician's to patient is still undecided or the clinician holds a
// grant from patient that is in force. It reports whether it sent one.
func (n *Net) RequestAccess(ctx context.Context, patient identity.ID) (sent bool, err error) {
	c := n.Clinician
	if c == nil {
		return false, errors.New("demo: the clinician's wallet is not part of this run")
	}
	err = c.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		r, err := c.Roles()
		return err == nil && r.Clinician != nil
	})
	if err != nil {
		return false, fmt.Errorf("waiting for the clinician's registration: %w", err)
	}
	asked, err := n.alreadyAsked(patient)
	if err != nil || asked {
		return false, err
	}
	if _, err := c.RequestAccess(ctx, patient, demoRequest); err != nil {
		return false, err
	}
	return true, nil
}

// alreadyAsked reports whether the clinician's chain holds an undecided
// request of theirs to patient, or a grant from patient to them in force.
func (n *Net) alreadyAsked(patient identity.ID) (bool, error) {
	me := n.Clinician.ChainKey()
	pk := chain.PublicKey(patient.SigningKey())
	l := n.Clinician.Ledger()
	reqs, err := l.State().PendingRequests(pk)
	if err != nil {
		return false, err
	}
	for _, r := range reqs {
		if r.Clinician == me {
			return true, nil
		}
	}
	grants, err := l.State().GrantsBy(pk)
	if err != nil {
		return false, err
	}
	now := l.Head().Time
	for _, g := range grants {
		if g.Grantee == me && !g.Revoked && g.Expiry > now {
			return true, nil
		}
	}
	return false, nil
}

// Close stops the background work (an unfinished set-up resumes on the
// next start), then closes the clinics', clinician's and
// pharmacist's wallets.
func (n *Net) Close() error {
	n.cancel()
	n.wg.Wait()
	var errs []error
	for _, w := range n.wallets() {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}
