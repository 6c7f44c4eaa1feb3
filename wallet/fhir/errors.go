package fhir

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error from Parse is a *ParseError whose Err wraps
// exactly one of these; test with errors.Is.
var (
	// ErrInvalidJSON: the bytes are not well-formed UTF-8 JSON.
	ErrInvalidJSON = errors.New("not valid JSON")
	// ErrNotFHIR: well-formed JSON, but not a FHIR resource (not an object, no
	// "resourceType", a non-string "id", a Bundle whose entries are not
	// objects...).
	ErrNotFHIR = errors.New("not a FHIR resource")
	// ErrUnknownResourceType: "resourceType" names no FHIR R4 resource type.
	// The message quotes the name.
	ErrUnknownResourceType = errors.New("unknown FHIR resource type")
	// ErrEmpty: there is nothing to import (an empty or blank file, or a
	// Bundle without entries).
	ErrEmpty = errors.New("nothing to import")
	// ErrNoResource: a Bundle entry carries no resource (e.g. a transaction
	// DELETE, or a batch-response entry without the resource body).
	ErrNoResource = errors.New("the Bundle entry has no resource")
	// ErrLimit: the input exceeds one of the limits in limits.go.
	ErrLimit = errors.New("exceeds a safety limit")
)

// ParseError reports why a file could not be imported. File is the name given
// to Parse; Entry names the part of the file at fault ("line 12" for NDJSON,
// "entry 3" for a Bundle, both counted from 1) and is empty when the problem
// concerns the whole file.
type ParseError struct {
	File  string
	Entry string
	Err   error
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("import %q", e.File)
	if e.Entry != "" {
		s += ": " + e.Entry
	}
	if e.Err == nil {
		return s + ": unknown error"
	}
	return s + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// detailError is a user-facing sentence that unwraps to a sentinel.
type detailError struct {
	msg      string
	sentinel error
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.sentinel }

// errorf returns an error reading like the formatted sentence and wrapping
// sentinel (which the sentence need not mention).
func errorf(sentinel error, format string, args ...any) error {
	return &detailError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}
