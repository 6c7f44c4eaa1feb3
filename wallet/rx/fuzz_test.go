package rx

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzDecode: no input panics, and whatever decodes re-encodes to a text
// that decodes to the same prescription with the same commitment.
func FuzzDecode(f *testing.F) {
	p := writeTest(f, realisticOrder(), testWritten)
	f.Add(p.Encode())
	o := realisticOrder()
	o.Note, o.Refills, o.Medication.Display = "", 0, ""
	f.Add(writeTest(f, o, testWritten).Encode())
	f.Add(pack(f, []byte(`{"v":1}`)))
	f.Add(pack(f, []byte(`{"v":1,"request":{"resourceType":"MedicationRequest"}}`)))
	f.Add(TextPrefix)
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Decode(text)
		if err != nil {
			return
		}
		q, err := Decode(p.Encode())
		if err != nil {
			t.Fatalf("re-encoded text does not decode: %v", err)
		}
		if !equalPrescription(p, q) || p.Commitment() != q.Commitment() {
			t.Fatalf("round trip changed the prescription:\n%+v\n%+v", p, q)
		}
		if _, err := p.Order(); err != nil {
			t.Fatalf("decoded, but its order does not read: %v", err)
		}
		p.VerifySignature() // must not panic, whatever it says
	})
}

// FuzzDecodeJSON fuzzes the JSON inside the text, which random texts rarely
// reach through DEFLATE, with the same properties as FuzzDecode.
func FuzzDecodeJSON(f *testing.F) {
	for _, o := range []Order{realisticOrder(), {Medication: Coding{System: "urn:x", Code: "1"}, Dosage: "d", Quantity: 0.5, Unit: "u", ValidUntil: testWritten.Add(1e9)}} {
		js, err := inflateText(writeTest(f, o, testWritten).Encode())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js)
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		p, err := Decode(pack(t, js))
		if err != nil {
			return
		}
		q, err := Decode(p.Encode())
		if err != nil {
			t.Fatalf("re-encoded text does not decode: %v", err)
		}
		if !equalPrescription(p, q) || p.Commitment() != q.Commitment() {
			t.Fatalf("round trip changed the prescription:\n%+v\n%+v", p, q)
		}
		p.VerifySignature()
	})
}

// inflateText returns the JSON inside a handover text.
func inflateText(text string) ([]byte, error) {
	z, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(text, TextPrefix))
	if err != nil {
		return nil, err
	}
	return inflate(z)
}
