package rx

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// TextPrefix starts every handover text; it names the format and its version.
const TextPrefix = "hwrx1:"

// FileExt is the extension of a handover file, which holds the text.
const FileExt = ".hwrx"

// Encode returns the handover text of p: what the patient shows a pharmacy
// as a QR code or gives it as a .hwrx file. It is TextPrefix followed by
// unpadded base64url of the DEFLATE-compressed JSON object
//
//	{"v":1, "prescriber", "prescriberName", "patient", "written", "dispenses",
//	 "expiry", "request": {MedicationRequest}, "signature", "salt"}
//
// that is, the signed fields, then the signature and salt in unpadded
// base64url. The text holds the salt: whoever has it can present the
// prescription.
func (p *Prescription) Encode() string {
	// Written field by field rather than with json.Marshal, which fails on
	// a Request that is not JSON: Encode has no error, and such a text
	// simply does not Decode.
	var js bytes.Buffer
	f := p.signedFields()
	fmt.Fprintf(&js, `{"v":%d,"prescriber":`, f.V)
	writeJSONString(&js, f.Prescriber)
	js.WriteString(`,"prescriberName":`)
	writeJSONString(&js, f.PrescriberName)
	js.WriteString(`,"patient":`)
	writeJSONString(&js, f.Patient)
	fmt.Fprintf(&js, `,"written":%d,"dispenses":%d,"expiry":%d,"request":`, f.Written, f.Dispenses, f.Expiry)
	js.Write(p.Request)
	js.WriteString(`,"signature":"`)
	js.WriteString(base64.RawURLEncoding.EncodeToString(p.Signature[:]))
	js.WriteString(`","salt":"`)
	js.WriteString(base64.RawURLEncoding.EncodeToString(p.Salt[:]))
	js.WriteString(`"}`)

	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression) // the level is valid: no error
	w.Write(js.Bytes())                                // a bytes.Buffer does not fail
	w.Close()
	return TextPrefix + base64.RawURLEncoding.EncodeToString(z.Bytes())
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// handover is the decoded handover JSON.
type handover struct {
	signed
	Signature string `json:"signature"`
	Salt      string `json:"salt"`
}

// Decode reads a handover text (or a .hwrx file's contents), with any white
// space around it. Every error wraps ErrMalformed and says what is wrong.
// Decode checks the format, not the signature: see VerifySignature and
// Verify.
func Decode(text string) (*Prescription, error) {
	p, err := decode(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p, nil
}

func decode(text string) (*Prescription, error) {
	text = strings.TrimSpace(text)
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("text of %d bytes, at most %d", len(text), MaxTextLen)
	}
	body, ok := strings.CutPrefix(text, TextPrefix)
	if !ok {
		return nil, fmt.Errorf("not a prescription: no %q prefix", TextPrefix)
	}
	z, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("not base64url: %w", err)
	}
	js, err := inflate(z)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(js) {
		return nil, errors.New("not UTF-8 text")
	}
	var h handover
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("JSON: data after the object")
	}
	return h.prescription()
}

// inflate decompresses z, refusing more than MaxInflatedLen bytes before
// reading them, and anything after the end of the DEFLATE stream.
func inflate(z []byte) ([]byte, error) {
	zr := bytes.NewReader(z) // an io.ByteReader: flate reads no further than its stream
	r := flate.NewReader(zr)
	js, err := io.ReadAll(io.LimitReader(r, MaxInflatedLen+1))
	if err != nil {
		return nil, fmt.Errorf("DEFLATE: %w", err)
	}
	if len(js) > MaxInflatedLen {
		return nil, fmt.Errorf("decompresses to more than %d bytes", MaxInflatedLen)
	}
	if zr.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the DEFLATE stream", zr.Len())
	}
	return js, nil
}

// prescription checks every field of h and builds the Prescription.
func (h *handover) prescription() (*Prescription, error) {
	if h.V != Version {
		return nil, fmt.Errorf("version %d, want %d", h.V, Version)
	}
	var p Prescription
	k, err := hex.DecodeString(h.Prescriber)
	if err != nil || len(k) != chain.PublicKeySize || hex.EncodeToString(k) != h.Prescriber {
		return nil, fmt.Errorf("prescriber %q is not a key in lower-case hex", h.Prescriber)
	}
	copy(p.Prescriber[:], k)
	if err := p.Prescriber.Check(); err != nil {
		return nil, fmt.Errorf("prescriber: %w", err)
	}
	if h.PrescriberName == "" {
		return nil, errors.New("no prescriber name")
	}
	if err := checkText("prescriber name", h.PrescriberName, MaxNameLen, false); err != nil {
		return nil, err
	}
	p.PrescriberName = h.PrescriberName
	id, err := identity.ParseID(h.Patient)
	if err != nil || id.String() != h.Patient {
		return nil, fmt.Errorf("patient %q is not a Health Wallet ID in canonical form", h.Patient)
	}
	p.Patient = h.Patient
	if h.Written <= 0 || h.Written > maxUnix || h.Expiry <= 0 || h.Expiry > maxUnix {
		return nil, fmt.Errorf("written %d or expiry %d out of range", h.Written, h.Expiry)
	}
	p.Written, p.Expiry = time.Unix(h.Written, 0).UTC(), time.Unix(h.Expiry, 0).UTC()
	if h.Dispenses == 0 || h.Dispenses > chain.MaxDispenses {
		return nil, fmt.Errorf("%d dispenses, want 1..%d", h.Dispenses, chain.MaxDispenses)
	}
	p.Dispenses = h.Dispenses
	if len(h.Request) == 0 || h.Request[0] != '{' {
		return nil, errors.New("request is not a JSON object")
	}
	if p.Request, err = jcs.Transform(h.Request); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if _, _, err := parseRequest(p.Request); err != nil {
		return nil, err
	}
	if err := decodeFixed("signature", h.Signature, p.Signature[:]); err != nil {
		return nil, err
	}
	if err := decodeFixed("salt", h.Salt, p.Salt[:]); err != nil {
		return nil, err
	}
	return &p, nil
}

func decodeFixed(field, s string, dst []byte) error {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != len(dst) {
		return fmt.Errorf("%s is not %d bytes in unpadded base64url", field, len(dst))
	}
	copy(dst, b)
	return nil
}
