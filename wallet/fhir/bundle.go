package fhir

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// BundleWriter streams a FHIR R4 Bundle of type "collection":
//
//	{"resourceType":"Bundle","type":"collection","timestamp":"…",
//	 "entry":[{"fullUrl":"…","resource":{…}},…]}
//
// Each resource is written as its JSON (compacted), so Parse of the output
// returns byte-identical resources. Output is buffered: call Close to
// finish the Bundle and flush it. A BundleWriter is not safe for concurrent
// use. After a write error every later call returns that error.
//
// fullUrl: "urn:uuid:<id>" when the id is a UUID; otherwise "<Type>/<id>"
// for a valid FHIR id; otherwise (no id, an id FHIR does not allow, or a
// fullUrl already used in this Bundle, which FHIR forbids) "urn:uuid:" of a
// new random UUID. Note that FHIR describes fullUrl as an absolute URI; the
// relative "<Type>/<id>" form is what this wallet writes when it has no
// server base and the id is not a UUID.
type BundleWriter struct {
	w       *bufio.Writer
	entries int
	used    map[string]struct{}
	err     error
	closed  bool
	buf     bytes.Buffer
}

// NewBundleWriter starts a collection Bundle on w. timestamp becomes
// Bundle.timestamp (omitted when zero). Close does not close w.
func NewBundleWriter(w io.Writer, timestamp time.Time) (*BundleWriter, error) {
	if w == nil {
		return nil, errors.New("fhir: NewBundleWriter: nil writer")
	}
	b := &BundleWriter{w: bufio.NewWriterSize(w, 64<<10), used: make(map[string]struct{})}
	b.write(`{"resourceType":"Bundle","type":"collection"`)
	if !timestamp.IsZero() {
		ts, err := instant(timestamp)
		if err != nil {
			return nil, fmt.Errorf("fhir: NewBundleWriter: %w", err)
		}
		b.write(`,"timestamp":"` + ts + `"`)
	}
	if b.err != nil {
		return nil, b.err
	}
	return b, nil
}

// Add writes one entry. The resource must have a known Type and JSON that
// is a valid object whose resourceType and id match Type and ID.
func (b *BundleWriter) Add(r Resource) error {
	if b.err != nil {
		return b.err
	}
	if b.closed {
		return errors.New("fhir: BundleWriter.Add after Close")
	}
	b.buf.Reset()
	if err := json.Compact(&b.buf, r.JSON); err != nil {
		return fmt.Errorf("fhir: BundleWriter.Add: the %s's JSON is not valid: %w", r.Type, err)
	}
	body := b.buf.Bytes()
	if len(body) == 0 || body[0] != '{' {
		return fmt.Errorf("fhir: BundleWriter.Add: the %s's JSON is not an object", r.Type)
	}
	if !depthWithin(body, MaxDepth) {
		return fmt.Errorf("fhir: BundleWriter.Add: the %s's JSON is nested more than %d levels deep", r.Type, MaxDepth)
	}
	h, err := readHeader(body)
	if err != nil {
		return fmt.Errorf("fhir: BundleWriter.Add: %w", err)
	}
	if h.typ != r.Type || h.id != r.ID {
		return fmt.Errorf("fhir: BundleWriter.Add: Resource{Type: %q, ID: %q} does not match its JSON (%q, id %q)", r.Type, r.ID, h.typ, h.id)
	}
	fullURL := b.fullURL(r)
	urlJSON, _ := json.Marshal(fullURL) // a plain ASCII string; cannot fail
	if b.entries == 0 {
		b.write(`,"entry":[`)
	} else {
		b.write(",")
	}
	b.write(`{"fullUrl":`)
	b.writeBytes(urlJSON)
	b.write(`,"resource":`)
	b.writeBytes(body)
	b.write("}")
	b.entries++
	return b.err
}

// Close ends the Bundle and flushes it to the underlying writer. A Bundle
// without entries has no "entry" element (FHIR forbids empty arrays).
func (b *BundleWriter) Close() error {
	if b.closed {
		return b.err
	}
	b.closed = true
	if b.err != nil {
		return b.err
	}
	if b.entries > 0 {
		b.write("]")
	}
	b.write("}\n")
	if b.err == nil {
		if err := b.w.Flush(); err != nil {
			b.err = err
		}
	}
	return b.err
}

func (b *BundleWriter) fullURL(r Resource) string {
	var u string
	switch {
	case isUUID(r.ID):
		u = "urn:uuid:" + strings.ToLower(r.ID)
	case isFHIRID(r.ID):
		u = r.Type + "/" + r.ID
	}
	if _, dup := b.used[u]; u == "" || dup {
		u = "urn:uuid:" + newUUID()
	}
	b.used[u] = struct{}{}
	return u
}

func (b *BundleWriter) write(s string) {
	if b.err == nil {
		_, b.err = b.w.WriteString(s)
	}
}

func (b *BundleWriter) writeBytes(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
}

// isUUID reports whether s is a UUID in the 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// isFHIRID reports whether s matches FHIR's id type: [A-Za-z0-9\-\.]{1,64}.
func isFHIRID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// instant formats t as a FHIR instant (seconds required, zone required).
func instant(t time.Time) (string, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("the time %v is outside the years FHIR can represent", t)
	}
	if _, off := t.Zone(); off%60 != 0 {
		t = t.UTC() // FHIR offsets have no seconds
	}
	return t.Format(time.RFC3339Nano), nil
}
