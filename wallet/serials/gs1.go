package serials

import (
	"fmt"
	"time"
)

// The GS1 rules for the fields of a list, from the GS1 General
// Specifications. wallet/gs1 parses scans; this is the subset a list needs,
// kept here so that the format does not depend on the scanner's parser.

const (
	// MaxSerialLen is the longest serial (AI 21) and lot (AI 10).
	MaxSerialLen = 20
	gtinLen      = 14
	expiryLen    = 6
)

// set82 marks the bytes of GS1 AI encodable character set 82 (General
// Specifications figure 7.11-1): digits, letters and
// !"%&'()*+,-./:;<=>?_ — no space, no # $ @ [ \ ] ^ ` { | } ~.
var set82 = func() (t [256]bool) {
	for _, c := range []byte("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz") {
		t[c] = true
	}
	return t
}()

// checkText checks a serial or lot: 1..20 characters of set 82.
func checkText(field, v string) error {
	if len(v) == 0 || len(v) > MaxSerialLen {
		return fmt.Errorf("%s %q: %d characters, want 1..%d: %w", field, v, len(v), MaxSerialLen, ErrInvalid)
	}
	for i := 0; i < len(v); i++ {
		if !set82[v[i]] {
			return fmt.Errorf("%s %q: byte 0x%02x at %d is not in GS1 character set 82: %w", field, v, v[i], i, ErrInvalid)
		}
	}
	return nil
}

// checkGTIN checks a GTIN-14 and its mod-10 check digit.
func checkGTIN(gtin string) error {
	if len(gtin) != gtinLen {
		return fmt.Errorf("GTIN %q: %d characters, want %d digits: %w", gtin, len(gtin), gtinLen, ErrInvalid)
	}
	sum := 0
	for i := 0; i < gtinLen; i++ {
		c := gtin[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("GTIN %q: %q at %d is not a digit: %w", gtin, c, i, ErrInvalid)
		}
		if i == gtinLen-1 {
			break
		}
		// Weights 3 and 1 alternate from the digit left of the check digit.
		w := 1
		if (gtinLen-1-i)%2 == 1 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	if want := byte('0' + (10-sum%10)%10); gtin[gtinLen-1] != want {
		return fmt.Errorf("GTIN %q: check digit %c, want %c: %w", gtin, gtin[gtinLen-1], want, ErrInvalid)
	}
	return nil
}

// checkExpiry checks an AI 17 date YYMMDD; DD 00 stands for the month's end.
// The century is not in the field; leap years are those of 2000..2099,
// which the GS1 sliding window gives for any date scanned this century.
func checkExpiry(v string) error {
	if len(v) != expiryLen {
		return fmt.Errorf("expiry %q: want YYMMDD: %w", v, ErrInvalid)
	}
	var n [3]int
	for i := 0; i < expiryLen; i++ {
		if v[i] < '0' || v[i] > '9' {
			return fmt.Errorf("expiry %q: want YYMMDD: %w", v, ErrInvalid)
		}
		n[i/2] = n[i/2]*10 + int(v[i]-'0')
	}
	yy, mm, dd := n[0], n[1], n[2]
	if mm < 1 || mm > 12 {
		return fmt.Errorf("expiry %q: month %02d: %w", v, mm, ErrInvalid)
	}
	days := time.Date(2000+yy, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if dd > days {
		return fmt.Errorf("expiry %q: day %02d, the month has %d: %w", v, dd, days, ErrInvalid)
	}
	return nil
}
