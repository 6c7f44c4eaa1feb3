package wallet_test

import (
	"context"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// The views a patient's sharing screen shows: who asked (role, clinic and
// its name from the genesis), the grants in force with their grantee and
// end, and the emergency authorization in force.
func TestSharingViews(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dirs, g := consortium(t, "hw-views-test", []string{"Riverside Clinic", "doctor", "patient"}, []string{"Riverside Clinic"})
	clinic := onChain(t, dirs["Riverside Clinic"], g, 1<<30)
	defer clinic.Close()
	doctor := onChain(t, dirs["doctor"], g, 0)
	defer doctor.Close()
	patient := onChain(t, dirs["patient"], g, 0)
	defer patient.Close()
	sealed := make(chan error, 1)
	go func() { sealed <- clinic.RunSealer(ctx) }()
	defer func() { cancel(); <-sealed }()
	for _, w := range []*wallet.Wallet{doctor, patient} {
		if err := w.ConnectPeer(ctx, clinic.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	atHead := func(w *wallet.Wallet, what string, cond func() bool) {
		t.Helper()
		if err := w.Ledger().WaitFor(ctx, func(ledger.Tip) bool { return cond() }); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if _, err := patient.ImportFile(ctx, bundleFiles(t)[0], nil); err != nil {
		t.Fatal(err)
	}

	if p, err := patient.Party(clinic.ChainKey()); err != nil || p.Clinician || p.ClinicName != "Riverside Clinic" || p.ID != clinic.ID() {
		t.Fatalf("the clinic as a party: %+v, %v", p, err)
	}
	if _, ok, err := patient.EmergencyInForce(); ok || err != nil {
		t.Fatalf("emergency access in force before any: %v", err)
	}

	if _, err := clinic.RegisterClinician(ctx, doctor.Public(), chain.RoleNurse); err != nil {
		t.Fatal(err)
	}
	atHead(doctor, "registration", func() bool { r, _ := doctor.Roles(); return r.Clinician != nil })
	req, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: []string{"allergies"},
		Purpose: chain.PurposeTREAT, Duration: 48 * time.Hour, Note: "clinic visit"})
	if err != nil {
		t.Fatal(err)
	}
	var inbox []wallet.RequestInfo
	atHead(patient, "the request", func() bool { inbox, _ = patient.RequestInbox(ctx); return len(inbox) == 1 })
	r := inbox[0]
	if r.ID != req || r.Note != "clinic visit" || r.Asked.IsZero() || time.Since(r.Asked) > time.Minute {
		t.Fatalf("inbox entry %+v", r)
	}
	if f := r.From; !f.Clinician || f.Role != chain.RoleNurse || f.Clinic != clinic.ChainKey() || f.ClinicName != "Riverside Clinic" || f.ID != doctor.ID() || f.Revoked {
		t.Fatalf("the request is from %+v", f)
	}

	grant, err := patient.Approve(ctx, req, wallet.Approval{Duration: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var grants []wallet.GrantInfo
	atHead(patient, "the grant", func() bool { grants, _ = patient.GrantsInForce(ctx); return len(grants) == 1 })
	gi := grants[0]
	if gi.ID != grant || gi.To.ID != doctor.ID() || gi.To.ClinicName != "Riverside Clinic" || gi.Granted.IsZero() {
		t.Fatalf("grant in force %+v", gi)
	}
	if d := gi.Expires.Sub(time.Unix(int64(gi.NotBefore), 0)); d != 24*time.Hour {
		t.Fatalf("the grant ends %v after it starts, want 24h", d)
	}
	if inbox, err := patient.RequestInbox(ctx); err != nil || len(inbox) != 0 {
		t.Fatalf("%d requests still waiting after the approval: %v", len(inbox), err)
	}
	if err := patient.Revoke(ctx, grant); err != nil {
		t.Fatal(err)
	}
	atHead(patient, "the revoke", func() bool { grants, _ = patient.GrantsInForce(ctx); return len(grants) == 0 })

	atHead(patient, "the clinic's key", func() bool {
		_, err := patient.Ledger().State().ClinicIdentity(clinic.ChainKey())
		return err == nil
	})
	auth, err := patient.AuthorizeEmergency(ctx, fhir.EmergencyExtras{BloodGroup: "B-"})
	if err != nil {
		t.Fatal(err)
	}
	var st wallet.EmergencyStatus
	atHead(patient, "the authorization", func() bool {
		var ok bool
		st, ok, _ = patient.EmergencyInForce()
		return ok
	})
	if st.Authorization != auth.Authorization || st.Holders != 1 || st.Threshold != 1 || st.Since.IsZero() {
		t.Fatalf("emergency status %+v, authorized %+v", st, auth)
	}
	if err := patient.Revoke(ctx, auth.Authorization); err != nil {
		t.Fatal(err)
	}
	atHead(patient, "the withdrawal", func() bool { _, ok, _ := patient.EmergencyInForce(); return !ok })
}
