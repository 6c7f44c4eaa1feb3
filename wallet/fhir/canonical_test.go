package fhir

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	same := []struct{ a, b string }{
		{`{"resourceType":"Observation","id":"1","valueQuantity":{"value":1.50,"unit":"mg"}}`,
			"{\n  \"valueQuantity\" : { \"unit\":\"mg\", \"value\": 1.50 },\n\t\"id\":\"1\", \"resourceType\":\"Observation\"\r\n}\n"},
		{`{"a":[3,2,1],"b":{"y":true,"x":null}}`, `{"b":{"x":null,"y":true},"a":[3,2,1]}`},
		{`{"s":"é<>&"}`, `{"s":"\u00e9\u003c\u003e\u0026"}`}, // escapes normalised, no HTML escaping
		{`{"n":1e2}`, ` {"n": 1e2} `},
	}
	for _, tt := range same {
		ca, err := Canonical([]byte(tt.a))
		if err != nil {
			t.Fatal(err)
		}
		cb, err := Canonical([]byte(tt.b))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ca, cb) {
			t.Errorf("Canonical differs:\n%s\n%s", ca, cb)
		}
	}
	got, _ := Canonical([]byte(`{"z":1,"a":{"c":"<é>","b":1.50}}`))
	if want := `{"a":{"b":1.50,"c":"<é>"},"z":1}`; string(got) != want {
		t.Errorf("Canonical = %s, want %s", got, want)
	}

	different := []struct{ a, b string }{
		{`{"value":1.50}`, `{"value":1.5}`}, // FHIR decimal precision is significant
		{`{"value":100}`, `{"value":1e2}`},
		{`{"a":[1,2]}`, `{"a":[2,1]}`},
		{`{"a":"x"}`, `{"a":"x "}`},
	}
	for _, tt := range different {
		ca, _ := Canonical([]byte(tt.a))
		cb, _ := Canonical([]byte(tt.b))
		if bytes.Equal(ca, cb) {
			t.Errorf("Canonical(%s) == Canonical(%s)", tt.a, tt.b)
		}
	}

	for _, bad := range []string{"", "{", `{"a":1} {"b":2}`, `{"a":"` + "\xff" + `"}`, strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%.20q) succeeded", bad)
		} else if !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrLimit) {
			t.Errorf("Canonical(%.20q): %v wraps no sentinel", bad, err)
		}
	}
}

// TestCanonicalIdempotent: canonical bytes are their own canonical form,
// for every resource of the Synthea bundles.
func TestCanonicalIdempotent(t *testing.T) {
	for _, f := range readTestFiles(t, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			c1, err := Canonical(r.JSON)
			if err != nil {
				t.Fatal(err)
			}
			c2, err := Canonical(c1)
			if err != nil || !bytes.Equal(c1, c2) {
				t.Fatalf("%s/%s: not idempotent", r.Type, r.ID)
			}
		}
	}
}
