package fhirexport

import (
	"errors"
	"time"
)

// ErrInvalid is wrapped by every error a builder returns for bad input; the
// message names the field and what is wrong with it.
var ErrInvalid = errors.New("invalid input")

// Identifier and Coding systems this package writes (see the package doc).
const (
	SystemKey      = "urn:healthwallet:key"
	SystemTx       = "urn:healthwallet:tx"
	SystemChain    = "urn:healthwallet:chain"
	SystemRecord   = "urn:healthwallet:record"
	SystemCID      = "urn:healthwallet:cid"
	SystemCategory = "urn:healthwallet:category"
	SystemAction   = "urn:healthwallet:action"
)

// Party kinds.
const (
	KindPatient   = "patient"
	KindClinician = "clinician"
	KindClinic    = "clinic"
)

// Party is someone on the chain.
type Party struct {
	// Key is the hex Ed25519 public key (64 hex digits, either case; written
	// in lower case), the party's chain identity. Required wherever a party is.
	Key string
	// ID is the party's Health Wallet ID (text); may be empty.
	ID string
	// Name is a display name if known; may be empty.
	Name string
	// Kind is KindPatient, KindClinician or KindClinic; it sets the FHIR
	// type of references to the party. Empty means unknown, except where
	// the role implies it (the patient of an entry or grant; the author and
	// clinic of an Authored record).
	Kind string
	// Role is a clinician's registered role such as "physician"; may be empty.
	Role string
}

// Audit actions, the values of Entry.Action.
const (
	ActionRequest            = "request"
	ActionDecline            = "decline"
	ActionGrant              = "grant"
	ActionRevoke             = "revoke"
	ActionExpiry             = "expiry"
	ActionKeyRelease         = "key-release"
	ActionRecordAdded        = "record-added"
	ActionAnchor             = "anchor"
	ActionEmergencyAuthorize = "emergency-authorize"
	ActionEmergencyAccess    = "emergency-access"
	ActionEmergencyRelease   = "emergency-release"
)

// OutcomeDeclined is the Entry.Outcome of a declined access request.
const OutcomeDeclined = "declined"

// Entry is one audit-log entry, exported as an AuditEvent.
type Entry struct {
	// ID is stable and unique across the log (e.g. "<txhash hex>-grant"). It
	// becomes the resource id, hashed if it is not a valid FHIR id. Required.
	ID string
	// Action is one of the Action* constants. Required.
	Action string
	// Recorded is the block time, or for ActionExpiry the expiry time. Required.
	Recorded time.Time
	// Actor is who did it: the transaction's sender; for ActionExpiry the
	// patient. Required.
	Actor Party
	// Patient is whose records the event concerns. Required.
	Patient Party
	// Other is the grantee, the requesting clinician or the releasing clinic,
	// if any. Ignored when it is the actor.
	Other *Party
	// Purpose is an HL7 v3 PurposeOfUse code (TREAT, ETREAT, ...); may be empty.
	Purpose string
	// Tx is the transaction hash (64 hex digits), the chain's id for the
	// event. Required except for ActionExpiry, which no transaction records.
	Tx string
	// Block is the number of the block holding Tx (written only with Tx).
	Block uint64
	// ChainID identifies the chain: 1 to 64 of A-Z a-z 0-9 . _ : -. Required.
	ChainID string
	// Scope holds coarse category names and/or record IDs, each 1 to 64 of
	// A-Z a-z 0-9 . _ : -; may be empty.
	Scope []string
	// Note is a request's free-text note; may be empty.
	Note string
	// Outcome is "" for success or OutcomeDeclined.
	Outcome string
}

// Grant is a consent grant, exported as a Consent.
type Grant struct {
	// ID is the grant transaction's hash (64 hex digits). Required.
	ID string
	// Patient is the granting patient. Required.
	Patient Party
	// Grantee is who may access. Required.
	Grantee Party
	// Categories are the coarse category names the grant covers.
	Categories []string
	// RecordIDs are the individual records the grant covers. Categories and
	// RecordIDs together must name at least one thing.
	RecordIDs []string
	// Read and Write are the actions granted; at least one must be set.
	Read, Write bool
	// Purpose is the HL7 PurposeOfUse code; may be empty.
	Purpose string
	// Start and End bound the grant; a zero time leaves that end open.
	Start, End time.Time
	// Granted is the block time of the grant. Required.
	Granted time.Time
	// Status is an R4 consent-state code: "active", or "inactive" for a
	// revoked or expired grant (also draft, proposed, rejected,
	// entered-in-error). Required.
	Status string
	// Revoked is when the grant was revoked, if it was; Status must then not
	// be "active".
	Revoked *time.Time
	// ChainID identifies the chain; may be empty.
	ChainID string
}

// Authored is a record a clinician added for the patient, exported as a
// Provenance.
type Authored struct {
	// RecordID is the wallet record ID: 1 to 64 of A-Z a-z 0-9 . _ : -. Required.
	RecordID string
	// ResourceType is the FHIR type of the record, e.g. "Observation"; may
	// be empty.
	ResourceType string
	// Author is the clinician. Required.
	Author Party
	// Clinic is the clinic that registered the clinician; the zero Party
	// means unknown.
	Clinic Party
	// Recorded is when the record was anchored (block time). Required.
	Recorded time.Time
	// CID is the content ID of the record's ciphertext. Required.
	CID string
	// Tx is the anchor transaction's hash (64 hex digits). Required.
	Tx string
	// Signature is the Ed25519 signature of the anchor transaction (64
	// bytes); empty leaves the Provenance unsigned.
	Signature []byte
	// ChainID identifies the chain; may be empty.
	ChainID string
}
