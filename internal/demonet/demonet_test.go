package demonet

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// The demo genesis is fixed: every demo install runs the same chain, whose
// signers are the demo clinics' wallets.
func TestGenesisIsFixed(t *testing.T) {
	a, _ := Genesis().Header()
	b, _ := Genesis().Header()
	if a.Hash() != b.Hash() || len(a.Checkpoint) != len(Clinics) {
		t.Fatal("demo genesis differs between calls")
	}
	if Phrase(Clinics[0]) != Phrase(Clinics[0]) || Phrase(Clinics[0]) == Phrase(Clinics[1]) {
		t.Fatal("demo phrases are not fixed per party")
	}
}

// The demo consortium end to end: a patient joins it, the clinician (whom
// clinic 1 registers) asks for access and the patient sees the request; a
// restart resumes the chain and does not ask again; Close leaves no
// goroutine behind.
func TestDemoConsortium(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	patientDir := t.TempDir()
	w, _, err := wallet.Create(patientDir, []byte(Passphrase), wallet.Options{KDF: keystore.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	patient := w.ID()
	w.Close()

	n, err := Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.Join(patientDir, n.Network()); err != nil {
		t.Fatal(err)
	}
	nw, err := wallet.LoadNetwork(patientDir)
	if err != nil {
		t.Fatal(err)
	}
	w, err = wallet.Open(patientDir, []byte(Passphrase), nw.Options(wallet.Options{KDF: keystore.TestParams}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConnectMembers(ctx, nw.Peers); err != nil {
		t.Fatal(err)
	}
	sent, err := n.RequestAccess(ctx, patient)
	if err != nil || !sent {
		t.Fatalf("first request: sent %v, %v", sent, err)
	}
	err = w.Ledger().WaitFor(ctx, func(ledger.Tip) bool {
		p, _ := w.PendingRequests(ctx)
		return len(p) == 1 && p[0].Note == RequestNote && p[0].Clinician == n.Clinician.ChainKey()
	})
	if err != nil {
		t.Fatalf("the patient never saw the request: %v", err)
	}
	// Both clinics hold the request's block before the restart.
	for _, c := range n.Clinics {
		if err := c.Wallet.Ledger().WaitFor(ctx, func(ledger.Tip) bool { return c.Wallet.Ledger().Head().Number >= w.Ledger().Head().Number }); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	head := w.Ledger().Head()
	w.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n, err = Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if n != nil {
			n.Close()
		}
	}()
	if got := n.Clinics[1].Wallet.Ledger().Head(); got.Number < head.Number {
		t.Fatalf("restart at %d, was at %d", got.Number, head.Number)
	}
	if sent, err := n.RequestAccess(ctx, patient); err != nil || sent {
		t.Fatalf("after a restart: sent %v, %v; want no second request", sent, err)
	}
	err = n.Close()
	n = nil
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}

// The demo through one member's eyes: the consortium runs without that
// member's wallet, which the caller opens on the demo network, as the
// signer (or clinician) it is. A directory of the first demo chain's bare
// nodes gives way to the wallets.
func TestDemoAsMember(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	// A node the first demo chain left behind gives way to the wallet.
	for _, sub := range []string{"ipfs", "chain"} {
		if err := os.MkdirAll(filepath.Join(dir, "clinic-1", sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "clinic-1", "chain", "chain.db"), []byte("not this chain"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := StartExcept(ctx, dir, nil, "nobody"); err == nil {
		t.Fatal("StartExcept accepted an unknown member")
	}
	n, err := StartExcept(ctx, dir, nil, "clinic-2")
	if err != nil {
		t.Fatal(err)
	}
	if n.Clinics[1].Wallet != nil || n.Clinician == nil {
		t.Fatalf("clinic-2 opened by the Net, or the clinician missing")
	}
	w, nw, err := n.OpenMember("clinic-2", wallet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConnectMembers(ctx, nw.Peers); err != nil {
		t.Fatal(err)
	}
	if w.ChainKey() != ClinicKey(1) {
		t.Fatal("clinic-2's wallet is not Demo Clinic South's key")
	}
	if r, err := w.Roles(); err != nil || !r.Signer {
		t.Fatalf("clinic-2 roles %+v, %v: want a signer", r, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	// The pharmacist's eyes on the same directory: clinic 2's vote was
	// missing above, so the licensing set-up completes now, before
	// StartExcept returns, and the pharmacist's wallet opens with its
	// registration and its licence.
	n, err = StartExcept(ctx, dir, nil, "pharmacist")
	if err != nil {
		t.Fatal(err)
	}
	if n.Pharmacist != nil {
		t.Fatal("the pharmacist's wallet opened by the Net")
	}
	if err := n.Licensed(ctx); err != nil {
		t.Fatal(err)
	}
	w, nw, err = n.OpenMember("pharmacist", wallet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConnectMembers(ctx, nw.Peers); err != nil {
		t.Fatal(err)
	}
	r, err := w.Roles()
	if err != nil || r.Clinician == nil || r.Clinician.Role != chain.RolePharmacist || r.Clinician.Clinic != ClinicKey(1) ||
		!r.Licences.Has(chain.KindPharmacist) || r.Signer {
		t.Fatalf("pharmacist roles %+v, %v: want a pharmacist of %s with a valid licence", r, err, Clinics[1])
	}
	held, err := w.Credentials()
	if err != nil || len(held) != 1 || !held[0].Verdict.Valid || held[0].Verdict.IssuerName != PharmacyBoard {
		t.Fatalf("pharmacist's credentials %+v, %v", held, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}

// The licensing set-up on a fresh demo: the clinics admit the two boards,
// which issue Dr. Ada Demo's licences and training and the pharmacist's
// licence; the holders keep the documents. A restart finds it all in place
// and issues nothing more.
func TestDemoLicensing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	n, err := Start(ctx, dir, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if n != nil {
			n.Close()
		}
	}()
	began := time.Now()
	if err := n.Licensed(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("licensing set up %v after Start returned, chain at block %d", time.Since(began).Round(time.Millisecond), n.Clinics[0].Wallet.Ledger().Head().Number)

	clinic := n.Clinics[0].Wallet
	auths, err := clinic.Authorities()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]chain.CredentialKinds{MedicalBoard: authorities[0].kinds, PharmacyBoard: authorities[1].kinds}
	for _, a := range auths {
		if !a.Admitted || want[a.Name] != a.Kinds || a.Key != memberKey(authorities[slices.IndexFunc(authorities, func(x authority) bool { return x.name == a.Name })].member) {
			t.Errorf("authority %+v", a)
		}
		delete(want, a.Name)
	}
	if len(want) != 0 || len(auths) != 2 {
		t.Fatalf("authorities %+v", auths)
	}

	// Anyone judges the clinician from the chain; the clinician's wallet
	// holds the documents, with the training's name and end.
	v, err := clinic.VerifyClinician(n.Clinician.ChainKey())
	if err != nil || !v.Verified || !v.Holds(chain.KindPhysician) || !v.Holds(chain.KindPrescriber) || !strings.Contains(v.Summary, MedicalBoard) {
		t.Fatalf("clinician verdict %+v, %v", v, err)
	}
	held, err := n.Clinician.Credentials()
	if err != nil || len(held) != 3 {
		t.Fatalf("clinician holds %d credentials, %v; want 3", len(held), err)
	}
	for _, h := range held {
		if !h.Verdict.Valid || h.Verdict.IssuerName != MedicalBoard || h.VC.Jurisdiction != Jurisdiction {
			t.Errorf("clinician's %s: %+v", h.Verdict.Name, h.Verdict)
		}
		if h.Verdict.Name == TrainingName {
			if left := time.Until(h.Verdict.ValidUntil); left < (TrainingDaysLeft-1)*24*time.Hour || left > TrainingDaysLeft*24*time.Hour {
				t.Errorf("training ends in %v, want about %d days", left, TrainingDaysLeft)
			}
		}
	}
	if !slices.ContainsFunc(held, func(h wallet.HeldCredential) bool { return h.Verdict.Name == TrainingName }) {
		t.Errorf("no %s training among %+v", TrainingName, held)
	}
	// Clinic 1 filed the clinician's documents: its staffing view names the
	// training and the specialty.
	staff, err := clinic.Staffing(time.Now())
	if err != nil || staff.ByKind[TrainingName] != 1 || staff.BySpecialty["General practice"] != 1 || len(staff.Within90) != 1 {
		t.Fatalf("clinic 1's staffing %+v, %v", staff, err)
	}
	pv, err := clinic.VerifyClinician(n.Pharmacist.ChainKey())
	if err != nil || !pv.Verified || !pv.Holds(chain.KindPharmacist) || pv.Holds(chain.KindPrescriber) || !strings.Contains(pv.Summary, PharmacyBoard) {
		t.Fatalf("pharmacist verdict %+v, %v", pv, err)
	}
	if r, err := n.Pharmacist.Roles(); err != nil || r.Clinician == nil || r.Clinician.Role != chain.RolePharmacist {
		t.Fatalf("pharmacist roles %+v, %v", r, err)
	}
	anchored, err := clinic.Ledger().State().CredentialsBy(memberKey("medical-board"))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n, err = Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.licensed:
	default:
		t.Fatal("a restart runs the licensing set-up again")
	}
	again, err := n.Clinics[1].Wallet.Ledger().State().CredentialsBy(memberKey("medical-board"))
	if err != nil || len(again) != len(anchored) {
		t.Fatalf("after a restart %d credentials (%v), was %d", len(again), err, len(anchored))
	}
	err = n.Close()
	n = nil
	if err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}

// testLog logs the demo's progress to the test log (with -v).
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}
