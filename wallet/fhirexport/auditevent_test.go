package fhirexport

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// allActions is written out rather than taken from auditKinds, so a
// constant added without a mapping (or a mapping without a constant) fails.
var allActions = []string{
	ActionRequest, ActionDecline, ActionGrant, ActionRevoke, ActionExpiry, ActionKeyRelease,
	ActionRecordAdded, ActionAnchor, ActionEmergencyAuthorize, ActionEmergencyAccess, ActionEmergencyRelease,
}

func TestAuditEventEveryAction(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(auditKinds)), slices.Sorted(slices.Values(allActions)); !slices.Equal(got, want) {
		t.Fatalf("mapped actions %v, constants %v", got, want)
	}
	// The package doc's table.
	want := map[string]struct{ typ, dcmSubtype, action string }{
		ActionRequest:            {"110110", "", "C"},
		ActionDecline:            {"110110", "", "U"},
		ActionGrant:              {"110110", "", "C"},
		ActionRevoke:             {"110110", "", "U"},
		ActionExpiry:             {"110110", "", "U"},
		ActionKeyRelease:         {"110106", "", "R"},
		ActionRecordAdded:        {"110107", "", "C"},
		ActionAnchor:             {"110110", "", "C"},
		ActionEmergencyAuthorize: {"110113", "110135", "C"},
		ActionEmergencyAccess:    {"110113", "110127", "E"},
		ActionEmergencyRelease:   {"110106", "", "R"},
	}
	for _, action := range allActions {
		t.Run(action, func(t *testing.T) {
			e := testEntry(action)
			data, err := AuditEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			mustValid(t, data)
			m := decodeMap(t, data)
			w := want[action]
			if got := at(m, "type", "code"); got != w.typ {
				t.Errorf("type %v, want %s", got, w.typ)
			}
			if got := at(m, "action"); got != w.action {
				t.Errorf("action %v, want %s", got, w.action)
			}
			last := len(at(m, "subtype").([]any)) - 1
			if at(m, "subtype", last, "system") != SystemAction || at(m, "subtype", last, "code") != action {
				t.Errorf("last subtype %v, want %s %s", at(m, "subtype", last), SystemAction, action)
			}
			if w.dcmSubtype != "" && (at(m, "subtype", 0, "code") != w.dcmSubtype || at(m, "subtype", 0, "system") != sysDCM) {
				t.Errorf("first subtype %v, want DCM %s", at(m, "subtype", 0), w.dcmSubtype)
			}
			if w.dcmSubtype == "" && last != 0 {
				t.Errorf("subtypes %v, want only the wallet's", at(m, "subtype"))
			}
			if got := at(m, "agent", 0, "who", "identifier", "value"); got != e.Actor.Key {
				t.Errorf("requestor %v, want the actor %s", got, e.Actor.Key)
			}
			if got := at(m, "entity", 0, "what", "identifier", "value"); got != e.Patient.Key {
				t.Errorf("first entity %v, want the patient", got)
			}
			wantOutcome := "0"
			if e.Outcome == OutcomeDeclined {
				wantOutcome = "4"
			}
			if got := at(m, "outcome"); got != wantOutcome {
				t.Errorf("outcome %v, want %s", got, wantOutcome)
			}
		})
	}
}

func TestAuditEventElements(t *testing.T) {
	t.Run("request", func(t *testing.T) {
		e := testEntry(ActionRequest)
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		m := decodeMap(t, data)
		if got := at(m, "id"); got != resourceID(e.ID) || len(e.ID) <= 64 {
			t.Errorf("id %v: a %d-character entry ID should be hashed", got, len(e.ID))
		}
		if got := at(m, "purposeOfEvent", 0, "coding", 0, "code"); got != "TREAT" {
			t.Errorf("purpose %v", got)
		}
		if got := at(m, "outcomeDesc"); got == nil {
			t.Error("declined request without outcomeDesc")
		}
		details := at(m, "entity", 1, "detail").([]any)
		var types []string
		for _, d := range details {
			types = append(types, at(d, "type").(string))
		}
		if want := []string{"block", "scope", "scope", "scope", "note"}; !slices.Equal(types, want) {
			t.Errorf("detail types %v, want %v", types, want)
		}
		if got := at(details[len(details)-1], "valueString"); got != e.Note {
			t.Errorf("note %q, want %q", got, e.Note)
		}
		if !strings.Contains(string(data), "<b>hypertension</b> &") {
			t.Error("note was HTML-escaped")
		}
		if got := at(m, "agent", 0, "altId"); got != testClinician.ID {
			t.Errorf("altId %v", got)
		}
		if got := at(m, "agent", 0, "role", 0, "text"); got != "physician" {
			t.Errorf("role %v", got)
		}
		if got := at(m, "agent", 0, "who", "type"); got != "Practitioner" {
			t.Errorf("who.type %v", got)
		}
	})
	t.Run("expiry without a transaction", func(t *testing.T) {
		e := testEntry(ActionExpiry)
		e.Scope = []string{"conditions"}
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, data)
		m := decodeMap(t, data)
		if n := len(at(m, "entity").([]any)); n != 1 {
			t.Errorf("%d entities, want the patient only", n)
		}
		if got := at(m, "entity", 0, "detail", 0, "valueString"); got != "conditions" {
			t.Errorf("scope detail on the patient: %v", got)
		}
	})
	t.Run("expiry with the grant's transaction", func(t *testing.T) {
		e := testEntry(ActionExpiry)
		e.Tx = testHash("tx grant")
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, data)
	})
	t.Run("other is the actor", func(t *testing.T) {
		e := testEntry(ActionGrant)
		other := testPatient
		other.Key = strings.ToUpper(other.Key) // the same key in another case
		e.Other = &other
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(at(decodeMap(t, data), "agent").([]any)); n != 1 {
			t.Errorf("%d agents, want 1", n)
		}
	})
	t.Run("grantee and releasing clinic", func(t *testing.T) {
		for _, tc := range []struct {
			action, code string
		}{{ActionGrant, "IRCP"}, {ActionEmergencyAccess, "CST"}} {
			e := testEntry(tc.action)
			if tc.action == ActionEmergencyAccess {
				e.Other = ptr(testClinic)
			}
			data, err := AuditEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			m := decodeMap(t, data)
			if got := at(m, "agent", 1, "type", "coding", 0, "code"); got != tc.code {
				t.Errorf("%s: other agent type %v, want %s", tc.action, got, tc.code)
			}
			if got := at(m, "agent", 1, "requestor"); got != false {
				t.Errorf("%s: other agent requestor %v", tc.action, got)
			}
		}
	})
	t.Run("times are UTC", func(t *testing.T) {
		e := testEntry(ActionAnchor)
		e.Recorded = time.Date(2025, 3, 14, 10, 26, 53, 123_000_000, time.FixedZone("CET", 3600))
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := at(decodeMap(t, data), "recorded"); got != "2025-03-14T09:26:53.123Z" {
			t.Errorf("recorded %v", got)
		}
	})
	t.Run("valid ID kept, upper-case key written lower", func(t *testing.T) {
		e := testEntry(ActionAnchor)
		e.ID = "anchor-1042.3"
		e.Actor.Key = strings.ToUpper(e.Actor.Key)
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		m := decodeMap(t, data)
		if got := at(m, "id"); got != e.ID {
			t.Errorf("id %v, want %s", got, e.ID)
		}
		if got := at(m, "agent", 0, "who", "identifier", "value"); got != testPatient.Key {
			t.Errorf("key %v, want lower case", got)
		}
	})
	t.Run("free text cleaned, blanks omitted", func(t *testing.T) {
		e := testEntry(ActionRequest)
		e.Note = "  \x00line one\nline two\x1b  "
		e.Actor.Name = " \t "
		e.Actor.ID = ""
		e.Actor.Role = ""
		e.Actor.Kind = ""
		data, err := AuditEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, data)
		m := decodeMap(t, data)
		details := at(m, "entity", 1, "detail").([]any)
		if got := at(details[len(details)-1], "valueString"); got != "line one\nline two" {
			t.Errorf("note %q", got)
		}
		if who := at(m, "agent", 0, "who").(map[string]any); len(who) != 1 {
			t.Errorf("who %v, want the identifier only", who)
		}
	})
}

func TestAuditEventErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Entry)
		want   string
	}{
		{"empty ID", func(e *Entry) { e.ID = "" }, "ID: empty"},
		{"blank ID", func(e *Entry) { e.ID = " \n" }, "ID: empty"},
		{"unknown action", func(e *Entry) { e.Action = "delete" }, `unknown action "delete"`},
		{"empty action", func(e *Entry) { e.Action = "" }, `unknown action ""`},
		{"zero time", func(e *Entry) { e.Recorded = time.Time{} }, "recorded: zero time"},
		{"year 10000", func(e *Entry) { e.Recorded = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "year 10000"},
		{"bad hex key", func(e *Entry) { e.Actor.Key = strings.Repeat("zz", 32) }, "actor: key"},
		{"short key", func(e *Entry) { e.Actor.Key = "abcd" }, "want 64 hex digits"},
		{"empty key", func(e *Entry) { e.Actor.Key = "" }, "actor: key: empty"},
		{"long key, message clipped", func(e *Entry) { e.Actor.Key = strings.Repeat("z", 200) }, `"` + strings.Repeat("z", 80) + `..." has 200 characters`},
		{"bad patient key", func(e *Entry) { e.Patient.Key = e.Patient.Key[:63] + "g" }, "patient: key"},
		{"patient of another kind", func(e *Entry) { e.Patient.Kind = KindClinic }, "patient: kind"},
		{"unknown kind", func(e *Entry) { e.Actor.Kind = "robot" }, `actor: kind "robot"`},
		{"bad other key", func(e *Entry) { e.Other = &Party{Key: "x"} }, "other: key"},
		{"unknown purpose", func(e *Entry) { e.Purpose = "treat" }, `purpose "treat"`},
		{"bad tx", func(e *Entry) { e.Tx = "not a hash" }, "tx:"},
		{"missing tx", func(e *Entry) { e.Tx = "" }, "tx: empty, but a grant is a chain transaction"},
		{"empty chain ID", func(e *Entry) { e.ChainID = "" }, "chain ID: empty"},
		{"bad chain ID", func(e *Entry) { e.ChainID = "my chain" }, "chain ID:"},
		{"bad scope item", func(e *Entry) { e.Scope = []string{"conditions", "two words"} }, "scope[1]:"},
		{"unknown outcome", func(e *Entry) { e.Outcome = "failed" }, `outcome: "failed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEntry(ActionGrant)
			tt.modify(&e)
			data, err := AuditEvent(e)
			if err == nil {
				t.Fatalf("no error; got\n%s", data)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fhirexport: audit entry") {
				t.Errorf("error %q, want it to name the entry and contain %q", err, tt.want)
			}
		})
	}
}
