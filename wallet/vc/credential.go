package vc

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// Errors a caller branches on (with errors.Is); Verify's errors wrap one.
var (
	ErrMalformed   = errors.New("vc: malformed credential")
	ErrBadProof    = errors.New("vc: credential proof does not verify")
	ErrExpired     = errors.New("vc: credential has expired")
	ErrNotYetValid = errors.New("vc: credential is not yet valid")
)

// Contexts and types of a clinician credential.
const (
	ContextV2      = "https://www.w3.org/ns/credentials/v2"
	TypeVC         = "VerifiableCredential"
	TypeHealthcare = "HealthcareCredential"
)

// Common kinds. Any other non-empty kind names a training certificate
// (for example "MRI safety").
const (
	KindPhysician  = "physician"
	KindNurse      = "nurse"
	KindPharmacist = "pharmacist"
	KindPrescriber = "prescriber"
)

// Credential is what an authority issues to a clinician.
type Credential struct {
	Issuer        string    // did:key of the authority's Ed25519 key
	Subject       string    // did:key of the clinician's Ed25519 key
	Kind          string    // physician, nurse, pharmacist, prescriber, or a training certificate's name
	LicenceNumber string    // optional for training certificates
	Jurisdiction  string    // e.g. "NL" or "US-CA"
	Specialty     string    // optional
	ValidFrom     time.Time // kept to the second, in UTC
	ValidUntil    time.Time // kept to the second, in UTC
}

// document is the VC 2.0 JSON form of a Credential.
type document struct {
	Context           []string  `json:"@context"`
	Type              []string  `json:"type"`
	Issuer            string    `json:"issuer"`
	ValidFrom         string    `json:"validFrom"`
	ValidUntil        string    `json:"validUntil"`
	CredentialSubject subject   `json:"credentialSubject"`
	Proof             *docProof `json:"proof,omitempty"`
}

type subject struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	LicenceNumber string `json:"licenceNumber,omitempty"`
	Jurisdiction  string `json:"jurisdiction"`
	Specialty     string `json:"specialty,omitempty"`
}

type docProof struct {
	Type               string   `json:"type"`
	Cryptosuite        string   `json:"cryptosuite"`
	Created            string   `json:"created"`
	VerificationMethod string   `json:"verificationMethod"`
	ProofPurpose       string   `json:"proofPurpose"`
	Context            []string `json:"@context,omitempty"`
	ProofValue         string   `json:"proofValue"`
}

// check validates a Credential's fields (not its times against a clock).
func (c Credential) check() error {
	if _, err := PublicKeyFromDIDKey(c.Issuer); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if _, err := PublicKeyFromDIDKey(c.Subject); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	for _, f := range []struct {
		name, v  string
		required bool
	}{
		{"kind", c.Kind, true},
		{"licence number", c.LicenceNumber, false},
		{"jurisdiction", c.Jurisdiction, true},
		{"specialty", c.Specialty, false},
	} {
		if f.required && strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("%w: %s is empty", ErrMalformed, f.name)
		}
		if len(f.v) > MaxFieldLength || !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s too long or not UTF-8", ErrMalformed, f.name)
		}
	}
	if c.ValidFrom.IsZero() || c.ValidUntil.IsZero() || !c.ValidUntil.After(c.ValidFrom) {
		return fmt.Errorf("%w: validUntil must follow validFrom", ErrMalformed)
	}
	for _, t := range []time.Time{c.ValidFrom, c.ValidUntil} {
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return fmt.Errorf("%w: time out of range", ErrMalformed)
		}
	}
	return nil
}

func (c Credential) document() document {
	return document{
		Context:    []string{ContextV2},
		Type:       []string{TypeVC, TypeHealthcare},
		Issuer:     c.Issuer,
		ValidFrom:  c.ValidFrom.UTC().Format(timeLayout),
		ValidUntil: c.ValidUntil.UTC().Format(timeLayout),
		CredentialSubject: subject{
			ID:            c.Subject,
			Kind:          c.Kind,
			LicenceNumber: c.LicenceNumber,
			Jurisdiction:  c.Jurisdiction,
			Specialty:     c.Specialty,
		},
	}
}

// toMap turns a value into the generic JSON form the proof functions use.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// Issue returns the credential as a signed VC 2.0 document in JCS form.
// key must be the authority's key, whose did:key is c.Issuer; created is the
// proof's creation time (kept to the second).
func Issue(c Credential, key ed25519.PrivateKey, created time.Time) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("vc: not an Ed25519 private key")
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	did, err := DIDKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	if did != c.Issuer {
		return nil, fmt.Errorf("vc: issuer %s is not the did:key of the signing key", c.Issuer)
	}
	unsecured, err := toMap(c.document())
	if err != nil {
		return nil, err
	}
	proof, err := createProof(unsecured, key, created, verificationMethodFor(did))
	if err != nil {
		return nil, err
	}
	unsecured["proof"] = proof
	return canonical(unsecured)
}

// Hash returns the SHA-256 of the document's JCS form: what the chain
// anchors. The same credential hashes alike whatever its whitespace or key
// order. A document that cannot be canonicalised (which Verify refuses) is
// hashed as it stands.
func Hash(doc []byte) [32]byte {
	if len(doc) <= MaxDocumentSize {
		if c, err := jcs.Transform(doc); err == nil {
			return sha256.Sum256(c)
		}
	}
	return sha256.Sum256(doc)
}

// Verify checks a signed credential document and returns its credential.
// The proof must verify with the key of the did:key in verificationMethod,
// which must be the document's issuer; now must fall in
// [validFrom, validUntil]. Errors wrap ErrMalformed, ErrBadProof,
// ErrNotYetValid or ErrExpired; with the last two (a genuine document
// outside its validity) the credential is returned too.
func Verify(doc []byte, now time.Time) (Credential, error) {
	if len(doc) > MaxDocumentSize {
		return Credential{}, fmt.Errorf("%w: document larger than %d bytes", ErrMalformed, MaxDocumentSize)
	}
	// jcs refuses invalid UTF-8, duplicate keys and excessive nesting, so
	// encoding/json below reads the document unambiguously.
	if _, err := jcs.Transform(doc); err != nil {
		return Credential{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var secured map[string]any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&secured); err != nil || secured == nil {
		return Credential{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}

	// The issuer, and the key that signed, before anything else is trusted.
	issuer, _ := secured["issuer"].(string)
	proof, _ := secured["proof"].(map[string]any)
	if issuer == "" || proof == nil {
		return Credential{}, fmt.Errorf("%w: no issuer or no proof", ErrMalformed)
	}
	vm, _ := proof["verificationMethod"].(string)
	if p, _ := proof["proofPurpose"].(string); p != proofPurpose {
		return Credential{}, fmt.Errorf("%w: proof purpose is not %s", ErrBadProof, proofPurpose)
	}
	pub, err := PublicKeyFromDIDKey(issuer)
	if err != nil {
		return Credential{}, fmt.Errorf("issuer: %w", err)
	}
	if vm != verificationMethodFor(issuer) {
		return Credential{}, fmt.Errorf("%w: verification method is not the issuer's key", ErrBadProof)
	}
	if err := verifyProof(secured, pub); err != nil {
		return Credential{}, err
	}

	// The signed content, read strictly.
	var d document
	sd := json.NewDecoder(bytes.NewReader(doc))
	sd.DisallowUnknownFields()
	if err := sd.Decode(&d); err != nil {
		return Credential{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(d.Context) == 0 || len(d.Context) > maxContexts || d.Context[0] != ContextV2 {
		return Credential{}, fmt.Errorf("%w: @context must start with %s", ErrMalformed, ContextV2)
	}
	if !hasType(d.Type, TypeVC) || !hasType(d.Type, TypeHealthcare) {
		return Credential{}, fmt.Errorf("%w: type must include %s and %s", ErrMalformed, TypeVC, TypeHealthcare)
	}
	if _, err := time.Parse(timeLayout, d.Proof.Created); err != nil {
		return Credential{}, fmt.Errorf("%w: proof created: %v", ErrMalformed, err)
	}
	from, err1 := time.Parse(timeLayout, d.ValidFrom)
	until, err2 := time.Parse(timeLayout, d.ValidUntil)
	if err1 != nil || err2 != nil {
		return Credential{}, fmt.Errorf("%w: validFrom/validUntil are not UTC date-times", ErrMalformed)
	}
	c := Credential{
		Issuer:        d.Issuer,
		Subject:       d.CredentialSubject.ID,
		Kind:          d.CredentialSubject.Kind,
		LicenceNumber: d.CredentialSubject.LicenceNumber,
		Jurisdiction:  d.CredentialSubject.Jurisdiction,
		Specialty:     d.CredentialSubject.Specialty,
		ValidFrom:     from,
		ValidUntil:    until,
	}
	if err := c.check(); err != nil {
		return Credential{}, err
	}
	// Outside its validity the credential is still returned, proof checked,
	// so that a caller can say what it was and when it ended.
	if now.Before(from) {
		return c, fmt.Errorf("%w: valid from %s", ErrNotYetValid, d.ValidFrom)
	}
	if now.After(until) {
		return c, fmt.Errorf("%w: valid until %s", ErrExpired, d.ValidUntil)
	}
	return c, nil
}

func hasType(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}
