package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Resource is one FHIR resource as found in the input.
type Resource struct {
	Type string // resourceType, e.g. "Observation"
	ID   string // the resource's "id", may be ""
	// JSON is the resource compacted (json.Compact of the original bytes):
	// key order, numbers (FHIR decimals keep their precision) and string
	// escapes are exactly as in the input, only insignificant whitespace is
	// removed.
	JSON []byte
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a whole import file: a single FHIR R4 resource, a Bundle of any
// type, or NDJSON (one resource per line; blank lines and a missing final
// newline are fine; CRLF line ends are accepted). For a Bundle it returns
// each entry.resource in order, not the Bundle itself; a Bundle nested as an
// entry or an NDJSON line is returned as a resource and not unpacked.
//
// The whole file is validated before anything is returned: on error the
// result is nil and the error is a *ParseError naming the file and, where it
// applies, the entry ("line 12", "entry 3"), wrapping ErrInvalidJSON,
// ErrNotFHIR, ErrUnknownResourceType, ErrEmpty, ErrNoResource or ErrLimit.
// name is used only in error messages.
func Parse(name string, data []byte) ([]Resource, error) {
	fail := func(entry string, err error) ([]Resource, error) {
		return nil, &ParseError{File: name, Entry: entry, Err: err}
	}
	if int64(len(data)) > MaxFileSize {
		return fail("", errorf(ErrLimit, "the file is larger than the %s import limit", byteSize(MaxFileSize)))
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return fail("", errorf(ErrInvalidJSON, "the file is UTF-16 text; FHIR JSON must be saved as UTF-8"))
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	doc := trimJSONSpace(data)
	if len(doc) == 0 {
		if len(data) == 0 {
			return fail("", errorf(ErrEmpty, "the file is empty"))
		}
		return fail("", errorf(ErrEmpty, "the file contains only blank lines"))
	}

	// Positions in messages are counted in data (after the BOM), so that
	// leading blank lines count.
	notUTF8 := func() ([]Resource, error) {
		line, col := position(data, invalidUTF8Offset(data))
		return fail("", errorf(ErrInvalidJSON, "the file is not UTF-8 text (invalid byte at line %d, column %d)", line, col))
	}
	if json.Valid(doc) {
		if !utf8.Valid(doc) {
			return notUTF8()
		}
		return parseDocument(name, doc)
	}
	if looksLikeNDJSON(doc) {
		return parseNDJSON(name, data)
	}
	// A single document that is not valid JSON: say where, or what it is.
	if ct, ok := DetectAttachment(data); ok {
		return fail("", errorf(ErrInvalidJSON, "the file is %s (%s), not FHIR JSON; it can be imported as an attachment", attachmentKind(ct), ct))
	}
	if !utf8.Valid(data) {
		return notUTF8()
	}
	return fail("", syntaxError(data, true))
}

// parseDocument handles a file that is exactly one valid JSON value.
func parseDocument(name string, doc []byte) ([]Resource, error) {
	fail := func(entry string, err error) ([]Resource, error) {
		return nil, &ParseError{File: name, Entry: entry, Err: err}
	}
	switch doc[0] {
	case '{':
	case '[':
		return fail("", errorf(ErrNotFHIR, "the file is a JSON array, not a FHIR resource; a list of resources must be a Bundle or NDJSON (one resource per line)"))
	default:
		return fail("", errorf(ErrNotFHIR, "the file is a JSON %s, not a FHIR resource", jsonKind(doc[0])))
	}
	r, err := parseResource(doc, true)
	if err != nil {
		return fail("", err)
	}
	if r.Type != "Bundle" {
		return []Resource{r}, nil
	}
	return parseBundle(name, r.JSON)
}

// parseBundle returns the resources of a Bundle's entries. bundle is compact
// and known to be a valid object of at most MaxDepth.
func parseBundle(name string, bundle []byte) ([]Resource, error) {
	fail := func(entry string, err error) ([]Resource, error) {
		return nil, &ParseError{File: name, Entry: entry, Err: err}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(bundle, &top); err != nil {
		return fail("", errorf(ErrNotFHIR, "the Bundle could not be read: %v", err))
	}
	raw, ok := top["entry"]
	if !ok || string(raw) == "null" {
		return fail("", errorf(ErrEmpty, "the Bundle has no entries"))
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return fail("", errorf(ErrNotFHIR, `the Bundle's "entry" is not a list`))
	}
	if len(entries) == 0 {
		return fail("", errorf(ErrEmpty, "the Bundle has no entries"))
	}
	out := make([]Resource, 0, len(entries))
	for i, e := range entries {
		entry := entryName("entry", i+1)
		if len(e) == 0 || e[0] != '{' {
			return fail(entry, errorf(ErrNotFHIR, "the entry is a JSON %s, not an object", jsonKind(firstByte(e))))
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(e, &fields); err != nil {
			return fail(entry, errorf(ErrNotFHIR, "the entry could not be read: %v", err))
		}
		res, ok := fields["resource"]
		if !ok || string(res) == "null" {
			return fail(entry, errorf(ErrNoResource, "the entry has no resource%s; only entries that carry a resource can be imported", describeEntry(fields)))
		}
		if res[0] != '{' {
			return fail(entry, errorf(ErrNotFHIR, `the entry's "resource" is a JSON %s, not a FHIR resource`, jsonKind(res[0])))
		}
		r, err := parseResource(res, false)
		if err != nil {
			return fail(entry, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// describeEntry explains what an entry without a resource is, e.g.
// ` (it is a transaction DELETE of Patient/123)`.
func describeEntry(fields map[string]json.RawMessage) string {
	var req struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	}
	var resp struct {
		Status string `json:"status"`
	}
	if raw, ok := fields["request"]; ok && json.Unmarshal(raw, &req) == nil && req.Method != "" {
		s := " (it is a " + quoteShort(req.Method, 10, false) + " request"
		if req.URL != "" {
			s += " for " + quoteShort(req.URL, 80, false)
		}
		return s + ")"
	}
	if raw, ok := fields["response"]; ok && json.Unmarshal(raw, &resp) == nil && resp.Status != "" {
		return " (it is a response with status " + quoteShort(resp.Status, 40, true) + ")"
	}
	return ""
}

// looksLikeNDJSON decides, for a document that is not one valid JSON value,
// whether it is meant as NDJSON: its first non-blank line is a complete JSON
// value, or its second non-blank line is a complete JSON object (so a broken
// first line is reported as "line 1" and not as a broken document).
func looksLikeNDJSON(doc []byte) bool {
	var lines [][]byte
	for rest := doc; len(rest) > 0 && len(lines) < 2; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if line = trimJSONSpace(line); len(line) > 0 {
			lines = append(lines, line)
		}
	}
	if len(lines) < 2 {
		return false
	}
	return json.Valid(lines[0]) || (lines[1][0] == '{' && json.Valid(lines[1]))
}

// parseNDJSON parses data (the whole file after its BOM) line by line.
func parseNDJSON(name string, data []byte) ([]Resource, error) {
	out := make([]Resource, 0, bytes.Count(data, []byte{'\n'})+1)
	lineNo := 0
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		lineNo++
		line = bytes.TrimRight(line, " \t\r")  // also drops the \r of CRLF
		content := bytes.TrimLeft(line, " \t") // columns still count from the line start
		if len(content) == 0 {
			continue
		}
		entry := entryName("line", lineNo)
		if len(line) > MaxLineLength {
			return nil, &ParseError{File: name, Entry: entry, Err: errorf(ErrLimit, "the line is longer than the %s limit for one resource", byteSize(MaxLineLength))}
		}
		if content[0] != '{' && json.Valid(content) {
			return nil, &ParseError{File: name, Entry: entry, Err: errorf(ErrNotFHIR, "the line is a JSON %s, not a FHIR resource", jsonKind(content[0]))}
		}
		r, err := parseResource(line, false)
		if err != nil {
			return nil, &ParseError{File: name, Entry: entry, Err: err}
		}
		out = append(out, r)
	}
	if len(out) == 0 { // unreachable: doc is not blank
		return nil, &ParseError{File: name, Err: errorf(ErrEmpty, "the file contains only blank lines")}
	}
	return out, nil
}

// parseResource validates one resource's JSON text and returns it compacted.
// multiline selects "line L, column C" (a whole file) over "column C" (one
// NDJSON line) in syntax errors.
func parseResource(raw []byte, multiline bool) (Resource, error) {
	if !utf8.Valid(raw) {
		line, col := position(raw, invalidUTF8Offset(raw))
		if multiline {
			return Resource{}, errorf(ErrInvalidJSON, "the text is not UTF-8 (invalid byte at line %d, column %d)", line, col)
		}
		return Resource{}, errorf(ErrInvalidJSON, "the text is not UTF-8 (invalid byte at column %d)", col)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return Resource{}, syntaxError(raw, multiline)
	}
	compact := buf.Bytes()
	if !depthWithin(compact, MaxDepth) {
		return Resource{}, errorf(ErrLimit, "the JSON is nested more than %d levels deep", MaxDepth)
	}
	if compact[0] != '{' {
		return Resource{}, errorf(ErrNotFHIR, "a JSON %s is not a FHIR resource", jsonKind(compact[0]))
	}
	h, err := readHeader(compact)
	if err != nil {
		return Resource{}, err
	}
	return Resource{Type: h.typ, ID: h.id, JSON: compact}, nil
}

type header struct{ typ, id string }

// readHeader extracts resourceType and id from a compact, valid JSON object,
// matching keys exactly (encoding/json's struct decoding would also accept
// "ResourceType" or "ID").
func readHeader(obj []byte) (header, error) {
	var h header
	var rtRaw, idRaw []byte
	var nRT, nID int
	err := eachMember(obj, func(key, val []byte) {
		switch string(key) {
		case `"resourceType"`:
			rtRaw = val
			nRT++
		case `"id"`:
			idRaw = val
			nID++
		}
	})
	if err != nil {
		return h, err
	}
	switch {
	case nRT == 0:
		return h, errorf(ErrNotFHIR, `the JSON object has no "resourceType", so it is not a FHIR resource`)
	case nRT > 1:
		return h, errorf(ErrNotFHIR, `the resource has more than one "resourceType"`)
	case rtRaw[0] != '"':
		return h, errorf(ErrNotFHIR, `"resourceType" is a JSON %s; it must be a string such as "Observation"`, jsonKind(rtRaw[0]))
	}
	if err := json.Unmarshal(rtRaw, &h.typ); err != nil {
		return h, errorf(ErrNotFHIR, `"resourceType" could not be read: %v`, err)
	}
	if h.typ == "" {
		return h, errorf(ErrNotFHIR, `"resourceType" is empty`)
	}
	if !IsResourceType(h.typ) {
		msg := "unknown FHIR resource type " + quoteShort(h.typ, maxQuotedName, true)
		if s := suggestType(h.typ); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return h, errorf(ErrUnknownResourceType, "%s", msg)
	}
	if nID > 1 {
		return h, errorf(ErrNotFHIR, `the %s has more than one "id"`, h.typ)
	}
	if nID == 1 && string(idRaw) != "null" {
		if idRaw[0] != '"' {
			return h, errorf(ErrNotFHIR, `the %s's "id" is a JSON %s; it must be a string`, h.typ, jsonKind(idRaw[0]))
		}
		if err := json.Unmarshal(idRaw, &h.id); err != nil {
			return h, errorf(ErrNotFHIR, `the %s's "id" could not be read: %v`, h.typ, err)
		}
	}
	return h, nil
}

// eachMember calls fn with the key (as a JSON string literal, quotes
// included, escapes normalised) and the raw value of every member of a
// compact, valid JSON object.
func eachMember(obj []byte, fn func(key, val []byte)) error {
	bad := errorf(ErrInvalidJSON, "the JSON object could not be read")
	if len(obj) < 2 || obj[0] != '{' {
		return bad
	}
	i := 1
	if obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return bad
		}
		kEnd := skipString(obj, i)
		if kEnd < 0 || kEnd >= len(obj) || obj[kEnd] != ':' {
			return bad
		}
		key := obj[i:kEnd]
		if bytes.IndexByte(key, '\\') >= 0 {
			// An escaped key such as "resource\u0054ype": decode it so that
			// it is recognised exactly as encoding/json would.
			var s string
			if json.Unmarshal(key, &s) != nil {
				return bad
			}
			key, _ = json.Marshal(s)
		}
		vStart := kEnd + 1
		vEnd := skipValue(obj, vStart)
		if vEnd < 0 || vEnd >= len(obj) {
			return bad
		}
		fn(key, obj[vStart:vEnd])
		switch obj[vEnd] {
		case ',':
			i = vEnd + 1
		case '}':
			return nil
		default:
			return bad
		}
	}
	return bad
}

// skipString returns the index just past the JSON string starting at b[i]
// (which is '"'), or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index just past the compact JSON value starting at
// b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k := skipString(b, j)
				if k < 0 {
					return -1
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		for j := i; j < len(b); j++ {
			switch b[j] {
			case ',', '}', ']':
				return j
			}
		}
		return len(b)
	}
}

// depthWithin reports whether the nesting of objects and arrays in b never
// exceeds max. It works on any bytes (valid JSON or not).
func depthWithin(b []byte, max int) bool {
	depth := 0
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return false
			}
		case '}', ']':
			depth--
		}
	}
	return true
}

// syntaxError describes where b stops being valid JSON.
func syntaxError(b []byte, multiline bool) error {
	// Unmarshal validates first and, unlike Compact, reports the offset.
	err := json.Unmarshal(b, new(json.RawMessage))
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		if err == nil {
			err = errors.New("unexpected content")
		}
		return errorf(ErrInvalidJSON, "not valid JSON: %v", err)
	}
	off := int(se.Offset)
	msg := se.Error()
	if strings.Contains(msg, "unexpected end of JSON input") {
		msg = "the JSON ends before it is complete (a missing } or ] or \"?)"
		off = len(bytes.TrimRight(b, " \t\r\n"))
	} else {
		off = max(off-1, 0) // Offset is just past the offending byte
	}
	line, col := position(b, off)
	if multiline {
		return errorf(ErrInvalidJSON, "not valid JSON at line %d, column %d: %s", line, col, msg)
	}
	return errorf(ErrInvalidJSON, "not valid JSON at column %d: %s", col, msg)
}

// position converts a byte offset into a 1-based line and column (in runes).
func position(b []byte, off int) (line, col int) {
	off = min(max(off, 0), len(b))
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	col = utf8.RuneCount(before[lineStart:]) + 1
	return line, col
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// entryName returns "line 12" / "entry 3" without formatting per call.
func entryName(kind string, n int) string {
	return kind + " " + strconv.Itoa(n)
}

func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// quoteShort quotes s (Go syntax, so control characters are visible) when
// quote is set, cutting it to at most n runes.
func quoteShort(s string, n int, quote bool) string {
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	if quote {
		return fmt.Sprintf("%q", s)
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
