package fhirexport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// Fixed inputs, so golden files are stable: keys from fixed seeds, hashes of
// fixed strings, times in 2025.

const testChain = "healthwallet-test"

func testSigner(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func testKey(seed byte) string {
	return hex.EncodeToString(testSigner(seed).Public().(ed25519.PublicKey))
}

func testHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func testCID(t testing.TB, content string) string {
	t.Helper()
	mh, err := multihash.Sum([]byte(content), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, mh).String()
}

var (
	testPatient   = Party{Key: testKey(1), ID: "hw1patientexample0000000000", Name: "Alex Example", Kind: KindPatient}
	testClinician = Party{Key: testKey(2), ID: "hw1clinicianexample00000000", Name: "Dr. Sam Rivera", Kind: KindClinician, Role: "physician"}
	testClinic    = Party{Key: testKey(3), Name: "Riverside Clinic", Kind: KindClinic}

	testTime = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// testEntry is a plausible entry for each action: who sends which
// transaction, as the chain has it.
func testEntry(action string) Entry {
	tx := testHash("tx " + action)
	e := Entry{
		ID:       tx + "-" + action,
		Action:   action,
		Recorded: testTime,
		Actor:    testPatient,
		Patient:  testPatient,
		Other:    ptr(testClinician),
		Tx:       tx,
		Block:    1042,
		ChainID:  testChain,
	}
	switch action {
	case ActionRequest:
		e.Actor, e.Other = testClinician, nil
		e.Purpose = "TREAT"
		e.Scope = []string{"conditions", "medications", "rec-7f3a9c2e1b4d6f8a0c2e4b6d"}
		e.Note = "Follow-up for <b>hypertension</b> & medication review"
		e.Outcome = OutcomeDeclined
	case ActionDecline:
		e.Outcome = OutcomeDeclined
	case ActionGrant:
		e.Purpose = "TREAT"
		e.Scope = []string{"conditions"}
	case ActionExpiry:
		e.Tx, e.Block = "", 0
	case ActionRecordAdded:
		e.Actor, e.Other = testClinician, nil
		e.Scope = []string{"rec-1c9e2d7b4a6f8e0d2c4b6a8e"}
	case ActionAnchor, ActionEmergencyAuthorize:
		e.Other = nil
	case ActionEmergencyAccess:
		e.Actor, e.Other = testClinician, nil
		e.Purpose = "ETREAT"
	case ActionEmergencyRelease:
		e.Actor, e.Other = testClinic, ptr(testClinician)
		e.Purpose = "ETREAT"
	}
	return e
}

func testGrant() Grant {
	return Grant{
		ID:         testHash("tx grant"),
		Patient:    testPatient,
		Grantee:    testClinician,
		Categories: []string{"conditions", "medications"},
		RecordIDs:  []string{"rec-7f3a9c2e1b4d6f8a0c2e4b6d"},
		Read:       true,
		Purpose:    "TREAT",
		Start:      testTime,
		End:        testTime.AddDate(0, 0, 30),
		Granted:    testTime,
		Status:     "active",
		ChainID:    testChain,
	}
}

// testAnchorMessage stands in for the anchor transaction's signed bytes.
const testAnchorMessage = "anchor rec-1c9e2d7b4a6f8e0d2c4b6a8e"

func testAuthored(t testing.TB) Authored {
	return Authored{
		RecordID:     "rec-1c9e2d7b4a6f8e0d2c4b6a8e",
		ResourceType: "Observation",
		Author:       testClinician,
		Clinic:       testClinic,
		Recorded:     testTime,
		CID:          testCID(t, "ciphertext of rec-1c9e2d7b4a6f8e0d2c4b6a8e"),
		Tx:           testHash("tx anchor"),
		Signature:    ed25519.Sign(testSigner(2), []byte(testAnchorMessage)),
		ChainID:      testChain,
	}
}

// mustValid fails the test unless data is a structurally valid resource.
func mustValid(t testing.TB, data []byte) {
	t.Helper()
	if err := errChecker(checkResource(data)); err != nil {
		t.Fatalf("invalid FHIR:\n%v\n%s", err, data)
	}
}

// decodeMap decodes a resource for assertions on single elements.
func decodeMap(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks m along keys and array indexes, e.g. at(m, "agent", 0, "who").
func at(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, ok := m.(map[string]any)
			if !ok {
				return nil
			}
			m = mm[k]
		case int:
			a, ok := m.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			m = a[k]
		}
	}
	return m
}
