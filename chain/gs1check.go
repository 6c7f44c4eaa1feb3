package chain

import "fmt"

// GS1 identifiers as the supply-chain bodies carry them. The chain checks
// only what every node can check alone: digits, lengths, check digits, the
// character set and calendar dates. Parsing what a scanner types is the
// wallet's (wallet/gs1); this package does not import it, so the rules
// that decide what enters the chain live next to the formats they guard.

const (
	// GTINLen is the length of a GTIN as the chain holds it: GTIN-14 (a
	// GTIN-8, -12 or -13 is padded with leading zeros, as in AI 01).
	GTINLen = 14
	// GLNLen is the length of a Global Location Number.
	GLNLen = 13
	// ExpiryLen is the length of an expiry date, YYMMDD (AI 17).
	ExpiryLen = 6
)

// gs1CheckDigit returns the GS1 mod-10 check digit (as an ASCII digit) for
// data, the digits before it: from the right, weights 3, 1, 3, ... and the
// digit that brings the sum to a multiple of ten. data must be digits.
func gs1CheckDigit(data string) byte {
	sum := 0
	for i := 0; i < len(data); i++ {
		d := int(data[len(data)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// checkGS1Key checks a fixed-length GS1 key (GTIN, GLN): exactly n ASCII
// digits, the last the mod-10 check digit of the others.
func checkGS1Key(field, s string, n int) error {
	if len(s) != n {
		return fmt.Errorf("%s %q: %d characters, want %d digits: %w", field, s, len(s), n, ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%s %q: non-digit at position %d: %w", field, s, i+1, ErrInvalid)
		}
	}
	if want := gs1CheckDigit(s[:n-1]); s[n-1] != want {
		return fmt.Errorf("%s %q: check digit %c, want %c: %w", field, s, s[n-1], want, ErrInvalid)
	}
	return nil
}

// checkGTIN checks a GTIN-14.
func checkGTIN(gtin string) error { return checkGS1Key("GTIN", gtin, GTINLen) }

// checkGLN checks a Global Location Number.
func checkGLN(gln string) error { return checkGS1Key("GLN", gln, GLNLen) }

// inSet82 reports whether c is in the GS1 AI encodable character set 82
// (GS1 General Specifications, figure 7.11-1): the characters allowed in a
// lot (AI 10) or serial number (AI 21).
func inSet82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	switch c {
	case '!', '"', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '?', '_':
		return true
	}
	return false
}

// checkSet82 checks a lot or serial number: 1..MaxGS1FieldLen characters of
// set 82.
func checkSet82(field, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty: %w", field, ErrInvalid)
	}
	if len(s) > MaxGS1FieldLen {
		return fmt.Errorf("%s %q: %d characters, limit %d: %w", field, s, len(s), MaxGS1FieldLen, ErrTooLarge)
	}
	for i := 0; i < len(s); i++ {
		if !inSet82(s[i]) {
			return fmt.Errorf("%s %q: character 0x%02x at position %d is not in GS1 character set 82: %w", field, s, s[i], i+1, ErrInvalid)
		}
	}
	return nil
}

// checkExpiry checks an expiry date as AI 17 holds it: YYMMDD, a real
// month, and a day that exists in it or 00 ("the end of that month"). The
// century is not on the chain; February 29 is accepted when YY is divisible
// by four, which is right for every year GS1's sliding window (General
// Specifications 7.12) can give until about 2050, when 2100 (not a leap
// year) enters it.
func checkExpiry(s string) error {
	if len(s) != ExpiryLen {
		return fmt.Errorf("expiry %q: %d characters, want YYMMDD: %w", s, len(s), ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("expiry %q: non-digit at position %d: %w", s, i+1, ErrInvalid)
		}
	}
	yy := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[2]-'0')*10 + int(s[3]-'0')
	dd := int(s[4]-'0')*10 + int(s[5]-'0')
	if mm < 1 || mm > 12 {
		return fmt.Errorf("expiry %q: month %02d: %w", s, mm, ErrInvalid)
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mm-1]
	if mm == 2 && yy%4 == 0 {
		days = 29
	}
	if dd > days {
		return fmt.Errorf("expiry %q: day %02d of a month of %d days: %w", s, dd, days, ErrInvalid)
	}
	return nil
}

// checkSerials checks a list of serial numbers: at most MaxShipmentSerials,
// each valid, strictly increasing bytewise (so no serial twice, and one
// encoding per set).
func checkSerials(serials []string) error {
	if len(serials) > MaxShipmentSerials {
		return fmt.Errorf("%d serials, limit %d: %w", len(serials), MaxShipmentSerials, ErrTooLarge)
	}
	for i, s := range serials {
		if err := checkSet82(fmt.Sprintf("serial %d", i), s); err != nil {
			return err
		}
		if i > 0 && s <= serials[i-1] {
			return fmt.Errorf("serial %d %q not after serial %d %q (sorted, no duplicates): %w", i, s, i-1, serials[i-1], ErrNonCanonical)
		}
	}
	return nil
}

// appendSerials and decodeSerials are the wire form of a serial list:
// uvarint count, then each as text.
func appendSerials(e *Encoder, serials []string) {
	e.Uvarint(uint64(len(serials)))
	for _, s := range serials {
		e.Text(s)
	}
}

func decodeSerials(d *Decoder) []string {
	n := d.Len("serials: count", MaxShipmentSerials)
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		out = append(out, d.Text("serial", MaxGS1FieldLen))
	}
	return out
}
