package app

import (
	"strconv"
	"strings"
)

// plural counts with the noun: "1 record", "3 records", "10,000 records";
// with a plural form, "1 allergy", "2 allergies".
func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	noun := one + "s"
	if len(many) > 0 {
		noun = many[0]
	}
	return thousands(n) + " " + noun
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
