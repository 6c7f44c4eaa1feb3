package fhirexport

import "fmt"

type consent struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Meta         *meta             `json:"meta,omitempty"`
	Identifier   []identifier      `json:"identifier,omitempty"`
	Status       string            `json:"status"`
	Scope        codeableConcept   `json:"scope"`
	Category     []codeableConcept `json:"category"`
	Patient      *reference        `json:"patient,omitempty"`
	DateTime     string            `json:"dateTime,omitempty"`
	Performer    []reference       `json:"performer,omitempty"`
	PolicyRule   *codeableConcept  `json:"policyRule,omitempty"`
	Provision    *provision        `json:"provision,omitempty"`
}

type provision struct {
	Type      string            `json:"type,omitempty"`
	Period    *period           `json:"period,omitempty"`
	Actor     []provisionActor  `json:"actor,omitempty"`
	Action    []codeableConcept `json:"action,omitempty"`
	Purpose   []coding          `json:"purpose,omitempty"`
	Class     []coding          `json:"class,omitempty"`
	Data      []provisionData   `json:"data,omitempty"`
	Provision []provision       `json:"provision,omitempty"`
}

type provisionActor struct {
	Role      codeableConcept `json:"role"`
	Reference reference       `json:"reference"`
}

type provisionData struct {
	Meaning   string    `json:"meaning"`
	Reference reference `json:"reference"`
}

// consentStates are the R4 consent-state codes (a required binding).
var consentStates = map[string]bool{
	"draft": true, "proposed": true, "active": true, "rejected": true, "inactive": true, "entered-in-error": true,
}

// Consent returns g as a FHIR R4 Consent in JSON.
func Consent(g Grant) ([]byte, error) {
	c, err := buildConsent(g)
	if err != nil {
		return nil, fmt.Errorf("fhirexport: grant %q: %w", clip(g.ID), err)
	}
	return encode(c)
}

func buildConsent(g Grant) (*consent, error) {
	id, err := hexHash(g.ID)
	if err != nil {
		return nil, field("ID", err)
	}
	if !consentStates[g.Status] {
		return nil, field("status", invalidf("%q is not an R4 consent-state code", clip(g.Status)))
	}
	granted, err := instant(g.Granted)
	if err != nil {
		return nil, field("granted", err)
	}
	if g.Revoked != nil {
		revoked, err := instant(*g.Revoked)
		if err != nil {
			return nil, field("revoked", err)
		}
		if g.Status == "active" {
			return nil, field("status", invalidf("active, but the grant was revoked at %s", revoked))
		}
		if g.Revoked.Before(g.Granted) {
			return nil, field("revoked", invalidf("%s is before the grant at %s", revoked, granted))
		}
	}
	mt, err := chainMeta(g.ChainID)
	if err != nil {
		return nil, err
	}
	patient, err := g.Patient.patientRef()
	if err != nil {
		return nil, field("patient", err)
	}
	grantee, err := g.Grantee.ref("")
	if err != nil {
		return nil, field("grantee", err)
	}

	root := provision{}
	if root.Period, err = grantPeriod(g); err != nil {
		return nil, err
	}
	if !g.Read && !g.Write {
		return nil, field("actions", invalidf("neither read nor write"))
	}
	if g.Read {
		root.Actor = append(root.Actor, provisionActor{concept(codingRecipient), grantee})
		root.Action = append(root.Action, concept(coding{sysConsentAction, "access", "Access"}))
	}
	if g.Write {
		root.Actor = append(root.Actor, provisionActor{concept(codingAuthor), grantee})
		root.Action = append(root.Action, concept(coding{sysConsentAction, "correct", "Access and Correct"}))
	}
	purpose, err := purposeCoding(g.Purpose)
	if err != nil {
		return nil, err
	}
	if purpose != nil {
		root.Purpose = []coding{*purpose}
	}

	// Sibling permits, so a record is covered if it is in a category OR is
	// listed (criteria within one provision are ANDed).
	if len(g.Categories) > 0 {
		p := provision{Type: "permit"}
		for i, c := range g.Categories {
			if err := asciiID(c); err != nil {
				return nil, field(fmt.Sprintf("categories[%d]", i), err)
			}
			p.Class = append(p.Class, coding{System: SystemCategory, Code: c})
		}
		root.Provision = append(root.Provision, p)
	}
	if len(g.RecordIDs) > 0 {
		p := provision{Type: "permit"}
		for i, r := range g.RecordIDs {
			if err := asciiID(r); err != nil {
				return nil, field(fmt.Sprintf("record IDs[%d]", i), err)
			}
			p.Data = append(p.Data, provisionData{"instance", reference{Identifier: &identifier{SystemRecord, r}}})
		}
		root.Provision = append(root.Provision, p)
	}
	if len(root.Provision) == 0 {
		return nil, field("scope", invalidf("no category and no record ID"))
	}

	return &consent{
		ResourceType: "Consent",
		ID:           id,
		Meta:         mt,
		Identifier:   []identifier{{SystemTx, id}},
		Status:       g.Status,
		Scope:        concept(coding{sysConsentScope, "patient-privacy", "Privacy Consent"}),
		// No display: LOINC's display for 59284-0 and R4's value set disagree,
		// and a wrong display is a validation warning while none is not.
		Category:   []codeableConcept{concept(coding{System: sysLOINC, Code: "59284-0"})},
		Patient:    &patient,
		DateTime:   granted,
		Performer:  []reference{patient},
		PolicyRule: &codeableConcept{Coding: []coding{{sysActCode, "OPTIN", "opt-in"}}},
		Provision:  &root,
	}, nil
}

func grantPeriod(g Grant) (*period, error) {
	var p period
	var err error
	if !g.Start.IsZero() {
		if p.Start, err = instant(g.Start); err != nil {
			return nil, field("start", err)
		}
	}
	if !g.End.IsZero() {
		if p.End, err = instant(g.End); err != nil {
			return nil, field("end", err)
		}
		if !g.Start.IsZero() && g.End.Before(g.Start) {
			return nil, field("end", invalidf("%s is before start %s", p.End, p.Start))
		}
	}
	if p == (period{}) {
		return nil, nil
	}
	return &p, nil
}
