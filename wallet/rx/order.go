package rx

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// RxNorm is the code system of US clinical drugs (a Coding.System).
const RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm"

// Coding names a medication in a code system: RxNorm, or a local formulary
// identified by any other absolute URI.
type Coding struct {
	System  string // absolute URI, e.g. RxNorm
	Code    string // e.g. "197361" (RxNorm RXCUI); no white space
	Display string // optional, e.g. "amlodipine 5 MG Oral Tablet"
}

// Order is what a prescriber decides: the medication, how to take it, how much
// per dispense, how many refills and until when.
type Order struct {
	Medication Coding
	Dosage     string    // instruction text, e.g. "1 tablet by mouth once daily"
	Quantity   float64   // per dispense, > 0
	Unit       string    // "tablet", "mL", ...
	Refills    int       // 0..MaxRefills; dispenses allowed = 1 + Refills
	ValidUntil time.Time // last moment it may be dispensed (whole seconds count)
	Note       string    // optional, to the pharmacist
}

// Dispenses is how many times the order may be dispensed: the first time
// and each refill.
func (o Order) Dispenses() uint8 { return uint8(1 + o.Refills) }

// CheckAt is Check, and that ValidUntil is after written (both in whole
// seconds, as they are signed): what Write checks of an order.
func (o Order) CheckAt(written time.Time) error {
	if err := o.Check(); err != nil {
		return err
	}
	if w, u := written.Unix(), o.ValidUntil.Unix(); u <= w {
		return invalid("valid until %s is not after the time of writing %s", fhirTime(time.Unix(u, 0)), fhirTime(time.Unix(w, 0)))
	}
	return nil
}

// Check reports the first thing wrong with o, wrapping ErrInvalidOrder and
// naming the field. It checks o on its own; CheckAt also checks that
// ValidUntil is after the time of writing.
func (o Order) Check() error {
	if err := checkURI("medication code system", o.Medication.System, MaxSystemLen); err != nil {
		return err
	}
	if o.Medication.Code == "" {
		return invalid("medication code is empty")
	}
	if err := checkToken("medication code", o.Medication.Code, MaxCodeLen); err != nil {
		return err
	}
	if err := checkText("medication name", o.Medication.Display, MaxDisplayLen, false); err != nil {
		return err
	}
	if o.Dosage == "" {
		return invalid("dosage instruction is empty")
	}
	if err := checkText("dosage instruction", o.Dosage, MaxDosageLen, true); err != nil {
		return err
	}
	if math.IsNaN(o.Quantity) || o.Quantity <= 0 || o.Quantity > MaxQuantity {
		return invalid("quantity %v is not in (0, %v]", o.Quantity, MaxQuantity)
	}
	if o.Unit == "" {
		return invalid("quantity unit is empty")
	}
	if err := checkText("quantity unit", o.Unit, MaxUnitLen, false); err != nil {
		return err
	}
	if o.Refills < 0 || o.Refills > MaxRefills {
		return invalid("%d refills, want 0..%d", o.Refills, MaxRefills)
	}
	if o.ValidUntil.IsZero() {
		return invalid("no last day of validity")
	}
	if u := o.ValidUntil.Unix(); u <= 0 || u > maxUnix {
		return invalid("valid until %s is out of range", o.ValidUntil.UTC().Format(time.RFC3339))
	}
	return checkText("note", o.Note, MaxNoteLen, true)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalidOrder)
}

// checkText checks a free-text field: valid UTF-8 within max bytes, no
// leading or trailing white space (FHIR strings may not have it), and no
// control characters other than line breaks and tabs where multiline is
// allowed. An empty string passes; callers check required fields.
func checkText(field, s string, max int, multiline bool) error {
	if len(s) > max {
		return invalid("%s is %d bytes, at most %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	if strings.TrimSpace(s) != s {
		return invalid("%s %q has leading or trailing white space", field, s)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return invalid("%s contains the control character %U", field, r)
		}
	}
	return nil
}

// checkToken checks a FHIR code: printable, no white space at all.
func checkToken(field, s string, max int) error {
	if err := checkText(field, s, max, false); err != nil {
		return err
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return invalid("%s %q contains white space", field, s)
	}
	return nil
}

// checkURI checks a code system: an absolute URI without white space.
func checkURI(field, s string, max int) error {
	if s == "" {
		return invalid("%s is empty", field)
	}
	if err := checkToken(field, s, max); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return invalid("%s %q is not an absolute URI", field, s)
	}
	return nil
}
