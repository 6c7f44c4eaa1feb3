package fhirexport

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the current code")

// TestGolden pins the exact bytes of one resource of each kind and a Bundle
// of them, so any change to the output shows up in review as a diff.
func TestGolden(t *testing.T) {
	auditEvent := func() ([]byte, error) { return AuditEvent(testEntry(ActionRequest)) }
	consent := func() ([]byte, error) { return Consent(testGrant()) }
	provenance := func() ([]byte, error) { return Provenance(testAuthored(t)) }
	tests := []struct {
		file  string
		build func() ([]byte, error)
	}{
		{"auditevent.json", auditEvent},
		{"consent.json", consent},
		{"provenance.json", provenance},
		{"bundle.json", func() ([]byte, error) {
			var rs [][]byte
			for _, build := range []func() ([]byte, error){
				func() ([]byte, error) { return AuditEvent(testEntry(ActionGrant)) },
				consent,
				provenance,
			} {
				r, err := build()
				if err != nil {
					return nil, err
				}
				rs = append(rs, r)
			}
			return Bundle(rs...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			mustValid(t, got)
			got = append(got, '\n') // the file ends in a newline, the output does not
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the output (run go test -update if the change is intended)\ngot:\n%s", path, got)
			}
		})
	}
}
