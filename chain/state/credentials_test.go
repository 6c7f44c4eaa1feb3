package state

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

// credentialWorld: clinic-a and clinic-b (the signers) admitted "board"
// (physician, nurse, prescriber) and "pharmacy-board" (pharmacist); board
// issued dr-x a physician and a prescriber credential, pharmacy-board issued
// pharm-1 and pharm-2 pharmacist credentials.
type credentialWorld struct {
	*fixture
	physician, prescriber, pharm1, pharm2 chain.Hash
}

func credHash(name string) chain.Hash { return sha256.Sum256([]byte("credential " + name)) }

func (w *credentialWorld) credential(name, subject string, kind chain.CredentialKind) chain.CredentialAnchor {
	return chain.CredentialAnchor{Credential: credHash(name), Subject: testPub(subject), Kind: kind,
		ValidFrom: w.time - 86400, ValidUntil: w.time + 365*86400}
}

func newCredentialWorld(t testing.TB) *credentialWorld {
	w := &credentialWorld{fixture: newFixture(t)}
	for _, a := range []chain.AuthorityVote{
		{Key: testPub("board"), Admit: true, Name: "Demo Medical Board", Kinds: chain.KindsOf(chain.KindPhysician, chain.KindNurse, chain.KindPrescriber)},
		{Key: testPub("pharmacy-board"), Admit: true, Name: "Demo Pharmacy Board", Kinds: chain.KindsOf(chain.KindPharmacist)},
	} {
		w.one("clinic-a", a)
		w.one("clinic-b", a)
	}
	w.physician = w.one("board", w.credential("x-physician", "dr-x", chain.KindPhysician)).Body().(chain.CredentialAnchor).Credential
	w.prescriber = w.one("board", w.credential("x-prescriber", "dr-x", chain.KindPrescriber)).Body().(chain.CredentialAnchor).Credential
	w.pharm1 = w.one("pharmacy-board", w.credential("pharm-1", "pharm-1", chain.KindPharmacist)).Body().(chain.CredentialAnchor).Credential
	w.pharm2 = w.one("pharmacy-board", w.credential("pharm-2", "pharm-2", chain.KindPharmacist)).Body().(chain.CredentialAnchor).Credential
	return w
}

func wantRefused(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func TestAuthorityVoting(t *testing.T) {
	f := newFixture(t)
	board := testPub("board")
	admit := chain.AuthorityVote{Key: board, Admit: true, Name: "Demo Medical Board", Kinds: chain.KindsOf(chain.KindPhysician)}

	_, err := f.apply(f.sign("mallory", admit))
	wantRefused(t, "vote from a non-signer", err, ErrUnauthorized)
	_, err = f.apply(f.sign("clinic-a", chain.AuthorityVote{Key: board}))
	wantRefused(t, "removal of an authority never admitted", err, ErrConflict)

	f.one("clinic-a", admit)
	if _, err := f.st.Authority(board); !errors.Is(err, ErrNotFound) {
		t.Fatalf("one vote of two admitted the board: %v", err)
	}
	if votes, err := f.st.PendingAuthorityVotes(); err != nil || len(votes) != 1 || votes[0].Voter != testPub("clinic-a") {
		t.Fatalf("pending votes %+v, %v", votes, err)
	}
	// clinic-b votes for another name: no majority for either proposal.
	other := admit
	other.Name = "Another Board"
	f.one("clinic-b", other)
	if _, err := f.st.Authority(board); !errors.Is(err, ErrNotFound) {
		t.Fatalf("split votes admitted the board: %v", err)
	}
	// clinic-b changes its vote: its newest vote counts.
	f.one("clinic-b", admit)
	a, err := f.st.Authority(board)
	if err != nil || !a.Admitted || a.Name != admit.Name || a.Kinds != admit.Kinds {
		t.Fatalf("after two votes: %+v, %v", a, err)
	}
	if votes, err := f.st.PendingAuthorityVotes(); err != nil || len(votes) != 0 {
		t.Fatalf("votes still pending after the admission: %+v, %v", votes, err)
	}
	_, err = f.apply(f.sign("clinic-a", admit))
	wantRefused(t, "admitting an admitted authority again", err, ErrConflict)

	// Removal takes a majority too; votes cast before the admission do not count.
	f.one("clinic-a", chain.AuthorityVote{Key: board})
	if a, _ := f.st.Authority(board); !a.Admitted {
		t.Fatal("one removal vote of two removed the board")
	}
	f.one("clinic-b", chain.AuthorityVote{Key: board})
	a, err = f.st.Authority(board)
	if err != nil || a.Admitted {
		t.Fatalf("after two removal votes: %+v, %v", a, err)
	}
	if ok, err := f.st.AuthorityAdmittedAt(board, a.Time-1); err != nil || !ok {
		t.Fatalf("admitted just before its removal: %v, %v", ok, err)
	}
	all, err := f.st.Authorities()
	if err != nil || len(all) != 1 || all[0].Key != board {
		t.Fatalf("authorities %+v, %v", all, err)
	}
}

func TestCredentialRules(t *testing.T) {
	w := newCredentialWorld(t)
	cases := []struct {
		name string
		tx   func() *chain.Tx
		want error
	}{
		{"anchor by a key that is no authority", func() *chain.Tx {
			return w.sign("mallory", w.credential("fake", "dr-y", chain.KindPhysician))
		}, ErrUnauthorized},
		{"anchor of a kind the authority may not issue", func() *chain.Tx {
			return w.sign("pharmacy-board", w.credential("px", "dr-y", chain.KindPrescriber))
		}, ErrUnauthorized},
		{"anchor of a credential twice", func() *chain.Tx {
			return w.sign("board", w.credential("x-physician", "dr-x", chain.KindPhysician))
		}, ErrConflict},
		{"anchor to the authority itself", func() *chain.Tx {
			return w.sign("board", w.credential("self", "board", chain.KindPhysician))
		}, chain.ErrInvalid},
		{"anchor of an expired credential", func() *chain.Tx {
			c := w.credential("old", "dr-y", chain.KindNurse)
			c.ValidFrom, c.ValidUntil = 1, w.time
			return w.sign("board", c)
		}, chain.ErrInvalid},
		{"status change by another authority", func() *chain.Tx {
			return w.sign("pharmacy-board", chain.CredentialStatusChange{Credential: w.physician, Status: chain.StatusRevoked})
		}, ErrUnauthorized},
		{"status change to the same status", func() *chain.Tx {
			return w.sign("board", chain.CredentialStatusChange{Credential: w.physician, Status: chain.StatusActive})
		}, ErrConflict},
		{"status change of an unknown credential", func() *chain.Tx {
			return w.sign("board", chain.CredentialStatusChange{Credential: credHash("nobody"), Status: chain.StatusRevoked})
		}, ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.apply(c.tx())
			wantRefused(t, c.name, err, c.want)
		})
	}

	// Suspend, reinstate, revoke; revoked is final.
	w.one("board", chain.CredentialStatusChange{Credential: w.physician, Status: chain.StatusSuspended})
	suspendedAt := w.time
	if _, ok, _ := w.st.ValidCredential(testPub("dr-x"), w.time, chain.KindPhysician); ok {
		t.Fatal("a suspended credential is valid")
	}
	w.one("board", chain.CredentialStatusChange{Credential: w.physician, Status: chain.StatusActive})
	if _, ok, _ := w.st.ValidCredential(testPub("dr-x"), w.time, chain.KindPhysician); !ok {
		t.Fatal("a reinstated credential is not valid")
	}
	w.one("board", chain.CredentialStatusChange{Credential: w.physician, Status: chain.StatusRevoked})
	_, err := w.apply(w.sign("board", chain.CredentialStatusChange{Credential: w.physician, Status: chain.StatusActive}))
	wantRefused(t, "reinstating a revoked credential", err, ErrConflict)

	c, err := w.st.Credential(w.physician)
	if err != nil || c.Status != chain.StatusRevoked || len(c.History) != 3 {
		t.Fatalf("credential %+v, %v", c, err)
	}
	for _, at := range []struct {
		t    uint64
		want chain.CredentialStatus
	}{{c.Time - 1, 0}, {c.Time, chain.StatusActive}, {suspendedAt, chain.StatusSuspended}, {suspendedAt + 2, chain.StatusActive}, {w.time, chain.StatusRevoked}} {
		if got := c.StatusAt(at.t); got != at.want {
			t.Errorf("status at %d: %v, want %v", at.t, got, at.want)
		}
	}
	held, err := w.st.CredentialsOf(testPub("dr-x"))
	if err != nil || len(held) != 2 || held[0].Hash != w.physician || held[1].Hash != w.prescriber {
		t.Fatalf("credentials of dr-x: %+v, %v", held, err)
	}

	// Removing the board invalidates what it issued, from then on.
	before := w.time
	w.one("clinic-a", chain.AuthorityVote{Key: testPub("board")})
	w.one("clinic-b", chain.AuthorityVote{Key: testPub("board")})
	if _, ok, _ := w.st.ValidCredential(testPub("dr-x"), w.time, chain.KindPrescriber); ok {
		t.Fatal("a credential from a removed authority is valid")
	}
	if _, ok, _ := w.st.ValidCredential(testPub("dr-x"), before, chain.KindPrescriber); !ok {
		t.Fatal("the credential was not valid before its authority's removal")
	}
	_, err = w.apply(w.sign("board", chain.CredentialStatusChange{Credential: w.prescriber, Status: chain.StatusSuspended}))
	wantRefused(t, "status change by a removed authority", err, ErrUnauthorized)
}

func TestPrescriptionRules(t *testing.T) {
	w := newCredentialWorld(t)
	rx := chain.PrescriptionCommit{Commitment: sha256.Sum256([]byte("rx 1")), Dispenses: 2, Expiry: w.time + 30*86400}

	_, err := w.apply(w.sign("dr-y", rx))
	wantRefused(t, "prescription by a clinician without a prescriber credential", err, ErrUnauthorized)
	_, err = w.apply(w.sign("pharm-1", chain.Dispense{Commitment: rx.Commitment, Seq: 1}))
	wantRefused(t, "dispense of an uncommitted prescription", err, ErrNotFound)
	past := rx
	past.Expiry = w.time
	_, err = w.apply(w.sign("dr-x", past))
	wantRefused(t, "prescription already expired", err, chain.ErrInvalid)

	w.one("dr-x", rx)
	_, err = w.apply(w.sign("dr-x", rx))
	wantRefused(t, "the same commitment twice", err, ErrConflict)
	_, err = w.apply(w.sign("dr-y", chain.Dispense{Commitment: rx.Commitment, Seq: 1}))
	wantRefused(t, "dispense by a key without a pharmacist credential", err, ErrUnauthorized)
	_, err = w.apply(w.sign("pharm-1", chain.Dispense{Commitment: rx.Commitment, Seq: 2}))
	wantRefused(t, "dispense out of turn", err, ErrConflict)

	// Two pharmacies race for the first dispense in one block: one wins,
	// and the block holding both is refused as a whole.
	_, err = w.apply(w.sign("pharm-1", chain.Dispense{Commitment: rx.Commitment, Seq: 1}), w.sign("pharm-2", chain.Dispense{Commitment: rx.Commitment, Seq: 1}))
	wantRefused(t, "two first dispenses", err, ErrConflict)
	w.one("pharm-1", chain.Dispense{Commitment: rx.Commitment, Seq: 1})
	_, err = w.apply(w.sign("pharm-2", chain.Dispense{Commitment: rx.Commitment, Seq: 1}))
	wantRefused(t, "a replayed first dispense at a second pharmacy", err, ErrConflict)
	w.one("pharm-2", chain.Dispense{Commitment: rx.Commitment, Seq: 2})
	_, err = w.apply(w.sign("pharm-1", chain.Dispense{Commitment: rx.Commitment, Seq: 3}))
	wantRefused(t, "a dispense beyond those allowed", err, ErrConflict)

	p, err := w.st.Prescription(rx.Commitment)
	if err != nil || p.Prescriber != testPub("dr-x") || p.Remaining() != 0 || len(p.Dispensed) != 2 ||
		p.Dispensed[0].Pharmacist != testPub("pharm-1") || p.Dispensed[1].Pharmacist != testPub("pharm-2") {
		t.Fatalf("prescription %+v, %v", p, err)
	}

	// A suspended prescriber cannot prescribe; reinstated, they can.
	w.one("board", chain.CredentialStatusChange{Credential: w.prescriber, Status: chain.StatusSuspended})
	rx2 := chain.PrescriptionCommit{Commitment: sha256.Sum256([]byte("rx 2")), Dispenses: 1, Expiry: w.time + 10}
	_, err = w.apply(w.sign("dr-x", rx2))
	wantRefused(t, "prescription by a suspended prescriber", err, ErrUnauthorized)
	w.one("board", chain.CredentialStatusChange{Credential: w.prescriber, Status: chain.StatusActive})
	w.one("dr-x", rx2)
	// Expired prescriptions are not dispensed.
	for w.time <= rx2.Expiry {
		w.one("clinic-a", chain.ClinicianRegister{Clinician: testPub(fmt.Sprintf("filler-%d", w.number)), Role: chain.RoleNurse})
	}
	_, err = w.apply(w.sign("pharm-1", chain.Dispense{Commitment: rx2.Commitment, Seq: 1}))
	wantRefused(t, "dispense of an expired prescription", err, ErrConflict)
}

func TestEmergencyNeedsClinicalLicence(t *testing.T) {
	f := newEmergencyFixture(t)
	access := f.access("dr-x")
	// No licensing authority yet: a registered clinician may open the summary.
	f.one("dr-x", access)

	for _, signer := range []string{"clinic-a", "clinic-b"} {
		f.one(signer, chain.AuthorityVote{Key: testPub("board"), Admit: true, Name: "Board", Kinds: chain.KindsOf(chain.KindPhysician)})
	}
	if req, err := f.st.ClinicalLicencesRequired(); err != nil || !req {
		t.Fatalf("licences required: %v, %v", req, err)
	}
	_, err := f.apply(f.sign("dr-y", access))
	wantRefused(t, "emergency access without a licence", err, ErrUnauthorized)
	f.one("board", chain.CredentialAnchor{Credential: credHash("y"), Subject: testPub("dr-y"), Kind: chain.KindPhysician, ValidFrom: 1, ValidUntil: f.time + 86400})
	f.one("dr-y", access)
}

func TestRevertCredentials(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	start := dump(t, f.st)
	rx := chain.PrescriptionCommit{Commitment: sha256.Sum256([]byte("rx")), Dispenses: 1, Expiry: f.time + 86400}
	steps := [][]func() *chain.Tx{
		{func() *chain.Tx {
			return f.sign("clinic-a", chain.AuthorityVote{Key: testPub("board"), Admit: true, Name: "B", Kinds: chain.KindsOf(chain.KindPrescriber, chain.KindPharmacist)})
		}},
		{func() *chain.Tx {
			return f.sign("clinic-b", chain.AuthorityVote{Key: testPub("board"), Admit: true, Name: "B", Kinds: chain.KindsOf(chain.KindPrescriber, chain.KindPharmacist)})
		}},
		{func() *chain.Tx {
			return f.sign("board", chain.CredentialAnchor{Credential: credHash("p"), Subject: testPub("dr-x"), Kind: chain.KindPrescriber, ValidFrom: 1, ValidUntil: f.time + 86400})
		}, func() *chain.Tx {
			return f.signNonce("board", 1, chain.CredentialAnchor{Credential: credHash("ph"), Subject: testPub("pharm"), Kind: chain.KindPharmacist, ValidFrom: 1, ValidUntil: f.time + 86400})
		}},
		{func() *chain.Tx { return f.sign("dr-x", rx) }},
		{func() *chain.Tx { return f.sign("pharm", chain.Dispense{Commitment: rx.Commitment, Seq: 1}) },
			func() *chain.Tx {
				return f.sign("board", chain.CredentialStatusChange{Credential: credHash("p"), Status: chain.StatusRevoked})
			}},
	}
	var dumps []string
	for _, step := range steps {
		dumps = append(dumps, dump(t, f.st))
		var txs []*chain.Tx
		for _, mk := range step {
			txs = append(txs, mk())
		}
		if _, err := f.apply(txs...); err != nil {
			t.Fatal(err)
		}
	}
	for i := len(dumps) - 1; i >= 0; i-- {
		n, _, _, _ := f.st.Head()
		if err := f.st.RevertBlock(ctx, n); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, f.st); got != dumps[i] {
			t.Fatalf("after reverting block %d:\n%s\nwant\n%s", n, got, dumps[i])
		}
	}
	if dump(t, f.st) != start {
		t.Fatal("not back to the start")
	}
}
