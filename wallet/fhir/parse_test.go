package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const (
	patientJSON = `{"resourceType":"Patient","id":"p1","name":[{"family":"Doe","given":["Jane"]}]}`
	obsJSON     = `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Glucose"},"valueQuantity":{"value":5.50,"unit":"mmol/L"}}`
)

func bundleOf(typ string, entries ...string) string {
	return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`
}

func entry(resource string) string {
	return `{"fullUrl":"urn:uuid:7e1f4334-1a53-41a7-b07f-f0203bb55733","resource":` + resource + `}`
}

func TestParse(t *testing.T) {
	type want struct{ typ, id string }
	pretty := "{\n  \"resourceType\": \"Observation\",\n  \"id\": \"o1\",\n  \"valueQuantity\": { \"value\": 1.50 }\n}\n"
	tests := []struct {
		name  string
		input string
		want  []want
	}{
		{"single resource", patientJSON, []want{{"Patient", "p1"}}},
		{"single resource without id", `{"resourceType":"Basic"}`, []want{{"Basic", ""}}},
		{"pretty printed with BOM and CRLF", "\uFEFF" + strings.ReplaceAll(pretty, "\n", "\r\n"), []want{{"Observation", "o1"}}},
		{"collection bundle", bundleOf("collection", entry(patientJSON), entry(obsJSON)), []want{{"Patient", "p1"}, {"Observation", "o1"}}},
		{"transaction bundle", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":` + patientJSON + `,"request":{"method":"POST","url":"Patient"}}]}`, []want{{"Patient", "p1"}}},
		{"transaction-response with resources", `{"resourceType":"Bundle","type":"transaction-response","entry":[{"resource":` + obsJSON + `,"response":{"status":"201 Created"}}]}`, []want{{"Observation", "o1"}}},
		{"batch bundle", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + patientJSON + `,"request":{"method":"PUT","url":"Patient/p1"}}]}`, []want{{"Patient", "p1"}}},
		{"batch-response bundle", `{"resourceType":"Bundle","type":"batch-response","entry":[{"resource":` + patientJSON + `,"response":{"status":"200 OK"}}]}`, []want{{"Patient", "p1"}}},
		{"document bundle", bundleOf("document", entry(`{"resourceType":"Composition","id":"c1","title":"Discharge summary"}`), entry(patientJSON)), []want{{"Composition", "c1"}, {"Patient", "p1"}}},
		{"searchset bundle", `{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"self","url":"http://x/Patient"}],"entry":[{"fullUrl":"http://x/Patient/p1","resource":` + patientJSON + `,"search":{"mode":"match"}}]}`, []want{{"Patient", "p1"}}},
		{"history bundle", `{"resourceType":"Bundle","type":"history","entry":[{"resource":` + patientJSON + `,"request":{"method":"PUT","url":"Patient/p1"},"response":{"status":"200"}}]}`, []want{{"Patient", "p1"}}},
		{"message bundle", bundleOf("message", entry(`{"resourceType":"MessageHeader","id":"m1","eventCoding":{"code":"x"}}`), entry(patientJSON)), []want{{"MessageHeader", "m1"}, {"Patient", "p1"}}},
		{"nested bundle is a resource", bundleOf("collection", entry(bundleOf("document", entry(patientJSON)))), []want{{"Bundle", ""}}},
		{"ndjson", patientJSON + "\n" + obsJSON + "\n", []want{{"Patient", "p1"}, {"Observation", "o1"}}},
		{"ndjson without final newline", patientJSON + "\n" + obsJSON, []want{{"Patient", "p1"}, {"Observation", "o1"}}},
		{"ndjson with blank lines and CRLF", "\r\n" + patientJSON + "\r\n\r\n  \t\r\n" + obsJSON + "\r\n\r\n", []want{{"Patient", "p1"}, {"Observation", "o1"}}},
		{"ndjson single line", patientJSON + "\n", []want{{"Patient", "p1"}}},
		{"ndjson bundle line is not unpacked", patientJSON + "\n" + bundleOf("collection", entry(obsJSON)) + "\n", []want{{"Patient", "p1"}, {"Bundle", ""}}},
		{"escaped id", `{"resourceType":"Patient","id":"a\u002db"}`, []want{{"Patient", "a-b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("test.json", []byte(tt.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d resources, want %d", len(got), len(tt.want))
			}
			for i, r := range got {
				if r.Type != tt.want[i].typ || r.ID != tt.want[i].id {
					t.Errorf("resource %d = %s/%s, want %s/%s", i, r.Type, r.ID, tt.want[i].typ, tt.want[i].id)
				}
				if !json.Valid(r.JSON) {
					t.Errorf("resource %d: invalid JSON %s", i, r.JSON)
				}
				var c bytes.Buffer
				if err := json.Compact(&c, r.JSON); err != nil || !bytes.Equal(c.Bytes(), r.JSON) {
					t.Errorf("resource %d is not compact: %s", i, r.JSON)
				}
			}
		})
	}
}

func TestParseKeepsNumbersAndKeyOrder(t *testing.T) {
	in := "{ \"resourceType\" : \"Observation\",\n \"valueQuantity\": {\"value\": 1.50, \"unit\": \"mg\"}, \"id\": \"x\",\"z\":1e2,\"a\":\"\\u00e9<>&\" }"
	got, err := Parse("o.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"},"id":"x","z":1e2,"a":"\u00e9<>&"}`
	if string(got[0].JSON) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", got[0].JSON, want)
	}
	// The bundle's entry resource is exactly the compacted original.
	b := "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":\n" + in + "\n}]}"
	got, err = Parse("b.json", []byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].JSON) != want {
		t.Errorf("bundle entry JSON =\n%s\nwant\n%s", got[0].JSON, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		input   string
		want    error
		entry   string
		message string // the whole Error() text, when given
		contain string
	}{
		{name: "empty file", input: "", want: ErrEmpty, message: `import "f.json": the file is empty`},
		{name: "blank file", input: " \r\n\n\t", want: ErrEmpty, message: `import "f.json": the file contains only blank lines`},
		{name: "BOM only", input: "\uFEFF", want: ErrEmpty},
		{name: "invalid JSON document", input: "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"x\"\n  \"gender\": \"female\"\n}", want: ErrInvalidJSON, contain: "line 4, column 3"},
		{name: "truncated JSON document", input: "{\"resourceType\": \"Patient\",\n \"name\": [", want: ErrInvalidJSON, contain: "ends before it is complete"},
		{name: "not JSON at all", input: "hello world", want: ErrInvalidJSON, contain: "line 1, column 1"},
		{name: "PDF", input: "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", want: ErrInvalidJSON, contain: "PDF document (application/pdf)"},
		{name: "UTF-16", input: "\xff\xfe{\x00}\x00", want: ErrInvalidJSON, contain: "UTF-16"},
		{name: "invalid UTF-8", input: "{\"resourceType\":\"Patient\",\"id\":\"\xff\"}", want: ErrInvalidJSON, contain: "not UTF-8"},
		{name: "invalid JSON at line 3", file: "obs.ndjson", input: obsJSON + "\n" + patientJSON + "\n{\"resourceType\":\"Observation\",}\n" + obsJSON, want: ErrInvalidJSON, entry: "line 3", contain: "column 31"},
		{name: "line numbers count leading blank lines", file: "obs.ndjson", input: "\n\r\n" + obsJSON + "\n\n  {\"resourceType\":\"Observation\" x}\n", want: ErrInvalidJSON, entry: "line 5", contain: "column 33"},
		{name: "positions count leading blank lines", input: "\n\n{\"resourceType\":\n \"Patient\" \"id\":\"x\"}\n\n", want: ErrInvalidJSON, contain: "line 4, column 12"},
		{name: "end of input position", input: "\n{\"resourceType\":\"Patient\"\n\n\n", want: ErrInvalidJSON, contain: "line 2, column 26"},
		{name: "invalid UTF-8 position", input: "\n{\"resourceType\":\"Patient\",\n\"id\":\"\xff\"}", want: ErrInvalidJSON, contain: "line 3, column 7"},
		{name: "broken first line", file: "obs.ndjson", input: "{\"resourceType\":\n" + obsJSON + "\n", want: ErrInvalidJSON, entry: "line 1"},
		{name: "unknown type in NDJSON", file: "obs.ndjson", input: strings.Repeat(obsJSON+"\n", 11) + `{"resourceType":"Observaton","id":"x"}` + "\n",
			want: ErrUnknownResourceType, entry: "line 12", message: `import "obs.ndjson": line 12: unknown FHIR resource type "Observaton" (did you mean "Observation"?)`},
		{name: "unknown type without suggestion", input: `{"resourceType":"Spaceship"}`, want: ErrUnknownResourceType, message: `import "f.json": unknown FHIR resource type "Spaceship"`},
		{name: "R5-only type", input: `{"resourceType":"NutritionIntake"}`, want: ErrUnknownResourceType, contain: `"NutritionIntake"`},
		{name: "lower-case type", input: `{"resourceType":"patient"}`, want: ErrUnknownResourceType, contain: `did you mean "Patient"`},
		{name: "abstract type", input: `{"resourceType":"DomainResource"}`, want: ErrUnknownResourceType},
		{name: "no resourceType", input: `{"name":"x"}`, want: ErrNotFHIR, contain: `no "resourceType"`},
		{name: "resourceType with wrong case key", input: `{"ResourceType":"Patient"}`, want: ErrNotFHIR},
		{name: "resourceType not a string", input: `{"resourceType":7}`, want: ErrNotFHIR, contain: "number"},
		{name: "empty resourceType", input: `{"resourceType":""}`, want: ErrNotFHIR},
		{name: "duplicate resourceType", input: `{"resourceType":"Patient","resourceType":"Observation"}`, want: ErrNotFHIR},
		{name: "id not a string", input: `{"resourceType":"Patient","id":5}`, want: ErrNotFHIR, contain: `"id"`},
		{name: "JSON array", input: `[` + patientJSON + `]`, want: ErrNotFHIR, contain: "JSON array"},
		{name: "JSON string", input: `"Patient"`, want: ErrNotFHIR, contain: "JSON string"},
		{name: "JSON number", input: `42`, want: ErrNotFHIR},
		{name: "JSON null", input: `null`, want: ErrNotFHIR},
		{name: "NDJSON line that is an array", input: patientJSON + "\n[1]\n", want: ErrNotFHIR, entry: "line 2"},
		{name: "bundle entry without resource", input: `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + patientJSON + `},{"request":{"method":"POST","url":"Patient"},"resource":` + patientJSON + `},{"request":{"method":"DELETE","url":"Patient/123"}}]}`,
			want: ErrNoResource, entry: "entry 3", message: `import "f.json": entry 3: the entry has no resource (it is a DELETE request for Patient/123); only entries that carry a resource can be imported`},
		{name: "batch-response entry without resource", input: `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201 Created","location":"Patient/1/_history/1"}}]}`, want: ErrNoResource, entry: "entry 1", contain: `"201 Created"`},
		{name: "bundle entry with null resource", input: bundleOf("collection", `{"resource":null}`), want: ErrNoResource, entry: "entry 1"},
		{name: "bundle entry unknown type", input: bundleOf("collection", entry(patientJSON), entry(`{"resourceType":"Foo"}`)), want: ErrUnknownResourceType, entry: "entry 2"},
		{name: "bundle entry not FHIR", input: bundleOf("collection", entry(`{"id":"x"}`)), want: ErrNotFHIR, entry: "entry 1"},
		{name: "bundle entry resource is array", input: bundleOf("collection", `{"resource":[]}`), want: ErrNotFHIR, entry: "entry 1"},
		{name: "bundle entry not an object", input: bundleOf("collection", `42`), want: ErrNotFHIR, entry: "entry 1"},
		{name: "bundle without entries", input: `{"resourceType":"Bundle","type":"searchset","total":0}`, want: ErrEmpty, contain: "no entries"},
		{name: "bundle with empty entry list", input: bundleOf("collection"), want: ErrEmpty},
		{name: "bundle entry not a list", input: `{"resourceType":"Bundle","type":"collection","entry":{}}`, want: ErrNotFHIR},
		{name: "too deep", input: `{"resourceType":"Basic","extension":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, want: ErrLimit, contain: "nested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "f.json"
			}
			got, err := Parse(file, []byte(tt.input))
			if err == nil {
				t.Fatalf("Parse succeeded with %d resources, want error", len(got))
			}
			if got != nil {
				t.Errorf("Parse returned resources with an error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %q", err, tt.want)
			}
			for _, s := range []error{ErrInvalidJSON, ErrNotFHIR, ErrUnknownResourceType, ErrEmpty, ErrNoResource, ErrLimit} {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("error %q also wraps %q", err, s)
				}
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.File != file || pe.Entry != tt.entry {
				t.Errorf("ParseError{File: %q, Entry: %q}, want {%q, %q}", pe.File, pe.Entry, file, tt.entry)
			}
			if !strings.HasPrefix(err.Error(), `import "`+file+`": `) {
				t.Errorf("message %q does not name the file", err)
			}
			if tt.message != "" && err.Error() != tt.message {
				t.Errorf("message\n%s\nwant\n%s", err, tt.message)
			}
			if tt.contain != "" && !strings.Contains(err.Error(), tt.contain) {
				t.Errorf("message %q does not contain %q", err, tt.contain)
			}
			t.Log(err)
		})
	}
}

func TestParseLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a line longer than MaxLineLength")
	}
	long := `{"resourceType":"Basic","x":"` + strings.Repeat("a", MaxLineLength) + `"}`
	_, err := Parse("big.ndjson", []byte(patientJSON+"\n"+long+"\n"))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("long line: %v", err)
	}
}

// TestParseBulk parses every file of the Synthea bulk export: every resource
// must parse and the count per type must equal the non-empty lines.
func TestParseBulk(t *testing.T) {
	total := 0
	for _, f := range readTestFiles(t, bulkDir, "*.ndjson") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		lines := 0
		for _, l := range bytes.Split(f.data, []byte{'\n'}) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		wantType := strings.SplitN(f.name, ".", 2)[0]
		counts := map[string]int{}
		for _, r := range res {
			counts[r.Type]++
			if r.ID == "" {
				t.Errorf("%s: %s without id", f.name, r.Type)
			}
		}
		if counts[wantType] != lines || len(counts) != 1 {
			t.Errorf("%s: counts %v, want %d %s", f.name, counts, lines, wantType)
		}
		t.Logf("%-20s %5d", wantType, counts[wantType])
		total += len(res)
	}
	t.Logf("total %d resources", total)
}

func TestParseSyntheaBundles(t *testing.T) {
	for _, f := range readTestFiles(t, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		// Cross-check with a plain decode of the Bundle.
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(f.data, &b); err != nil {
			t.Fatal(err)
		}
		if len(res) != len(b.Entry) {
			t.Fatalf("%s: %d resources, want %d", f.name, len(res), len(b.Entry))
		}
		for i, e := range b.Entry {
			var c bytes.Buffer
			if err := json.Compact(&c, e.Resource); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c.Bytes(), res[i].JSON) {
				t.Fatalf("%s: entry %d differs from the compacted original", f.name, i+1)
			}
		}
		t.Logf("%s: %d resources", f.name, len(res))
	}
}

func TestIsResourceType(t *testing.T) {
	for _, typ := range []string{"Patient", "Observation", "Binary", "Bundle", "Parameters", "VisionPrescription", "MedicinalProductUndesirableEffect", "CatalogEntry", "EffectEvidenceSynthesis"} {
		if !IsResourceType(typ) {
			t.Errorf("IsResourceType(%q) = false", typ)
		}
	}
	for _, typ := range []string{"", "patient", "Resource", "DomainResource", "NutritionIntake", "ImagingSelection", "Patient ", "Observaton"} {
		if IsResourceType(typ) {
			t.Errorf("IsResourceType(%q) = true", typ)
		}
	}
	if n := len(ResourceTypes()); n != 146 {
		t.Errorf("%d R4 resource types, want 146", n)
	}
	for _, typ := range ResourceTypes() {
		if CategoryOf(typ) == "" {
			t.Errorf("CategoryOf(%q) is empty", typ)
		}
	}
	for typ := range categoryOf {
		if !IsResourceType(typ) {
			t.Errorf("categoryOf has unknown type %q", typ)
		}
	}
}

func TestCategoryOf(t *testing.T) {
	want := map[string]string{
		"Condition": "conditions", "MedicationRequest": "medications", "MedicationStatement": "medications",
		"MedicationAdministration": "medications", "AllergyIntolerance": "allergies", "Observation": "observations",
		"Immunization": "immunizations", "Procedure": "procedures", "Encounter": "encounters",
		"DocumentReference": "documents", "Patient": "patient", "Practitioner": "care-team",
		"PractitionerRole": "care-team", "Organization": "care-team", "Location": "care-team",
		"CareTeam": "care-team", "Device": "devices", "CarePlan": "care-plans", "Claim": "billing",
		"ExplanationOfBenefit": "billing", "Coverage": "billing", "Basic": "other", "Nonsense": "other",
	}
	for typ, c := range want {
		if got := CategoryOf(typ); got != c {
			t.Errorf("CategoryOf(%q) = %q, want %q", typ, got, c)
		}
	}
	seen := map[string]bool{}
	for _, c := range Categories() {
		seen[c] = true
	}
	for _, c := range categoryOf {
		if !seen[c] {
			t.Errorf("category %q missing from Categories()", c)
		}
	}
	if len(seen) != 14 {
		t.Errorf("%d categories, want 14", len(seen))
	}
}
