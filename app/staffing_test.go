package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet"
)

// A clinic's staffing view on its own node: its two clinicians by kind
// and specialty (from the documents it filed; the nurse's, not filed,
// shows no specialty), the training that ends
// within 30 days and the licence that ends within 90; a revocation shows
// at once.
func TestStaffingScreen(t *testing.T) {
	c := newClinicNode(t)
	win := c.u.Window()
	clinic := c.u.Wallet()
	board, doctor, nurse := c.member(t), c.member(t), c.member(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, r := range []struct {
		w    *wallet.Wallet
		role chain.Role
	}{{doctor, chain.RolePhysician}, {nurse, chain.RoleNurse}} {
		if _, err := clinic.RegisterClinician(ctx, r.w.Public(), r.role); err != nil {
			t.Fatal(err)
		}
	}
	if err := clinic.VoteAuthority(ctx, board.ChainKey(), true, testBoard, chain.KindsOf(chain.KindPhysician, chain.KindNurse, chain.KindTraining)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the board admitted", func() bool { _, ok, err := board.MyAuthority(); return err == nil && ok })
	now := time.Now()
	issue := func(to *wallet.Wallet, kind, number, specialty string, until time.Time) wallet.HeldCredential {
		t.Helper()
		h, err := board.IssueCredential(ctx, wallet.CredentialRequest{Subject: to.ChainKey(), Kind: kind, LicenceNumber: number,
			Jurisdiction: "NL", Specialty: specialty, ValidFrom: now.Add(-time.Hour), ValidUntil: until})
		if err != nil {
			t.Fatalf("issue %s: %v", kind, err)
		}
		return h
	}
	licence := issue(doctor, "physician", "BIG-1", "cardiology", now.AddDate(2, 0, 0))
	mri := issue(doctor, "MRI safety", "", "", now.Add(20*24*time.Hour+time.Hour))
	nursing := issue(nurse, "nurse", "RN-2", "intensive care", now.Add(60*24*time.Hour+time.Hour))
	// The clinic files the doctor's documents (hired with them): the
	// chain alone names neither the specialty nor the training.
	for _, h := range []wallet.HeldCredential{licence, mri} {
		waitFor(t, "the credential on the clinic's node", func() bool {
			_, err := clinic.AddStaffCredential(ctx, h.Doc)
			return err == nil
		})
	}

	openSection(t, c.u, "Staffing")
	doc, nur := shortHWID(doctor.ID().String()), shortHWID(nurse.ID().String())
	waitFor(t, "the staffing view", func() bool {
		return labelContaining(win, "2 clinicians registered by this clinic; 2 of them hold a valid licence now.") &&
			hasLabel(win, func(s string) bool {
				return strings.Contains(s, "Physician: 1") && strings.Contains(s, "Nurse: 1") && strings.Contains(s, "MRI safety: 1")
			}) &&
			labelContaining(win, "Cardiology: 1") &&
			labelContaining(win, "Physician "+doc+" · MRI safety training ("+testBoard+") · ends ") &&
			labelContaining(win, "Nurse "+nur+" · Nurse licence ("+testBoard+") · ends ")
	})
	if !labelContaining(win, ", in 20 days") || !labelContaining(win, ", in 60 days") {
		t.Error("the expiries do not say how far off they are")
	}
	if labelContaining(win, "Intensive care") {
		t.Error("a specialty from a document the clinic never filed")
	}

	if err := board.SetCredentialStatus(ctx, nursing.Hash, chain.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revocation", func() bool {
		return labelContaining(win, "1 of them holds a valid licence now.") &&
			labelContaining(win, "Nurse "+nur+" · no valid licence on the ledger") &&
			labelContaining(win, "Not valid: revoked by "+testBoard)
	})
}
