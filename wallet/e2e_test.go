package wallet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/ledger"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/fhir"
	"github.com/healthwallet/healthwallet/wallet/fhirexport"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// newCondition is a FHIR Condition the patient adds after a grant.
func newCondition(id string) []byte {
	return []byte(`{"resourceType":"Condition","id":"` + id + `","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"text":"Seasonal allergic rhinitis ` + id + `"},"subject":{"reference":"Patient/p"},"onsetDateTime":"2026-10-01"}`)
}

// clinicalNote is a FHIR DocumentReference a clinician writes.
const clinicalNote = `{"resourceType":"DocumentReference","id":"note-1","status":"current","type":{"text":"Progress note"},"subject":{"reference":"Patient/p"},"date":"2026-11-20T10:00:00Z","description":"Follow-up: blood pressure controlled","content":[{"attachment":{"contentType":"text/plain","data":"Rm9sbG93LXVwOiBCUCAxMjgvODI="}}]}`

// The whole flow, in one process over loopback: two clinic
// signers, a doctor, a patient and a stranger. Request → approve (with
// write) → read; a record added later follows the grant; the doctor adds a
// note that arrives with its provenance; emergency access is recorded,
// released by both clinics and alerted; a short grant expires by itself;
// revoke stops reading and keying; a re-share hands out fresh keys.
func TestPatientControlledAccess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dirs, g := consortium(t, "hw-e2e-test", []string{"clinic-a", "clinic-b", "doctor", "patient", "stranger"}, []string{"clinic-a", "clinic-b"})
	clinicA := onChain(t, dirs["clinic-a"], g, 1<<30)
	defer clinicA.Close()
	clinicB := onChain(t, dirs["clinic-b"], g, 1<<30)
	defer clinicB.Close()
	doctor := onChain(t, dirs["doctor"], g, 0)
	defer doctor.Close()
	patient := onChain(t, dirs["patient"], g, 0)
	defer patient.Close()
	stranger := onChain(t, dirs["stranger"], g, 0)
	defer stranger.Close()
	sealers := make(chan error, 2)
	for _, c := range []*wallet.Wallet{clinicA, clinicB} {
		go func() { sealers <- c.RunSealer(ctx) }()
	}
	defer func() { cancel(); <-sealers; <-sealers }()
	for _, w := range []*wallet.Wallet{clinicB, doctor, patient, stranger} {
		if err := w.ConnectPeer(ctx, clinicA.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	atHeadOf := func(w *wallet.Wallet, what string, cond func() bool) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := w.Ledger().WaitFor(wctx, func(ledger.Tip) bool { return cond() }); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	sharedOf := func(what string, n int) []wallet.SharedRecord {
		t.Helper()
		var recs []wallet.SharedRecord
		atHeadOf(doctor, what, func() bool {
			var err error
			recs, err = doctor.Shared(ctx, patient.ChainKey())
			return err == nil && len(recs) == n
		})
		return recs
	}
	if _, err := patient.ImportFile(ctx, bundleFiles(t)[0], nil); err != nil {
		t.Fatal(err)
	}
	conditions, err := patient.List(ctx, wallet.Query{Category: "conditions"})
	if err != nil || len(conditions) == 0 {
		t.Fatalf("%d conditions: %v", len(conditions), err)
	}
	if _, err := clinicA.RegisterClinician(ctx, doctor.Public(), chain.RolePhysician); err != nil {
		t.Fatal(err)
	}
	atHeadOf(doctor, "the doctor's registration", func() bool { _, err := doctor.Ledger().State().Clinician(doctor.ChainKey()); return err == nil })

	// Request → approve with write → read.
	reqID, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: []string{"conditions", "documents"},
		Purpose: chain.PurposeTREAT, Duration: time.Hour, Note: "follow-up"})
	if err != nil {
		t.Fatal(err)
	}
	atHeadOf(patient, "the request", func() bool { p, _ := patient.PendingRequests(ctx); return len(p) == 1 })
	grantID, err := patient.Approve(ctx, reqID, wallet.Approval{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	first := sharedOf("the shared conditions", len(conditions))

	// A condition added later is keyed to the grant by the patient's
	// wallet on its own.
	rep, err := patient.ImportBytes(ctx, "later.json", newCondition("later-1"), nil)
	if err != nil || rep.Added != 1 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	shared := sharedOf("the later condition keyed to the grant", len(conditions)+1)
	i := slices.IndexFunc(shared, func(r wallet.SharedRecord) bool { return r.ID == rep.IDs[0] })
	if i < 0 {
		t.Fatal("the later record is not among the shared ones")
	}
	got, err := doctor.ReadShared(ctx, shared[i])
	if _, want, _ := patient.Read(ctx, rep.IDs[0]); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the later record reads %q (%v)", got, err)
	}

	// The doctor writes a note; it arrives with its provenance.
	added, err := doctor.AddForPatient(ctx, patient.ChainKey(), "note.json", []byte(clinicalNote))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.AddForPatient(ctx, patient.ChainKey(), "note.json", []byte(clinicalNote)); !errors.Is(err, wallet.ErrNoWriteGrant) {
		t.Fatalf("a stranger adds a record: %v", err)
	}
	var incoming []wallet.IncomingRecord
	atHeadOf(patient, "the doctor's note", func() bool { incoming, _ = patient.Incoming(ctx); return len(incoming) == 1 })
	in := incoming[0]
	if in.Anchor != added.Anchor || in.Author != doctor.ChainKey() || in.Role != chain.RolePhysician || in.Clinic != clinicA.ChainKey() ||
		in.State != "new" || in.Category != chain.CategoryDocuments {
		t.Fatalf("incoming %+v", in)
	}
	note, err := patient.ReadIncoming(ctx, in.Anchor)
	if err != nil || !bytes.Contains(note, []byte("blood pressure controlled")) {
		t.Fatalf("incoming note %q: %v", note, err)
	}
	kept, err := patient.KeepIncoming(ctx, in.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	if incoming, _ = patient.Incoming(ctx); incoming[0].State != "kept" || incoming[0].Kept != kept.ID {
		t.Fatalf("after keeping: %+v", incoming[0])
	}
	if _, _, err := patient.Read(ctx, kept.ID); err != nil {
		t.Fatalf("the kept note: %v", err)
	}

	// Emergency access: both clinics publish their keys by themselves; the
	// patient authorises a summary; the doctor opens it; both clinics
	// release; the patient is alerted.
	atHeadOf(patient, "the clinics' keys", func() bool {
		_, errA := patient.Ledger().State().ClinicIdentity(clinicA.ChainKey())
		_, errB := patient.Ledger().State().ClinicIdentity(clinicB.ChainKey())
		return errA == nil && errB == nil
	})
	auth, err := patient.AuthorizeEmergency(ctx, fhir.EmergencyExtras{BloodGroup: "O+", ContactName: "Ana Example", ContactPhone: "+1 555 0100", ContactRelationship: "sister"})
	if err != nil {
		t.Fatal(err)
	}
	if auth.Holders != 2 || auth.Threshold != 2 || auth.Summary.Conditions == 0 {
		t.Fatalf("authorization %+v", auth)
	}
	atHeadOf(doctor, "the emergency authorization", func() bool {
		_, err := doctor.Ledger().State().EmergencyAuthorization(patient.ChainKey())
		return err == nil
	})
	if _, err := stranger.OpenEmergency(ctx, patient.ChainKey(), chain.PurposeETREAT, ""); err == nil {
		t.Fatal("a stranger recorded an emergency access")
	}
	access, err := doctor.OpenEmergency(ctx, patient.ChainKey(), chain.PurposeETREAT, "unresponsive in ED")
	if err != nil {
		t.Fatal(err)
	}
	summary, err := doctor.EmergencySummary(ctx, access)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string            `json:"resourceType"`
		Entry        []json.RawMessage `json:"entry"`
	}
	if err := json.Unmarshal(summary, &bundle); err != nil || bundle.ResourceType != "Bundle" || len(bundle.Entry) == 0 ||
		!bytes.Contains(summary, []byte("278147001")) || !bytes.Contains(summary, []byte("Ana Example")) {
		t.Fatalf("emergency summary: %v\n%.400s", err, summary)
	}
	var alerts []wallet.EmergencyAlert
	atHeadOf(patient, "the emergency alert with both releases", func() bool {
		alerts, _ = patient.EmergencyAlerts(ctx, false)
		return len(alerts) == 1 && alerts[0].Releases == 2
	})
	if a := alerts[0]; a.Clinician != doctor.ChainKey() || a.Purpose != chain.PurposeETREAT || a.Note != "unresponsive in ED" || a.Clinic != clinicA.ChainKey() {
		t.Fatalf("alert %+v", a)
	}
	if err := patient.AcknowledgeEmergencyAlerts(alerts[0].Block); err != nil {
		t.Fatal(err)
	}
	if left, _ := patient.EmergencyAlerts(ctx, false); len(left) != 0 {
		t.Fatalf("%d alerts after acknowledging", len(left))
	}

	// A short grant ends by itself at its expiry.
	immunizations, err := patient.List(ctx, wallet.Query{Category: "immunizations"})
	if err != nil || len(immunizations) == 0 {
		t.Fatalf("%d immunizations: %v", len(immunizations), err)
	}
	shortID, err := patient.Grant(ctx, wallet.GrantSpec{Clinician: doctor.ID(), Categories: []string{"immunizations"},
		Purpose: chain.PurposeTREAT, Duration: 6 * time.Second, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	atHeadOf(doctor, "the short grant", func() bool { _, err := doctor.Ledger().State().Grant(shortID); return err == nil })
	short, err := doctor.Ledger().State().Grant(shortID)
	if err != nil {
		t.Fatal(err)
	}
	imm := wallet.SharedRecord{Patient: patient.ChainKey(), Grant: shortID, ID: immunizations[0].ID, CID: immunizations[0].CID}
	waitFor(t, 60*time.Second, "the short grant's expiry", func() bool {
		_, err := doctor.ReadShared(ctx, imm)
		return errors.Is(err, wallet.ErrAccessEnded)
	})
	if now := uint64(time.Now().Unix()); now < short.Expiry {
		t.Fatalf("access ended at %d, before the expiry %d", now, short.Expiry)
	}

	// Revoke: the doctor's wallet refuses, and nothing new is keyed.
	if err := patient.Revoke(ctx, grantID); err != nil {
		t.Fatal(err)
	}
	atHeadOf(doctor, "the revoke", func() bool { g, err := doctor.Ledger().State().Grant(grantID); return err == nil && g.Revoked })
	if _, err := doctor.ReadShared(ctx, first[0]); !errors.Is(err, wallet.ErrAccessEnded) {
		t.Fatalf("read after revoke: %v", err)
	}
	atHeadOf(patient, "the revoke at the patient", func() bool { g, err := patient.Ledger().State().Grant(grantID); return err == nil && g.Revoked })
	if _, err := patient.ImportBytes(ctx, "after.json", newCondition("after-revoke"), nil); err != nil {
		t.Fatal(err)
	}
	if n, err := patient.KeyNewRecords(ctx); err != nil || n != 0 {
		t.Fatalf("keyed %d records after the revoke (%v)", n, err)
	}

	// A re-share hands out fresh keys: the records the revoked grant
	// covered are re-encrypted, so their ciphertexts are new.
	req2, err := doctor.RequestAccess(ctx, patient.ID(), wallet.AccessRequest{Categories: []string{"conditions"},
		Purpose: chain.PurposeTREAT, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	atHeadOf(patient, "the second request", func() bool { p, _ := patient.PendingRequests(ctx); return len(p) == 1 })
	if _, err := patient.Approve(ctx, req2, wallet.Approval{}); err != nil {
		t.Fatal(err)
	}
	again := sharedOf("the re-shared conditions", len(conditions)+2)
	oldCID := map[string]string{}
	for _, r := range shared {
		oldCID[r.ID] = r.CID
	}
	for _, r := range again {
		if old, ok := oldCID[r.ID]; ok && old == r.CID {
			t.Fatalf("record %s re-shared under the key the revoked grant released", r.ID)
		}
	}
	if _, err := doctor.ReadShared(ctx, again[0]); err != nil {
		t.Fatalf("read after re-share: %v", err)
	}
	if recs, err := stranger.Shared(ctx, patient.ChainKey()); err != nil || len(recs) != 0 {
		t.Fatalf("a stranger sees %d records (%v)", len(recs), err)
	}

	// The audit log has it all, and exports as FHIR R4 that decodes into
	// the R4 model with no unknown field.
	log, err := patient.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range log {
		actions[e.Action]++
	}
	for _, a := range []string{fhirexport.ActionRequest, fhirexport.ActionGrant, fhirexport.ActionKeyRelease, fhirexport.ActionRecordAdded,
		fhirexport.ActionEmergencyAuthorize, fhirexport.ActionEmergencyAccess, fhirexport.ActionEmergencyRelease, fhirexport.ActionRevoke,
		fhirexport.ActionExpiry} {
		if actions[a] == 0 {
			t.Errorf("no %s in the audit log (%v)", a, actions)
		}
	}
	export, err := patient.ExportAuditFHIR(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkFHIRBundle(t, export, map[string]int{"AuditEvent": len(log), "Consent": 3, "Provenance": 1})
	prov, err := patient.Provenance(ctx, added.Anchor)
	if err != nil || !bytes.Contains(prov, []byte(doctor.ChainKey().String())) {
		t.Fatalf("provenance %s: %v", prov, err)
	}
}

// checkFHIRBundle decodes a collection Bundle and each of its resources
// into the R4 model, refusing unknown fields, and counts the resources.
func checkFHIRBundle(t *testing.T, data []byte, want map[string]int) {
	t.Helper()
	strict := func(b []byte, v any) error {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil || bundle.ResourceType != "Bundle" || bundle.Type != "collection" {
		t.Fatalf("export is not a collection Bundle: %v", err)
	}
	got := map[string]int{}
	for i, e := range bundle.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		json.Unmarshal(e.Resource, &head)
		var err error
		switch head.ResourceType {
		case "AuditEvent":
			var r struct {
				ResourceType string `json:"resourceType"`
				r4.AuditEvent
			}
			err = strict(e.Resource, &r)
		case "Consent":
			var r struct {
				ResourceType string `json:"resourceType"`
				r4.Consent
			}
			err = strict(e.Resource, &r)
		case "Provenance":
			var r struct {
				ResourceType string `json:"resourceType"`
				r4.Provenance
			}
			err = strict(e.Resource, &r)
		default:
			err = errors.New("unexpected resource type " + head.ResourceType)
		}
		if err != nil || !strings.HasPrefix(e.FullURL, "urn:uuid:") {
			t.Fatalf("entry %d (%s): %v", i, head.ResourceType, err)
		}
		got[head.ResourceType]++
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d %s resources, want %d", got[k], k, n)
		}
	}
}
