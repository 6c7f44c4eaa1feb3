package fhir

import (
	"fmt"
	"strings"
	"testing"
)

// displayPerBundle bounds the golden file: enough for every common type.
const displayPerBundle = 400

// TestDisplayGolden renders the Synthea bundles' resources; read the diff
// after go test -run TestDisplayGolden -update.
func TestDisplayGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Display of the synthea-bundles resources; regenerate with: go test -run TestDisplayGolden -update\n")
	for _, f := range readTestFiles(t, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n## %s\n", f.name)
		for _, r := range res[:min(len(res), displayPerBundle)] {
			fmt.Fprintf(&b, "\n%s %s\n", r.Type, r.ID)
			for _, fl := range Display(r.Type, r.JSON) {
				v := strings.ReplaceAll(fl.Value, "\n", "\n\t\t")
				if len(v) > 300 {
					v = v[:300] + "…"
				}
				fmt.Fprintf(&b, "\t%s: %s\n", fl.Label, v)
			}
		}
	}
	compareGolden(t, "display.golden", b.String())
}

// resourceByID finds one resource of the shared test data.
func resourceByID(t *testing.T, dir, pattern, id string) Resource {
	t.Helper()
	for _, f := range readTestFiles(t, dir, pattern) {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.ID == id {
				return r
			}
		}
	}
	t.Fatalf("no resource %s in %s/%s", id, dir, pattern)
	return Resource{}
}

func TestDisplay(t *testing.T) {
	const collier = "Michal_Collier_*.json"
	const kertzmann = "Micha_Kertzmann_*.json"
	tests := []struct {
		name, dir, pattern, id string
		want                   []Field // each must appear, in this order
		absent                 []string
	}{
		{"condition", bundlesDir, kertzmann, "267f6155-eaf6-40ed-9ead-ac81ae8333bb",
			[]Field{{"Condition", "Chronic sinusitis"}, {"Clinical status", "Active"}, {"Verification", "Confirmed"}, {"Onset", "21 Oct 1982, 06:58"}}, nil},
		{"body weight", bundlesDir, kertzmann, "47e7949f-3c26-45ae-9362-b5412145dd09",
			[]Field{{"Test", "Body Weight"}, {"Value", "73.9 kg"}, {"Status", "Final"}, {"Category", "Vital signs"}, {"Date", "27 Dec 2009, 06:58"}},
			[]string{"Issued"}},
		{"blood pressure", bundlesDir, kertzmann, "03db3880-84b8-4ed1-82bc-8d96e63b8416",
			[]Field{{"Test", "Blood Pressure"}, {"Blood pressure", "105/71 mmHg"}, {"Diastolic Blood Pressure", "70.89 mmHg"}, {"Systolic Blood Pressure", "105.3 mmHg"}},
			[]string{"Value"}},
		{"patient", bundlesDir, kertzmann, "7e1f4334-1a53-41a7-b07f-f0203bb55733",
			[]Field{{"Name", "Ms. Micha Kertzmann"}, {"Born", "14 Sep 1941"}, {"Gender", "Female"}, {"Marital status", "Never married"}}, nil},
		{"encounter", bundlesDir, kertzmann, "f210f6f9-7610-44c8-bf27-6f1977477981",
			[]Field{{"Visit", "Encounter for symptom"}, {"Class", "Ambulatory encounter"}, {"Status", "Finished"}, {"When", "21 Oct 1982, 06:58–07:13"}, {"Reason", "Sinusitis"}}, nil},
		{"medication", bundlesDir, kertzmann, "4bd45cd6-20b8-426e-91eb-b49400c90b2b",
			[]Field{{"Medication", "Galantamine 4 MG Oral Tablet"}, {"Status", "Stopped"}, {"Prescribed", "13 Jan 2013, 06:58"}}, nil},
		{"allergy", bulkDir, "AllergyIntolerance.000.ndjson", "1b2ce4a9-9773-f40f-6692-cb4d1283a9ca",
			[]Field{{"Substance", "Aspirin"}, {"Type", "Allergy"}, {"Category", "Medication"}, {"Criticality", "Low"}, {"Recorded", "27 Dec 1996, 04:21"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resourceByID(t, tt.dir, tt.pattern, tt.id)
			got := Display(r.Type, r.JSON)
			i := 0
			for _, f := range got {
				if i < len(tt.want) && f == tt.want[i] {
					i++
				}
				for _, a := range tt.absent {
					if f.Label == a {
						t.Errorf("has %s: %q", a, f.Value)
					}
				}
			}
			if i < len(tt.want) {
				t.Errorf("missing %+v (in order) in %+v", tt.want[i], got)
			}
		})
	}
}

func TestDisplayDocumentNote(t *testing.T) {
	r := resourceByID(t, bulkDir, "DocumentReference.000.ndjson", "00212c89-d070-985e-b695-b5f12fffd23e")
	got := Display(r.Type, r.JSON)
	var note string
	for _, f := range got {
		if f.Label == "Note" {
			note = f.Value
		}
	}
	if !strings.Contains(note, "\n") || strings.ContainsAny(note, "\x00\r") {
		t.Errorf("the clinical note is not decoded: %q", note)
	}
	if got[0] != (Field{"Document", "History and physical note"}) {
		t.Errorf("first field %+v", got[0])
	}
}

func TestDisplayUnreadable(t *testing.T) {
	for _, in := range []string{"", "[]", "not json", `{"resourceType":`, `{"resourceType":"Observation","valueQuantity":"x","code":7}`} {
		for _, f := range Display("", []byte(in)) {
			if f.Value == "" {
				t.Errorf("%q: empty field %q", in, f.Label)
			}
		}
	}
	got := Display("Observation", []byte(`{"resourceType":"Observation","code":{"text":"X\u202eY"},"note":[{"text":"a\u0000b"}]}`))
	want := []Field{{"Test", "XY"}, {"Notes", "ab"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("control characters: got %q, want %q", got, want)
	}
}

func TestFormatDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-03":                "3 Dec 2026",
		"2026-12":                   "Dec 2026",
		"2026":                      "2026",
		"2026-12-03T14:05:00+01:00": "3 Dec 2026, 14:05",
		"2026-12-03T00:00:00Z":      "3 Dec 2026",
		"yesterday":                 "yesterday",
	} {
		if got := FormatDate(in); got != want {
			t.Errorf("FormatDate(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct{ start, end, want string }{
		{"2026-12-03T09:00:00Z", "2026-12-03T09:30:00Z", "3 Dec 2026, 09:00–09:30"},
		{"2026-12-03", "2026-12-05", "3 Dec 2026 – 5 Dec 2026"},
		{"2026-12-03", "", "from 3 Dec 2026"},
		{"", "2026-12-05", "until 5 Dec 2026"},
	} {
		if got := period(object{"start": tt.start, "end": tt.end}); got != tt.want {
			t.Errorf("period(%s, %s) = %q, want %q", tt.start, tt.end, got, tt.want)
		}
	}
}

func FuzzDisplay(f *testing.F) {
	f.Add("Observation", []byte(`{"resourceType":"Observation","valueQuantity":{"value":1.5,"unit":"kg"}}`))
	f.Add("Patient", []byte(`{"name":[{"given":["A"]}],"birthDate":"2000"}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		for _, fl := range Display(typ, data) {
			if fl.Value == "" || fl.Label == "" {
				t.Fatalf("empty field %+v", fl)
			}
		}
	})
}
