package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBundleRoundTrip(t *testing.T) {
	var all []Resource
	for _, f := range readTestFiles(t, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res...)
	}
	for _, f := range readTestFiles(t, bulkDir, "P*.ndjson") { // Patient, Practitioner, PractitionerRole, Procedure
		res, err := Parse(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res...)
	}
	// Ids that are not UUIDs, a missing id, and a duplicate.
	extra, err := Parse("extra.ndjson", []byte(`{"resourceType":"Patient","id":"example"}
{"resourceType":"Basic"}
{"resourceType":"Basic","id":"has space"}
{"resourceType":"Patient","id":"example"}
{"resourceType":"Observation","id":"0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D","valueQuantity":{"value":1.50}}
`))
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, extra...)

	ts := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	var out bytes.Buffer
	bw, err := NewBundleWriter(&out, ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if err := bw.Add(r); err != nil {
			t.Fatalf("Add %s/%s: %v", r.Type, r.ID, err)
		}
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}

	back, err := Parse("export.json", out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(all) {
		t.Fatalf("%d resources back, want %d", len(back), len(all))
	}
	for i := range all {
		if back[i].Type != all[i].Type || back[i].ID != all[i].ID || !bytes.Equal(back[i].JSON, all[i].JSON) {
			t.Fatalf("resource %d (%s/%s) differs after the round trip", i, all[i].Type, all[i].ID)
		}
	}

	// The Bundle itself: type, timestamp, fullUrls.
	var b struct {
		ResourceType, Type, Timestamp string
		Entry                         []struct {
			FullURL string `json:"fullUrl"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" || b.Timestamp != "2024-05-06T07:08:09+02:00" {
		t.Errorf("bundle header %+v", b)
	}
	seen := map[string]bool{}
	for i, e := range b.Entry {
		if seen[e.FullURL] {
			t.Errorf("duplicate fullUrl %s", e.FullURL)
		}
		seen[e.FullURL] = true
		r := all[i]
		switch {
		case isUUID(r.ID):
			if e.FullURL != "urn:uuid:"+strings.ToLower(r.ID) {
				t.Errorf("%s/%s: fullUrl %s", r.Type, r.ID, e.FullURL)
			}
		case r.ID == "example" && !seen["Patient/example#2"]:
			seen["Patient/example#2"] = true
			if e.FullURL != "Patient/example" {
				t.Errorf("fullUrl %s, want Patient/example", e.FullURL)
			}
		default: // no id, an invalid id, or a duplicate: a fresh urn:uuid
			if u, ok := strings.CutPrefix(e.FullURL, "urn:uuid:"); !ok || !isUUID(u) {
				t.Errorf("%s/%q: fullUrl %s, want a generated urn:uuid", r.Type, r.ID, e.FullURL)
			}
		}
	}
}

func TestBundleWriterEmpty(t *testing.T) {
	var out bytes.Buffer
	bw, err := NewBundleWriter(&out, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `{"resourceType":"Bundle","type":"collection"}`+"\n" {
		t.Errorf("empty bundle = %s", got)
	}
	if err := bw.Add(Resource{Type: "Basic", JSON: []byte(`{"resourceType":"Basic"}`)}); err == nil {
		t.Error("Add after Close succeeded")
	}
	if _, err := Parse("empty.json", out.Bytes()); !errors.Is(err, ErrEmpty) {
		t.Errorf("Parse(empty bundle) = %v, want ErrEmpty", err)
	}
}

func TestBundleWriterRejects(t *testing.T) {
	bw, err := NewBundleWriter(&bytes.Buffer{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bad := []Resource{
		{Type: "Patient", ID: "p", JSON: []byte(`{"resourceType":"Patient","id":"p"`)},
		{Type: "Patient", ID: "p", JSON: []byte(`[]`)},
		{Type: "Patient", ID: "p", JSON: []byte(`{"resourceType":"Observation","id":"p"}`)},
		{Type: "Patient", ID: "q", JSON: []byte(`{"resourceType":"Patient","id":"p"}`)},
		{Type: "Nope", JSON: []byte(`{"resourceType":"Nope"}`)},
	}
	for _, r := range bad {
		if err := bw.Add(r); err == nil {
			t.Errorf("Add(%s) succeeded", r.JSON)
		}
	}
	if _, err := NewBundleWriter(&bytes.Buffer{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("year 10000 timestamp accepted")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestBundleWriterWriteError(t *testing.T) {
	bw, err := NewBundleWriter(&failWriter{n: 10}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := Resource{Type: "Basic", JSON: []byte(`{"resourceType":"Basic","x":"` + strings.Repeat("a", 100<<10) + `"}`)}
	for range 3 {
		_ = bw.Add(r)
	}
	if err := bw.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close = %v, want the write error", err)
	}
}
