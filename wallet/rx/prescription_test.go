package rx

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
)

func TestWriteRoundTrip(t *testing.T) {
	o := realisticOrder()
	p, err := Write(o, testKey("dr-x"), "Dr. Xavier Okafor", testID("alice"), testWritten.Add(123*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifySignature(); err != nil {
		t.Fatalf("fresh prescription: %v", err)
	}
	if p.Prescriber != testPub("dr-x") || p.Patient != testID("alice") || p.Dispenses != 6 ||
		!p.Written.Equal(testWritten) || !p.Expiry.Equal(o.ValidUntil) {
		t.Fatalf("fields: %+v", p)
	}
	back, err := p.Order()
	if err != nil {
		t.Fatal(err)
	}
	if back != o {
		t.Fatalf("order read back\n got %+v\nwant %+v", back, o)
	}
	c := p.Commit()
	if c.Commitment != p.Commitment() || c.Dispenses != 6 || c.Expiry != uint64(o.ValidUntil.Unix()) {
		t.Fatalf("commit body %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("commit body does not validate: %v", err)
	}
	// Two prescriptions of the same order differ in salt, so in commitment.
	q, err := Write(o, testKey("dr-x"), "Dr. Xavier Okafor", testID("alice"), testWritten)
	if err != nil {
		t.Fatal(err)
	}
	if q.Salt == p.Salt || q.Commitment() == p.Commitment() {
		t.Fatal("two prescriptions share a salt or commitment")
	}
}

// TestCommitmentHidesContent: nothing the chain sees names the drug or the
// patient, and the commitment depends on the salt.
func TestCommitmentHidesContent(t *testing.T) {
	p := writeTest(t, realisticOrder(), testWritten)
	body := p.Commit().AppendBody(nil)
	for _, s := range []string{"amlodipine", "197361", testID("alice")} {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("commit body holds %q", s)
		}
	}
	q := *p
	q.Salt[0] ^= 1
	if q.Commitment() == p.Commitment() {
		t.Fatal("commitment does not depend on the salt")
	}
	if err := q.VerifySignature(); err != nil {
		t.Fatalf("the salt is not signed, yet changing it broke the signature: %v", err)
	}
}

// TestTamperEveryField: changing any signed field breaks the signature.
func TestTamperEveryField(t *testing.T) {
	other := writeTest(t, func() Order { o := realisticOrder(); o.Quantity = 90; return o }(), testWritten)
	cases := []struct {
		name   string
		tamper func(p *Prescription)
	}{
		{"prescriber", func(p *Prescription) { p.Prescriber = testPub("dr-y") }},
		{"prescriber name", func(p *Prescription) { p.PrescriberName = "Dr. Somebody Else" }},
		{"patient", func(p *Prescription) { p.Patient = testID("mallory") }},
		{"written", func(p *Prescription) { p.Written = p.Written.Add(-24 * time.Hour) }},
		{"dispenses", func(p *Prescription) { p.Dispenses = 12 }},
		{"expiry", func(p *Prescription) { p.Expiry = p.Expiry.AddDate(1, 0, 0) }},
		{"quantity (request of another prescription)", func(p *Prescription) { p.Request = other.Request }},
		{"dose in the request", func(p *Prescription) {
			p.Request = bytes.Replace(p.Request, []byte(`"Take 1 tablet`), []byte(`"Take 3 tablets`), 1)
		}},
		{"medication code", func(p *Prescription) {
			p.Request = bytes.Replace(p.Request, []byte(`"197361"`), []byte(`"1049221"`), 1)
		}},
		{"signature", func(p *Prescription) { p.Signature[10] ^= 0x40 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTest(t, realisticOrder(), testWritten)
			orig := p.Commitment()
			tc.tamper(p)
			if err := p.VerifySignature(); !errors.Is(err, ErrAltered) {
				t.Fatalf("VerifySignature = %v, want ErrAltered", err)
			}
			if p.Commitment() == orig {
				t.Fatal("the commitment did not change")
			}
			// The same through the handover text: it still decodes, and
			// still fails.
			q, err := Decode(p.Encode())
			if err != nil {
				t.Fatalf("tampered text does not decode: %v", err)
			}
			if err := q.VerifySignature(); !errors.Is(err, ErrAltered) {
				t.Fatalf("after a round trip: %v, want ErrAltered", err)
			}
		})
	}
}

// TestSignedContradiction: a prescriber who signs fields that contradict the
// MedicationRequest (the chain would allow more dispenses than the request
// says) gets ErrMalformed, not a pass.
func TestSignedContradiction(t *testing.T) {
	p := writeTest(t, realisticOrder(), testWritten)
	p.Dispenses = 12
	msg, err := p.signedMessage()
	if err != nil {
		t.Fatal(err)
	}
	copy(p.Signature[:], ed25519.Sign(testKey("dr-x"), msg))
	if err := p.VerifySignature(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("VerifySignature = %v, want ErrMalformed", err)
	}
}

func TestOrderCheck(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name   string
		change func(o *Order)
		want   string // in the error; "" for valid
	}{
		{"realistic", func(o *Order) {}, ""},
		{"local code system", func(o *Order) { o.Medication.System = "urn:oid:2.16.840.1.113883.2.4.4.10" }, ""},
		{"no refills, no note, no display", func(o *Order) { o.Refills, o.Note, o.Medication.Display = 0, "", "" }, ""},
		{"eleven refills", func(o *Order) { o.Refills = 11 }, ""},
		{"multiline note", func(o *Order) { o.Note = "line one\nline two" }, ""},
		{"fractional quantity", func(o *Order) { o.Quantity, o.Unit = 2.5, "mL" }, ""},
		{"empty code", func(o *Order) { o.Medication.Code = "" }, "medication code is empty"},
		{"code with a space", func(o *Order) { o.Medication.Code = "19 7361" }, "white space"},
		{"no system", func(o *Order) { o.Medication.System = "" }, "system is empty"},
		{"relative system", func(o *Order) { o.Medication.System = "rxnorm" }, "absolute URI"},
		{"zero quantity", func(o *Order) { o.Quantity = 0 }, "quantity"},
		{"negative quantity", func(o *Order) { o.Quantity = -30 }, "quantity"},
		{"NaN quantity", func(o *Order) { o.Quantity = math.NaN() }, "quantity"},
		{"infinite quantity", func(o *Order) { o.Quantity = math.Inf(1) }, "quantity"},
		{"huge quantity", func(o *Order) { o.Quantity = MaxQuantity * 2 }, "quantity"},
		{"no unit", func(o *Order) { o.Unit = "" }, "unit is empty"},
		{"negative refills", func(o *Order) { o.Refills = -1 }, "refills"},
		{"twelve refills", func(o *Order) { o.Refills = 12 }, "refills"},
		{"no dosage", func(o *Order) { o.Dosage = "" }, "dosage instruction is empty"},
		{"no validity", func(o *Order) { o.ValidUntil = time.Time{} }, "no last day"},
		{"validity past year 9999", func(o *Order) { o.ValidUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "out of range"},
		{"long code", func(o *Order) { o.Medication.Code = long(MaxCodeLen + 1) }, "medication code is"},
		{"long system", func(o *Order) { o.Medication.System = "urn:" + long(MaxSystemLen) }, "system is"},
		{"long display", func(o *Order) { o.Medication.Display = long(MaxDisplayLen + 1) }, "medication name is"},
		{"long dosage", func(o *Order) { o.Dosage = long(MaxDosageLen + 1) }, "dosage instruction is"},
		{"long unit", func(o *Order) { o.Unit = long(MaxUnitLen + 1) }, "unit is"},
		{"long note", func(o *Order) { o.Note = long(MaxNoteLen + 1) }, "note is"},
		{"padded dosage", func(o *Order) { o.Dosage = " 1 tablet" }, "white space"},
		{"control character", func(o *Order) { o.Medication.Display = "amlo\x00dipine" }, "control character"},
		{"newline in unit", func(o *Order) { o.Unit = "tab\nlet" }, "control character"},
		{"invalid UTF-8", func(o *Order) { o.Note = "\xff" }, "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := realisticOrder()
			tc.change(&o)
			err := o.Check()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				p := writeTest(t, o, testWritten)
				back, err := p.Order()
				if err != nil || back != o {
					t.Fatalf("read back %+v, %v; want %+v", back, err, o)
				}
				return
			}
			if !errors.Is(err, ErrInvalidOrder) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want ErrInvalidOrder saying %q", err, tc.want)
			}
			if _, err := Write(o, testKey("dr-x"), "Dr. X", testID("alice"), testWritten); !errors.Is(err, ErrInvalidOrder) {
				t.Fatalf("Write = %v, want ErrInvalidOrder", err)
			}
		})
	}
}

func TestOrderCheckAt(t *testing.T) {
	o := realisticOrder()
	for _, tc := range []struct {
		written time.Time
		ok      bool
	}{
		{testWritten, true},
		{o.ValidUntil.Add(-time.Second), true},
		{o.ValidUntil.Add(-time.Millisecond), true}, // the signed times are whole seconds
		{o.ValidUntil, false},
		{o.ValidUntil.Add(999 * time.Millisecond), false},
		{o.ValidUntil.AddDate(0, 0, 1), false},
	} {
		if err := o.CheckAt(tc.written); (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalidOrder) {
			t.Errorf("CheckAt(%s) = %v, want ok %v", tc.written, err, tc.ok)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	o := realisticOrder()
	cases := []struct {
		name    string
		key     ed25519.PrivateKey
		pname   string
		patient string
		now     time.Time
		want    string
	}{
		{"expired on writing", testKey("dr-x"), "Dr. X", testID("alice"), o.ValidUntil, "not after the time of writing"},
		{"valid until in the same second", testKey("dr-x"), "Dr. X", testID("alice"), o.ValidUntil.Add(900 * time.Millisecond), "not after"},
		{"valid until in the past", testKey("dr-x"), "Dr. X", testID("alice"), o.ValidUntil.Add(time.Hour), "not after"},
		{"no name", testKey("dr-x"), "", testID("alice"), testWritten, "prescriber name is empty"},
		{"long name", testKey("dr-x"), strings.Repeat("n", MaxNameLen+1), testID("alice"), testWritten, "prescriber name is"},
		{"bad patient ID", testKey("dr-x"), "Dr. X", "hw1notanid", testWritten, "patient"},
		{"no key", nil, "Dr. X", testID("alice"), testWritten, "prescriber key"},
		{"before 1970", testKey("dr-x"), "Dr. X", testID("alice"), time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Write(o, tc.key, tc.pname, tc.patient, tc.now)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestPatientIDCanonical: an ID typed with upper case and dashes is written
// in its canonical form, so the signed patient is the one the wallet shows.
func TestPatientIDCanonical(t *testing.T) {
	typed := strings.ToUpper(testID("alice"))
	p, err := Write(realisticOrder(), testKey("dr-x"), "Dr. X", "  "+typed[:10]+"-"+typed[10:]+" ", testWritten)
	if err != nil {
		t.Fatal(err)
	}
	if p.Patient != testID("alice") {
		t.Fatalf("patient %q, want %q", p.Patient, testID("alice"))
	}
	var zero chain.PublicKey
	if p.Prescriber == zero {
		t.Fatal("no prescriber key")
	}
}
