package rx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vector is one golden prescription: fixed keys, salt, resource id and time,
// and what they give.
type vector struct {
	Comment       string `json:"comment"`
	PrescriberKey string `json:"prescriberSeed"` // Ed25519 seed, hex
	Prescriber    string `json:"prescriber"`
	Patient       string `json:"patient"`
	Written       int64  `json:"written"`
	Salt          string `json:"salt"`
	Request       string `json:"request"`
	SignedMessage string `json:"signedMessage"` // the exact bytes signed, as a JSON string
	Signature     string `json:"signature"`
	Commitment    string `json:"commitment"`
	Handover      string `json:"handover"`
}

const vectorsFile = "testdata/vectors.json"

func makeVector(t *testing.T) []byte {
	p := writeTest(t, realisticOrder(), testWritten)
	msg, err := p.signedMessage()
	if err != nil {
		t.Fatal(err)
	}
	sig := p.Signature
	c := p.Commitment()
	v := vector{
		Comment: "wallet/rx version 1: the realistic order of helpers_test.go, written by the key with the seed " +
			"below for the patient's ID; salt and resource id from a fixed stream. Regenerate with go test -run TestGolden -update.",
		PrescriberKey: hex.EncodeToString(testKey("dr-x").Seed()),
		Prescriber:    p.Prescriber.String(),
		Patient:       p.Patient,
		Written:       p.Written.Unix(),
		Salt:          hex.EncodeToString(p.Salt[:]),
		Request:       string(p.Request),
		SignedMessage: string(msg),
		Signature:     hex.EncodeToString(sig[:]),
		Commitment:    hex.EncodeToString(c[:]),
		Handover:      p.Encode(),
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden checks the signed message, commitment and handover text byte
// for byte, and that the stored text still decodes to a prescription whose
// signature verifies and whose commitment is the stored one: a text issued
// by an older build must keep working even if DEFLATE's output changes.
func TestGolden(t *testing.T) {
	got := makeVector(t)
	if *update {
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from what this build makes (run with -update if the format changed on purpose):\n%s", vectorsFile, got)
	}

	var v vector
	if err := json.Unmarshal(want, &v); err != nil {
		t.Fatal(err)
	}
	p, err := Decode(v.Handover)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	msg, err := p.signedMessage()
	if err != nil {
		t.Fatal(err)
	}
	c := p.Commitment()
	if string(msg) != v.SignedMessage || hex.EncodeToString(c[:]) != v.Commitment || string(p.Request) != v.Request {
		t.Fatal("the stored handover text does not give the stored signed message, request and commitment")
	}

	// The formulas of the package doc, restated from the vector's own fields.
	seed, _ := hex.DecodeString(v.PrescriberKey)
	salt, _ := hex.DecodeString(v.Salt)
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(seed), []byte(v.SignedMessage))
	if hex.EncodeToString(sig) != v.Signature {
		t.Fatal("the signature is not Ed25519 of the signed message")
	}
	commitment := sha256.Sum256(slices.Concat([]byte("healthwallet-rx-commit-v1\x00"), salt, []byte(v.SignedMessage), sig))
	if hex.EncodeToString(commitment[:]) != v.Commitment {
		t.Fatal("the commitment is not SHA-256(domain || salt || signed message || signature)")
	}
	canonical, err := jcs.Transform([]byte(v.SignedMessage[len("healthwallet-rx-v1\x00"):]))
	if err != nil || !strings.HasPrefix(v.SignedMessage, "healthwallet-rx-v1\x00") ||
		string(canonical) != v.SignedMessage[len("healthwallet-rx-v1\x00"):] {
		t.Fatalf("the signed message is not the domain and a JCS object: %v", err)
	}
}
