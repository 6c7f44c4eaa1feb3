package gs1

import "fmt"

// CheckDigit returns the GS1 mod-10 check digit (as an ASCII digit) for the
// digits that precede it: weights 3 and 1 alternate from the rightmost digit,
// and the check digit brings the weighted sum up to a multiple of ten.
func CheckDigit(digits string) (byte, error) {
	if digits == "" {
		return 0, fmt.Errorf("gs1: check digit of empty string: %w", ErrMalformed)
	}
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("gs1: check digit of %q: byte %d is not a digit: %w", digits, i, ErrMalformed)
		}
		d := int(c - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), nil
}

// ValidGTIN reports whether gtin is a 14-digit GTIN whose last digit is its
// check digit. Shorter GTINs must be padded with leading zeros first.
func ValidGTIN(gtin string) error {
	if len(gtin) != 14 {
		return fmt.Errorf("gs1: GTIN %q: %d digits, want 14: %w", gtin, len(gtin), ErrMalformed)
	}
	if !allDigits(gtin) {
		return fmt.Errorf("gs1: GTIN %q: not all digits: %w", gtin, ErrMalformed)
	}
	want, err := CheckDigit(gtin[:13])
	if err != nil {
		return err
	}
	if gtin[13] != want {
		return fmt.Errorf("gs1: GTIN %q: check digit %c, want %c: %w", gtin, gtin[13], want, ErrCheckDigit)
	}
	return nil
}
