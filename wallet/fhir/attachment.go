package fhir

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// DetectAttachment recognises the files the wallet keeps as attachment
// records, by their magic bytes (never by file name): PDF, PNG, JPEG, GIF,
// WebP, TIFF and BMP. contentType is the MIME type.
func DetectAttachment(data []byte) (contentType string, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", true
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", true
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "image/gif", true
	case len(data) >= 12 && bytes.Equal(data[0:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "image/webp", true
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")),
		bytes.HasPrefix(data, []byte("II+\x00")), bytes.HasPrefix(data, []byte("MM\x00+")): // TIFF, BigTIFF
		return "image/tiff", true
	case isBMP(data):
		return "image/bmp", true
	case isPDF(data):
		return "application/pdf", true
	}
	return "", false
}

// isPDF accepts "%PDF-" at the start or, as PDF readers do, within the first
// 1024 bytes (some generators put junk or a BOM first).
func isPDF(data []byte) bool {
	head := data[:min(len(data), 1024)]
	return bytes.Contains(head, []byte("%PDF-"))
}

// isBMP checks "BM" plus a known DIB header size, since "BM" alone also
// starts ordinary text.
func isBMP(data []byte) bool {
	if len(data) < 26 || data[0] != 'B' || data[1] != 'M' {
		return false
	}
	switch binary.LittleEndian.Uint32(data[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

func attachmentKind(contentType string) string {
	switch contentType {
	case "application/pdf":
		return "a PDF document"
	default:
		if sub, ok := strings.CutPrefix(contentType, "image/"); ok {
			return "a " + strings.ToUpper(sub) + " image"
		}
		return "a binary file"
	}
}

// The tag that marks a DocumentReference as a wallet attachment record.
const (
	RecordKindSystem     = "urn:healthwallet:record-kind"
	RecordKindAttachment = "attachment"
)

type attachmentDoc struct {
	ResourceType string           `json:"resourceType"`
	Meta         attachmentMeta   `json:"meta"`
	Status       string           `json:"status"`
	Date         string           `json:"date"`
	Content      []attachmentElem `json:"content"`
}

type attachmentMeta struct {
	Tag []attachmentTag `json:"tag"`
}

type attachmentTag struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type attachmentElem struct {
	Attachment attachmentBody `json:"attachment"`
}

type attachmentBody struct {
	ContentType string `json:"contentType"`
	Data        string `json:"data"`
	Title       string `json:"title,omitempty"`
	Size        int    `json:"size"`
	Creation    string `json:"creation"`
}

// AttachmentDocument builds the DocumentReference an attachment record is
// exported as:
//
//	{"resourceType":"DocumentReference",
//	 "meta":{"tag":[{"system":"urn:healthwallet:record-kind","code":"attachment"}]},
//	 "status":"current","date":"<date>",
//	 "content":[{"attachment":{"contentType":…,"data":"<base64>",
//	   "title":"<file name>","size":N,"creation":"<date>"}}]}
//
// title is the file name (omitted when empty); date is when the record was
// made and must be set. It has no id: the BundleWriter gives it a urn:uuid
// fullUrl.
func AttachmentDocument(title, contentType string, date time.Time, data []byte) ([]byte, error) {
	if err := checkContentType(contentType); err != nil {
		return nil, err
	}
	if date.IsZero() {
		return nil, errors.New("fhir: AttachmentDocument: the date is not set")
	}
	if len(data) == 0 {
		return nil, errors.New("fhir: AttachmentDocument: the attachment is empty")
	}
	if len(data) > MaxAttachmentSize {
		return nil, fmt.Errorf("fhir: AttachmentDocument: the attachment is larger than the %s limit", byteSize(MaxAttachmentSize))
	}
	ts, err := instant(date)
	if err != nil {
		return nil, fmt.Errorf("fhir: AttachmentDocument: %w", err)
	}
	doc := attachmentDoc{
		ResourceType: "DocumentReference",
		Meta:         attachmentMeta{Tag: []attachmentTag{{System: RecordKindSystem, Code: RecordKindAttachment}}},
		Status:       "current",
		Date:         ts,
		Content: []attachmentElem{{Attachment: attachmentBody{
			ContentType: contentType,
			Data:        base64.StdEncoding.EncodeToString(data),
			Title:       strings.TrimSpace(title),
			Size:        len(data),
			Creation:    ts,
		}}},
	}
	var buf bytes.Buffer
	buf.Grow(base64.StdEncoding.EncodedLen(len(data)) + 512)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("fhir: AttachmentDocument: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

func checkContentType(ct string) error {
	typ, sub, ok := strings.Cut(ct, "/")
	if !ok || typ == "" || sub == "" || len(ct) > 255 || strings.IndexFunc(ct, func(r rune) bool {
		return r > unicode.MaxASCII || unicode.IsControl(r) || unicode.IsSpace(r) && r != ' '
	}) >= 0 {
		return fmt.Errorf("fhir: AttachmentDocument: %q is not a MIME type", ct)
	}
	return nil
}

// ParseAttachmentDocument recognises a DocumentReference made by
// AttachmentDocument: it carries the urn:healthwallet:record-kind
// "attachment" tag and exactly one inline attachment (contentType and
// base64 data, size matching if given, no url). It returns ok=false for
// anything else, including every ordinary DocumentReference such as
// Synthea's clinical notes, which must stay ordinary records. date is the
// DocumentReference date (else the attachment's creation); zero if neither
// parses.
func ParseAttachmentDocument(r Resource) (title, contentType string, date time.Time, data []byte, ok bool) {
	if r.Type != "DocumentReference" || !bytes.Contains(r.JSON, []byte(RecordKindSystem)) {
		return "", "", time.Time{}, nil, false
	}
	m := decodeObject(r.JSON)
	if m == nil || str(m["resourceType"]) != "DocumentReference" || !hasRecordKindTag(m) {
		return "", "", time.Time{}, nil, false
	}
	content := arr(m["content"])
	if len(content) != 1 {
		return "", "", time.Time{}, nil, false
	}
	att := obj(obj(content[0])["attachment"])
	contentType = str(att["contentType"])
	encoded, isString := att["data"].(string)
	if att == nil || contentType == "" || !isString || encoded == "" || att["url"] != nil {
		return "", "", time.Time{}, nil, false
	}
	data, err := base64.StdEncoding.DecodeString(stripSpace(encoded))
	if err != nil || len(data) == 0 {
		return "", "", time.Time{}, nil, false
	}
	if size, present := att["size"]; present {
		if n := num(size); n == "" || n != fmt.Sprint(len(data)) {
			return "", "", time.Time{}, nil, false
		}
	}
	title = str(att["title"])
	for _, s := range []string{str(m["date"]), str(att["creation"])} {
		if t, ok := ParseDate(s); ok {
			date = t
			break
		}
	}
	return title, contentType, date, data, true
}

func hasRecordKindTag(m object) bool {
	for _, t := range arr(obj(m["meta"])["tag"]) {
		to := obj(t)
		if str(to["system"]) == RecordKindSystem && str(to["code"]) == RecordKindAttachment {
			return true
		}
	}
	return false
}

// stripSpace removes the whitespace FHIR's base64Binary allows.
func stripSpace(s string) string {
	if strings.IndexAny(s, " \t\r\n") < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}
