package gs1

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrMalformed: the input is not a GS1 element string this package can
	// read, or a value breaks its AI's format.
	ErrMalformed = errors.New("malformed GS1 element string")
	// ErrCheckDigit: a GTIN's check digit does not match its digits.
	ErrCheckDigit = errors.New("GS1 check digit mismatch")
	// ErrMissing: one of AIs 01, 21, 10, 17 is absent.
	ErrMissing = errors.New("GS1 element missing")
)

// Pack identifies one medicine pack as the EU FMD and US DSCSA do.
type Pack struct {
	GTIN   string // AI 01: 14 digits, check digit valid
	Serial string // AI 21: 1..20 characters of GS1 set 82
	Lot    string // AI 10: 1..20 characters of GS1 set 82
	Expiry string // AI 17: YYMMDD as scanned; DD may be 00

	// ExpiryDate is Expiry resolved: the last instant of that day in UTC, DD 00
	// meaning the last day of the month, the century chosen by the GS1 General
	// Specifications' sliding window (section 7.12).
	ExpiryDate time.Time
}

// ElementString returns the human-readable form
// "(01)GTIN(17)YYMMDD(10)LOT(21)SERIAL". A "(" inside the lot or serial is
// written "\(" so that the string parses back unambiguously, as the GS1
// Barcode Syntax Engine does.
func (p Pack) ElementString() string {
	var b strings.Builder
	b.Grow(4*4 + len(p.GTIN) + len(p.Expiry) + len(p.Lot) + len(p.Serial) + 4)
	b.WriteString("(01)")
	b.WriteString(p.GTIN)
	b.WriteString("(17)")
	b.WriteString(p.Expiry)
	b.WriteString("(10)")
	writeHRIValue(&b, p.Lot)
	b.WriteString("(21)")
	writeHRIValue(&b, p.Serial)
	return b.String()
}

func writeHRIValue(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		if v[i] == '(' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
}

// set82 marks the GS1 AI encodable character set 82 (GS1 General
// Specifications, figure 7.11-1): ! " % & ' ( ) * + , - . / 0-9 : ; < = > ?
// A-Z _ a-z.
var set82 = func() (t [256]bool) {
	for _, c := range "!\"%&'()*+,-./:;<=>?_" {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	return t
}()

// checkSet82 checks a lot or serial: 1..max characters of set 82.
func checkSet82(ai, v string, max int) error {
	if v == "" || len(v) > max {
		return fmt.Errorf("AI (%s) %q: length %d, want 1..%d: %w", ai, v, len(v), max, ErrMalformed)
	}
	for i := 0; i < len(v); i++ {
		if !set82[v[i]] {
			return fmt.Errorf("AI (%s) %q: byte %d (%q) is not in GS1 character set 82: %w", ai, v, i, v[i], ErrMalformed)
		}
	}
	return nil
}

// ResolveExpiry turns a YYMMDD date of AI 17 into the last instant of that
// day in UTC. DD 00 means the last day of the month. The century follows the
// sliding window of the GS1 General Specifications (7.12): with YY minus the
// current year's last two digits, 51..99 is the previous century, -99..-50
// the next one, anything else the current one.
func ResolveExpiry(yymmdd string, now time.Time) (time.Time, error) {
	if len(yymmdd) != 6 || !allDigits(yymmdd) {
		return time.Time{}, fmt.Errorf("AI (17) %q: want 6 digits YYMMDD: %w", yymmdd, ErrMalformed)
	}
	yy := int(yymmdd[0]-'0')*10 + int(yymmdd[1]-'0')
	mm := int(yymmdd[2]-'0')*10 + int(yymmdd[3]-'0')
	dd := int(yymmdd[4]-'0')*10 + int(yymmdd[5]-'0')
	if mm < 1 || mm > 12 {
		return time.Time{}, fmt.Errorf("AI (17) %q: month %02d: %w", yymmdd, mm, ErrMalformed)
	}
	cur := now.UTC().Year()
	century := cur - cur%100
	switch diff := yy - cur%100; {
	case diff >= 51:
		century -= 100
	case diff <= -50:
		century += 100
	}
	year := century + yy
	last := time.Date(year, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if dd == 0 {
		dd = last
	}
	if dd > last {
		return time.Time{}, fmt.Errorf("AI (17) %q: day %02d, month %02d of %d has %d: %w", yymmdd, dd, mm, year, last, ErrMalformed)
	}
	return time.Date(year, time.Month(mm), dd+1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The AIs a Pack is made of, as indexes into fields.
const (
	fGTIN = iota
	fExpiry
	fLot
	fSerial
	nFields
)

var fieldAI = [nFields]string{"01", "17", "10", "21"}

// fields collects the four AIs of a Pack while parsing, remembering where each
// was found so errors can say where.
type fields struct {
	val [nFields]string
	at  [nFields]int
	set [nFields]bool
}

// put records AI f found at offset at; a repeat with a different value is
// refused, an identical repeat tolerated (some labels carry both forms).
func (fs *fields) put(f int, v string, at int) error {
	if fs.set[f] {
		if fs.val[f] != v {
			return fmt.Errorf("gs1: at byte %d: AI (%s) %q repeats (%q at byte %d) with a different value: %w",
				at, fieldAI[f], v, fs.val[f], fs.at[f], ErrMalformed)
		}
		return nil
	}
	fs.val[f], fs.at[f], fs.set[f] = v, at, true
	return nil
}

// pack validates the collected fields into a Pack.
func (fs *fields) pack(now time.Time) (Pack, error) {
	for f := 0; f < nFields; f++ {
		if !fs.set[f] {
			return Pack{}, fmt.Errorf("gs1: AI (%s) absent: %w", fieldAI[f], ErrMissing)
		}
	}
	if err := ValidGTIN(fs.val[fGTIN]); err != nil {
		return Pack{}, fmt.Errorf("AI (01) at byte %d: %w", fs.at[fGTIN], err)
	}
	if err := checkSet82("10", fs.val[fLot], maxLotLen); err != nil {
		return Pack{}, fmt.Errorf("gs1: at byte %d: %w", fs.at[fLot], err)
	}
	if err := checkSet82("21", fs.val[fSerial], maxSerialLen); err != nil {
		return Pack{}, fmt.Errorf("gs1: at byte %d: %w", fs.at[fSerial], err)
	}
	exp, err := ResolveExpiry(fs.val[fExpiry], now)
	if err != nil {
		return Pack{}, fmt.Errorf("gs1: at byte %d: %w", fs.at[fExpiry], err)
	}
	return Pack{
		GTIN:       fs.val[fGTIN],
		Serial:     fs.val[fSerial],
		Lot:        fs.val[fLot],
		Expiry:     fs.val[fExpiry],
		ExpiryDate: exp,
	}, nil
}
