package wallet_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/rx"
	"github.com/healthwallet/healthwallet/wallet/vc"
)

// rxWorld is a live one-clinic chain with a medical board (prescribers), a
// pharmacy board (pharmacists), two doctors with prescriber credentials, a
// registered clinician with none, a patient and two pharmacies.
type rxWorld struct {
	t                                                     *testing.T
	ctx                                                   context.Context
	clinic, board, pharmacyBoard                          *wallet.Wallet
	doctor, doctor2, fraud, patient, pharmacyA, pharmacyB *wallet.Wallet
	prescriber, prescriber2                               chain.Hash // the doctors' prescriber credentials
}

func newRxWorld(t *testing.T, ctx context.Context) *rxWorld {
	t.Helper()
	names := []string{"clinic", "board", "pharmacy-board", "doctor", "doctor2", "fraud", "patient", "pharmacy-a", "pharmacy-b"}
	dirs, g := consortium(t, "hw-rx-test", names, []string{"clinic"})
	ws := map[string]*wallet.Wallet{}
	for i, n := range names {
		quota := int64(0)
		if i == 0 {
			quota = 1 << 30
		}
		ws[n] = onChain(t, dirs[n], g, quota)
	}
	ctx, cancel := context.WithCancel(ctx)
	sealer := make(chan error, 1)
	go func() { sealer <- ws["clinic"].RunSealer(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-sealer
		for _, w := range ws {
			w.Close()
		}
	})
	for _, n := range names[1:] {
		if err := ws[n].ConnectPeer(ctx, ws["clinic"].Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	w := &rxWorld{t: t, ctx: ctx, clinic: ws["clinic"], board: ws["board"], pharmacyBoard: ws["pharmacy-board"],
		doctor: ws["doctor"], doctor2: ws["doctor2"], fraud: ws["fraud"], patient: ws["patient"], pharmacyA: ws["pharmacy-a"], pharmacyB: ws["pharmacy-b"]}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.clinic.VoteAuthority(ctx, w.board.ChainKey(), true, "Demo Medical Board", chain.KindsOf(chain.KindPhysician, chain.KindPrescriber)))
	must(w.clinic.VoteAuthority(ctx, w.pharmacyBoard.ChainKey(), true, "Demo Pharmacy Board", chain.KindsOf(chain.KindPharmacist)))
	for _, c := range []struct {
		w    *wallet.Wallet
		role chain.Role
	}{{w.doctor, chain.RolePhysician}, {w.doctor2, chain.RolePhysician}, {w.fraud, chain.RolePhysician}, {w.pharmacyA, chain.RolePharmacist}, {w.pharmacyB, chain.RolePharmacist}} {
		_, err := w.clinic.RegisterClinician(ctx, c.w.Public(), c.role)
		must(err)
	}
	waitFor(t, 30*time.Second, "the boards admitted", func() bool {
		_, a, _ := w.board.MyAuthority()
		_, b, _ := w.pharmacyBoard.MyAuthority()
		return a && b
	})
	w.prescriber = w.issue(w.board, w.doctor, "prescriber")
	w.prescriber2 = w.issue(w.board, w.doctor2, "prescriber")
	w.issue(w.pharmacyBoard, w.pharmacyA, "pharmacist")
	w.issue(w.pharmacyBoard, w.pharmacyB, "pharmacist")
	for _, c := range []struct {
		w    *wallet.Wallet
		kind chain.CredentialKind
	}{{w.doctor, chain.KindPrescriber}, {w.doctor2, chain.KindPrescriber}, {w.pharmacyA, chain.KindPharmacist}, {w.pharmacyB, chain.KindPharmacist}} {
		waitFor(t, 30*time.Second, "the credentials at every wallet", func() bool {
			for _, judge := range []*wallet.Wallet{c.w, w.pharmacyA, w.pharmacyB} {
				v, err := judge.VerifyClinician(c.w.ChainKey())
				if err != nil || !v.Holds(c.kind) {
					return false
				}
			}
			return true
		})
	}
	return w
}

func (w *rxWorld) issue(by, to *wallet.Wallet, kind string) chain.Hash {
	w.t.Helper()
	h, err := by.IssueCredential(w.ctx, wallet.CredentialRequest{Subject: to.ChainKey(), Kind: kind, LicenceNumber: "L-" + kind,
		Jurisdiction: "NL", ValidFrom: time.Now().Add(-time.Hour), ValidUntil: time.Now().AddDate(2, 0, 0)})
	if err != nil {
		w.t.Fatalf("issue %s: %v", kind, err)
	}
	return h.Hash
}

func amlodipine(refills int, valid time.Duration) rx.Order {
	return rx.Order{
		Medication: rx.Coding{System: rx.RxNorm, Code: "197361", Display: "amlodipine 5 MG Oral Tablet"},
		Dosage:     "1 tablet by mouth once daily", Quantity: 30, Unit: "tablet", Refills: refills,
		ValidUntil: time.Now().Add(valid),
	}
}

func (w *rxWorld) prescribe(by *wallet.Wallet, o rx.Order) wallet.Prescribed {
	w.t.Helper()
	p, err := by.Prescribe(w.ctx, wallet.PrescriptionRequest{Patient: w.patient.ID(), PrescriberName: "Dr. Test", Order: o})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// waitKnown waits until the pharmacy's copy of the chain holds the
// prescription's commitment.
func (w *rxWorld) waitKnown(pharmacy *wallet.Wallet, text string) {
	w.t.Helper()
	waitFor(w.t, 30*time.Second, "the commitment at the pharmacy", func() bool {
		v, err := pharmacy.VerifyPrescription(text)
		return err == nil && v.Checks[3].OK // CheckLedger
	})
}

func hasReason(v rx.Verdict, want error) bool {
	for _, r := range v.Reasons {
		if errors.Is(r, want) {
			return true
		}
	}
	return false
}

// The fraud table: every attempt is refused with its reason, by the
// pharmacist's verdict from local state and, for dispenses, by the chain.
func TestPrescriptionFraud(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := newRxWorld(t, ctx)

	// A genuine prescription passes and is dispensed once.
	genuine := w.prescribe(w.doctor, amlodipine(0, 30*24*time.Hour))
	w.waitKnown(w.pharmacyA, genuine.Text)
	if v, err := w.pharmacyA.VerifyPrescription(genuine.Text); err != nil || !v.OK || v.Remaining != 1 || v.IssuerName != "Demo Medical Board" {
		t.Fatalf("genuine: %+v, %v", v, err)
	}
	if v, err := w.pharmacyA.Dispense(ctx, genuine.Text); err != nil || v.OK || v.Remaining != 0 {
		t.Fatalf("dispense of the genuine prescription: %+v, %v", v.Reasons, err)
	}

	// A pack of attempts, each judged at pharmacy B.
	forger := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	forged, err := rx.Write(amlodipine(0, 24*time.Hour), forger, "Dr. Nobody", w.patient.ID().String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fraudKey := wallet.SigningKeyOf(w.fraud)
	fromFraud, err := rx.Write(amlodipine(2, 24*time.Hour), fraudKey, "Dr. Fraud", w.patient.ID().String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.fraud.Prescribe(ctx, wallet.PrescriptionRequest{Patient: w.patient.ID(), Order: amlodipine(0, time.Hour)}); !errors.Is(err, wallet.ErrNotPrescriber) {
		t.Fatalf("a clinician without a prescriber credential prescribes: %v", err)
	}

	altered := w.prescribe(w.doctor, amlodipine(1, 30*24*time.Hour))
	ap, err := rx.Decode(altered.Text)
	if err != nil {
		t.Fatal(err)
	}
	ap.Request = bytes.Replace(ap.Request, []byte("1 tablet by mouth once daily"), []byte("4 tablets by mouth once daily"), 1)
	alteredDose := ap.Encode()
	ap2, _ := rx.Decode(altered.Text)
	ap2.Request = bytes.Replace(ap2.Request, []byte(`"value":30`), []byte(`"value":90`), 1)
	alteredQuantity := ap2.Encode()

	unknownP, err := rx.Write(amlodipine(0, 24*time.Hour), wallet.SigningKeyOf(w.doctor), "Dr. Test", w.patient.ID().String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Doctor 2's prescriber credential is revoked; it writes anyway.
	if err := w.board.SetCredentialStatus(ctx, w.prescriber2, chain.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the revocation at doctor 2", func() bool {
		v, _ := w.doctor2.VerifyClinician(w.doctor2.ChainKey())
		return !v.Holds(chain.KindPrescriber)
	})
	if _, err := w.doctor2.Prescribe(ctx, wallet.PrescriptionRequest{Patient: w.patient.ID(), Order: amlodipine(0, time.Hour)}); !errors.Is(err, wallet.ErrNotPrescriber) {
		t.Fatalf("a revoked prescriber prescribes: %v", err)
	}
	revoked, err := rx.Write(amlodipine(0, 24*time.Hour), wallet.SigningKeyOf(w.doctor2), "Dr. Two", w.patient.ID().String(), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// An authority nobody admitted issues the fraud a prescriber
	// credential: the document verifies, the chain does not know it.
	rogue := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	rogueDID, _ := vc.DIDKey(rogue.Public().(ed25519.PublicKey))
	fraudDID, _ := vc.DIDKey(func() ed25519.PublicKey { k := w.fraud.ChainKey(); return k[:] }())
	rogueDoc, err := vc.Issue(vc.Credential{Issuer: rogueDID, Subject: fraudDID, Kind: vc.KindPrescriber, LicenceNumber: "X-1", Jurisdiction: "NL",
		ValidFrom: time.Now().Add(-time.Hour).UTC().Truncate(time.Second), ValidUntil: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second)}, rogue, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.fraud.AddCredential(ctx, rogueDoc); !errors.Is(err, wallet.ErrCredentialNotAnchored) {
		t.Fatalf("a credential from a non-admitted authority: %v", err)
	}
	if c, err := w.clinic.CheckCredentialDocument(rogueDoc); err != nil || c.Verdict.Valid {
		t.Fatalf("a clinic's check of the rogue credential: %+v, %v", c.Verdict, err)
	}

	// An expired prescription: valid for a few seconds of chain time.
	short := w.prescribe(w.doctor, amlodipine(0, 3*time.Second))
	waitFor(t, 30*time.Second, "the short prescription's expiry", func() bool {
		v, err := w.pharmacyB.VerifyPrescription(short.Text)
		return err == nil && hasReason(v, rx.ErrExpired)
	})
	w.waitKnown(w.pharmacyB, altered.Text)

	cases := []struct {
		name string
		text string
		want error
	}{
		{"forged: signed by a key that never held a prescriber credential", forged.Encode(), rx.ErrForged},
		{"forged: signed by a registered clinician without one", fromFraud.Encode(), rx.ErrForged},
		{"prescriber's licence revoked at writing time", revoked.Encode(), rx.ErrPrescriberInvalid},
		{"altered dose", alteredDose, rx.ErrAltered},
		{"altered quantity", alteredQuantity, rx.ErrAltered},
		{"replayed at a second pharmacy after its only dispense", genuine.Text, rx.ErrAlreadyDispensed},
		{"expired", short.Text, rx.ErrExpired},
		{"never committed", unknownP.Encode(), rx.ErrUnknown},
		{"not a prescription", "hwrx1:AAAA", rx.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := w.pharmacyB.VerifyPrescription(c.text)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK || !hasReason(v, c.want) {
				t.Fatalf("verdict OK=%v reasons %v, want %v", v.OK, v.Reasons, c.want)
			}
			dv, err := w.pharmacyB.Dispense(ctx, c.text)
			if !errors.Is(err, wallet.ErrDispenseRefused) || !hasReason(dv, c.want) {
				t.Fatalf("dispense: %v (reasons %v), want a refusal for %v", err, dv.Reasons, c.want)
			}
		})
	}
	// The untouched prescription behind the altered ones still passes.
	if v, err := w.pharmacyB.VerifyPrescription(altered.Text); err != nil || !v.OK || v.Remaining != 2 {
		t.Fatalf("the unaltered prescription: %v, %v", v.Reasons, err)
	}
	// A pharmacy without a valid pharmacist credential cannot dispense.
	if _, err := w.doctor.Dispense(ctx, altered.Text); !errors.Is(err, wallet.ErrNotPharmacist) {
		t.Fatalf("dispense by a doctor: %v", err)
	}

	// Suspended, a prescriber cannot prescribe; reinstated, they can.
	if err := w.board.SetCredentialStatus(ctx, w.prescriber, chain.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the suspension at the doctor", func() bool {
		v, _ := w.doctor.VerifyClinician(w.doctor.ChainKey())
		return !v.Holds(chain.KindPrescriber)
	})
	if _, err := w.doctor.Prescribe(ctx, wallet.PrescriptionRequest{Patient: w.patient.ID(), Order: amlodipine(0, time.Hour)}); !errors.Is(err, wallet.ErrNotPrescriber) {
		t.Fatalf("a suspended prescriber prescribes: %v", err)
	}
	if err := w.board.SetCredentialStatus(ctx, w.prescriber, chain.StatusActive); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the reinstatement at the doctor", func() bool {
		v, _ := w.doctor.VerifyClinician(w.doctor.ChainKey())
		return v.Holds(chain.KindPrescriber)
	})
	afterReinstatement := w.prescribe(w.doctor, amlodipine(0, 24*time.Hour))

	// Two pharmacies present it at the same moment: exactly one dispenses.
	w.waitKnown(w.pharmacyA, afterReinstatement.Text)
	w.waitKnown(w.pharmacyB, afterReinstatement.Text)
	type result struct {
		v   rx.Verdict
		err error
	}
	results := make(chan result, 2)
	for _, p := range []*wallet.Wallet{w.pharmacyA, w.pharmacyB} {
		go func() {
			v, err := p.Dispense(ctx, afterReinstatement.Text)
			results <- result{v, err}
		}()
	}
	var ok, refused int
	for range 2 {
		r := <-results
		switch {
		case r.err == nil:
			ok++
		case errors.Is(r.err, wallet.ErrDispenseRefused):
			refused++
		default:
			t.Fatalf("racing dispense: %v", r.err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("racing dispenses: %d dispensed, %d refused", ok, refused)
	}
	// The loser's wallet is not stuck: it dispenses the next prescription.
	next := w.prescribe(w.doctor, amlodipine(0, 24*time.Hour))
	for _, p := range []*wallet.Wallet{w.pharmacyA, w.pharmacyB} {
		w.waitKnown(p, next.Text)
	}
	if _, err := w.pharmacyB.Dispense(ctx, next.Text); err != nil {
		t.Fatalf("a dispense after a lost race: %v", err)
	}
}

// A prescription delivered to the patient's records, with no drug or
// patient name on the chain.
func TestPrescriptionDelivered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := newRxWorld(t, ctx)
	if _, err := w.patient.Grant(ctx, wallet.GrantSpec{Clinician: w.doctor.ID(), Categories: []string{"medications"}, Purpose: chain.PurposeTREAT,
		Duration: time.Hour, Write: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the write grant at the doctor", func() bool {
		a, err := w.doctor.GrantsToMe(ctx)
		return err == nil && len(a) == 1 && a[0].Write
	})
	p := w.prescribe(w.doctor, amlodipine(2, 30*24*time.Hour))
	if !p.Delivered {
		t.Fatal("not delivered under a write grant")
	}
	var got []wallet.PrescriptionRecord
	waitFor(t, 30*time.Second, "the prescription in the patient's wallet", func() bool {
		var err error
		got, err = w.patient.Prescriptions(ctx)
		return err == nil && len(got) == 1
	})
	if got[0].Text != p.Text || got[0].Remaining != 3 || got[0].Order.Medication.Code != "197361" {
		t.Fatalf("patient's prescription %+v", got[0])
	}
	// The chain holds the commitment, never the drug or the patient.
	dump := chainDump(t, w.clinic)
	for _, secret := range []string{"amlodipine", "197361", w.patient.ID().String(), "1 tablet by mouth"} {
		if bytes.Contains(dump, []byte(secret)) {
			t.Fatalf("the chain holds %q", secret)
		}
	}
	c := p.Prescription.Commitment()
	if !bytes.Contains(dump, c[:]) {
		t.Fatal("the dump does not hold the commitment: it is not a dump of the chain")
	}
}

// chainDump is every block of the canonical chain, as encoded.
func chainDump(t *testing.T, w *wallet.Wallet) []byte {
	t.Helper()
	var dump bytes.Buffer
	head := w.Ledger().Head().Number
	for from := uint64(0); from <= head; {
		raw, err := w.Ledger().CanonicalRange(context.Background(), from, 128, 8<<20)
		if err != nil || len(raw) == 0 {
			t.Fatalf("chain dump at %d: %v", from, err)
		}
		for _, b := range raw {
			dump.Write(b)
		}
		from += uint64(len(raw))
	}
	return dump.Bytes()
}
