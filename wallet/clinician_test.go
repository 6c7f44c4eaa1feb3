package wallet_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// A clinician's and a clinic's views of the chain: the patients whose
// grants the doctor holds (with scope, actions and expiry), the clinicians
// a clinic registered, revoking one, and a signer vote in progress.
func TestClinicianViews(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dirs, g := consortium(t, "hw-clinician-test", []string{"clinic-a", "clinic-b", "doctor", "nurse", "patient", "newcomer"}, []string{"clinic-a", "clinic-b"})
	a, b := onChain(t, dirs["clinic-a"], g, 1<<30), onChain(t, dirs["clinic-b"], g, 0)
	defer a.Close()
	defer b.Close()
	doctor, nurse, patient := onChain(t, dirs["doctor"], g, 0), onChain(t, dirs["nurse"], g, 0), onChain(t, dirs["patient"], g, 0)
	defer doctor.Close()
	defer nurse.Close()
	defer patient.Close()
	sealers := make(chan error, 2)
	for _, w := range []*wallet.Wallet{a, b} {
		go func() { sealers <- w.RunSealer(ctx) }()
	}
	defer func() { cancel(); <-sealers; <-sealers }()
	for _, w := range []*wallet.Wallet{b, doctor, nurse, patient} {
		if err := w.ConnectPeer(ctx, a.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	// Blocks are sealed only for transactions, so the conditions, which
	// span wallets, are polled.
	until := func(_ *wallet.Wallet, what string, cond func() bool) {
		t.Helper()
		waitFor(t, 30*time.Second, what, cond)
	}
	if _, err := a.RegisterClinician(ctx, doctor.Public(), chain.RolePhysician); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RegisterClinician(ctx, nurse.Public(), chain.RoleNurse); err != nil {
		t.Fatal(err)
	}
	until(patient, "registrations", func() bool {
		r, _ := nurse.Roles()
		d, _ := doctor.Roles()
		return r.Clinician != nil && d.Clinician != nil
	})

	// The patient grants the doctor two things; the doctor sees one patient.
	if _, err := patient.ImportFile(ctx, bundleFiles(t)[0], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: doctor.ID(), Categories: []string{"conditions"}, Purpose: chain.PurposeTREAT, Duration: 48 * time.Hour, Read: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: doctor.ID(), Categories: []string{"observations", "allergies"}, Purpose: chain.PurposeTREAT, Duration: 72 * time.Hour, Read: true, Write: true}); err != nil {
		t.Fatal(err)
	}
	var access []wallet.PatientAccess
	until(doctor, "grants to the doctor", func() bool {
		var err error
		access, err = doctor.GrantsToMe(ctx)
		return err == nil && len(access) == 1 && len(access[0].Grants) == 2
	})
	pa := access[0]
	if pa.ID != patient.ID() || pa.Patient != patient.ChainKey() || !pa.Read || !pa.Write {
		t.Fatalf("access %+v", pa)
	}
	if !slices.Equal(pa.Categories, []chain.Category{chain.CategoryConditions, chain.CategoryAllergies, chain.CategoryObservations}) {
		t.Fatalf("categories %v", pa.Categories)
	}
	if d := time.Until(pa.Expires); d < 71*time.Hour || d > 73*time.Hour+time.Minute {
		t.Fatalf("expires in %v, want the later grant's 72 h", d)
	}
	if got, _ := nurse.GrantsToMe(ctx); len(got) != 0 {
		t.Fatalf("the nurse holds %d grants", len(got))
	}

	// Clinic A's registrations; B registered none and may not revoke A's.
	regs, err := a.ClinicianRegistrations(ctx)
	if err != nil || len(regs) != 2 || regs[0].ID != doctor.ID() || regs[1].Role != chain.RoleNurse || regs[0].Registered.IsZero() {
		t.Fatalf("registrations %+v: %v", regs, err)
	}
	if regs, err := b.ClinicianRegistrations(ctx); err != nil || len(regs) != 0 {
		t.Fatalf("clinic B's registrations %+v: %v", regs, err)
	}
	if _, err := b.RevokeClinician(ctx, nurse.ChainKey()); !errors.Is(err, wallet.ErrNotRegistrar) {
		t.Fatalf("revoke by another clinic: %v", err)
	}
	if _, err := a.RevokeClinician(ctx, patient.ChainKey()); !errors.Is(err, wallet.ErrNotClinician) {
		t.Fatalf("revoke of a patient: %v", err)
	}
	if _, err := a.RevokeClinician(ctx, nurse.ChainKey()); err != nil {
		t.Fatal(err)
	}
	until(nurse, "the nurse's revocation", func() bool { r, _ := nurse.Roles(); return r.Clinician == nil })
	regs, _ = a.ClinicianRegistrations(ctx)
	if len(regs) != 2 || regs[0].Revoked || !regs[1].Revoked {
		t.Fatalf("after revoke: %+v", regs)
	}
	if _, err := a.RevokeClinician(ctx, nurse.ChainKey()); !errors.Is(err, wallet.ErrNotClinician) {
		t.Fatalf("second revoke: %v", err)
	}

	// Clinic A votes to add a newcomer: one of two signers, so the vote
	// waits for B.
	nw, err := wallet.Open(dirs["newcomer"], []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	newcomer := nw.ChainKey()
	nw.Close()
	// A vote rides on the next block, and a block needs a transaction to
	// be sealed: the patient revokes one grant.
	a.Ledger().Propose(newcomer, true)
	if err := patient.Revoke(ctx, pa.Grants[0].ID); err != nil {
		t.Fatal(err)
	}
	var votes []wallet.SignerVote
	until(a, "the vote in a block", func() bool {
		votes, err = a.SignerVotes(ctx)
		return err == nil && len(votes) == 1
	})
	v := votes[0]
	if v.Target != newcomer || !v.Authorize || v.Needed != 2 || !slices.Equal(v.For, []chain.PublicKey{a.ChainKey()}) {
		t.Fatalf("vote %+v", v)
	}
	// B agrees: the newcomer is a signer and the vote is gone.
	b.Ledger().Propose(newcomer, true)
	if err := patient.Revoke(ctx, pa.Grants[1].ID); err != nil {
		t.Fatal(err)
	}
	until(a, "the newcomer a signer", func() bool { return slices.Contains(a.Ledger().Signers(), newcomer) })
	a.Ledger().Discard(newcomer)
	b.Ledger().Discard(newcomer)
	if votes, err := a.SignerVotes(ctx); err != nil || len(votes) != 0 {
		t.Fatalf("after the vote passed: %+v: %v", votes, err)
	}
	until(doctor, "both grants revoked", func() bool { got, err := doctor.GrantsToMe(ctx); return err == nil && len(got) == 0 })
}
