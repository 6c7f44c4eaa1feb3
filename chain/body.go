package chain

import (
	"fmt"
	"sync"
)

// TxType names a transaction body type: one byte on the wire, signed with
// the body. Zero is never valid.
type TxType uint8

// The built-in types. Numbers are frozen.
const (
	TypeRecordAnchor      TxType = 1
	TypeConsentGrant      TxType = 2
	TypeConsentRevoke     TxType = 3
	TypeAccessRequest     TxType = 4
	TypeAccessDecision    TxType = 5
	TypeClinicianRegister TxType = 6
	TypeClinicianRevoke   TxType = 7
	TypeGrantCapsule      TxType = 8
	TypeClinicKey         TxType = 9
	// Emergency access (tx_emergency.go).
	TypeEmergencyAuthorization TxType = 10
	TypeEmergencyAccess        TxType = 11
	TypeEmergencyRelease       TxType = 12
	// Licensing authorities and clinicians' credentials (tx_authority.go,
	// tx_credential.go).
	TypeAuthorityVote    TxType = 13
	TypeCredentialAnchor TxType = 14
	TypeCredentialStatus TxType = 15
	// E-prescriptions (tx_prescription.go).
	TypePrescriptionCommit TxType = 16
	TypeDispense           TxType = 17
	// The medicine supply chain (tx_organisation.go, tx_batch.go,
	// tx_custody.go).
	TypeOrganisationRegister TxType = 18
	TypeOrganisationRevoke   TxType = 19
	TypeBatchCommission      TxType = 20
	TypeShipment             TxType = 21
	TypeReceipt              TxType = 22
	TypePackDispense         TxType = 23
	TypeRecall               TxType = 24
)

// String returns the registered name of t, or "TxType(n)".
func (t TxType) String() string {
	if e := lookupBody(t); e != nil {
		return e.name
	}
	return fmt.Sprintf("TxType(%d)", uint8(t))
}

// Authority says who may sign a body, as a hint for the state layer, which
// enforces it against the current state (this package checks signatures, not
// permissions). "Sender" is the transaction's signer.
type Authority uint8

const (
	// AuthPatientOrWriter: the sender is the patient the body names, or
	// holds an unexpired write grant from that patient covering the record
	// (RecordAnchor).
	AuthPatientOrWriter Authority = iota + 1
	// AuthPatient: the sender is the patient whose records the body
	// concerns, i.e. the sender grants its own data (ConsentGrant,
	// EmergencyAuthorization).
	AuthPatient
	// AuthGranter: the sender signed the grant (or emergency authorization)
	// the body references (ConsentRevoke, GrantCapsule).
	AuthGranter
	// AuthClinician: the sender is a registered, unrevoked clinician
	// (AccessRequest, EmergencyAccess).
	AuthClinician
	// AuthRequestedPatient: the sender is the patient named in the request
	// the body references (AccessDecision).
	AuthRequestedPatient
	// AuthClinic: the sender is a current block signer, a clinic
	// (ClinicianRegister, ClinicianRevoke, ClinicKey, AuthorityVote;
	// EmergencyRelease, whose sender must also hold a share of the
	// authorization).
	AuthClinic
	// AuthLicensing: the sender is an admitted licensing authority whose
	// kinds include the credential's (CredentialAnchor).
	AuthLicensing
	// AuthIssuer: the sender issued the credential the body names and is
	// still admitted (CredentialStatusChange).
	AuthIssuer
	// AuthPrescriber: the sender holds a valid prescriber credential
	// (PrescriptionCommit).
	AuthPrescriber
	// AuthPharmacist: the sender holds a valid pharmacist credential
	// (Dispense).
	AuthPharmacist
	// AuthRegistrar: the sender is a current block signer or an admitted
	// licensing authority (OrganisationRegister); for OrganisationRevoke,
	// a current block signer or the authority that registered the
	// organisation.
	AuthRegistrar
	// AuthManufacturer: the sender is a registered, unrevoked manufacturer
	// (BatchCommission).
	AuthManufacturer
	// AuthCustodian: the sender is a registered, unrevoked organisation
	// holding custody of what the body names (Shipment).
	AuthCustodian
	// AuthConsignee: the sender is the recipient of the shipment the body
	// names (Receipt).
	AuthConsignee
	// AuthPharmacy: the sender is a registered, unrevoked pharmacy holding
	// custody of the pack (PackDispense).
	AuthPharmacy
	// AuthRecaller: the sender is the batch's manufacturer or an admitted
	// licensing authority (Recall).
	AuthRecaller
)

var authorityNames = [...]string{
	AuthPatientOrWriter: "patient-or-writer", AuthPatient: "patient", AuthGranter: "granter",
	AuthClinician: "clinician", AuthRequestedPatient: "requested-patient", AuthClinic: "clinic",
	AuthLicensing: "licensing-authority", AuthIssuer: "issuer", AuthPrescriber: "prescriber", AuthPharmacist: "pharmacist",
	AuthRegistrar: "registrar", AuthManufacturer: "manufacturer", AuthCustodian: "custodian", AuthConsignee: "consignee",
	AuthPharmacy: "pharmacy", AuthRecaller: "recaller",
}

// String returns the authority's name.
func (a Authority) String() string {
	if a > 0 && int(a) < len(authorityNames) {
		return authorityNames[a]
	}
	return fmt.Sprintf("Authority(%d)", uint8(a))
}

// Body is a transaction's payload. A body type is a value type with:
//
//   - Type: its registered TxType;
//   - Validate: every rule that needs no chain state (sizes, enums, set
//     order, key encodings), returning an error wrapping a sentinel;
//   - AppendBody: its canonical encoding, appended to b. Total: it encodes
//     whatever the value holds, valid or not;
//   - Authority: who may sign it (for the state layer).
//
// Its decoder (RegisterBody) must accept exactly the encodings AppendBody
// produces for valid values. Decode enforces this: it re-encodes every body
// it decodes and rejects the input unless the bytes match.
type Body interface {
	Type() TxType
	Validate() error
	AppendBody(b []byte) []byte
	Authority() Authority
}

// BodyDecoder decodes a body of one type from exactly the bytes given
// (rejecting trailing bytes) and validates it.
type BodyDecoder func(body []byte) (Body, error)

type bodyEntry struct {
	name   string
	decode BodyDecoder
}

var registry struct {
	sync.RWMutex
	types [256]*bodyEntry
}

// RegisterBody makes type t decodable, under a name for messages. Adding a
// transaction type is a new body and a RegisterBody call (and a state
// handler), never a change to the transaction or block code. It panics if t
// is zero or already registered; call it from an init function.
func RegisterBody(t TxType, name string, dec BodyDecoder) {
	if t == 0 || dec == nil || name == "" {
		panic("chain: RegisterBody: zero type, empty name or nil decoder")
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.types[t] != nil {
		panic(fmt.Sprintf("chain: RegisterBody: type %d registered twice (%s, %s)", t, registry.types[t].name, name))
	}
	registry.types[t] = &bodyEntry{name: name, decode: dec}
}

func lookupBody(t TxType) *bodyEntry {
	registry.RLock()
	defer registry.RUnlock()
	return registry.types[t]
}

// RegisteredTypes returns the registered types in increasing order.
func RegisteredTypes() []TxType {
	registry.RLock()
	defer registry.RUnlock()
	var ts []TxType
	for t, e := range registry.types {
		if e != nil {
			ts = append(ts, TxType(t))
		}
	}
	return ts
}

func init() {
	RegisterBody(TypeRecordAnchor, "RecordAnchor", decodeRecordAnchor)
	RegisterBody(TypeConsentGrant, "ConsentGrant", decodeConsentGrant)
	RegisterBody(TypeConsentRevoke, "ConsentRevoke", decodeConsentRevoke)
	RegisterBody(TypeAccessRequest, "AccessRequest", decodeAccessRequest)
	RegisterBody(TypeAccessDecision, "AccessDecision", decodeAccessDecision)
	RegisterBody(TypeClinicianRegister, "ClinicianRegister", decodeClinicianRegister)
	RegisterBody(TypeClinicianRevoke, "ClinicianRevoke", decodeClinicianRevoke)
	RegisterBody(TypeGrantCapsule, "GrantCapsule", decodeGrantCapsule)
	RegisterBody(TypeClinicKey, "ClinicKey", decodeClinicKey)
	RegisterBody(TypeEmergencyAuthorization, "EmergencyAuthorization", decodeEmergencyAuthorization)
	RegisterBody(TypeEmergencyAccess, "EmergencyAccess", decodeEmergencyAccess)
	RegisterBody(TypeEmergencyRelease, "EmergencyRelease", decodeEmergencyRelease)
	RegisterBody(TypeAuthorityVote, "AuthorityVote", decodeAuthorityVote)
	RegisterBody(TypeCredentialAnchor, "CredentialAnchor", decodeCredentialAnchor)
	RegisterBody(TypeCredentialStatus, "CredentialStatusChange", decodeCredentialStatusChange)
	RegisterBody(TypePrescriptionCommit, "PrescriptionCommit", decodePrescriptionCommit)
	RegisterBody(TypeDispense, "Dispense", decodeDispense)
	RegisterBody(TypeOrganisationRegister, "OrganisationRegister", decodeOrganisationRegister)
	RegisterBody(TypeOrganisationRevoke, "OrganisationRevoke", decodeOrganisationRevoke)
	RegisterBody(TypeBatchCommission, "BatchCommission", decodeBatchCommission)
	RegisterBody(TypeShipment, "Shipment", decodeShipment)
	RegisterBody(TypeReceipt, "Receipt", decodeReceipt)
	RegisterBody(TypePackDispense, "PackDispense", decodePackDispense)
	RegisterBody(TypeRecall, "Recall", decodeRecall)
}

// finishBody ends a body decoder: trailing bytes, then the body's Validate.
func finishBody(d *Decoder, b Body) (Body, error) {
	if err := d.Finish(); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}
