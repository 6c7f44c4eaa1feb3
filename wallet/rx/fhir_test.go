package rx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/healthwallet/healthwallet/wallet/fhir"
)

// The R4 checks wallet/fhirexport's tests apply to what it emits (its
// check_test.go), restated for a MedicationRequest: it decodes into the R4
// struct generated from the specification with unknown fields refused, and
// the raw JSON has no duplicate keys, no null, empty string, array or object,
// no white space around strings, valid primitive formats, and every Coding
// with system and code. Two differences: the request is in JCS form, so
// resourceType is not its first key, and a MedicationRequest has numbers
// (quantity, numberOfRepeatsAllowed), which must be JSON numbers.
var (
	reDateTime = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`)
	reID       = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)
	reCode     = regexp.MustCompile(`^\S+$`)
	reDecimal  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	reUnsigned = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
)

// checkR4 returns every problem found in a MedicationRequest's JSON.
func checkR4(data []byte) []string {
	var problems []string
	fail := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	var mr struct {
		ResourceType string `json:"resourceType"`
		r4.MedicationRequest
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mr); err != nil {
		fail("$", "does not decode as R4: %v", err)
	}
	if mr.ResourceType != "MedicationRequest" {
		fail("$.resourceType", "%q", mr.ResourceType)
	}
	// Required elements (1..1): status, intent, medication[x], subject.
	if mr.Status == "" || mr.Intent == "" {
		fail("$", "status or intent missing")
	}
	if len(mr.MedicationCodeableConcept.Coding) == 0 {
		fail("$", "no medicationCodeableConcept")
	}
	if mr.Subject.Identifier == nil {
		fail("$.subject", "identifies nothing")
	}

	var walk func(path, key string, v any)
	walk = func(path, key string, v any) {
		switch v := v.(type) {
		case nil:
			fail(path, "null")
		case string:
			if v == "" || strings.TrimSpace(v) != v {
				fail(path, "empty or padded string %q", v)
			}
			var re *regexp.Regexp
			switch key {
			case "authoredOn", "start", "end":
				re = reDateTime
			case "id":
				re = reID
			case "code", "status", "intent", "system", "type":
				re = reCode
			}
			if re != nil && !re.MatchString(v) {
				fail(path, "%q is not a valid %s", v, key)
			}
		case json.Number:
			re := map[string]*regexp.Regexp{"value": reDecimal, "numberOfRepeatsAllowed": reUnsigned}[key]
			if re == nil {
				fail(path, "a number where R4 has none")
			} else if !re.MatchString(v.String()) {
				fail(path, "%s is not a valid %s", v, key)
			}
		case []any:
			if len(v) == 0 {
				fail(path, "empty array")
			}
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), key, e)
			}
		case map[string]any:
			if len(v) == 0 {
				fail(path, "empty object")
			}
			if _, ok := v["code"]; ok || key == "coding" {
				if v["system"] == nil || v["code"] == nil {
					fail(path, "Coding without system and code")
				}
			}
			for k, e := range v {
				walk(path+"."+k, k, e)
			}
		}
	}
	raw, err := decodeNoDuplicates(data)
	if err != nil {
		fail("$", "%v", err)
	} else {
		walk("$", "", raw)
	}
	return problems
}

// decodeNoDuplicates decodes JSON with numbers kept as text, failing on a
// repeated key (R4 JSON forbids them; encoding/json keeps the last).
func decodeNoDuplicates(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value func() (any, error)
	value = func() (any, error) {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch tok {
		case json.Delim('{'):
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				if m[k], err = value(); err != nil {
					return nil, err
				}
			}
			_, err := dec.Token()
			return m, err
		case json.Delim('['):
			a := []any{}
			for dec.More() {
				v, err := value()
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return tok, nil
	}
	v, err := value()
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

func TestMedicationRequestR4(t *testing.T) {
	orders := map[string]Order{"realistic": realisticOrder()}
	o := realisticOrder()
	o.Refills, o.Note, o.Medication.Display = 0, "", ""
	o.Medication.System, o.Medication.Code = "urn:oid:2.16.840.1.113883.2.4.4.10", "12345678"
	orders["minimal, local code"] = o
	o = realisticOrder()
	o.Quantity, o.Unit = 2.5, "mL"
	orders["fractional quantity"] = o
	o, name := largestOrder(t)
	orders["largest"] = o

	for label, o := range orders {
		t.Run(label, func(t *testing.T) {
			pname := "Dr. Xavier Okafor"
			if label == "largest" {
				pname = name
			}
			p, err := Write(o, testKey("dr-x"), pname, testID("alice"), testWritten)
			if err != nil {
				t.Fatal(err)
			}
			if problems := checkR4(p.Request); len(problems) > 0 {
				t.Fatalf("not valid R4:\n%s\n%s", strings.Join(problems, "\n"), p.Request)
			}
			res, err := fhir.Parse("prescription.json", p.Request)
			if err != nil {
				t.Fatalf("wallet/fhir does not parse it: %v", err)
			}
			if len(res) != 1 || res[0].Type != "MedicationRequest" || res[0].ID == "" {
				t.Fatalf("wallet/fhir parsed %+v", res)
			}
			if s := fhir.Summarize(res[0]); s.Category == "" {
				t.Fatalf("no catalog category for %+v", s)
			}
		})
	}
}

// TestCheckR4Catches keeps the checker honest: it must see the faults it
// exists to catch.
func TestCheckR4Catches(t *testing.T) {
	good := writeTest(t, realisticOrder(), testWritten).Request
	for _, tc := range []struct{ name, from, to string }{
		{"unknown element", `"intent":"order"`, `"intent":"order","dose":"big"`},
		{"empty string", `"unit":"tablet"`, `"unit":""`},
		{"bad dateTime", `"authoredOn":"2026-12-03T10:30:00Z"`, `"authoredOn":"3 Dec 2026"`},
		{"number as text", `"numberOfRepeatsAllowed":5`, `"numberOfRepeatsAllowed":"5"`},
		{"negative repeats", `"numberOfRepeatsAllowed":5`, `"numberOfRepeatsAllowed":-5`},
		{"coding without system", `"system":"` + RxNorm + `"`, `"userSelected":true`},
		{"duplicate key", `"intent":"order"`, `"intent":"order","intent":"plan"`},
	} {
		bad := bytes.Replace(good, []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: %s not in the request", tc.name, tc.from)
		}
		if len(checkR4(bad)) == 0 {
			t.Errorf("%s: the checker passed %s", tc.name, bad)
		}
	}
}
