package fhir

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var emergencyNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))

// --- an independent reading of the selection rules -------------------------
//
// The counts below are made from the raw Bundle/NDJSON with their own
// structs, without the package's helpers, so that a mistake in
// EmergencySummary's reading of FHIR is not repeated here.

type emCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type emConcept struct {
	Coding []emCoding `json:"coding"`
}

type emResource struct {
	ResourceType       string     `json:"resourceType"`
	ID                 string     `json:"id"`
	Status             string     `json:"status"`
	ClinicalStatus     *emConcept `json:"clinicalStatus"`
	VerificationStatus *emConcept `json:"verificationStatus"`
	DoNotPerform       bool       `json:"doNotPerform"`
	Code               *emConcept `json:"code"`
}

func (c *emConcept) has(codes ...string) bool {
	if c == nil {
		return false
	}
	for _, cd := range c.Coding {
		if slices.Contains(codes, cd.Code) {
			return true
		}
	}
	return false
}

type emCounts struct{ allergies, medications, conditions int }

func emIndependentCounts(t *testing.T, resources []json.RawMessage) emCounts {
	t.Helper()
	var n emCounts
	for _, raw := range resources {
		var r emResource
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		switch r.ResourceType {
		case "AllergyIntolerance":
			if !r.VerificationStatus.has("refuted", "entered-in-error") &&
				(r.ClinicalStatus == nil || r.ClinicalStatus.has("active")) {
				n.allergies++
			}
		case "Condition":
			if !r.VerificationStatus.has("refuted", "entered-in-error") &&
				(r.ClinicalStatus == nil || r.ClinicalStatus.has("active", "recurrence", "relapse")) {
				n.conditions++
			}
		case "MedicationRequest":
			if !r.DoNotPerform && (r.Status == "active" || r.Status == "on-hold") {
				n.medications++
			}
		case "MedicationStatement":
			if r.Status == "active" || r.Status == "intended" {
				n.medications++
			}
		}
	}
	return n
}

func emBundleResources(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	out := make([]json.RawMessage, len(b.Entry))
	for i, e := range b.Entry {
		out[i] = e.Resource
	}
	return out
}

// --- checks on any summary -------------------------------------------------

type emBundle struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	Timestamp    string `json:"timestamp"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

var (
	emURNUUID   = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	emBundleID  = regexp.MustCompile(`^[0-9a-f]{16}$`)
	emTypeOrder = map[string]int{
		"Patient": 0, "AllergyIntolerance": 1, "MedicationRequest": 2, "MedicationStatement": 2,
		"Medication": 2, "Condition": 3, "Observation": 4,
	}
)

// checkSummary verifies what every summary must satisfy and returns it
// decoded.
func emCheckSummary(t *testing.T, out []byte, info EmergencySummaryInfo) emBundle {
	t.Helper()
	if len(out) > MaxEmergencySummarySize {
		t.Fatalf("summary is %d bytes", len(out))
	}
	// The package's own parser accepts it as a Bundle.
	res, err := Parse("summary.json", out)
	if err != nil {
		t.Fatalf("Parse(summary): %v", err)
	}
	var b emBundle
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" {
		t.Errorf("resourceType %q, type %q", b.ResourceType, b.Type)
	}
	if want := emergencyNow.UTC().Format(time.RFC3339); b.Timestamp != want {
		t.Errorf("timestamp %q, want %q", b.Timestamp, want)
	}
	if !emBundleID.MatchString(b.ID) {
		t.Errorf("Bundle.id %q is not 16 hex digits", b.ID)
	}
	start := bytes.Index(out, []byte(`"entry":[`)) + len(`"entry":[`)
	sum := sha256.Sum256(out[start : len(out)-2])
	if want := hex.EncodeToString(sum[:8]); b.ID != want {
		t.Errorf("Bundle.id %q, want %q (SHA-256 of the entries)", b.ID, want)
	}
	if len(res) != len(b.Entry) {
		t.Fatalf("Parse returned %d resources for %d entries", len(res), len(b.Entry))
	}

	counts := map[string]int{}
	urls := map[string]bool{}
	lastGroup := -1
	for i, e := range b.Entry {
		r := res[i]
		if !bytes.Equal(r.JSON, e.Resource) {
			t.Errorf("entry %d: Parse changed the resource", i+1)
		}
		if !emURNUUID.MatchString(e.FullURL) {
			t.Errorf("entry %d: fullUrl %q is not a urn:uuid", i+1, e.FullURL)
		}
		if urls[e.FullURL] {
			t.Errorf("entry %d: fullUrl %q used twice", i+1, e.FullURL)
		}
		urls[e.FullURL] = true
		if isUUID(r.ID) && e.FullURL != "urn:uuid:"+strings.ToLower(r.ID) {
			t.Errorf("entry %d: fullUrl %q for UUID id %q", i+1, e.FullURL, r.ID)
		}
		g, ok := emTypeOrder[r.Type]
		if !ok {
			t.Errorf("entry %d: unexpected %s", i+1, r.Type)
		}
		if g < lastGroup {
			t.Errorf("entry %d: %s is out of order", i+1, r.Type)
		}
		lastGroup = g
		counts[r.Type]++
		emCheckNoEmpty(t, fmt.Sprintf("entry %d (%s)", i+1, r.Type), emDecodeAny(t, r.JSON))
	}
	if counts["Patient"] > 1 {
		t.Errorf("%d Patients", counts["Patient"])
	}
	if got := counts["AllergyIntolerance"]; got != info.Allergies {
		t.Errorf("%d allergies in the Bundle, info says %d", got, info.Allergies)
	}
	if got := counts["MedicationRequest"] + counts["MedicationStatement"]; got != info.Medications {
		t.Errorf("%d medications in the Bundle, info says %d", got, info.Medications)
	}
	if got := counts["Condition"]; got != info.Conditions {
		t.Errorf("%d conditions in the Bundle, info says %d", got, info.Conditions)
	}
	if (counts["Observation"] > 0) != (info.BloodGroup != "") {
		t.Errorf("%d blood group Observations, info.BloodGroup %q", counts["Observation"], info.BloodGroup)
	}
	if p := emPatientOf(t, b); p != nil {
		emCheckPatientStripped(t, p)
	}
	return b
}

func emDecodeAny(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkNoEmpty walks a value for empty strings, arrays and objects and nulls.
func emCheckNoEmpty(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		t.Errorf("%s: null", where)
	case string:
		if strings.TrimSpace(x) == "" {
			t.Errorf("%s: empty string", where)
		}
	case []any:
		if len(x) == 0 {
			t.Errorf("%s: empty array", where)
		}
		for i, e := range x {
			emCheckNoEmpty(t, fmt.Sprintf("%s[%d]", where, i), e)
		}
	case map[string]any:
		if len(x) == 0 {
			t.Errorf("%s: empty object", where)
		}
		for k, e := range x {
			emCheckNoEmpty(t, where+"."+k, e)
		}
	}
}

func emPatientOf(t *testing.T, b emBundle) map[string]any {
	t.Helper()
	for _, e := range b.Entry {
		m, _ := emDecodeAny(t, e.Resource).(map[string]any)
		if m["resourceType"] == "Patient" {
			return m
		}
	}
	return nil
}

// checkPatientStripped walks the whole Patient: no address, identifier or
// extension survives at any depth, and only the allowed elements are there.
func emCheckPatientStripped(t *testing.T, p map[string]any) {
	t.Helper()
	for k := range p {
		switch k {
		case "resourceType", "id", "name", "gender", "birthDate", "contact":
		default:
			t.Errorf("Patient keeps %q", k)
		}
	}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch {
				case k == "address", k == "identifier", k == "extension", k == "modifierExtension", strings.HasPrefix(k, "_"):
					t.Errorf("Patient keeps %s.%s", where, k)
				}
				walk(where+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(where, e)
			}
		}
	}
	walk("Patient", p)
	for _, c := range emArrOf(p["contact"]) {
		js, _ := json.Marshal(c)
		var contact struct{ Relationship []emConcept }
		_ = json.Unmarshal(js, &contact)
		ok := false
		for _, r := range contact.Relationship {
			ok = ok || slices.Contains(r.Coding, emCoding{"http://terminology.hl7.org/CodeSystem/v2-0131", "C"}) ||
				slices.Contains(r.Coding, emCoding{"", "C"})
		}
		if !ok {
			t.Errorf("Patient.contact without relationship C: %s", js)
		}
	}
}

func emArrOf(v any) []any { a, _ := v.([]any); return a }

// --- tests on the Synthea data ---------------------------------------------

func TestEmergencySummarySynthea(t *testing.T) {
	files := readTestFiles(t, bundlesDir, "*.json")
	byPrefix := func(p string) testFile {
		for _, f := range files {
			if strings.HasPrefix(f.name, p) {
				return f
			}
		}
		t.Fatalf("no %s* bundle in %s", p, bundlesDir)
		return testFile{}
	}
	tests := []struct {
		file, golden string
		extras       EmergencyExtras
		want         EmergencySummaryInfo
	}{
		{"Micha_Kertzmann_", "emergency-Micha_Kertzmann.json", EmergencyExtras{},
			EmergencySummaryInfo{Allergies: 0, Medications: 4, Conditions: 4, Patient: true}},
		{"Michal_Collier_", "emergency-Michal_Collier.json", EmergencyExtras{},
			EmergencySummaryInfo{Allergies: 0, Medications: 0, Conditions: 1, Patient: true}},
		{"Michal_Collier_", "emergency-Michal_Collier-extras.json",
			EmergencyExtras{BloodGroup: "0 neg", ContactName: "Anna Collier", ContactPhone: "+1 555 010 0199", ContactRelationship: "mother"},
			EmergencySummaryInfo{Allergies: 0, Medications: 0, Conditions: 1, BloodGroup: "O-", Contact: true, Patient: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			f := byPrefix(tt.file)
			records, err := Parse(f.name, f.data)
			if err != nil {
				t.Fatal(err)
			}
			out, info, err := EmergencySummary(records, tt.extras, emergencyNow)
			if err != nil {
				t.Fatal(err)
			}
			want := emIndependentCounts(t, emBundleResources(t, f.data))
			if info.Allergies != want.allergies || info.Medications != want.medications || info.Conditions != want.conditions {
				t.Errorf("info %+v; independent count %+v", info, want)
			}
			if info != tt.want {
				t.Errorf("info %+v, want %+v", info, tt.want)
			}
			b := emCheckSummary(t, out, info)

			// Whose summary it is.
			p := emPatientOf(t, b)
			var orig emResource
			_ = json.Unmarshal(emBundleResources(t, f.data)[0], &orig)
			if p == nil || p["id"] != orig.ID || p["birthDate"] == nil || p["gender"] == nil || p["name"] == nil {
				t.Errorf("Patient %v", p)
			}
			// Every reference to the Patient resolves to its entry.
			patientURL := b.Entry[0].FullURL
			for _, e := range b.Entry[1:] {
				var r struct {
					Subject struct{ Reference string } `json:"subject"`
				}
				_ = json.Unmarshal(e.Resource, &r)
				if r.Subject.Reference != patientURL {
					t.Errorf("subject %q, want %q", r.Subject.Reference, patientURL)
				}
			}

			// Deterministic, whatever the order of the records.
			shuffled := slices.Clone(records)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again, _, err := EmergencySummary(shuffled, tt.extras, emergencyNow)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("a second summary from shuffled records differs (err %v)", err)
			}

			var pretty bytes.Buffer
			if err := json.Indent(&pretty, out, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			compareGolden(t, tt.golden, pretty.String())
		})
	}
}

// TestEmergencySummaryBulk takes one patient's records out of the bulk
// export (the Synthea bundles have no allergies), references as
// "Patient/<id>".
func TestEmergencySummaryBulk(t *testing.T) {
	const patientID = "cbc86e51-9eca-3855-76ec-c058f72c5761"
	var records []Resource
	var raws []json.RawMessage
	for _, f := range readTestFiles(t, bulkDir, "*.ndjson") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if (r.Type == "Patient" && r.ID == patientID) || bytes.Contains(r.JSON, []byte(`"Patient/`+patientID+`"`)) {
				records = append(records, r)
				raws = append(raws, r.JSON)
			}
		}
	}
	out, info, err := EmergencySummary(records, EmergencyExtras{}, emergencyNow)
	if err != nil {
		t.Fatal(err)
	}
	want := emIndependentCounts(t, raws)
	if info.Allergies != want.allergies || info.Medications != want.medications || info.Conditions != want.conditions {
		t.Errorf("info %+v; independent count %+v", info, want)
	}
	if info.Allergies != 8 || !info.Patient {
		t.Errorf("info %+v, want 8 allergies and the Patient", info)
	}
	b := emCheckSummary(t, out, info)
	if b.Entry[0].FullURL != "urn:uuid:"+patientID {
		t.Fatalf("Patient fullUrl %q", b.Entry[0].FullURL)
	}
	if bytes.Contains(out, []byte("Patient/"+patientID)) {
		t.Error(`a "Patient/<id>" reference was not rewritten to the Patient's fullUrl`)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	compareGolden(t, "emergency-bulk-cbc86e51.json", pretty.String())
}

// --- hand-made records -----------------------------------------------------

func emRes(t testing.TB, js string) Resource {
	t.Helper()
	r, err := Parse("t.json", []byte(js))
	if err != nil {
		t.Fatalf("%v in %s", err, js)
	}
	return r[0]
}

const emPatient = `{"resourceType":"Patient","id":"p1",
	"meta":{"lastUpdated":"2020-01-01T00:00:00Z"},
	"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jane</div>"},
	"extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","valueString":"x"}],
	"identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-11-2222"}],
	"name":[{"use":"official","family":"Doe","given":["Jane"],"_given":[{"extension":[{"url":"http://example.org/x","valueString":"y"}]}],
	         "extension":[{"url":"http://example.org/n","valueString":"z"}]}],
	"telecom":[{"system":"phone","value":"555-0000"}],
	"gender":"female","birthDate":"1980-02-03",
	"address":[{"line":["1 Main St"],"city":"Springfield"}],
	"contact":[
	  {"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"C"}]}],
	   "name":{"text":"John Doe"},"telecom":[{"system":"phone","value":"555-0101"}],
	   "address":{"line":["2 Main St"]},"extension":[{"url":"http://example.org/c","valueString":"c"}]},
	  {"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"E"}]}],
	   "name":{"text":"Boss"}},
	  {"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"C"}]}],
	   "name":{"text":"Modified"},"modifierExtension":[{"url":"http://example.org/m","valueBoolean":true}]}
	]}`

const (
	emSysAC = `"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"`
	emSysAV = `"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"`
	emSysCC = `"http://terminology.hl7.org/CodeSystem/condition-clinical"`
	emSysCV = `"http://terminology.hl7.org/CodeSystem/condition-ver-status"`
)

func emAllergy(id, clinical, verification string) string {
	s := `{"resourceType":"AllergyIntolerance","id":"` + id + `","code":{"text":"Peanut"},"patient":{"reference":"Patient/p1"},"recordedDate":"2019-01-01"`
	if clinical != "" {
		s += `,"clinicalStatus":{"coding":[{"system":` + emSysAC + `,"code":"` + clinical + `"}]}`
	}
	if verification != "" {
		s += `,"verificationStatus":{"coding":[{"system":` + emSysAV + `,"code":"` + verification + `"}]}`
	}
	return s + "}"
}

func emCondition(id, clinical, verification, onset string) string {
	s := `{"resourceType":"Condition","id":"` + id + `","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"},"onsetDateTime":"` + onset + `"`
	if clinical != "" {
		s += `,"clinicalStatus":{"coding":[{"system":` + emSysCC + `,"code":"` + clinical + `"}]}`
	}
	if verification != "" {
		s += `,"verificationStatus":{"coding":[{"system":` + emSysCV + `,"code":"` + verification + `"}]}`
	}
	return s + "}"
}

func emMedRequest(id, status, extra string) string {
	return `{"resourceType":"MedicationRequest","id":"` + id + `","status":"` + status + `","intent":"order","subject":{"reference":"Patient/p1"},"authoredOn":"2020-01-01"` + extra + `}`
}

func emBloodObs(id, status, loinc, date, value string) string {
	return `{"resourceType":"Observation","id":"` + id + `","status":"` + status + `","code":{"coding":[{"system":"http://loinc.org","code":"` + loinc + `"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"` + date + `"` + value + `}`
}

func emSnomedValue(code, display string) string {
	return `,"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `","display":"` + display + `"}]}`
}

// summaryIDs returns "Type/id" of every entry after the Patient.
func emSummaryIDs(t *testing.T, out []byte) []string {
	t.Helper()
	rs, err := Parse("summary.json", out)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs {
		if r.Type != "Patient" {
			ids = append(ids, r.Type+"/"+r.ID)
		}
	}
	return ids
}

func TestEmergencySelection(t *testing.T) {
	records := []Resource{
		emRes(t, emPatient),
		emRes(t, emAllergy("a-active", "active", "confirmed")),
		emRes(t, emAllergy("a-nostatus", "", "")),
		emRes(t, emAllergy("a-unconfirmed", "active", "unconfirmed")),
		emRes(t, emAllergy("a-eie", "", "entered-in-error")),
		emRes(t, emAllergy("a-eie-active", "active", "entered-in-error")),
		emRes(t, emAllergy("a-refuted", "active", "refuted")),
		emRes(t, emAllergy("a-resolved", "resolved", "confirmed")),
		emRes(t, emAllergy("a-inactive", "inactive", "")),
		emRes(t, emCondition("c-active", "active", "confirmed", "2010-01-01")),
		emRes(t, emCondition("c-relapse", "relapse", "", "2012-01-01")),
		emRes(t, emCondition("c-recurrence", "recurrence", "", "2011-01-01")),
		emRes(t, emCondition("c-nostatus", "", "provisional", "2013-01-01")),
		emRes(t, emCondition("c-eie", "", "entered-in-error", "2014-01-01")),
		emRes(t, emCondition("c-refuted", "active", "refuted", "2014-01-01")),
		emRes(t, emCondition("c-resolved", "resolved", "confirmed", "2015-01-01")),
		emRes(t, emCondition("c-remission", "remission", "", "2015-01-01")),
		emRes(t, emMedRequest("m-active", "active", `,"medicationCodeableConcept":{"text":"Lisinopril"}`)),
		emRes(t, emMedRequest("m-onhold", "on-hold", `,"medicationReference":{"reference":"Medication/med1"}`)),
		emRes(t, emMedRequest("m-eie", "entered-in-error", `,"medicationReference":{"reference":"Medication/med2"}`)),
		emRes(t, emMedRequest("m-stopped", "stopped", `,"medicationCodeableConcept":{"text":"X"}`)),
		emRes(t, emMedRequest("m-dnp", "active", `,"doNotPerform":true,"medicationCodeableConcept":{"text":"Penicillin"}`)),
		emRes(t, `{"resourceType":"MedicationStatement","id":"s-intended","status":"intended","medicationCodeableConcept":{"text":"Aspirin"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2021-01-01"}`),
		emRes(t, `{"resourceType":"MedicationStatement","id":"s-eie","status":"entered-in-error","medicationCodeableConcept":{"text":"Aspirin"},"subject":{"reference":"Patient/p1"}}`),
		emRes(t, `{"resourceType":"MedicationStatement","id":"s-done","status":"completed","medicationCodeableConcept":{"text":"Aspirin"},"subject":{"reference":"Patient/p1"}}`),
		emRes(t, `{"resourceType":"Medication","id":"med1","code":{"text":"Warfarin 5 mg"}}`),
		emRes(t, `{"resourceType":"Medication","id":"med2","code":{"text":"Not referenced by a current request"}}`),
		emRes(t, emBloodObs("bg-eie", "entered-in-error", "882-1", "2023-01-01", emSnomedValue("278148006", "O neg"))),
		emRes(t, emBloodObs("bg-final", "final", "882-1", "2020-01-01", emSnomedValue("278149003", "Blood group A Rh(D) positive (finding)"))),
		emRes(t, emBloodObs("bg-prelim", "preliminary", "882-1", "2022-01-01", emSnomedValue("278154007", "AB neg"))),
		emRes(t, `{"resourceType":"Observation","id":"weight","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":70,"unit":"kg"}}`),
		emRes(t, `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"}}`),
	}
	out, info, err := EmergencySummary(records, EmergencyExtras{}, emergencyNow)
	if err != nil {
		t.Fatal(err)
	}
	want := EmergencySummaryInfo{Allergies: 3, Medications: 3, Conditions: 4, BloodGroup: "A+", Contact: true, Patient: true}
	if info != want {
		t.Errorf("info %+v, want %+v", info, want)
	}
	emCheckSummary(t, out, info)
	got := emSummaryIDs(t, out)
	wantIDs := []string{
		"AllergyIntolerance/a-active", "AllergyIntolerance/a-nostatus", "AllergyIntolerance/a-unconfirmed",
		"MedicationStatement/s-intended", "MedicationRequest/m-active", "MedicationRequest/m-onhold", "Medication/med1",
		"Condition/c-nostatus", "Condition/c-relapse", "Condition/c-recurrence", "Condition/c-active",
		"Observation/bg-final",
	}
	if !slices.Equal(got, wantIDs) {
		t.Errorf("entries\n got %q\nwant %q", got, wantIDs)
	}
	// References to resources in the summary point at their fullUrl.
	var b emBundle
	_ = json.Unmarshal(out, &b)
	urlOf := map[string]string{}
	for _, e := range b.Entry {
		var h struct{ ResourceType, ID string }
		_ = json.Unmarshal(e.Resource, &h)
		urlOf[h.ResourceType+"/"+h.ID] = e.FullURL
	}
	for _, ref := range []string{"Patient/p1", "Medication/med1"} {
		if bytes.Contains(out, []byte(`"`+ref+`"`)) {
			t.Errorf("reference %q not rewritten", ref)
		}
		if !bytes.Contains(out, []byte(`"reference":"`+urlOf[ref]+`"`)) {
			t.Errorf("no reference to %s's fullUrl %s", ref, urlOf[ref])
		}
	}
	// The Patient keeps only the emergency contact without a modifier
	// extension, and nothing that does not identify the patient.
	for _, leak := range []string{"999-11-2222", "Springfield", "Main St", "us-core-race", "Boss", "Modified", "555-0000", "<div"} {
		if bytes.Contains(out, []byte(leak)) {
			t.Errorf("the summary contains %q", leak)
		}
	}
	for _, keep := range []string{"John Doe", "555-0101", "1980-02-03", `"family":"Doe"`} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("the summary lacks %q", keep)
		}
	}
}

func TestEmergencyBloodGroup(t *testing.T) {
	p := emPatient
	tests := []struct {
		name    string
		records []string
		extras  string
		want    string   // Info.BloodGroup
		ids     []string // blood group Observation ids ("" for a generated one)
		snomed  string   // the generated Observation's code
	}{
		{"none", []string{p}, "", "", nil, ""},
		{"882-1 newest wins", []string{p,
			emBloodObs("old", "final", "882-1", "2010-01-01", emSnomedValue("278149003", "")),
			emBloodObs("new", "amended", "882-1", "2020-01-01", emSnomedValue("278153001", "")),
		}, "", "B-", []string{"new"}, ""},
		{"extras win over records", []string{p,
			emBloodObs("rec", "final", "882-1", "2020-01-01", emSnomedValue("278149003", "")),
		}, "O+", "O+", []string{""}, "278147001"},
		{"extras without a Patient", []string{emCondition("c", "active", "", "2000")}, "ab-", "AB-", []string{""}, "278154007"},
		{"883-9 and 10331-7 pair", []string{p,
			emBloodObs("abo", "final", "883-9", "2021-01-01", emSnomedValue("112149005", "Blood group B")),
			emBloodObs("rh", "final", "10331-7", "2021-01-02", emSnomedValue("165746003", "RhD negative")),
			emBloodObs("old", "final", "882-1", "2010-01-01", emSnomedValue("278149003", "")),
		}, "", "B-", []string{"rh", "abo"}, ""},
		{"882-1 newer than the pair", []string{p,
			emBloodObs("abo", "final", "883-9", "2021-01-01", emSnomedValue("112149005", "")),
			emBloodObs("rh", "final", "10331-7", "2023-01-02", emSnomedValue("165746003", "")),
			emBloodObs("both", "final", "882-1", "2022-01-01", emSnomedValue("278151004", "")),
		}, "", "AB+", []string{"both"}, ""},
		{"half a pair does not count", []string{p,
			emBloodObs("abo", "final", "883-9", "2021-01-01", emSnomedValue("112149005", "")),
		}, "", "", nil, ""},
		{"recognised from text", []string{p,
			emBloodObs("txt", "final", "882-1", "2021-01-01", `,"valueCodeableConcept":{"text":"O Rh(D) negative"}`),
		}, "", "O-", []string{"txt"}, ""},
		{"unrecognised value shown as text", []string{p,
			emBloodObs("txt", "final", "882-1", "2021-01-01", `,"valueString":"see lab report"`),
		}, "", "see lab report", []string{"txt"}, ""},
		{"entered-in-error and preliminary skipped", []string{p,
			emBloodObs("eie", "entered-in-error", "882-1", "2021-01-01", emSnomedValue("278149003", "")),
			emBloodObs("pre", "preliminary", "882-1", "2022-01-01", emSnomedValue("278149003", "")),
			emBloodObs("cancelled", "cancelled", "882-1", "2022-01-01", emSnomedValue("278149003", "")),
		}, "", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var records []Resource
			for _, js := range tt.records {
				records = append(records, emRes(t, js))
			}
			out, info, err := EmergencySummary(records, EmergencyExtras{BloodGroup: tt.extras}, emergencyNow)
			if err != nil {
				t.Fatal(err)
			}
			if info.BloodGroup != tt.want {
				t.Errorf("BloodGroup %q, want %q", info.BloodGroup, tt.want)
			}
			b := emCheckSummary(t, out, info)
			var ids []string
			for _, e := range b.Entry {
				var o struct {
					ResourceType, ID, Status, EffectiveDateTime string
					Subject                                     *struct{ Reference string }
					Code                                        emConcept
					ValueCodeableConcept                        emConcept
				}
				_ = json.Unmarshal(e.Resource, &o)
				if o.ResourceType != "Observation" {
					continue
				}
				if !strings.HasPrefix(o.ID, "blood-group-") {
					ids = append(ids, o.ID)
					continue
				}
				ids = append(ids, "")
				if o.Status != "final" || o.EffectiveDateTime != emergencyNow.UTC().Format(time.RFC3339) ||
					!slices.Equal(o.Code.Coding, []emCoding{{"http://loinc.org", "882-1"}}) ||
					!slices.Equal(o.ValueCodeableConcept.Coding, []emCoding{{"http://snomed.info/sct", tt.snomed}}) {
					t.Errorf("generated Observation %+v", o)
				}
				if emPatientOf(t, b) == nil {
					if o.Subject != nil {
						t.Errorf("generated Observation's subject %+v without a Patient", o.Subject)
					}
				} else if o.Subject == nil || o.Subject.Reference != b.Entry[0].FullURL {
					t.Errorf("generated Observation's subject %+v, want %s", o.Subject, b.Entry[0].FullURL)
				}
			}
			if !slices.Equal(ids, tt.ids) {
				t.Errorf("blood group Observations %q, want %q", ids, tt.ids)
			}
		})
	}
}

func TestEmergencyBloodGroupSpellings(t *testing.T) {
	p := []Resource{emRes(t, emPatient)}
	for in, want := range map[string]string{
		"A+": "A+", " a- ": "A-", "B+": "B+", "b-": "B-", "AB+": "AB+", "AB −": "AB-", "O+": "O+", "O-": "O-",
		"0+": "O+", "0 neg": "O-", "ab pos": "AB+", "A Rh+": "A+", "B negative": "B-", "o rh(d) positive": "O+",
	} {
		_, info, err := EmergencySummary(p, EmergencyExtras{BloodGroup: in}, emergencyNow)
		if err != nil || info.BloodGroup != want {
			t.Errorf("BloodGroup %q: got %q, %v; want %q", in, info.BloodGroup, err, want)
		}
	}
	for _, bad := range []string{"C+", "A", "AB", "+", "A+B", "O++", "AO+", "A positive negative", "A1+", "Rh+", "A+ B-", strings.Repeat("A", 300)} {
		_, _, err := EmergencySummary(p, EmergencyExtras{BloodGroup: bad}, emergencyNow)
		if !errors.Is(err, ErrInvalidExtras) {
			t.Errorf("BloodGroup %q: err %v, want ErrInvalidExtras", bad, err)
		}
	}
}

func TestEmergencyContact(t *testing.T) {
	tests := []struct {
		name     string
		records  []string
		extras   EmergencyExtras
		contacts int // Patient.contact entries
		err      error
	}{
		{"existing C contact kept", []string{emPatient}, EmergencyExtras{}, 1, nil},
		{"extras contact added", []string{emPatient}, EmergencyExtras{ContactName: "Mary Roe", ContactPhone: "+44 20 7946 0958", ContactRelationship: "sister"}, 2, nil},
		{"same contact not added twice", []string{emPatient}, EmergencyExtras{ContactName: "john doe", ContactPhone: "555 0101"}, 1, nil},
		{"phone only", []string{emPatient}, EmergencyExtras{ContactPhone: "112"}, 2, nil},
		{"contact without a Patient", nil, EmergencyExtras{ContactName: "Mary Roe"}, 1, nil},
		{"relationship alone", []string{emPatient}, EmergencyExtras{ContactRelationship: "spouse"}, 0, ErrInvalidExtras},
		{"phone without digits", []string{emPatient}, EmergencyExtras{ContactName: "X", ContactPhone: "call me"}, 0, ErrInvalidExtras},
		{"name too long", []string{emPatient}, EmergencyExtras{ContactName: strings.Repeat("n", 101)}, 0, ErrInvalidExtras},
		{"phone too long", []string{emPatient}, EmergencyExtras{ContactPhone: strings.Repeat("1", 41)}, 0, ErrInvalidExtras},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var records []Resource
			for _, js := range tt.records {
				records = append(records, emRes(t, js))
			}
			out, info, err := EmergencySummary(records, tt.extras, emergencyNow)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.Contact != (tt.contacts > 0) || info.Patient != (len(tt.records) > 0) {
				t.Errorf("info %+v", info)
			}
			b := emCheckSummary(t, out, info)
			p := emPatientOf(t, b)
			contacts := emArrOf(p["contact"])
			if len(contacts) != tt.contacts {
				t.Fatalf("%d contacts, want %d: %v", len(contacts), tt.contacts, contacts)
			}
			if tt.extras.ContactName == "" && tt.extras.ContactPhone == "" || tt.name == "same contact not added twice" {
				return
			}
			last, _ := json.Marshal(contacts[len(contacts)-1])
			var c struct {
				Relationship []struct {
					Coding []struct{ System, Code, Display string }
					Text   string
				}
				Name    map[string]any
				Telecom []map[string]any
			}
			_ = json.Unmarshal(last, &c)
			ok := len(c.Relationship) == 1 && len(c.Relationship[0].Coding) == 1 &&
				c.Relationship[0].Coding[0] == struct{ System, Code, Display string }{"http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact"} &&
				c.Relationship[0].Text == tt.extras.ContactRelationship
			if tt.extras.ContactName != "" {
				ok = ok && len(c.Name) == 1 && c.Name["text"] == tt.extras.ContactName
			} else {
				ok = ok && c.Name == nil
			}
			if tt.extras.ContactPhone != "" {
				ok = ok && len(c.Telecom) == 1 && len(c.Telecom[0]) == 2 && c.Telecom[0]["system"] == "phone" && c.Telecom[0]["value"] == tt.extras.ContactPhone
			} else {
				ok = ok && c.Telecom == nil
			}
			if !ok {
				t.Errorf("extras contact %s", last)
			}
		})
	}
}

func TestEmergencyErrors(t *testing.T) {
	huge := `{"resourceType":"Condition","id":"big","code":{"text":"` + strings.Repeat("x", MaxEmergencySummarySize) + `"}}`
	tests := []struct {
		name    string
		records []Resource
		extras  EmergencyExtras
		now     time.Time
		err     error
	}{
		{"nothing at all", nil, EmergencyExtras{}, emergencyNow, ErrEmptySummary},
		{"nothing relevant", []Resource{emRes(t, `{"resourceType":"Encounter","id":"e"}`), emRes(t, emCondition("c", "resolved", "", "2000"))}, EmergencyExtras{}, emergencyNow, ErrEmptySummary},
		{"only whitespace extras", nil, EmergencyExtras{BloodGroup: "  ", ContactName: "\t"}, emergencyNow, ErrEmptySummary},
		{"invalid blood group", []Resource{emRes(t, emPatient)}, EmergencyExtras{BloodGroup: "Z+"}, emergencyNow, ErrInvalidExtras},
		{"unreadable record", []Resource{{Type: "Condition", ID: "x", JSON: []byte(`{"resourceType":`)}}, EmergencyExtras{}, emergencyNow, ErrInvalidJSON},
		{"mislabelled record", []Resource{{Type: "Condition", ID: "x", JSON: []byte(`{"resourceType":"Patient","id":"x"}`)}}, EmergencyExtras{}, emergencyNow, ErrNotFHIR},
		{"too large", []Resource{emRes(t, huge)}, EmergencyExtras{}, emergencyNow, ErrLimit},
		{"zero now", []Resource{emRes(t, emPatient)}, EmergencyExtras{}, time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := EmergencySummary(tt.records, tt.extras, tt.now)
			if err == nil || out != nil {
				t.Fatalf("got %d bytes, err %v; want an error", len(out), err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("err %v, want %v", err, tt.err)
			}
		})
	}
	// An unreadable record of a type the summary does not read is ignored.
	_, _, err := EmergencySummary([]Resource{emRes(t, emPatient), {Type: "Encounter", JSON: []byte("garbage")}}, EmergencyExtras{}, emergencyNow)
	if err != nil {
		t.Errorf("unreadable Encounter: %v", err)
	}
}

func TestEmergencyDuplicatesAndEmpties(t *testing.T) {
	older := `{"resourceType":"Condition","id":"c","meta":{"lastUpdated":"2020-01-01T00:00:00Z"},"code":{"text":"Old text"},"subject":{"reference":"Patient/p1"}}`
	newer := `{"resourceType":"Condition","id":"c","meta":{"lastUpdated":"2021-01-01T00:00:00Z"},"code":{"text":"New text","coding":[]},"note":[{"text":" "}],"subject":{"reference":"Patient/p1","display":""},"bodySite":[{}],"onsetString":null}`
	out, info, err := EmergencySummary([]Resource{emRes(t, older), emRes(t, newer), emRes(t, older)}, EmergencyExtras{}, emergencyNow)
	if err != nil {
		t.Fatal(err)
	}
	if info.Conditions != 1 || info.Patient {
		t.Errorf("info %+v", info)
	}
	emCheckSummary(t, out, info)
	if !bytes.Contains(out, []byte("New text")) || bytes.Contains(out, []byte("Old text")) {
		t.Errorf("the newest version was not kept: %s", out)
	}
	for _, s := range []string{`"note"`, `"bodySite"`, `"coding"`, `"display"`, `"onsetString"`} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("empty %s emitted: %s", s, out)
		}
	}
}

func BenchmarkEmergencySummary(b *testing.B) {
	f := readTestFiles(b, bundlesDir, "Micha_Kertzmann_*.json")[0]
	records, err := Parse(f.name, f.data)
	if err != nil {
		b.Fatal(err)
	}
	extras := EmergencyExtras{BloodGroup: "A+", ContactName: "Jo", ContactPhone: "555-0100", ContactRelationship: "spouse"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := EmergencySummary(records, extras, emergencyNow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmergencyOddShapes feeds valid JSON in shapes FHIR does not allow: no
// panic, and the summary is still a valid Bundle.
func TestEmergencyOddShapes(t *testing.T) {
	odd := []string{
		`{"resourceType":"Patient","id":"p","name":"Jane","contact":"x","gender":1,"birthDate":["1980"]}`,
		`{"resourceType":"Patient","id":"q","contact":[1,null,{"relationship":{"coding":"C"}},{"relationship":[{"coding":[{"code":"C"}]}],"name":[],"telecom":{}}]}`,
		`{"resourceType":"AllergyIntolerance","clinicalStatus":"active","verificationStatus":7,"patient":{"reference":5}}`,
		`{"resourceType":"Condition","id":"c","clinicalStatus":{"coding":{"code":"active"}},"subject":{"reference":"Patient/p/_history/3"}}`,
		`{"resourceType":"Condition","id":"d","clinicalStatus":{"coding":[{"system":"http://example.org","code":"resolved"}]},"subject":{"reference":"https://ehr.example/fhir/Patient/q"},"asserter":{"reference":"Patient/q"}}`,
		`{"resourceType":"MedicationRequest","id":"m","status":"active","doNotPerform":"yes","medicationReference":{"reference":"#contained"},"contained":[{"resourceType":"Medication","id":"contained"}]}`,
		`{"resourceType":"MedicationStatement","id":"s","status":"active","medicationReference":"Medication/x"}`,
		`{"resourceType":"Observation","id":"o","status":"final","code":{"coding":[{"code":"882-1"}]},"valueCodeableConcept":{"coding":[{"code":12}],"text":["A+"]},"component":"x"}`,
		`{"resourceType":"Observation","id":"\u0062g","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"\u0038\u0038\u0032-1"}]},"effectiveDateTime":"2030-01-01","valueString":"B+"}`,
	}
	var records []Resource
	for _, js := range odd {
		records = append(records, emRes(t, js))
	}
	out, info, err := EmergencySummary(records, EmergencyExtras{ContactPhone: "1"}, emergencyNow)
	if err != nil {
		t.Fatal(err)
	}
	// The escaped LOINC code is still recognised, and the most referenced
	// Patient (q: twice, once through an absolute URL; p: once) is chosen.
	if info.BloodGroup != "B+" || info.Conditions != 2 || info.Allergies != 1 || info.Medications != 2 {
		t.Errorf("info %+v", info)
	}
	b := emCheckSummary(t, out, info)
	if p := emPatientOf(t, b); p["id"] != "q" {
		t.Errorf("Patient %v chosen, want q", p)
	}
	if bytes.Contains(out, []byte("Patient/q")) {
		t.Errorf("references to Patient q not rewritten: %s", out)
	}
	// q's own contact has nobody to call and is dropped; the extras one stays.
	if c := emArrOf(emPatientOf(t, b)["contact"]); len(c) != 1 || !strings.Contains(fmt.Sprint(c), "value:1") {
		t.Errorf("contacts %v", c)
	}
}
