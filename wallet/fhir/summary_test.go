package fhir

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const goldenPerBundle = 200

// TestTitlesGolden pins the catalog titles and dates of the first
// resources of the two Synthea bundles. Regenerate with
// go test -run TestTitlesGolden -update, then read the diff.
func TestTitlesGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Type\tdate\ttitle — first resources of each synthea-bundles file; regenerate with: go test -run TestTitlesGolden -update\n")
	for _, f := range readTestFiles(t, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# %s\n", f.name)
		for _, r := range res[:min(len(res), goldenPerBundle)] {
			s := Summarize(r)
			if s.Category != CategoryOf(r.Type) {
				t.Errorf("%s: category %q", r.Type, s.Category)
			}
			fmt.Fprintf(&b, "%s\t%s\t%s\n", r.Type, formatDate(s.Date), s.Title)
		}
	}
	compareGolden(t, "titles.golden", b.String())
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\ngot:  %q\nwant: %q\n(run with -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

func TestSummarize(t *testing.T) {
	bp := `{"resourceType":"Observation","id":"bp","code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel with all children optional"}],"text":"Blood Pressure"},
		"effectiveDateTime":"2009-12-27T06:58:56+00:00",
		"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"unit":"mmHg"}},
		             {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mmHg"}}]}`
	tests := []struct {
		name, json, title, date, category string
	}{
		{"quantity with unit", `{"resourceType":"Observation","code":{"text":"Glucose"},"valueQuantity":{"value":5.50,"unit":"mmol/L"},"effectiveDateTime":"2020-02-03"}`, "Glucose: 5.50 mmol/L", "2020-02-03T00:00:00Z", "observations"},
		{"quantity with code only and comparator", `{"resourceType":"Observation","code":{"coding":[{"display":"CRP"}]},"valueQuantity":{"value":5,"comparator":"<","code":"mg/L"}}`, "CRP: <5 mg/L", "-", "observations"},
		{"long decimal is rounded for display", `{"resourceType":"Observation","code":{"text":"Body Height"},"valueQuantity":{"value":163.93014176284842,"unit":"cm"}}`, "Body Height: 163.9 cm", "-", "observations"},
		{"UCUM unit", `{"resourceType":"Observation","code":{"text":"Temp"},"valueQuantity":{"value":37.2,"unit":"Cel"}}`, "Temp: 37.2 °C", "-", "observations"},
		{"annotation unit dropped", `{"resourceType":"Observation","code":{"text":"PHQ-9"},"valueQuantity":{"value":4,"unit":"{score}"}}`, "PHQ-9: 4", "-", "observations"},
		{"codeable value", `{"resourceType":"Observation","code":{"text":"Smoking"},"valueCodeableConcept":{"coding":[{"display":"Never smoker"}]},"effectivePeriod":{"start":"2019-05"}}`, "Smoking: Never smoker", "2019-05-01T00:00:00Z", "observations"},
		{"string value", `{"resourceType":"Observation","code":{"text":"Note"},"valueString":"all\tgood\n"}`, "Note: all good", "-", "observations"},
		{"boolean value", `{"resourceType":"Observation","code":{"text":"Pregnant"},"valueBoolean":false,"effectiveInstant":"2021-01-01T10:00:00.123Z"}`, "Pregnant: no", "2021-01-01T10:00:00Z", "observations"},
		{"integer value", `{"resourceType":"Observation","code":{"text":"Steps"},"valueInteger":10432,"issued":"2021-01-01T10:00:00+02:00"}`, "Steps: 10432", "2021-01-01T10:00:00+02:00", "observations"},
		{"range value", `{"resourceType":"Observation","code":{"text":"Range"},"valueRange":{"low":{"value":1},"high":{"value":3,"unit":"mg"}}}`, "Range: 1–3 mg", "-", "observations"},
		{"blood pressure", bp, "Blood Pressure: 120/80 mmHg", "2009-12-27T06:58:56Z", "observations"},
		{"other components", `{"resourceType":"Observation","code":{"text":"Eye exam"},"component":[{"code":{"text":"Left"},"valueQuantity":{"value":1.0,"unit":"D"}},{"code":{"text":"Right"},"valueString":"n/a"}]}`, "Eye exam — Left: 1.0 D; Right: n/a", "-", "observations"},
		{"no value", `{"resourceType":"Observation","code":{"coding":[{"code":"1234-5"}]}}`, "1234-5", "-", "observations"},
		{"data absent", `{"resourceType":"Observation","code":{"text":"LDL"},"dataAbsentReason":{"text":"Error"}}`, "LDL (no value: Error)", "-", "observations"},
		{"condition, SNOMED tag removed", `{"resourceType":"Condition","code":{"text":"Sepsis (disorder)"},"onsetPeriod":{"start":"1999"},"recordedDate":"2000-01-01"}`, "Sepsis", "1999-01-01T00:00:00Z", "conditions"},
		{"condition recorded date", `{"resourceType":"Condition","code":{"text":"Asthma"},"recordedDate":"2000-01-02"}`, "Asthma", "2000-01-02T00:00:00Z", "conditions"},
		{"allergy", `{"resourceType":"AllergyIntolerance","code":{"coding":[{"display":"Peanut (substance)"}]},"onsetDateTime":"2001"}`, "Peanut", "2001-01-01T00:00:00Z", "allergies"},
		{"procedure", `{"resourceType":"Procedure","code":{"text":"Appendectomy"},"performedDateTime":"2010-06-01T12:00:00Z"}`, "Appendectomy", "2010-06-01T12:00:00Z", "procedures"},
		{"diagnostic report", `{"resourceType":"DiagnosticReport","code":{"text":"Lipid Panel"},"issued":"2010-06-01T12:00:00Z"}`, "Lipid Panel", "2010-06-01T12:00:00Z", "observations"},
		{"medication request", `{"resourceType":"MedicationRequest","medicationCodeableConcept":{"text":"lisinopril 10 MG Oral Tablet"},"authoredOn":"2011-02-03"}`, "lisinopril 10 MG Oral Tablet", "2011-02-03T00:00:00Z", "medications"},
		{"medication statement by reference", `{"resourceType":"MedicationStatement","medicationReference":{"reference":"Medication/1","display":"Aspirin 81 mg"},"effectiveDateTime":"2011"}`, "Aspirin 81 mg", "2011-01-01T00:00:00Z", "medications"},
		{"medication administration", `{"resourceType":"MedicationAdministration","medicationCodeableConcept":{"coding":[{"display":"Insulin"}]},"effectivePeriod":{"start":"2012-03-04T05:06:07-05:00"}}`, "Insulin", "2012-03-04T05:06:07-05:00", "medications"},
		{"immunization", `{"resourceType":"Immunization","vaccineCode":{"text":"Tdap"},"occurrenceDateTime":"2018-02-24T09:57:58+00:00"}`, "Tdap", "2018-02-24T09:57:58Z", "immunizations"},
		{"encounter by type", `{"resourceType":"Encounter","class":{"code":"AMB"},"type":[{"text":"Well child visit (procedure)"}],"period":{"start":"2001-01-01T00:00:00Z"}}`, "Well child visit", "2001-01-01T00:00:00Z", "encounters"},
		{"encounter by class", `{"resourceType":"Encounter","class":{"code":"EMER"}}`, "Emergency encounter", "-", "encounters"},
		{"patient official name", `{"resourceType":"Patient","name":[{"use":"maiden","family":"Old"},{"use":"official","prefix":["Mrs."],"given":["Ann","Marie"],"family":"Smith"}],"birthDate":"1970-03"}`, "Mrs. Ann Marie Smith", "1970-03-01T00:00:00Z", "patient"},
		{"patient name text", `{"resourceType":"Patient","name":[{"text":"Dr. Who"}]}`, "Dr. Who", "-", "patient"},
		{"practitioner", `{"resourceType":"Practitioner","name":[{"family":"Schmitt","given":["Johnson"],"prefix":["Dr."]}]}`, "Dr. Johnson Schmitt", "-", "care-team"},
		{"related person", `{"resourceType":"RelatedPerson","name":[{"family":"Doe","given":["John"]}]}`, "John Doe", "-", "patient"},
		{"organization", `{"resourceType":"Organization","name":"FALMOUTH HOSPITAL"}`, "FALMOUTH HOSPITAL", "-", "care-team"},
		{"location", `{"resourceType":"Location","name":"Ward 3"}`, "Ward 3", "-", "care-team"},
		{"practitioner role", `{"resourceType":"PractitionerRole","specialty":[{"text":"Cardiology"}]}`, "Cardiology", "-", "care-team"},
		{"document reference description", `{"resourceType":"DocumentReference","description":"Discharge letter","type":{"text":"Letter"},"date":"2020-01-01T00:00:00Z"}`, "Discharge letter", "2020-01-01T00:00:00Z", "documents"},
		{"document reference attachment title", `{"resourceType":"DocumentReference","content":[{"attachment":{"title":"scan.pdf"}}]}`, "scan.pdf", "-", "documents"},
		{"care plan category", `{"resourceType":"CarePlan","category":[{"coding":[{"code":"assess-plan"}]},{"text":"Diabetes self management plan"}],"period":{"start":"2015"}}`, "Diabetes self management plan", "2015-01-01T00:00:00Z", "care-plans"},
		{"care team", `{"resourceType":"CareTeam","category":[{"coding":[{"display":"Longitudinal care-coordination focused care team"}]}]}`, "Longitudinal care-coordination focused care team", "-", "care-team"},
		{"claim", `{"resourceType":"Claim","type":{"coding":[{"code":"professional"}]},"total":{"value":1234.5,"currency":"USD"},"billablePeriod":{"start":"2019-01-01"},"created":"2019-02-01"}`, "Professional claim — $1,234.50", "2019-01-01T00:00:00Z", "billing"},
		{"explanation of benefit", `{"resourceType":"ExplanationOfBenefit","type":{"coding":[{"display":"Pharmacy"}]},"item":[{"productOrService":{"text":"Office Visit"}}],"total":[{"category":{"coding":[{"code":"benefit"}]},"amount":{"value":10,"currency":"EUR"}},{"category":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/adjudication","code":"submitted"}]},"amount":{"value":99,"currency":"EUR"}}]}`, "Explanation of benefits (pharmacy): Office Visit — €99.00", "-", "billing"},
		{"coverage", `{"resourceType":"Coverage","payor":[{"display":"Medicaid"}],"period":{"start":"2010"}}`, "Insurance coverage: Medicaid", "2010-01-01T00:00:00Z", "billing"},
		{"device name", `{"resourceType":"Device","deviceName":[{"name":"Insulin pump"}],"type":{"text":"Pump"}}`, "Insulin pump", "-", "devices"},
		{"device type", `{"resourceType":"Device","type":{"coding":[{"display":"Cardiac pacemaker (physical object)"}]}}`, "Cardiac pacemaker", "-", "devices"},
		{"binary", `{"resourceType":"Binary","contentType":"application/pdf","data":"JVBERi0="}`, "application/pdf", "-", "documents"},
		{"goal", `{"resourceType":"Goal","description":{"text":"improved systolic function"}}`, "improved systolic function", "-", "care-plans"},
		{"imaging study", `{"resourceType":"ImagingStudy","started":"2018-10-05T06:58:56+00:00","series":[{"modality":{"display":"Ultrasound"},"bodySite":{"display":"thoracic"}}]}`, "Ultrasound (thoracic)", "2018-10-05T06:58:56Z", "observations"},
		{"fallback type and id", `{"resourceType":"Basic","id":"b1","meta":{"lastUpdated":"2022-02-02T02:02:02Z"}}`, "Basic b1", "2022-02-02T02:02:02Z", "other"},
		{"generic name", `{"resourceType":"Group","name":"Household"}`, "Household", "-", "other"},
		{"invisible and bidi characters removed", `{"resourceType":"Condition","code":{"text":"Albumin [Mass/\u200bvolume] \u202eevil\u202c"}}`, "Albumin [Mass/volume] evil", "-", "conditions"},
		{"unparseable date", `{"resourceType":"Condition","code":{"text":"X"},"onsetDateTime":"yesterday","recordedDate":"2001-02-30"}`, "X", "-", "conditions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse("t.json", []byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(res[0])
			if s.Title != tt.title {
				t.Errorf("Title = %q, want %q", s.Title, tt.title)
			}
			if got := formatDate(s.Date); got != tt.date {
				t.Errorf("Date = %s, want %s", got, tt.date)
			}
			if s.Category != tt.category {
				t.Errorf("Category = %q, want %q", s.Category, tt.category)
			}
		})
	}
}

func TestSummarizeBadInput(t *testing.T) {
	long := strings.Repeat("é", 500)
	tests := []struct {
		r     Resource
		title string
	}{
		{Resource{Type: "Observation", ID: "x", JSON: []byte("not json")}, "Observation x"},
		{Resource{Type: "Observation", JSON: []byte(`{"resourceType":"Observation","code":"oops","valueQuantity":[1]}`)}, "Observation"},
		{Resource{JSON: []byte(`{"resourceType":"Patient","id":"p"}`)}, "Patient p"},
		{Resource{}, "Unnamed record"},
		{Resource{Type: "Organization", JSON: []byte(`{"resourceType":"Organization","name":"` + long + `"}`)}, strings.Repeat("é", MaxTitleRunes-1) + "…"},
	}
	for _, tt := range tests {
		if got := Summarize(tt.r).Title; got != tt.title {
			t.Errorf("Summarize(%.40q).Title = %q, want %q", tt.r.JSON, got, tt.title)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2019", "2019-01-01T00:00:00Z"},
		{"2019-07", "2019-07-01T00:00:00Z"},
		{"2019-07-14", "2019-07-14T00:00:00Z"},
		{"2019-07-14T10:31:00Z", "2019-07-14T10:31:00Z"},
		{"2019-07-14T10:31:00.123456+02:00", "2019-07-14T10:31:00.123456+02:00"},
		{"2019-07-14T10:31:00-05:00", "2019-07-14T10:31:00-05:00"},
		{"2019-07-14T10:31Z", "2019-07-14T10:31:00Z"},
		{"2019-07-14T10:31:00", "2019-07-14T10:31:00Z"},
		{"2020-02-29", "2020-02-29T00:00:00Z"},
		{"2019-02-29", ""}, {"2019-13", ""}, {"0000", ""}, {"19", ""}, {"2019-7-1", ""},
		{"2019-07-14T25:00:00Z", ""}, {"abcd", ""}, {"", ""}, {"2019-07-14 10:31:00Z", ""},
		{"2019/07/14", ""}, {"+201", ""},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("ParseDate(%q) = %v, want failure", tt.in, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339Nano) != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", tt.in, got.Format(time.RFC3339Nano), ok, tt.want)
		}
	}
}

func TestHumanUnitAndNumber(t *testing.T) {
	units := map[string]string{
		"mm[Hg]": "mmHg", "10*3/uL": "×10³/µL", "10*9/L": "×10⁹/L", "kg/m2": "kg/m²", "{score}": "",
		"(score)": "", "{beats}/min": "beats/min", "%": "%", "mg/dL": "mg/dL", "ug/mL": "µg/mL",
		"[lb_av]": "lb", "Cel": "°C", "mL/min/{1.73_m2}": "mL/min/1.73 m²", "%{HemoglobinA1C}": "%",
		"U/L": "U/L", "mmol/L": "mmol/L", "cm": "cm", "a": "years", "/[HPF]": "/HPF", "mg/dL{calc}": "mg/dL",
		"beats per minute": "beats per minute", "{": "{",
	}
	for in, want := range units {
		if got := humanUnit(in); got != want {
			t.Errorf("humanUnit(%q) = %q, want %q", in, got, want)
		}
	}
	nums := map[string]string{
		"1.50": "1.50", "120": "120", "163.93014176284842": "163.9", "70.89161359671598": "70.89",
		"5.123456": "5.123", "0.0123456": "0.0123", "12345.6789": "12346", "-2.00001": "-2",
		"1e3": "1e3", "0.00000": "0", "0.1000": "0.1",
	}
	for in, want := range nums {
		if got := humanNumber(in); got != want {
			t.Errorf("humanNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
