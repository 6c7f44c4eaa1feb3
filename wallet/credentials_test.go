package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// Verified clinicians end to end on a live one-clinic chain: the clinic
// admits a medical board, the board issues a doctor a licence, a
// prescriber credential and a training certificate, the doctor keeps them,
// a patient judges the doctor from its own copy of the chain (also with
// every other node gone), a suspension and a reinstatement show up
// everywhere, the patient's policy declines a request from a key with no
// licence, and the clinic's staffing view lists what expires soon.
func TestVerifiedClinicians(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dirs, g := consortium(t, "hw-credentials-test", []string{"clinic", "board", "doctor", "nurse", "patient"}, []string{"clinic"})
	clinic := onChain(t, dirs["clinic"], g, 1<<30)
	board, doctor, nurse, patient := onChain(t, dirs["board"], g, 0), onChain(t, dirs["doctor"], g, 0), onChain(t, dirs["nurse"], g, 0), onChain(t, dirs["patient"], g, 0)
	defer patient.Close()
	sealer := make(chan error, 1)
	go func() { sealer <- clinic.RunSealer(ctx) }()
	// The others close early (the network cut at the end) or at a failure.
	var closed bool
	closeOthers := func() {
		if closed {
			return
		}
		closed = true
		cancel()
		<-sealer
		for _, w := range []*wallet.Wallet{board, doctor, nurse, clinic} {
			w.Close()
		}
	}
	defer closeOthers()
	for _, w := range []*wallet.Wallet{board, doctor, nurse, patient} {
		if err := w.ConnectPeer(ctx, clinic.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		waitFor(t, 30*time.Second, what, cond)
	}

	// Only a signer votes; one vote of one signer admits.
	kinds := chain.KindsOf(chain.KindPhysician, chain.KindNurse, chain.KindPrescriber, chain.KindTraining)
	if err := doctor.VoteAuthority(ctx, board.ChainKey(), true, "Demo Medical Board", kinds); !errors.Is(err, wallet.ErrNotSigner) {
		t.Fatalf("vote by a non-signer: %v", err)
	}
	if _, err := board.IssueCredential(ctx, wallet.CredentialRequest{Subject: doctor.ChainKey(), Kind: "physician", LicenceNumber: "1", Jurisdiction: "NL",
		ValidFrom: time.Now(), ValidUntil: time.Now().AddDate(1, 0, 0)}); !errors.Is(err, wallet.ErrNotAuthority) {
		t.Fatalf("issue before admission: %v", err)
	}
	if err := clinic.VoteAuthority(ctx, board.ChainKey(), true, "Demo Medical Board", kinds); err != nil {
		t.Fatal(err)
	}
	until("the board admitted", func() bool { _, ok, _ := board.MyAuthority(); return ok })
	for _, c := range []struct {
		w    *wallet.Wallet
		role chain.Role
	}{{doctor, chain.RolePhysician}, {nurse, chain.RoleNurse}} {
		if _, err := clinic.RegisterClinician(ctx, c.w.Public(), c.role); err != nil {
			t.Fatal(err)
		}
	}

	now := time.Now()
	issue := func(kind, licence, specialty string, until time.Time) wallet.HeldCredential {
		t.Helper()
		h, err := board.IssueCredential(ctx, wallet.CredentialRequest{Subject: doctor.ChainKey(), Kind: kind, LicenceNumber: licence,
			Jurisdiction: "NL", Specialty: specialty, ValidFrom: now.Add(-time.Hour), ValidUntil: until})
		if err != nil {
			t.Fatalf("issue %s: %v", kind, err)
		}
		return h
	}
	licence := issue("physician", "BIG-19012345601", "cardiology", now.AddDate(3, 0, 0))
	prescriber := issue("prescriber", "BIG-19012345601", "", now.AddDate(3, 0, 0))
	mri := issue("MRI safety", "", "", now.Add(20*24*time.Hour))
	if _, err := board.IssueCredential(ctx, wallet.CredentialRequest{Subject: doctor.ChainKey(), Kind: "pharmacist", LicenceNumber: "9", Jurisdiction: "NL",
		ValidFrom: now, ValidUntil: now.AddDate(1, 0, 0)}); !errors.Is(err, wallet.ErrNotAuthority) {
		t.Fatalf("issue of a kind the board may not issue: %v", err)
	}
	if issued, err := board.IssuedCredentials(); err != nil || len(issued) != 3 {
		t.Fatalf("issued %d, %v", len(issued), err)
	}

	// The doctor keeps its documents; nobody else can, and a forgery fails.
	until("the doctor's copy of the anchors", func() bool {
		_, err := doctor.AddCredential(ctx, licence.Doc)
		return err == nil
	})
	for _, h := range []wallet.HeldCredential{prescriber, mri} {
		if _, err := doctor.AddCredential(ctx, h.Doc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nurse.AddCredential(ctx, licence.Doc); !errors.Is(err, wallet.ErrNotYours) {
		t.Fatalf("the nurse keeps the doctor's licence: %v", err)
	}
	forged := bytes.Replace(licence.Doc, []byte("cardiology"), []byte("neurosurgery"), 1)
	if _, err := doctor.AddCredential(ctx, forged); !errors.Is(err, wallet.ErrCredentialDocument) {
		t.Fatalf("a tampered document: %v", err)
	}
	held, err := doctor.Credentials()
	if err != nil || len(held) != 3 {
		t.Fatalf("held %d: %v", len(held), err)
	}
	if r, _ := doctor.Roles(); r.Licences != chain.KindsOf(chain.KindPhysician, chain.KindPrescriber, chain.KindTraining) {
		t.Fatalf("the doctor's licences %08b", r.Licences)
	}

	// The patient judges the doctor and the nurse from its own copy.
	var v wallet.ClinicianVerdict
	until("the patient's verdict on the doctor", func() bool {
		v, err = patient.VerifyClinician(doctor.ChainKey())
		return err == nil && v.Verified
	})
	if v.Summary != "verified physician and prescriber, Demo Medical Board" || len(v.Credentials) != 3 || !v.Holds(chain.KindPrescriber) {
		t.Fatalf("verdict %+v", v)
	}
	if nv, err := patient.VerifyClinician(nurse.ChainKey()); err != nil || nv.Verified || nv.Summary != "no licence on the ledger for this key" {
		t.Fatalf("verdict on the nurse %+v, %v", nv, err)
	}

	// Suspended, the doctor is unverified everywhere; reinstated, verified.
	if err := board.SetCredentialStatus(ctx, licence.Hash, chain.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if err := board.SetCredentialStatus(ctx, prescriber.Hash, chain.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	until("the suspension at the patient", func() bool {
		v, err = patient.VerifyClinician(doctor.ChainKey())
		return err == nil && !v.Verified
	})
	if !strings.HasPrefix(v.Summary, "no valid licence: physician licence suspended by Demo Medical Board on ") {
		t.Fatalf("summary %q", v.Summary)
	}
	if err := nurse.SetCredentialStatus(ctx, licence.Hash, chain.StatusRevoked); !errors.Is(err, wallet.ErrNotAuthority) {
		t.Fatalf("a status change by someone else: %v", err)
	}
	for _, h := range []chain.Hash{licence.Hash, prescriber.Hash} {
		if err := board.SetCredentialStatus(ctx, h, chain.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	until("the reinstatement at the patient", func() bool {
		v, err = patient.VerifyClinician(doctor.ChainKey())
		return err == nil && v.Verified
	})

	// Policy: the nurse (registered, no licence) is declined by the
	// patient's wallet itself; the doctor's request waits for the patient.
	if err := patient.SetRefuseUnverified(true); err != nil || !patient.RefuseUnverified() {
		t.Fatalf("policy: %v", err)
	}
	ask := wallet.AccessRequest{Categories: []string{"conditions"}, Purpose: chain.PurposeTREAT, Duration: time.Hour, Note: "check-up"}
	fromNurse, err := nurse.RequestAccess(ctx, patient.ID(), ask)
	if err != nil {
		t.Fatal(err)
	}
	fromDoctor, err := doctor.RequestAccess(ctx, patient.ID(), ask)
	if err != nil {
		t.Fatal(err)
	}
	until("the nurse's request declined by policy", func() bool {
		reqs, err := patient.PendingRequests(ctx)
		if err != nil {
			return false
		}
		var nurseWaits, doctorWaits bool
		for _, r := range reqs {
			nurseWaits = nurseWaits || r.ID == fromNurse
			doctorWaits = doctorWaits || r.ID == fromDoctor
		}
		return doctorWaits && !nurseWaits
	})

	// Staffing: the clinic files the doctor's documents.
	if _, err := clinic.AddStaffCredential(ctx, mri.Doc); err != nil {
		t.Fatal(err)
	}
	if _, err := clinic.AddStaffCredential(ctx, licence.Doc); err != nil {
		t.Fatal(err)
	}
	if _, err := doctor.AddStaffCredential(ctx, licence.Doc); !errors.Is(err, wallet.ErrNotSigner) {
		t.Fatalf("staff file by a non-clinic: %v", err)
	}
	s, err := clinic.Staffing(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Members) != 2 || s.ByKind["physician"] != 1 || s.ByKind["prescriber"] != 1 || s.ByKind["MRI safety"] != 1 || s.BySpecialty["cardiology"] != 1 {
		t.Fatalf("staffing %+v", s)
	}
	if len(s.Within30) != 1 || s.Within30[0].Credential.Name != "MRI safety" || s.Within30[0].Member != doctor.ChainKey() || len(s.Within90) != 0 {
		t.Fatalf("expiring: 30 days %+v, 90 days %+v", s.Within30, s.Within90)
	}
	if got, err := clinic.CheckCredentialDocument(forged); !errors.Is(err, wallet.ErrCredentialDocument) {
		t.Fatalf("check of a forged document: %+v, %v", got, err)
	}

	// With every other node gone, the patient's wallet still judges.
	closeOthers()
	v, err = patient.VerifyClinician(doctor.ChainKey())
	if err != nil || !v.Verified || v.Summary != "verified physician and prescriber, Demo Medical Board" {
		t.Fatalf("offline verdict %+v, %v", v, err)
	}
}
