package chain

import (
	"fmt"
	"strings"
)

// The coded values of the formats. Each is one byte on the wire; the numbers
// are frozen (append new codes at the end, never renumber), and zero is
// never a valid code, so a zeroed field cannot pass for a real one.

// Category is a coarse record category, as the wallet's catalog files records
// (wallet/fhir Category* names).
type Category uint8

const (
	CategoryConditions Category = iota + 1
	CategoryMedications
	CategoryAllergies
	CategoryObservations
	CategoryImmunizations
	CategoryProcedures
	CategoryEncounters
	CategoryDocuments
	CategoryPatient
	CategoryCareTeam
	CategoryDevices
	CategoryCarePlans
	CategoryBilling
	CategoryOther
	categoryEnd
)

var categoryNames = [...]string{
	CategoryConditions:    "conditions",
	CategoryMedications:   "medications",
	CategoryAllergies:     "allergies",
	CategoryObservations:  "observations",
	CategoryImmunizations: "immunizations",
	CategoryProcedures:    "procedures",
	CategoryEncounters:    "encounters",
	CategoryDocuments:     "documents",
	CategoryPatient:       "patient",
	CategoryCareTeam:      "care-team",
	CategoryDevices:       "devices",
	CategoryCarePlans:     "care-plans",
	CategoryBilling:       "billing",
	CategoryOther:         "other",
}

// Valid reports whether c is a defined category.
func (c Category) Valid() bool { return c > 0 && c < categoryEnd }

// String returns the catalog's name for c ("care-team"), or "Category(n)".
func (c Category) String() string {
	if c.Valid() {
		return categoryNames[c]
	}
	return fmt.Sprintf("Category(%d)", uint8(c))
}

// ParseCategory returns the category with the catalog name s.
func ParseCategory(s string) (Category, error) {
	for c := Category(1); c < categoryEnd; c++ {
		if categoryNames[c] == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("category %q: %w", s, ErrInvalid)
}

// Purpose is a purpose of use, a code of the HL7 v3 PurposeOfUse value set
// (code system http://terminology.hl7.org/CodeSystem/v3-ActReason). The chain
// carries the common codes; String gives the HL7 code.
type Purpose uint8

const (
	PurposeTREAT     Purpose = iota + 1 // treatment
	PurposeETREAT                       // emergency treatment
	PurposeBTG                          // break the glass
	PurposeCAREMGT                      // care management
	PurposePOPHLTH                      // population health
	PurposeHPAYMT                       // healthcare payment
	PurposeCLMATTCH                     // claim attachment
	PurposeCOVERAGE                     // coverage under policy or program
	PurposeHOPERAT                      // healthcare operations
	PurposeHSYSADMIN                    // health system administration
	PurposePATADMIN                     // patient administration
	PurposeHQUALIMP                     // health quality improvement
	PurposeHRESCH                       // healthcare research
	PurposeCLINTRL                      // clinical trial
	PurposePUBHLTH                      // public health
	PurposeHLEGAL                       // legal
	PurposePATRQT                       // patient requested
	PurposeFAMRQT                       // family requested
	PurposePWATRNY                      // power of attorney
	PurposeSUPNWK                       // support network
	PurposeHMARKT                       // healthcare marketing
	PurposeTRAIN                        // training
	PurposeDONAT                        // donation
	PurposeHDIRECT                      // directory
	PurposeRECORDMGT                    // records management
	purposeEnd
)

var purposeCodes = [...]string{
	PurposeTREAT: "TREAT", PurposeETREAT: "ETREAT", PurposeBTG: "BTG", PurposeCAREMGT: "CAREMGT",
	PurposePOPHLTH: "POPHLTH", PurposeHPAYMT: "HPAYMT", PurposeCLMATTCH: "CLMATTCH",
	PurposeCOVERAGE: "COVERAGE", PurposeHOPERAT: "HOPERAT", PurposeHSYSADMIN: "HSYSADMIN",
	PurposePATADMIN: "PATADMIN", PurposeHQUALIMP: "HQUALIMP", PurposeHRESCH: "HRESCH",
	PurposeCLINTRL: "CLINTRL", PurposePUBHLTH: "PUBHLTH", PurposeHLEGAL: "HLEGAL",
	PurposePATRQT: "PATRQT", PurposeFAMRQT: "FAMRQT", PurposePWATRNY: "PWATRNY",
	PurposeSUPNWK: "SUPNWK", PurposeHMARKT: "HMARKT", PurposeTRAIN: "TRAIN",
	PurposeDONAT: "DONAT", PurposeHDIRECT: "HDIRECT", PurposeRECORDMGT: "RECORDMGT",
}

// Valid reports whether p is a defined purpose.
func (p Purpose) Valid() bool { return p > 0 && p < purposeEnd }

// String returns the HL7 code ("TREAT"), or "Purpose(n)".
func (p Purpose) String() string {
	if p.Valid() {
		return purposeCodes[p]
	}
	return fmt.Sprintf("Purpose(%d)", uint8(p))
}

// ParsePurpose returns the purpose with HL7 code s (case-sensitive, as HL7
// codes are).
func ParsePurpose(s string) (Purpose, error) {
	for p := Purpose(1); p < purposeEnd; p++ {
		if purposeCodes[p] == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("purpose of use %q: %w", s, ErrInvalid)
}

// Actions is the set of actions a grant allows, a bitmask.
type Actions uint8

const (
	ActionRead  Actions = 1 << iota // decrypt the records in scope
	ActionWrite                     // anchor new records for the patient
	actionsAll  = ActionRead | ActionWrite
)

// Valid reports whether a is non-empty and has no undefined bits.
func (a Actions) Valid() bool { return a != 0 && a&^actionsAll == 0 }

// String returns e.g. "read+write".
func (a Actions) String() string {
	var parts []string
	if a&ActionRead != 0 {
		parts = append(parts, "read")
	}
	if a&ActionWrite != 0 {
		parts = append(parts, "write")
	}
	if rest := a &^ actionsAll; rest != 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("0x%02x", uint8(rest)))
	}
	return strings.Join(parts, "+")
}

// Role is a registered clinician's coarse role.
type Role uint8

const (
	RolePhysician Role = iota + 1
	RoleNurse
	RolePharmacist
	RoleDentist
	RoleMidwife
	RolePsychologist
	RoleTherapist
	RoleOtherClinician
	roleEnd
)

var roleNames = [...]string{
	RolePhysician: "physician", RoleNurse: "nurse", RolePharmacist: "pharmacist",
	RoleDentist: "dentist", RoleMidwife: "midwife", RolePsychologist: "psychologist",
	RoleTherapist: "therapist", RoleOtherClinician: "other-clinician",
}

// Valid reports whether r is a defined role.
func (r Role) Valid() bool { return r > 0 && r < roleEnd }

// String returns the role's name, or "Role(n)".
func (r Role) String() string {
	if r.Valid() {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Decision is a patient's answer to an access request that is not a grant
// (a grant answers with a ConsentGrant).
type Decision uint8

const (
	DecisionDeclined Decision = iota + 1
	decisionEnd
)

// Valid reports whether d is a defined decision.
func (d Decision) Valid() bool { return d > 0 && d < decisionEnd }

// String returns "declined", or "Decision(n)".
func (d Decision) String() string {
	if d == DecisionDeclined {
		return "declined"
	}
	return fmt.Sprintf("Decision(%d)", uint8(d))
}

// checkASCIIID checks an identifier: 1 to limit bytes of A-Z a-z 0-9 . _ : -
func checkASCIIID(what, s string, limit int) error {
	if len(s) == 0 {
		return fmt.Errorf("%s is empty: %w", what, ErrInvalid)
	}
	if len(s) > limit {
		return fmt.Errorf("%s of %d bytes, limit %d: %w", what, len(s), limit, ErrTooLarge)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return fmt.Errorf("%s: byte 0x%02x at %d (allowed: A-Z a-z 0-9 . _ : -): %w", what, c, i, ErrInvalid)
		}
	}
	return nil
}

// ValidChainID checks a chain ID: 1 to MaxChainIDLen bytes of
// A-Z a-z 0-9 . _ : - (compared byte for byte; case matters).
func ValidChainID(id string) error { return checkASCIIID("chain ID", id, MaxChainIDLen) }

// ValidRecordID checks a record ID: 1 to MaxRecordIDLen bytes of
// A-Z a-z 0-9 . _ : - (the wallet's IDs are 24 lower-case base32 characters).
func ValidRecordID(id string) error { return checkASCIIID("record ID", id, MaxRecordIDLen) }

// ParseRole returns the role named s ("physician").
func ParseRole(s string) (Role, error) {
	for r := Role(1); r < roleEnd; r++ {
		if roleNames[r] == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("role %q: %w", s, ErrInvalid)
}
