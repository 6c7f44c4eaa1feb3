package fhirexport

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCheckerCatches keeps the structural checker honest: each broken
// resource must be reported, with the problem named, or a passing validation
// elsewhere would prove nothing.
func TestCheckerCatches(t *testing.T) {
	ae, err := AuditEvent(testEntry(ActionGrant))
	if err != nil {
		t.Fatal(err)
	}
	co, err := Consent(testGrant())
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Provenance(testAuthored(t))
	if err != nil {
		t.Fatal(err)
	}
	bu, err := Bundle(ae, co, pr)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]byte{ae, co, pr, bu} {
		mustValid(t, r)
	}

	tests := []struct {
		name   string
		base   []byte
		modify func(m map[string]any)
		want   string
	}{
		{"unknown element", ae, func(m map[string]any) { m["actor"] = "x" }, `unknown field "actor"`},
		{"misplaced element", ae, func(m map[string]any) { at(m, "source").(map[string]any)["recorded"] = m["recorded"] }, `unknown field "recorded"`},
		{"bad required code", co, func(m map[string]any) { m["status"] = "revoked" }, "unknown ConsentState code"},
		{"empty string", ae, func(m map[string]any) { at(m, "agent", 0, "who").(map[string]any)["display"] = "" }, "empty string"},
		{"padded string", ae, func(m map[string]any) { at(m, "agent", 0, "who").(map[string]any)["display"] = " x" }, "white space"},
		{"empty array", ae, func(m map[string]any) { m["purposeOfEvent"] = []any{} }, "empty array"},
		{"empty object", ae, func(m map[string]any) { m["meta"] = map[string]any{} }, "empty object"},
		{"null", ae, func(m map[string]any) { m["outcomeDesc"] = nil }, "null"},
		{"no type", ae, func(m map[string]any) { delete(m, "type") }, "required element type missing"},
		{"no agent", ae, func(m map[string]any) { delete(m, "agent") }, "required element agent missing"},
		{"no requestor", ae, func(m map[string]any) { delete(at(m, "agent", 0).(map[string]any), "requestor") }, "required element requestor missing"},
		{"two requestors", ae, func(m map[string]any) { at(m, "agent", 1).(map[string]any)["requestor"] = true }, "2 requestors"},
		{"no observer", ae, func(m map[string]any) { delete(at(m, "source").(map[string]any), "observer") }, "required element observer missing"},
		{"bad instant", ae, func(m map[string]any) { m["recorded"] = "2025-03-14 09:26:53" }, "not a valid recorded"},
		{"instant without zone", ae, func(m map[string]any) { m["recorded"] = "2025-03-14T09:26:53" }, "not a valid recorded"},
		{"code with space", ae, func(m map[string]any) { m["action"] = "C U" }, "not a valid action"},
		{"coding without system", ae, func(m map[string]any) { delete(at(m, "type").(map[string]any), "system") }, "Coding without system and code"},
		{"bad id", ae, func(m map[string]any) { m["id"] = "a_b" }, "not a valid id"},
		{"number", ae, func(m map[string]any) { m["outcomeDesc"] = 1 }, "number"},
		{"no policy", co, func(m map[string]any) { delete(m, "policyRule") }, "ppc-1"},
		{"no patient", co, func(m map[string]any) { delete(m, "patient") }, "ppc-2"},
		{"no category", co, func(m map[string]any) { delete(m, "category") }, "required element category missing"},
		{"root type", co, func(m map[string]any) { at(m, "provision").(map[string]any)["type"] = "permit" }, "type in the root rule"},
		{"nested without type", co, func(m map[string]any) { delete(at(m, "provision", "provision", 0).(map[string]any), "type") }, "nested rule without type"},
		{"bad dateTime", co, func(m map[string]any) { m["dateTime"] = "14/03/2025" }, "not a valid dateTime"},
		{"no target", pr, func(m map[string]any) { delete(m, "target") }, "required element target missing"},
		{"no who", pr, func(m map[string]any) { delete(at(m, "agent", 0).(map[string]any), "who") }, "required element who missing"},
		{"bad signature data", pr, func(m map[string]any) { at(m, "signature", 0).(map[string]any)["data"] = "!!" }, "not base64"},
		{"short signature", pr, func(m map[string]any) { at(m, "signature", 0).(map[string]any)["data"] = "AAAA" }, "want a 64-byte Ed25519 signature"},
		{"bad fullUrl", bu, func(m map[string]any) { at(m, "entry", 0).(map[string]any)["fullUrl"] = "Consent/1" }, "not a valid fullUrl"},
		{"repeated fullUrl", bu, func(m map[string]any) { at(m, "entry", 1).(map[string]any)["fullUrl"] = at(m, "entry", 0, "fullUrl") }, "bdl-7"},
		{"bad entry resource", bu, func(m map[string]any) { delete(at(m, "entry", 0, "resource").(map[string]any), "recorded") }, "entry[0].resource: required element recorded missing"},
		{"wrong bundle type", bu, func(m map[string]any) { m["type"] = "document" }, "want collection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(tt.base, &m); err != nil {
				t.Fatal(err)
			}
			tt.modify(m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			err = errChecker(checkResource(data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checker said %v, want a problem containing %q", err, tt.want)
			}
		})
	}

	// Byte-level breakage the map round trip cannot express.
	for _, tc := range []struct{ name, data, want string }{
		{"duplicate key", strings.Replace(string(ae), `"resourceType": "AuditEvent",`, `"resourceType": "AuditEvent", "resourceType": "AuditEvent",`, 1), "duplicate key"},
		{"trailing data", string(ae) + "{}", "trailing data"},
		{"resourceType not first", strings.Replace(strings.Replace(string(ae), "  \"resourceType\": \"AuditEvent\",\n", "", 1), "\n  \"meta\":", "\n  \"resourceType\": \"AuditEvent\",\n  \"meta\":", 1), "not the first key"},
	} {
		if err := errChecker(checkResource([]byte(tc.data))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: checker said %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzAuditEvent feeds arbitrary text into the fields a person or a peer
// controls: whatever comes out must be valid FHIR, and whatever is refused
// must be refused as invalid input.
func FuzzAuditEvent(f *testing.F) {
	for _, a := range allActions {
		e := testEntry(a)
		f.Add(e.ID, e.Action, e.Note, e.Actor.Name, e.Actor.ID, e.Actor.Role, strings.Join(e.Scope, ","), e.Purpose, e.Recorded.Unix(), e.Tx)
	}
	f.Add("\x00", "grant", "\xff\xfe", "\u2028", " ", "\t", ",", "", int64(-62135596800), "")
	f.Fuzz(func(t *testing.T, id, action, note, name, hwid, role, scope, purpose string, unix int64, tx string) {
		e := testEntry(ActionGrant)
		e.ID, e.Action, e.Note, e.Purpose, e.Tx = id, action, note, purpose, tx
		e.Actor.Name, e.Actor.ID, e.Actor.Role = name, hwid, role
		e.Scope = nil
		if scope != "" {
			e.Scope = strings.Split(scope, ",")
		}
		e.Recorded = time.Unix(unix, 0)
		data, err := AuditEvent(e)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		mustValid(t, data)
	})
}
