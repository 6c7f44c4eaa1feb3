package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// Canonical returns a canonical form of a JSON value (normally a resource)
// for de-duplication: the same content gives the same bytes whatever the key
// order and whitespace. Object keys are sorted (by their UTF-8 bytes),
// insignificant whitespace is removed, strings are re-escaped the way
// encoding/json does without HTML escaping, and numbers keep their literal
// text, so 1.50 and 1.5 differ (in FHIR they are different decimals).
//
// It fails with an error wrapping ErrInvalidJSON for malformed or non-UTF-8
// input or trailing data, and ErrLimit beyond MaxDepth.
func Canonical(resourceJSON []byte) ([]byte, error) {
	if !utf8.Valid(resourceJSON) {
		return nil, errorf(ErrInvalidJSON, "the text is not UTF-8")
	}
	if !depthWithin(resourceJSON, MaxDepth) {
		return nil, errorf(ErrLimit, "the JSON is nested more than %d levels deep", MaxDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(resourceJSON))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errorf(ErrInvalidJSON, "there is no JSON value")
		}
		return nil, errorf(ErrInvalidJSON, "not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(ErrInvalidJSON, "not valid JSON: there is more after the first value")
	}
	var buf bytes.Buffer
	buf.Grow(len(resourceJSON))
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps are written with sorted keys
		return nil, errorf(ErrInvalidJSON, "the JSON could not be re-encoded: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
