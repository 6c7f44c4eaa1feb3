package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/healthwallet/healthwallet/chain"
)

// An admitted authority in its own wallet: the form refuses what is
// missing, issues a licence to a clinician's ID (offering its file), and
// the issued list suspends, reinstates and revokes it on the ledger, where
// the clinician's own wallet sees each change.
func TestAuthorityIssues(t *testing.T) {
	c, dirs := newConsortium(t, "board", "doctor")
	doctor := c.open(t, dirs["doctor"])
	t.Cleanup(func() { doctor.Close() })
	u := unlockUI(t, dirs["board"])
	win := u.Window()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Clinic.VoteAuthority(ctx, u.Wallet().ChainKey(), true, testBoard, chain.KindsOf(chain.KindPhysician, chain.KindTraining)); err != nil {
		t.Fatal(err)
	}
	openSection(t, u, "Credentials")
	waitFor(t, "the authority's introduction", func() bool {
		return labelContaining(win, "This wallet is "+testBoard+", a licensing authority the clinics admitted to issue: physician, training certificate.")
	})

	subject := entryWithPlaceholder(t, win, "the clinician's Health Wallet ID")
	tap(t, win, "Issue")
	waitFor(t, "the missing ID", func() bool { return labelContaining(win, "Give the clinician's Health Wallet ID") })
	typeInto(subject, doctor.ID().String())
	waitFor(t, "who the ID is", func() bool { return labelContaining(win, "Someone not registered as a clinician") })
	tap(t, win, "Issue")
	waitFor(t, "the missing number", func() bool { return labelContaining(win, "A licence needs its number.") })
	typeInto(entryWithPlaceholder(t, win, "required for a licence"), "BIG-1")
	typeInto(entryWithPlaceholder(t, win, "where it applies"), "NL")
	tap(t, win, "Issue")
	waitFor(t, "the issued dialog", func() bool {
		return strings.Contains(strings.Join(overlayLabels(win), "\n"), "Physician licence for "+shortHWID(doctor.ID().String())+" is signed and recorded on the ledger")
	})
	if findButton(win, "Save the file…") == nil {
		t.Fatal("no Save button for the credential file")
	}
	closeDialogs(win)
	waitFor(t, "the issued list", func() bool { return labelContaining(win, "Issued to "+shortHWID(doctor.ID().String())) })

	issued, err := u.Wallet().IssuedCredentials()
	if err != nil || len(issued) != 1 {
		t.Fatalf("%d issued: %v", len(issued), err)
	}
	h := issued[0].Hash
	doctorSees := func(want chain.CredentialStatus) func() bool {
		return func() bool {
			v, err := doctor.VerifyClinician(doctor.ChainKey())
			return err == nil && len(v.Credentials) == 1 && v.Credentials[0].Hash == h && v.Credentials[0].Status == want
		}
	}
	waitFor(t, "the doctor's licence on its node", doctorSees(chain.StatusActive))

	for _, step := range []struct {
		button, confirm string
		want            chain.CredentialStatus
		shows           string
	}{
		{"Suspend…", "Suspend", chain.StatusSuspended, "Not valid: suspended by " + testBoard},
		{"Reinstate…", "Reinstate", chain.StatusActive, "Valid until "},
		{"Revoke…", "Revoke", chain.StatusRevoked, "Not valid: revoked by " + testBoard},
	} {
		tap(t, win, step.button)
		tapInDialog(t, win, step.confirm)
		waitFor(t, step.confirm+" on the doctor's node", doctorSees(step.want))
		waitFor(t, step.confirm+" in the list", func() bool { return labelContaining(win, step.shows) })
	}
	// Revoked is final: nothing more to do with it.
	waitFor(t, "no status buttons", func() bool {
		return findButton(win, "Suspend…") == nil && findButton(win, "Reinstate…") == nil && findButton(win, "Revoke…") == nil
	})
}

// A clinic signer admits an authority by vote from the Credentials screen,
// sees it listed with what it may issue, and votes it out again.
func TestAuthorityVoting(t *testing.T) {
	c := newClinicNode(t)
	win := c.u.Window()
	board := c.member(t)
	openSection(t, c.u, "Credentials")
	waitFor(t, "no authority yet", func() bool { return labelContaining(win, "No authority is admitted yet") })

	typeInto(entryWithPlaceholder(t, win, "the authority's Health Wallet ID"), board.ID().String())
	typeInto(entryWithPlaceholder(t, win, "its name"), testBoard)
	var kinds *widget.CheckGroup
	waitFor(t, "the kinds", func() bool {
		everything(win, func(o fyne.CanvasObject) {
			if g, ok := o.(*widget.CheckGroup); ok {
				kinds = g
			}
		})
		return kinds != nil
	})
	onUI(func() { kinds.SetSelected([]string{"Physician", "Prescriber"}) })
	tap(t, win, "Vote to admit")
	waitFor(t, "the board admitted", func() bool { _, ok, err := board.MyAuthority(); return err == nil && ok })
	waitFor(t, "the board listed", func() bool {
		return labelContaining(win, testBoard+" (") && labelContaining(win, "may issue physician licences and prescriber licences · admitted on ")
	})

	tap(t, win, "Vote to remove…")
	tapInDialog(t, win, "Vote")
	waitFor(t, "the board removed", func() bool { a, err := board.Authorities(); return err == nil && len(a) == 1 && !a[0].Admitted })
	waitFor(t, "the removal listed", func() bool { return labelContaining(win, "removed on ") })
}
