package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are small inputs of every shape Parse knows, plus the first
// line of each Synthea bulk file when the shared test data is present.
func fuzzSeeds() [][]byte {
	seeds := []string{
		patientJSON,
		obsJSON + "\n" + patientJSON + "\n",
		"\r\n" + patientJSON + "\r\n\r\n" + obsJSON,
		bundleOf("collection", entry(patientJSON), entry(obsJSON)),
		`{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/1"}}]}`,
		`{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"200 OK"}}]}`,
		`{"resourceType":"Observation","code":{"text":"BP"},"component":[{"code":{"coding":[{"code":"8480-6"}]},"valueQuantity":{"value":120.4,"unit":"mm[Hg]"}},{"code":{"coding":[{"code":"8462-4"}]},"valueQuantity":{"value":80}}]}`,
		`{"resourceType":"Claim","type":{"coding":[{"code":"pharmacy"}]},"total":{"value":1e400,"currency":"USD"}}`,
		`{"resourceType":"Patient","name":[{"given":[1,null,"x"],"family":{}}],"birthDate":"2019-02-29"}`,
		`[` + patientJSON + `]`,
		`{"resourceType":"Observaton"}`,
		`{"resource\u0054ype":"Patient","id":"\u0000"}`,
		"", "   ", "null", `"x"`, "{", "\xef\xbb\xbf{}", "%PDF-1.4",
		strings.Repeat("[", 200),
	}
	out := make([][]byte, 0, len(seeds)+16)
	for _, s := range seeds {
		out = append(out, []byte(s))
	}
	paths, _ := filepath.Glob(filepath.Join(bulkDir, "*.ndjson"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			line, _, _ := bytes.Cut(data, []byte{'\n'})
			if len(line) < 8<<10 {
				out = append(out, line)
			}
		}
	}
	return out
}

var sentinels = []error{ErrInvalidJSON, ErrNotFHIR, ErrUnknownResourceType, ErrEmpty, ErrNoResource, ErrLimit}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse("fuzz.json", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.json" {
				t.Fatalf("error %v is not a *ParseError for the file", err)
			}
			n := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %v wraps %d sentinels", err, n)
			}
			if res != nil {
				t.Fatal("resources returned with an error")
			}
			return
		}
		if len(res) == 0 {
			t.Fatal("no resources and no error")
		}
		for _, r := range res {
			if !IsResourceType(r.Type) {
				t.Fatalf("unknown type %q", r.Type)
			}
			if !json.Valid(r.JSON) || !utf8.Valid(r.JSON) {
				t.Fatalf("invalid JSON %q", r.JSON)
			}
			var c bytes.Buffer
			if json.Compact(&c, r.JSON) != nil || !bytes.Equal(c.Bytes(), r.JSON) {
				t.Fatalf("not compact: %q", r.JSON)
			}
			h, err := readHeader(r.JSON)
			if err != nil || h.typ != r.Type || h.id != r.ID {
				t.Fatalf("header %+v, %v for %s/%s", h, err, r.Type, r.ID)
			}
			if _, err := Canonical(r.JSON); err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			checkSummary(t, Summarize(r))
			ParseAttachmentDocument(r)
		}
	})
}

func FuzzSummarize(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add("", s)
		if res, err := Parse("seed", s); err == nil {
			for _, r := range res {
				f.Add(r.Type, r.JSON)
			}
		}
	}
	f.Add("Observation", []byte(`{"valueQuantity":{"value":"1"},"component":[null,1,{"code":[]}]}`))
	f.Add("DocumentReference", []byte(`{"meta":{"tag":[{"system":"urn:healthwallet:record-kind","code":"attachment"}]},"content":[{"attachment":{"contentType":"a/b","data":"eA==","size":1}}]}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		r := Resource{Type: typ, JSON: data}
		checkSummary(t, Summarize(r))
		_, _, _, _, _ = ParseAttachmentDocument(r)
		_, _ = Canonical(data)
		_, _ = ParseDate(string(data))
		DetectAttachment(data)
	})
}

func checkSummary(t *testing.T, s Summary) {
	t.Helper()
	if s.Title == "" {
		t.Fatal("empty title")
	}
	if n := utf8.RuneCountInString(s.Title); n > MaxTitleRunes {
		t.Fatalf("title of %d runes", n)
	}
	if !utf8.ValidString(s.Title) || strings.ContainsAny(s.Title, "\t\r\n\x00") || s.Title != strings.TrimSpace(s.Title) {
		t.Fatalf("untidy title %q", s.Title)
	}
	if s.Category == "" {
		t.Fatal("empty category")
	}
}
