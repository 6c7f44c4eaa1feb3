package fhirexport

import (
	"fmt"
	"strconv"
)

type auditEvent struct {
	ResourceType   string            `json:"resourceType"`
	ID             string            `json:"id"`
	Meta           *meta             `json:"meta,omitempty"`
	Type           coding            `json:"type"`
	Subtype        []coding          `json:"subtype,omitempty"`
	Action         string            `json:"action,omitempty"`
	Recorded       string            `json:"recorded"`
	Outcome        string            `json:"outcome,omitempty"`
	OutcomeDesc    string            `json:"outcomeDesc,omitempty"`
	PurposeOfEvent []codeableConcept `json:"purposeOfEvent,omitempty"`
	Agent          []auditAgent      `json:"agent"`
	Source         auditSource       `json:"source"`
	Entity         []auditEntity     `json:"entity,omitempty"`
}

type auditAgent struct {
	Type      *codeableConcept  `json:"type,omitempty"`
	Role      []codeableConcept `json:"role,omitempty"`
	Who       *reference        `json:"who,omitempty"`
	AltID     string            `json:"altId,omitempty"`
	Requestor bool              `json:"requestor"`
}

type auditSource struct {
	Site     string    `json:"site,omitempty"`
	Observer reference `json:"observer"`
	Type     []coding  `json:"type,omitempty"`
}

type auditEntity struct {
	What   *reference    `json:"what,omitempty"`
	Type   *coding       `json:"type,omitempty"`
	Role   *coding       `json:"role,omitempty"`
	Detail []auditDetail `json:"detail,omitempty"`
}

type auditDetail struct {
	Type        string `json:"type"`
	ValueString string `json:"valueString"`
}

// auditKind is how one wallet action maps to AuditEvent codes (the table in
// the package doc).
type auditKind struct {
	typ     coding
	subtype *coding // DICOM subtype, if one fits
	action  string  // AuditEventAction
	display string  // display of the urn:healthwallet:action subtype
}

var (
	dcmPatientRecord = coding{sysDCM, "110110", "Patient Record"}
	dcmExport        = coding{sysDCM, "110106", "Export"}
	dcmImport        = coding{sysDCM, "110107", "Import"}
	dcmSecurityAlert = coding{sysDCM, "110113", "Security Alert"}
)

var auditKinds = map[string]auditKind{
	ActionRequest:            {dcmPatientRecord, nil, "C", "access requested"},
	ActionDecline:            {dcmPatientRecord, nil, "U", "access request declined"},
	ActionGrant:              {dcmPatientRecord, nil, "C", "consent granted"},
	ActionRevoke:             {dcmPatientRecord, nil, "U", "consent revoked"},
	ActionExpiry:             {dcmPatientRecord, nil, "U", "consent expired"},
	ActionKeyRelease:         {dcmExport, nil, "R", "record keys released to grantee"},
	ActionRecordAdded:        {dcmImport, nil, "C", "record added by clinician"},
	ActionAnchor:             {dcmPatientRecord, nil, "C", "record anchored on chain"},
	ActionEmergencyAuthorize: {dcmSecurityAlert, &coding{sysDCM, "110135", "Object Security Attributes Changed"}, "C", "emergency access authorized"},
	ActionEmergencyAccess:    {dcmSecurityAlert, &coding{sysDCM, "110127", "Emergency Override Started"}, "E", "emergency access opened"},
	ActionEmergencyRelease:   {dcmExport, nil, "R", "emergency key share released"},
}

// AuditEvent returns e as a FHIR R4 AuditEvent in JSON.
func AuditEvent(e Entry) ([]byte, error) {
	ev, err := buildAuditEvent(e)
	if err != nil {
		return nil, fmt.Errorf("fhirexport: audit entry %q: %w", clip(e.ID), err)
	}
	return encode(ev)
}

func buildAuditEvent(e Entry) (*auditEvent, error) {
	if text(e.ID) == "" {
		return nil, field("ID", invalidf("empty"))
	}
	kind, ok := auditKinds[e.Action]
	if !ok {
		return nil, field("action", invalidf("unknown action %q", clip(e.Action)))
	}
	recorded, err := instant(e.Recorded)
	if err != nil {
		return nil, field("recorded", err)
	}
	if err := asciiID(e.ChainID); err != nil {
		return nil, field("chain ID", err)
	}
	ev := &auditEvent{
		ResourceType: "AuditEvent",
		ID:           resourceID(e.ID),
		Meta:         &meta{Source: SystemChain + ":" + e.ChainID},
		Type:         kind.typ,
		Action:       kind.action,
		Recorded:     recorded,
		Outcome:      "0",
		Source: auditSource{
			Site:     e.ChainID,
			Observer: reference{Identifier: &identifier{SystemChain, e.ChainID}, Display: "Health Wallet chain " + e.ChainID},
			Type:     []coding{{sysSourceType, "4", "Application Server"}},
		},
	}
	if kind.subtype != nil {
		ev.Subtype = append(ev.Subtype, *kind.subtype)
	}
	ev.Subtype = append(ev.Subtype, coding{SystemAction, e.Action, kind.display})

	switch e.Outcome {
	case "":
	case OutcomeDeclined:
		// A decline is the request failing, not the system failing: "4"
		// (minor failure) rather than "8" (serious failure).
		ev.Outcome = "4"
		ev.OutcomeDesc = "access request declined by the patient"
	default:
		return nil, field("outcome", invalidf("%q, want empty or %q", clip(e.Outcome), OutcomeDeclined))
	}

	purpose, err := purposeCoding(e.Purpose)
	if err != nil {
		return nil, err
	}
	if purpose != nil {
		ev.PurposeOfEvent = []codeableConcept{concept(*purpose)}
	}

	actor, err := agent(e.Actor, codingAuthor, true)
	if err != nil {
		return nil, field("actor", err)
	}
	ev.Agent = append(ev.Agent, actor)
	if e.Other != nil {
		role := codingRecipient
		if e.Other.Kind == KindClinic {
			role = codingCustodian
		}
		other, err := agent(*e.Other, role, false)
		if err != nil {
			return nil, field("other", err)
		}
		if *other.Who.Identifier != *actor.Who.Identifier {
			ev.Agent = append(ev.Agent, other)
		}
	}

	patient, err := e.Patient.patientRef()
	if err != nil {
		return nil, field("patient", err)
	}
	ev.Entity = append(ev.Entity, auditEntity{
		What: &patient,
		Type: &coding{sysEntityType, "1", "Person"},
		Role: &coding{sysObjectRole, "1", "Patient"},
	})
	details, err := entryDetails(e)
	if err != nil {
		return nil, err
	}
	switch {
	case e.Tx != "":
		tx, err := hexHash(e.Tx)
		if err != nil {
			return nil, field("tx", err)
		}
		details = append([]auditDetail{{"block", strconv.FormatUint(e.Block, 10)}}, details...)
		ev.Entity = append(ev.Entity, auditEntity{
			What:   &reference{Identifier: &identifier{SystemTx, tx}},
			Type:   &coding{sysEntityType, "2", "System Object"},
			Detail: details,
		})
	case e.Action != ActionExpiry:
		return nil, field("tx", invalidf("empty, but a %s is a chain transaction", e.Action))
	default:
		ev.Entity[0].Detail = details
	}
	return ev, nil
}

func agent(p Party, typ coding, requestor bool) (auditAgent, error) {
	who, err := p.ref("")
	if err != nil {
		return auditAgent{}, err
	}
	t := concept(typ)
	return auditAgent{Type: &t, Role: p.roles(), Who: &who, AltID: text(p.ID), Requestor: requestor}, nil
}

// entryDetails holds the scope and the note, which say what the event was
// about beyond the patient.
func entryDetails(e Entry) ([]auditDetail, error) {
	var out []auditDetail
	for i, s := range e.Scope {
		if err := asciiID(s); err != nil {
			return nil, field(fmt.Sprintf("scope[%d]", i), err)
		}
		out = append(out, auditDetail{"scope", s})
	}
	if n := text(e.Note); n != "" {
		out = append(out, auditDetail{"note", n})
	}
	return out, nil
}
