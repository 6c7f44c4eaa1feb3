package fhir

import (
	"strconv"
	"time"
)

// ParseDate parses a FHIR date, dateTime or instant in any of its
// precisions: "2019", "2019-07", "2019-07-14", "2019-07-14T10:31:00Z",
// "2019-07-14T10:31:00.123+02:00". Partial dates are the first instant of
// the period, in UTC. A time without a zone (not valid FHIR, but seen in
// the wild) is taken as UTC, and so is a time without seconds. ok is false
// for anything else.
func ParseDate(s string) (t time.Time, ok bool) {
	if len(s) < 4 || len(s) > 64 {
		return time.Time{}, false
	}
	switch len(s) {
	case 4, 7, 10:
		return parsePartialDate(s)
	}
	if len(s) < 16 || s[10] != 'T' {
		return time.Time{}, false
	}
	for _, layout := range [...]string{
		"2006-01-02T15:04:05Z07:00", // fractional seconds are accepted too
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parsePartialDate(s string) (time.Time, bool) {
	digits := func(p string) (int, bool) {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.Atoi(p)
		return n, err == nil
	}
	y, ok := digits(s[:4])
	if !ok || y == 0 {
		return time.Time{}, false
	}
	m, d := 1, 1
	if len(s) >= 7 {
		if s[4] != '-' {
			return time.Time{}, false
		}
		if m, ok = digits(s[5:7]); !ok || m < 1 || m > 12 {
			return time.Time{}, false
		}
	}
	if len(s) == 10 {
		if s[7] != '-' {
			return time.Time{}, false
		}
		if d, ok = digits(s[8:10]); !ok || d < 1 || d > daysIn(y, time.Month(m)) {
			return time.Time{}, false
		}
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
