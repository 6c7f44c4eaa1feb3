package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// capture runs a command for who and returns its exit code, standard
// output and standard error, for a test that reads the error or the
// warnings.
func (e *cliEnv) capture(who string, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errb syncBuffer
	getenv := func(k string) string {
		if k == "HEALTHWALLET_PASSPHRASE" {
			return "cli access passphrase"
		}
		return ""
	}
	code = run(context.Background(), append([]string{"--data-dir", e.dirs[who]}, args...), strings.NewReader(""), &out, &errb, getenv)
	return code, strings.TrimSpace(out.String()), errb.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const (
	peanutAllergy = `{"resourceType":"AllergyIntolerance","id":"peanut",
 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
 "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed"}]},
 "criticality":"high",
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"91935009","display":"Allergy to peanuts"}],"text":"Peanut allergy"},
 "recordedDate":"2020-01-01"}`
	glucoseLab = `{"resourceType":"Observation","id":"glucose-lab","status":"final",
 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
 "code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose [Mass/volume] in Serum or Plasma"}],"text":"Glucose"},
 "effectiveDateTime":"2025-03-01T09:30:00Z",
 "valueQuantity":{"value":95,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}`
)

// Emergency access and clinician-authored records from the command line,
// in process on loopback, with the topology of TestCLIAccessFlow: north
// and east run their nodes, south registers a doctor. The patient
// authorises an emergency summary, the doctor opens it (the clinics release
// their shares), the patient sees the alert; then the patient grants the
// doctor write access, the doctor adds a lab result and the patient keeps
// it. Whoever published content runs as a node while the other fetches it.
func TestCLIEmergencyAndAuthored(t *testing.T) {
	walletOptions.KDF = keystore.TestParams
	e := &cliEnv{t: t, dirs: map[string]string{}}
	for _, who := range []string{"north", "east", "south", "doctor", "patient"} {
		e.must(who, "init")
	}
	patientID := e.must("patient", "id")
	doctorID := e.must("doctor", "id")
	genesis := filepath.Join(t.TempDir(), "genesis.json")
	e.must("north", "chain", "init", "--chain-id", "cli-emergency", "--signer", e.must("north", "id")+"=North",
		"--signer", e.must("east", "id")+"=East", "--signer", e.must("south", "id")+"=South", "--period", "1s", "--out", genesis)
	north, _, _ := e.startNode("north", genesis)
	e.startNode("east", genesis, north)
	for _, who := range []string{"south", "doctor", "patient"} {
		e.must(who, "join", "--genesis", genesis, "--peer", north, "--listen", "/ip4/127.0.0.1/tcp/0")
	}
	e.must("south", "clinician", "register", "--card", e.must("doctor", "id", "--card"), "--role", "physician")
	files := t.TempDir()
	allergy := filepath.Join(files, "allergy.json")
	lab := filepath.Join(files, "lab.json")
	for path, body := range map[string]string{allergy: peanutAllergy, lab: glucoseLab} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.must("patient", "import", "../../../shared/testdata/fhir/synthea-bundles/Michal_Collier_584f0a39-8b0f-46d0-b0d2-4915115ffb8d.json", allergy)

	// The clinics publish their sealing keys in the background while their
	// wallets run as signers: North and East from their nodes, South during
	// its register command. Shares go to whoever has published, so the
	// patient authorizes again until all three hold one: with only South
	// and one running node as holders, 2 of 2 would need South, which runs
	// no node, and the summary could never be opened.
	var authorized string
	waitFor(t, "all three clinics' published keys", 2*time.Minute, func() bool {
		code, out, errs := e.capture("patient", "emergency", "authorize", "--blood-group", "O+",
			"--contact-name", "Ada Collier", "--contact-phone", "+1 555 0100", "--contact-relationship", "spouse")
		if code == 0 {
			authorized = out
			return strings.Contains(out, "split among 3 clinics")
		}
		if !strings.Contains(errs, "no clinic has published a key") {
			t.Fatalf("emergency authorize: exit %d: %s", code, errs)
		}
		return false
	})
	t.Logf("emergency authorize:\n%s", authorized)
	if !strings.Contains(authorized, "1 allergy") || !strings.Contains(authorized, "blood group O+") ||
		!regexp.MustCompile(`Authorization [0-9a-f]{64}`).MatchString(authorized) {
		t.Fatalf("emergency authorize:\n%s", authorized)
	}

	// The patient stays online while the clinics copy the summary and the
	// shares package from it, as the app would.
	_, _, patientOff := e.startNode("patient", filepath.Join(e.dirs["patient"], "genesis.json"), north)
	summaryFile := filepath.Join(t.TempDir(), "summary.json")
	code, _, errs := e.capture("doctor", "emergency", "open", "--patient", patientID, "--note", "unconscious on arrival", "--out", summaryFile)
	if code != 0 || !strings.Contains(errs, "recorded on the chain") || !strings.Contains(errs, "patient will be alerted") {
		t.Fatalf("emergency open: exit %d: %s", code, errs)
	}
	patientOff()
	raw, err := os.ReadFile(summaryFile)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &bundle); err != nil || bundle.ResourceType != "Bundle" {
		t.Fatalf("emergency summary is not a FHIR Bundle (%v): %.400s", err, raw)
	}
	var allergyFound, bloodFound bool
	for _, en := range bundle.Entry {
		var r struct {
			ResourceType         string `json:"resourceType"`
			ValueCodeableConcept struct {
				Text string `json:"text"`
			} `json:"valueCodeableConcept"`
		}
		if json.Unmarshal(en.Resource, &r) != nil {
			continue
		}
		allergyFound = allergyFound || r.ResourceType == "AllergyIntolerance" && strings.Contains(string(en.Resource), "Peanut")
		bloodFound = bloodFound || r.ResourceType == "Observation" && r.ValueCodeableConcept.Text == "O+"
	}
	if !allergyFound || !bloodFound {
		t.Fatalf("emergency summary: allergy %v, blood group %v: %.600s", allergyFound, bloodFound, raw)
	}

	// Every command that opens the patient's wallet on the chain warns of
	// the access until the patient has seen it.
	code, _, errs = e.capture("patient", "incoming")
	if code != 0 || !strings.Contains(errs, "EMERGENCY ACCESS: ") || !strings.Contains(errs, doctorID) {
		t.Fatalf("incoming: exit %d, no emergency warning: %s", code, errs)
	}
	t.Logf("warning: %s", errs)
	alerts := e.must("patient", "alerts")
	t.Logf("alerts:\n%s", alerts)
	if !strings.Contains(alerts, doctorID) || !strings.Contains(alerts, "physician") || !strings.Contains(alerts, "ETREAT") ||
		!strings.Contains(alerts, "unconscious on arrival") {
		t.Fatalf("alerts:\n%s", alerts)
	}
	if out := e.must("patient", "alerts"); !strings.Contains(out, "No new emergency accesses") {
		t.Fatalf("alerts after acknowledging:\n%s", out)
	}
	if out := e.must("patient", "alerts", "--all"); !strings.Contains(out, doctorID) {
		t.Fatalf("alerts --all:\n%s", out)
	}

	// A write grant; the doctor adds a lab result while the patient is
	// online (the doctor needs the grant's capsule: the patient's key).
	grant := e.must("patient", "grant", "--to", doctorID, "--categories", "observations", "--write", "--days", "1")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(grant) {
		t.Fatalf("grant printed %q", grant)
	}
	_, _, patientOff = e.startNode("patient", filepath.Join(e.dirs["patient"], "genesis.json"), north)
	added := e.must("doctor", "add-record", "--patient", patientID, lab)
	t.Logf("add-record:\n%s", added)
	anchor := regexp.MustCompile(`anchor ([0-9a-f]{64})`).FindStringSubmatch(added)
	if anchor == nil || !strings.Contains(added, "Observation") {
		t.Fatalf("add-record:\n%s", added)
	}
	patientOff()

	// The doctor stays online while the patient fetches the record.
	_, _, doctorOff := e.startNode("doctor", filepath.Join(e.dirs["doctor"], "genesis.json"), north)
	defer doctorOff()
	code, list, errs := e.capture("patient", "incoming")
	if code != 0 || strings.Contains(errs, "EMERGENCY ACCESS") {
		t.Fatalf("incoming: exit %d: %s", code, errs)
	}
	t.Logf("incoming:\n%s", list)
	if !regexp.MustCompile(anchor[1] + `\s+new\s+observations\s+` + doctorID + `\s+physician`).MatchString(list) {
		t.Fatalf("incoming:\n%s", list)
	}
	if shown := e.must("patient", "incoming", "--show", anchor[1]); !strings.Contains(shown, "Glucose") {
		t.Fatalf("incoming --show:\n%s", shown)
	}
	kept := e.must("patient", "keep", anchor[1])
	t.Logf("keep: %s", kept)
	if !strings.HasPrefix(kept, "Kept as ") || !strings.Contains(kept, "Glucose") {
		t.Fatalf("keep: %s", kept)
	}
	if list := e.must("patient", "incoming"); !regexp.MustCompile(anchor[1] + `\s+kept\s`).MatchString(list) {
		t.Fatalf("incoming after keep:\n%s", list)
	}
	if list := e.must("patient", "list", "--search", "Glucose"); !strings.Contains(list, "Observation") {
		t.Fatalf("kept record not in the wallet:\n%s", list)
	}

	// The audit log shows the emergency access and the added record, and
	// exports as FHIR.
	log := e.must("patient", "audit")
	for _, want := range []string{"emergency-access", "emergency-release", "grant", "record-added"} {
		if !strings.Contains(log, want) {
			t.Fatalf("audit log without %s:\n%s", want, log)
		}
	}
	fhirOut := filepath.Join(t.TempDir(), "audit.json")
	e.must("patient", "audit", "--fhir", fhirOut)
	if b, err := os.ReadFile(fhirOut); err != nil || !bytes.Contains(b, []byte(`"AuditEvent"`)) || !bytes.Contains(b, []byte(`"Provenance"`)) {
		t.Fatalf("audit --fhir: %v", err)
	}
}
