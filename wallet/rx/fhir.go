package rx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/gowebpki/jcs"
)

// Identifier systems of the parties in a MedicationRequest: the patient by
// Health Wallet ID, the prescriber by chain key (hex), as in wallet/fhirexport.
const (
	SystemID  = "urn:healthwallet:id"
	SystemKey = "urn:healthwallet:key"
)

// The FHIR R4 MedicationRequest elements a prescription holds, and nothing
// else: Order reads it back strictly, so a prescription carries no element a
// pharmacist's screen would not show.
type medicationRequest struct {
	ResourceType      string          `json:"resourceType"`
	ID                string          `json:"id"`
	Status            string          `json:"status"`
	Intent            string          `json:"intent"`
	Medication        codeableConcept `json:"medicationCodeableConcept"`
	Subject           reference       `json:"subject"`
	AuthoredOn        string          `json:"authoredOn"`
	Requester         reference       `json:"requester"`
	Note              []annotation    `json:"note,omitempty"`
	DosageInstruction []dosage        `json:"dosageInstruction"`
	DispenseRequest   dispenseRequest `json:"dispenseRequest"`
}

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Type       string     `json:"type"`
	Identifier identifier `json:"identifier"`
	Display    string     `json:"display,omitempty"`
}

type annotation struct {
	Text string `json:"text"`
}

type dosage struct {
	Text string `json:"text"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type quantity struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

type dispenseRequest struct {
	ValidityPeriod         period   `json:"validityPeriod"`
	NumberOfRepeatsAllowed *int     `json:"numberOfRepeatsAllowed"` // a pointer: 0 is a value, and must be present
	Quantity               quantity `json:"quantity"`
}

// fhirTime writes t as a FHIR dateTime in UTC, whole seconds.
func fhirTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseFHIRTime reads what fhirTime writes, and only that.
func parseFHIRTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || fhirTime(t) != s {
		return time.Time{}, fmt.Errorf("%q is not a UTC date and time in whole seconds", s)
	}
	return t.UTC(), nil
}

// buildRequest returns the JCS form of the MedicationRequest for o, written
// at written by the prescriber for the patient. o must have passed Check.
func buildRequest(id string, o Order, prescriber, prescriberName, patient string, written, expiry time.Time) ([]byte, error) {
	refills := o.Refills
	mr := medicationRequest{
		ResourceType: "MedicationRequest",
		ID:           id,
		Status:       "active",
		Intent:       "order",
		Medication:   codeableConcept{Coding: []coding{{System: o.Medication.System, Code: o.Medication.Code, Display: o.Medication.Display}}},
		Subject:      reference{Type: "Patient", Identifier: identifier{System: SystemID, Value: patient}},
		AuthoredOn:   fhirTime(written),
		Requester: reference{Type: "Practitioner", Identifier: identifier{System: SystemKey, Value: prescriber},
			Display: prescriberName},
		DosageInstruction: []dosage{{Text: o.Dosage}},
		DispenseRequest: dispenseRequest{
			ValidityPeriod:         period{Start: fhirTime(written), End: fhirTime(expiry)},
			NumberOfRepeatsAllowed: &refills,
			Quantity:               quantity{Value: o.Quantity, Unit: o.Unit},
		},
	}
	if o.Note != "" {
		mr.Note = []annotation{{Text: o.Note}}
	}
	return mr.canonical()
}

// canonical is the JCS form of mr.
func (mr *medicationRequest) canonical() ([]byte, error) {
	b, err := json.Marshal(mr)
	if err != nil {
		return nil, fmt.Errorf("rx: encode MedicationRequest: %w", err)
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("rx: canonicalize MedicationRequest: %w", err)
	}
	return c, nil
}

// parseRequest reads a MedicationRequest as buildRequest writes it, in JCS
// form, refusing unknown elements, missing ones, values outside the Order
// bounds and any other form.
func parseRequest(b []byte) (*medicationRequest, Order, error) {
	var mr medicationRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mr); err != nil {
		return nil, Order{}, fmt.Errorf("MedicationRequest: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Order{}, fmt.Errorf("MedicationRequest: data after the object")
	}
	switch {
	case mr.ResourceType != "MedicationRequest":
		return nil, Order{}, fmt.Errorf("resourceType %q, want MedicationRequest", mr.ResourceType)
	case !validID(mr.ID):
		return nil, Order{}, fmt.Errorf("MedicationRequest id %q is not a FHIR id", mr.ID)
	case mr.Status != "active" || mr.Intent != "order":
		return nil, Order{}, fmt.Errorf("status %q, intent %q, want active order", mr.Status, mr.Intent)
	case len(mr.Medication.Coding) != 1:
		return nil, Order{}, fmt.Errorf("%d medication codings, want 1", len(mr.Medication.Coding))
	case len(mr.DosageInstruction) != 1:
		return nil, Order{}, fmt.Errorf("%d dosage instructions, want 1", len(mr.DosageInstruction))
	case len(mr.Note) > 1:
		return nil, Order{}, fmt.Errorf("%d notes, want at most 1", len(mr.Note))
	case mr.Subject.Type != "Patient" || mr.Subject.Identifier.System != SystemID || mr.Subject.Display != "":
		return nil, Order{}, fmt.Errorf("subject is not a patient by Health Wallet ID")
	case mr.Requester.Type != "Practitioner" || mr.Requester.Identifier.System != SystemKey:
		return nil, Order{}, fmt.Errorf("requester is not a practitioner by key")
	case mr.DispenseRequest.NumberOfRepeatsAllowed == nil:
		return nil, Order{}, fmt.Errorf("numberOfRepeatsAllowed missing")
	}
	expiry, err := parseFHIRTime(mr.DispenseRequest.ValidityPeriod.End)
	if err != nil {
		return nil, Order{}, fmt.Errorf("validityPeriod.end: %w", err)
	}
	c := mr.Medication.Coding[0]
	o := Order{
		Medication: Coding{System: c.System, Code: c.Code, Display: c.Display},
		Dosage:     mr.DosageInstruction[0].Text,
		Quantity:   mr.DispenseRequest.Quantity.Value,
		Unit:       mr.DispenseRequest.Quantity.Unit,
		Refills:    *mr.DispenseRequest.NumberOfRepeatsAllowed,
		ValidUntil: expiry,
	}
	if len(mr.Note) == 1 {
		if mr.Note[0].Text == "" {
			return nil, Order{}, fmt.Errorf("empty note")
		}
		o.Note = mr.Note[0].Text
	}
	if err := o.Check(); err != nil {
		return nil, Order{}, err
	}
	// encoding/json matches keys regardless of case and keeps the last of
	// repeated keys; requiring the exact form buildRequest writes refuses
	// those, empty optional strings and anything else it would not write, so
	// the patient's record holds only requests this package can write.
	if c, err := mr.canonical(); err != nil || !bytes.Equal(c, b) {
		return nil, Order{}, fmt.Errorf("MedicationRequest is not in the canonical form of version %d", Version)
	}
	return &mr, o, nil
}

// validID reports whether s is a FHIR id: [A-Za-z0-9-.]{1,64}.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
