package fhirexport

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"regexp"

	"github.com/ipfs/go-cid"
)

type provenance struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Meta         *meta            `json:"meta,omitempty"`
	Target       []reference      `json:"target"`
	Recorded     string           `json:"recorded"`
	Activity     *codeableConcept `json:"activity,omitempty"`
	Agent        []provAgent      `json:"agent"`
	Entity       []provEntity     `json:"entity,omitempty"`
	Signature    []signature      `json:"signature,omitempty"`
}

type provAgent struct {
	Type       *codeableConcept  `json:"type,omitempty"`
	Role       []codeableConcept `json:"role,omitempty"`
	Who        reference         `json:"who"`
	OnBehalfOf *reference        `json:"onBehalfOf,omitempty"`
}

type provEntity struct {
	Role string    `json:"role"`
	What reference `json:"what"`
}

type signature struct {
	Type       []coding   `json:"type"`
	When       string     `json:"when"`
	Who        reference  `json:"who"`
	OnBehalfOf *reference `json:"onBehalfOf,omitempty"`
	SigFormat  string     `json:"sigFormat,omitempty"`
	Data       string     `json:"data,omitempty"`
}

// resourceTypePattern is the shape of FHIR resource type names; the type is
// written as Reference.type, a URI relative to the core definitions.
var resourceTypePattern = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)

// Provenance returns a as a FHIR R4 Provenance in JSON.
func Provenance(a Authored) ([]byte, error) {
	p, err := buildProvenance(a)
	if err != nil {
		return nil, fmt.Errorf("fhirexport: authored record %q: %w", clip(a.RecordID), err)
	}
	return encode(p)
}

func buildProvenance(a Authored) (*provenance, error) {
	if err := asciiID(a.RecordID); err != nil {
		return nil, field("record ID", err)
	}
	target := reference{Identifier: &identifier{SystemRecord, a.RecordID}, Display: "record " + a.RecordID}
	if a.ResourceType != "" {
		if !resourceTypePattern.MatchString(a.ResourceType) {
			return nil, field("resource type", invalidf("%q is not a FHIR resource type name", clip(a.ResourceType)))
		}
		target.Type = a.ResourceType
		target.Display = a.ResourceType + " " + a.RecordID
	}
	tx, err := hexHash(a.Tx)
	if err != nil {
		return nil, field("tx", err)
	}
	recorded, err := instant(a.Recorded)
	if err != nil {
		return nil, field("recorded", err)
	}
	if a.CID == "" {
		return nil, field("CID", invalidf("empty"))
	}
	if _, err := cid.Decode(a.CID); err != nil {
		return nil, field("CID", invalidf("%q: %v", clip(a.CID), err))
	}
	mt, err := chainMeta(a.ChainID)
	if err != nil {
		return nil, err
	}
	author, err := a.Author.ref("Practitioner")
	if err != nil {
		return nil, field("author", err)
	}
	var clinic *reference
	if !a.Clinic.isZero() {
		c, err := a.Clinic.ref("Organization")
		if err != nil {
			return nil, field("clinic", err)
		}
		// Someone acting on their own behalf has no onBehalfOf; the same key
		// in both means the wallet mixed up the parties.
		if *c.Identifier == *author.Identifier {
			return nil, field("clinic", invalidf("same key as the author"))
		}
		clinic = &c
	}

	p := &provenance{
		ResourceType: "Provenance",
		ID:           tx,
		Meta:         mt,
		Target:       []reference{target},
		Recorded:     recorded,
		Activity:     &codeableConcept{Coding: []coding{{sysDataOperation, "CREATE", "create"}}},
		Agent: []provAgent{{
			Type:       &codeableConcept{Coding: []coding{{sysProvAgentType, "author", "Author"}}},
			Role:       a.Author.roles(),
			Who:        author,
			OnBehalfOf: clinic,
		}},
		Entity: []provEntity{{"source", reference{Identifier: &identifier{SystemCID, a.CID}, Display: "encrypted record content"}}},
	}
	if len(a.Signature) > 0 {
		if len(a.Signature) != ed25519.SignatureSize {
			return nil, field("signature", invalidf("%d bytes, an Ed25519 signature has %d", len(a.Signature), ed25519.SignatureSize))
		}
		p.Signature = []signature{{
			Type:       []coding{{sysSignatureType, "1.2.840.10065.1.12.1.1", "Author's Signature"}},
			When:       recorded,
			Who:        author,
			OnBehalfOf: clinic,
			// A raw Ed25519 signature has no MIME type of its own; octet-stream
			// says "raw bytes" rather than suggesting JWS or XML-DSig.
			SigFormat: "application/octet-stream",
			Data:      base64.StdEncoding.EncodeToString(a.Signature),
		}}
	}
	return p, nil
}
