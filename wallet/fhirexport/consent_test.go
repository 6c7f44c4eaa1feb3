package fhirexport

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConsent(t *testing.T) {
	revoked := testTime.AddDate(0, 0, 3)
	tests := []struct {
		name   string
		modify func(*Grant)
		// want: status, actor role codes, action codes, nested provisions
		// (class or data), whether a period is written
		status     string
		roles      []string
		actions    []string
		nested     []string
		withPeriod bool
	}{
		{"read, categories and records", func(g *Grant) {}, "active", []string{"IRCP"}, []string{"access"}, []string{"class", "data"}, true},
		{"write only", func(g *Grant) { g.Read, g.Write = false, true }, "active", []string{"AUT"}, []string{"correct"}, []string{"class", "data"}, true},
		{"read and write", func(g *Grant) { g.Write = true }, "active", []string{"IRCP", "AUT"}, []string{"access", "correct"}, []string{"class", "data"}, true},
		{"categories only", func(g *Grant) { g.RecordIDs = nil }, "active", []string{"IRCP"}, []string{"access"}, []string{"class"}, true},
		{"records only", func(g *Grant) { g.Categories = nil }, "active", []string{"IRCP"}, []string{"access"}, []string{"data"}, true},
		{"revoked", func(g *Grant) { g.Status, g.Revoked = "inactive", &revoked }, "inactive", []string{"IRCP"}, []string{"access"}, []string{"class", "data"}, true},
		{"open-ended, no purpose, no chain", func(g *Grant) {
			g.Start, g.End, g.Purpose, g.ChainID = time.Time{}, time.Time{}, "", ""
		}, "active", []string{"IRCP"}, []string{"access"}, []string{"class", "data"}, false},
		{"grantee is a clinic of unknown kind", func(g *Grant) { g.Grantee = Party{Key: testClinic.Key} }, "active", []string{"IRCP"}, []string{"access"}, []string{"class", "data"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGrant()
			tt.modify(&g)
			data, err := Consent(g)
			if err != nil {
				t.Fatal(err)
			}
			mustValid(t, data)
			m := decodeMap(t, data)
			if got := at(m, "id"); got != g.ID {
				t.Errorf("id %v, want the grant hash", got)
			}
			if got := at(m, "status"); got != tt.status {
				t.Errorf("status %v, want %s", got, tt.status)
			}
			if got := at(m, "patient", "identifier", "value"); got != testPatient.Key {
				t.Errorf("patient %v", got)
			}
			if got := at(m, "policyRule", "coding", 0, "code"); got != "OPTIN" {
				t.Errorf("policyRule %v", got)
			}
			p := at(m, "provision")
			var roles, actions []string
			for i := range len(at(p, "actor").([]any)) {
				roles = append(roles, at(p, "actor", i, "role", "coding", 0, "code").(string))
				if got := at(p, "actor", i, "reference", "identifier", "value"); got != g.Grantee.Key {
					t.Errorf("actor %d is %v, want the grantee", i, got)
				}
			}
			for i := range len(at(p, "action").([]any)) {
				actions = append(actions, at(p, "action", i, "coding", 0, "code").(string))
			}
			if !equal(roles, tt.roles) || !equal(actions, tt.actions) {
				t.Errorf("roles %v actions %v, want %v %v", roles, actions, tt.roles, tt.actions)
			}
			var nested []string
			for i := range len(at(p, "provision").([]any)) {
				if at(p, "provision", i, "type") != "permit" {
					t.Errorf("nested provision %d is not a permit", i)
				}
				switch {
				case at(p, "provision", i, "class") != nil:
					nested = append(nested, "class")
				case at(p, "provision", i, "data") != nil:
					nested = append(nested, "data")
				}
			}
			if !equal(nested, tt.nested) {
				t.Errorf("nested provisions %v, want %v", nested, tt.nested)
			}
			if got := at(p, "period") != nil; got != tt.withPeriod {
				t.Errorf("period written: %v, want %v", got, tt.withPeriod)
			}
		})
	}
}

func equal(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

func TestConsentErrors(t *testing.T) {
	zero := time.Time{}
	tests := []struct {
		name   string
		modify func(*Grant)
		want   string
	}{
		{"empty ID", func(g *Grant) { g.ID = "" }, "ID: empty"},
		{"ID not a hash", func(g *Grant) { g.ID = "grant-1" }, "ID:"},
		{"empty status", func(g *Grant) { g.Status = "" }, "status"},
		{"unknown status", func(g *Grant) { g.Status = "revoked" }, `status: "revoked" is not an R4 consent-state code`},
		{"zero granted", func(g *Grant) { g.Granted = zero }, "granted: zero time"},
		{"active but revoked", func(g *Grant) { g.Revoked = ptr(testTime.Add(time.Hour)) }, "status: active, but the grant was revoked"},
		{"revoked zero", func(g *Grant) { g.Status, g.Revoked = "inactive", &zero }, "revoked: zero time"},
		{"revoked before granted", func(g *Grant) { g.Status, g.Revoked = "inactive", ptr(testTime.Add(-time.Hour)) }, "before the grant"},
		{"end before start", func(g *Grant) { g.End = g.Start.Add(-time.Second) }, "end:"},
		{"no actions", func(g *Grant) { g.Read = false }, "neither read nor write"},
		{"no scope", func(g *Grant) { g.Categories, g.RecordIDs = nil, nil }, "no category and no record ID"},
		{"bad category", func(g *Grant) { g.Categories = []string{""} }, "categories[0]: empty"},
		{"bad record ID", func(g *Grant) { g.RecordIDs = []string{"rec/1"} }, "record IDs[0]"},
		{"bad patient key", func(g *Grant) { g.Patient.Key = "00" }, "patient: key"},
		{"patient is a clinician", func(g *Grant) { g.Patient.Kind = KindClinician }, "patient: kind"},
		{"bad grantee key", func(g *Grant) { g.Grantee.Key = strings.Repeat("g", 64) }, "grantee: key"},
		{"unknown purpose", func(g *Grant) { g.Purpose = "CURIOSITY" }, `purpose "CURIOSITY"`},
		{"bad chain ID", func(g *Grant) { g.ChainID = "a/b" }, "chain ID:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGrant()
			tt.modify(&g)
			data, err := Consent(g)
			if err == nil {
				t.Fatalf("no error; got\n%s", data)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fhirexport: grant") {
				t.Errorf("error %q, want ErrInvalid naming the grant and containing %q", err, tt.want)
			}
		})
	}
}
