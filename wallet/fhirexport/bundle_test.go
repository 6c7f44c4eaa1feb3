package fhirexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func testResources(t *testing.T) [][]byte {
	t.Helper()
	var rs [][]byte
	for _, action := range allActions {
		r, err := AuditEvent(testEntry(action))
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	c, err := Consent(testGrant())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Provenance(testAuthored(t))
	if err != nil {
		t.Fatal(err)
	}
	return append(rs, c, p)
}

func TestBundle(t *testing.T) {
	rs := testResources(t)
	data, err := Bundle(rs...)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, data)

	again, err := Bundle(testResources(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Error("the same resources gave a different Bundle")
	}

	var b struct {
		ID    string
		Type  string
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.Type != "collection" || len(b.Entry) != len(rs) {
		t.Fatalf("type %q with %d entries, want collection with %d", b.Type, len(b.Entry), len(rs))
	}
	v8 := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i, e := range b.Entry {
		if !v8.MatchString(e.FullURL) {
			t.Errorf("entry %d fullUrl %s is not a version 8 UUID URN", i, e.FullURL)
		}
		// The resource is carried unchanged, only re-indented.
		var want, got bytes.Buffer
		if err := json.Compact(&want, rs[i]); err != nil {
			t.Fatal(err)
		}
		if err := json.Compact(&got, e.Resource); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Errorf("entry %d resource changed:\n%s\nwant\n%s", i, got.Bytes(), want.Bytes())
		}
	}

	// fullUrl depends on the resource's type and id only; the Bundle id on
	// its entries.
	if nameUUID("Consent/"+testGrant().ID) != strings.TrimPrefix(b.Entry[len(allActions)].FullURL, "urn:uuid:") {
		t.Error("fullUrl is not derived from Consent/<id>")
	}
	if nameUUID("Consent/x") == nameUUID("Provenance/x") {
		t.Error("fullUrl ignores the resource type")
	}
	fewer, err := Bundle(rs[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ ID string }
	if err := json.Unmarshal(fewer, &f); err != nil {
		t.Fatal(err)
	}
	if f.ID == b.ID {
		t.Error("Bundles of different entries share an id")
	}
}

func TestBundleEmpty(t *testing.T) {
	data, err := Bundle()
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, data)
	if m := decodeMap(t, data); m["entry"] != nil {
		t.Errorf("entry %v in an empty Bundle", m["entry"])
	}
}

func TestBundleErrors(t *testing.T) {
	consent, err := Consent(testGrant())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		resources [][]byte
		want      string
	}{
		{"nil", [][]byte{nil}, "resource 0: not a JSON object"},
		{"not JSON", [][]byte{[]byte("{")}, "not a JSON object"},
		{"array", [][]byte{[]byte(`[{"resourceType":"Patient","id":"a"}]`)}, "not a JSON object"},
		{"null", [][]byte{[]byte("null")}, "not a JSON object: null"},
		{"two values", [][]byte{[]byte(`{"resourceType":"Patient","id":"a"} {}`)}, "not a JSON object"},
		{"no resourceType", [][]byte{[]byte(`{"id":"a"}`)}, "no valid resourceType"},
		{"resourceType in another case", [][]byte{[]byte(`{"ResourceType":"Patient","id":"a"}`)}, "no valid resourceType"},
		{"bad resourceType", [][]byte{[]byte(`{"resourceType":"patient","id":"a"}`)}, "no valid resourceType"},
		{"no id", [][]byte{[]byte(`{"resourceType":"Patient"}`)}, "Patient has no valid id"},
		{"bad id", [][]byte{[]byte(`{"resourceType":"Patient","id":"a b"}`)}, "Patient has no valid id"},
		{"numeric id", [][]byte{[]byte(`{"resourceType":"Patient","id":7}`)}, "Patient has no valid id"},
		{"duplicate", [][]byte{consent, []byte(`{"resourceType":"Patient","id":"a"}`), consent}, "resource 2: Consent/" + testGrant().ID + " is also resource 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Bundle(tt.resources...)
			if err == nil {
				t.Fatalf("no error; got\n%s", data)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}
