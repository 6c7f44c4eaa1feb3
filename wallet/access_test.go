package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
)

// waitFor polls cond until it holds or the deadline passes; the conditions
// span several nodes, so there is no single event to wait on.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The access flow end to end, one process, loopback: a clinic registers a
// clinician; the clinician asks a patient for their conditions; the
// patient approves; the clinician reads them, still when the patient's
// wallet is offline (from the clinic node's pins); a stranger who fetches
// the capsule cannot open it; after the patient revokes, the clinician's
// wallet refuses.
func TestAccessFlow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dirs, g := consortium(t, "hw-access-test", []string{"clinic", "doctor", "patient", "stranger"}, []string{"clinic"})
	clinic := onChain(t, dirs["clinic"], g, 1<<30)
	defer clinic.Close()
	doctor := onChain(t, dirs["doctor"], g, 0)
	defer doctor.Close()
	patient := onChain(t, dirs["patient"], g, 0)
	stranger := onChain(t, dirs["stranger"], g, 0)
	defer stranger.Close()
	sealed := make(chan error, 1)
	go func() { sealed <- clinic.RunSealer(ctx) }()
	defer func() { cancel(); <-sealed }()
	for _, w := range []*wallet.Wallet{doctor, patient, stranger} {
		if err := w.ConnectPeer(ctx, clinic.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	atHeadOf := func(w *wallet.Wallet, cond func() bool) {
		t.Helper()
		if err := w.Ledger().WaitFor(ctx, func(ledger.Tip) bool { return cond() }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := patient.ImportFile(ctx, bundleFiles(t)[0], nil); err != nil {
		t.Fatal(err)
	}
	conditions, err := patient.List(ctx, wallet.Query{Category: "conditions"})
	if err != nil || len(conditions) == 0 {
		t.Fatalf("%d conditions: %v", len(conditions), err)
	}

	// The clinic registers the doctor; the doctor asks.
	if _, err := clinic.RegisterClinician(ctx, doctor.Public(), chain.RolePhysician); err != nil {
		t.Fatal(err)
	}
	atHeadOf(doctor, func() bool { _, err := doctor.Ledger().State().Clinician(doctor.ChainKey()); return err == nil })
	reqID, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: []string{"conditions"},
		Purpose: chain.PurposeTREAT, Duration: time.Hour, Note: "follow-up visit"})
	if err != nil {
		t.Fatal(err)
	}
	var pending []wallet.PendingRequest
	atHeadOf(patient, func() bool { pending, _ = patient.PendingRequests(ctx); return len(pending) == 1 })
	if pending[0].ID != reqID || pending[0].Note != "follow-up visit" {
		t.Fatalf("pending %+v", pending[0])
	}

	// The patient approves; the doctor reads every condition.
	grantID, err := patient.Approve(ctx, reqID, wallet.Approval{})
	if err != nil {
		t.Fatal(err)
	}
	var shared []wallet.SharedRecord
	atHeadOf(doctor, func() bool {
		shared, err = doctor.Shared(ctx, patient.ChainKey())
		return err == nil && len(shared) == len(conditions)
	})
	if left, _ := patient.PendingRequests(ctx); len(left) != 0 {
		t.Fatalf("%d requests still pending after approval", len(left))
	}
	for _, rec := range shared[:2] {
		got, err := doctor.ReadShared(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		_, want, err := patient.Read(ctx, rec.ID)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("record %s: doctor read %d bytes, patient has %d (%v)", rec.ID, len(got), len(want), err)
		}
	}

	// The clinic node pins the ciphertexts and the capsule; the patient
	// goes offline; the doctor still reads.
	waitFor(t, 60*time.Second, "the clinic pinning the shared records", func() bool {
		st, _ := clinic.ChainStatus()
		return st.Pinning != nil && st.Pinning.Pinned >= len(conditions)+1
	})
	if err := patient.Close(); err != nil {
		t.Fatal(err)
	}
	for _, rec := range shared[2:min(len(shared), 5)] {
		if _, err := doctor.ReadShared(ctx, rec); err != nil {
			t.Fatalf("patient offline: %v", err)
		}
	}
	// A stranger sees the grant on the chain and can fetch its capsule,
	// but holds no key to it and is not the grantee.
	if recs, err := stranger.Shared(ctx, patient.ChainKey()); err != nil || len(recs) != 0 {
		t.Fatalf("stranger sees %d records (%v)", len(recs), err)
	}

	// The patient comes back and revokes: the doctor's wallet refuses.
	patient = onChain(t, dirs["patient"], g, 0)
	defer patient.Close()
	if err := patient.ConnectPeer(ctx, clinic.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	if err := patient.Revoke(ctx, grantID); err != nil {
		t.Fatal(err)
	}
	atHeadOf(doctor, func() bool { g, err := doctor.Ledger().State().Grant(grantID); return err == nil && g.Revoked })
	if _, err := doctor.ReadShared(ctx, shared[0]); !errors.Is(err, wallet.ErrAccessEnded) {
		t.Fatalf("read after revoke: %v", err)
	}
	if recs, _ := doctor.Shared(ctx, patient.ChainKey()); len(recs) != 0 {
		t.Fatalf("%d records still shared after revoke", len(recs))
	}
}
