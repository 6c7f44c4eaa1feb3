package fhirexport

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestProvenance(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Authored)
		check  func(t *testing.T, m map[string]any)
	}{
		{"complete", func(a *Authored) {}, func(t *testing.T, m map[string]any) {
			if got := at(m, "target", 0, "type"); got != "Observation" {
				t.Errorf("target type %v", got)
			}
			if got := at(m, "agent", 0, "onBehalfOf", "identifier", "value"); got != testClinic.Key {
				t.Errorf("onBehalfOf %v", got)
			}
			// The signature must survive the export: it verifies against
			// the author's key over what was signed.
			sig, err := base64.StdEncoding.DecodeString(at(m, "signature", 0, "data").(string))
			if err != nil {
				t.Fatal(err)
			}
			key, _ := hex.DecodeString(at(m, "signature", 0, "who", "identifier", "value").(string))
			if !ed25519.Verify(key, []byte(testAnchorMessage), sig) {
				t.Error("exported signature does not verify")
			}
		}},
		{"no clinic", func(a *Authored) { a.Clinic = Party{} }, func(t *testing.T, m map[string]any) {
			if got := at(m, "agent", 0, "onBehalfOf"); got != nil {
				t.Errorf("onBehalfOf %v", got)
			}
		}},
		{"unsigned", func(a *Authored) { a.Signature = nil }, func(t *testing.T, m map[string]any) {
			if got := at(m, "signature"); got != nil {
				t.Errorf("signature %v", got)
			}
		}},
		{"unknown type, no chain, no names", func(a *Authored) {
			a.ResourceType, a.ChainID = "", ""
			a.Author = Party{Key: testClinician.Key}
			a.Clinic = Party{Key: testClinic.Key}
		}, func(t *testing.T, m map[string]any) {
			if got := at(m, "target", 0, "display"); got != "record "+testAuthored(t).RecordID {
				t.Errorf("target display %v", got)
			}
			if got := at(m, "agent", 0, "who", "type"); got != "Practitioner" {
				t.Errorf("author type %v", got)
			}
			if got := at(m, "meta"); got != nil {
				t.Errorf("meta %v", got)
			}
		}},
		{"CIDv0", func(a *Authored) { a.CID = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAuthored(t)
			tt.modify(&a)
			data, err := Provenance(a)
			if err != nil {
				t.Fatal(err)
			}
			mustValid(t, data)
			m := decodeMap(t, data)
			if got := at(m, "id"); got != a.Tx {
				t.Errorf("id %v, want the anchor tx", got)
			}
			if got := at(m, "entity", 0, "what", "identifier", "value"); got != a.CID {
				t.Errorf("entity %v, want the CID", got)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestProvenanceErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Authored)
		want   string
	}{
		{"empty record ID", func(a *Authored) { a.RecordID = "" }, "record ID: empty"},
		{"bad record ID", func(a *Authored) { a.RecordID = "rec 1" }, "record ID:"},
		{"bad resource type", func(a *Authored) { a.ResourceType = "observation" }, "resource type"},
		{"empty tx", func(a *Authored) { a.Tx = "" }, "tx: empty"},
		{"bad tx", func(a *Authored) { a.Tx = strings.Repeat("x", 64) }, "tx:"},
		{"zero time", func(a *Authored) { a.Recorded = time.Time{} }, "recorded: zero time"},
		{"empty CID", func(a *Authored) { a.CID = "" }, "CID: empty"},
		{"bad CID", func(a *Authored) { a.CID = "not-a-cid" }, "CID:"},
		{"bad author key", func(a *Authored) { a.Author.Key = "" }, "author: key: empty"},
		{"bad clinic key", func(a *Authored) { a.Clinic.Key = "12" }, "clinic: key"},
		{"clinic without key", func(a *Authored) { a.Clinic = Party{Name: "Somewhere"} }, "clinic: key: empty"},
		{"clinic is the author", func(a *Authored) { a.Clinic.Key = a.Author.Key }, "clinic: same key as the author"},
		{"short signature", func(a *Authored) { a.Signature = a.Signature[:63] }, "signature: 63 bytes"},
		{"bad chain ID", func(a *Authored) { a.ChainID = strings.Repeat("c", 65) }, "chain ID:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAuthored(t)
			tt.modify(&a)
			data, err := Provenance(a)
			if err == nil {
				t.Fatalf("no error; got\n%s", data)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fhirexport: authored record") {
				t.Errorf("error %q, want ErrInvalid naming the record and containing %q", err, tt.want)
			}
		})
	}
}
