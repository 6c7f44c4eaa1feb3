package fhirexport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// FHIR R4 datatypes, only the elements this package writes, in the order
// the specification lists them so the JSON reads like the spec's examples.
// Optional elements are omitempty: FHIR forbids empty values.

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Type       string      `json:"type,omitempty"`
	Identifier *identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type meta struct {
	Source string `json:"source,omitempty"`
}

// Code systems.
const (
	sysDCM           = "http://dicom.nema.org/resources/ontology/DCM"
	sysActReason     = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	sysParticipation = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	sysSourceType    = "http://terminology.hl7.org/CodeSystem/security-source-type"
	sysEntityType    = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	sysObjectRole    = "http://terminology.hl7.org/CodeSystem/object-role"
	sysConsentScope  = "http://terminology.hl7.org/CodeSystem/consentscope"
	sysConsentAction = "http://terminology.hl7.org/CodeSystem/consentaction"
	sysActCode       = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysLOINC         = "http://loinc.org"
	sysDataOperation = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
	sysProvAgentType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	sysSignatureType = "urn:iso-astm:E1762-95:2013"
)

var (
	codingAuthor    = coding{sysParticipation, "AUT", "author (originator)"}
	codingRecipient = coding{sysParticipation, "IRCP", "information recipient"}
	codingCustodian = coding{sysParticipation, "CST", "custodian"}
)

// purposes are the HL7 PurposeOfUse codes the chain carries (chain.Purpose),
// with their v3-ActReason displays. An unknown code is refused rather than
// passed through, since a made-up code in v3-ActReason would be invalid.
var purposes = map[string]string{
	"TREAT": "treatment", "ETREAT": "Emergency Treatment", "BTG": "break the glass",
	"CAREMGT": "care management", "POPHLTH": "population health", "HPAYMT": "healthcare payment",
	"CLMATTCH": "claim attachment", "COVERAGE": "coverage under policy or program",
	"HOPERAT": "healthcare operations", "HSYSADMIN": "health system administration",
	"PATADMIN": "patient administration", "HQUALIMP": "health quality improvement",
	"HRESCH": "healthcare research", "CLINTRL": "clinical trial", "PUBHLTH": "public health",
	"HLEGAL": "legal", "PATRQT": "patient requested", "FAMRQT": "family requested",
	"PWATRNY": "power of attorney", "SUPNWK": "support network", "HMARKT": "healthcare marketing",
	"TRAIN": "training", "DONAT": "donation", "HDIRECT": "directory", "RECORDMGT": "records management",
}

func purposeCoding(code string) (*coding, error) {
	if code == "" {
		return nil, nil
	}
	display, ok := purposes[code]
	if !ok {
		return nil, invalidf("purpose %q is not an HL7 PurposeOfUse code the chain carries", code)
	}
	return &coding{sysActReason, code, display}, nil
}

var kindTypes = map[string]string{
	KindPatient:   "Patient",
	KindClinician: "Practitioner",
	KindClinic:    "Organization",
}

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}

// field prefixes err with the name of the input field it is about.
func field(name string, err error) error { return fmt.Errorf("%s: %w", name, err) }

// hexHash checks a 32-byte hash or key in hex and returns it in lower case,
// the form the chain prints, so equal keys compare equal as strings.
func hexHash(s string) (string, error) {
	if s == "" {
		return "", invalidf("empty, want 64 hex digits")
	}
	if len(s) != 64 {
		return "", invalidf("%q has %d characters, want 64 hex digits", clip(s), len(s))
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", invalidf("%q is not hex", clip(s))
	}
	return strings.ToLower(s), nil
}

// asciiID checks the chain's rule for chain IDs, record IDs and category
// names (chain.ValidChainID, chain.ValidRecordID): 1 to 64 bytes of
// A-Z a-z 0-9 . _ : -. That also makes them valid FHIR codes and URN parts.
func asciiID(s string) error {
	if s == "" {
		return invalidf("empty")
	}
	if len(s) > 64 {
		return invalidf("%q has %d bytes, limit 64", clip(s), len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return invalidf("%q: byte 0x%02x at %d (allowed: A-Z a-z 0-9 . _ : -)", clip(s), c, i)
		}
	}
	return nil
}

// clip keeps error messages short when the bad input is long.
func clip(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// resourceID returns s if it is a valid FHIR id, else the hex SHA-256 of s:
// stable, 64 characters, and distinct for distinct inputs.
func resourceID(s string) string {
	if idPattern.MatchString(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// instant formats t as a FHIR instant in UTC. Years outside 1 to 9999 have
// no four-digit form, and the zero time always means a field was not filled.
func instant(t time.Time) (string, error) {
	if t.IsZero() {
		return "", invalidf("zero time")
	}
	u := t.UTC()
	if y := u.Year(); y < 1 || y > 9999 {
		return "", invalidf("year %d outside 1 to 9999", y)
	}
	return u.Format(time.RFC3339Nano), nil
}

// text cleans free text for a FHIR string: valid UTF-8, no control
// characters other than tab and line breaks (R4 says strings SHOULD NOT have
// them), no surrounding white space. It returns "" for text that is only
// white space, which callers then omit.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// ref builds a logical Reference to p. defaultType is the FHIR type when
// p.Kind is empty ("" for none).
func (p Party) ref(defaultType string) (reference, error) {
	key, err := hexHash(p.Key)
	if err != nil {
		return reference{}, field("key", err)
	}
	typ := defaultType
	if p.Kind != "" {
		t, ok := kindTypes[p.Kind]
		if !ok {
			return reference{}, invalidf("kind %q, want %q, %q or %q", clip(p.Kind), KindPatient, KindClinician, KindClinic)
		}
		typ = t
	}
	display := text(p.Name)
	if display == "" {
		display = text(p.ID)
	}
	return reference{Type: typ, Identifier: &identifier{SystemKey, key}, Display: display}, nil
}

// patientRef is ref for a party that must be a patient, as the Patient
// reference targets of AuditEvent entities and Consent require.
func (p Party) patientRef() (reference, error) {
	if p.Kind != "" && p.Kind != KindPatient {
		return reference{}, invalidf("kind %q, want %q", clip(p.Kind), KindPatient)
	}
	return p.ref("Patient")
}

// roles gives the party's role as text: the chain's roles ("physician") are
// its own list, not a FHIR code system.
func (p Party) roles() []codeableConcept {
	if r := text(p.Role); r != "" {
		return []codeableConcept{{Text: r}}
	}
	return nil
}

func (p Party) isZero() bool { return p == Party{} }

func chainMeta(chainID string) (*meta, error) {
	if chainID == "" {
		return nil, nil
	}
	if err := asciiID(chainID); err != nil {
		return nil, field("chain ID", err)
	}
	return &meta{Source: SystemChain + ":" + chainID}, nil
}

func concept(c coding) codeableConcept { return codeableConcept{Coding: []coding{c}} }

// encode writes v as two-space indented JSON without HTML escaping (notes
// and names may hold < > &, and nothing here is embedded in HTML) and
// without the encoder's trailing newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
