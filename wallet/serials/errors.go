package serials

import "errors"

// Reasons a list is refused, for callers to branch on with errors.Is.
var (
	// ErrMalformed: the encoding is not a version 1 list, is not canonical,
	// exceeds a bound, or holds a field New would refuse.
	ErrMalformed = errors.New("serials: malformed list")
	// ErrBadSignature: the list decodes but its signature does not verify
	// under the manufacturer key in it.
	ErrBadSignature = errors.New("serials: bad signature")
	// ErrInvalid: New was given a GTIN, lot, expiry or serial that breaks
	// the GS1 rules, no serials, or too many.
	ErrInvalid = errors.New("serials: invalid field")
	// ErrDuplicate: New was given the same serial twice.
	ErrDuplicate = errors.New("serials: duplicate serial")
)
