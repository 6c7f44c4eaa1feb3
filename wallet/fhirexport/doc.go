// Package fhirexport turns the wallet's audit trail into FHIR R4 (4.0.1) JSON
// that any FHIR tool can read: an AuditEvent per audit-log entry, a Consent
// per consent grant, a Provenance per record a clinician added, and a
// "collection" Bundle to carry many of them in one file.
//
// The builders take plain structs the wallet fills from the chain and return
// one resource as indented JSON. They validate their input first and fail
// with an error wrapping ErrInvalid rather than emit a resource a validator
// would reject: every output has resourceType and a valid id, keeps to R4
// core elements (no extensions, no profiles), carries no empty string, array
// or object, and writes every time as a UTC instant. Output is deterministic:
// the same input gives the same bytes, so exports can be diffed and hashed.
//
// # Identifiers
//
// Chain identities and hashes travel as Identifier values in systems this
// package owns (exported as the System* constants):
//
//	urn:healthwallet:key       hex Ed25519 public key of a party (the chain identity)
//	urn:healthwallet:tx        hex SHA-256 hash of a chain transaction
//	urn:healthwallet:chain     chain ID
//	urn:healthwallet:record    wallet record ID
//	urn:healthwallet:cid       content ID of a record's ciphertext
//	urn:healthwallet:category  coarse record category ("conditions"), a Coding system
//	urn:healthwallet:action    the wallet's own audit action code, a Coding system
//
// References are logical: a Reference carries identifier, type and display,
// never a literal "Patient/..." URL, because the wallet has no FHIR server
// whose ids the reader could resolve. A party's Health Wallet ID, when known,
// is the AuditEvent agent's altId and otherwise only the display fallback,
// since Reference.identifier holds one identifier and the key is the one the
// chain can verify.
//
// Resource ids: a Consent's id is its grant transaction hash and a
// Provenance's id its anchor transaction hash (64 hex digits, already valid
// ids). An AuditEvent's id is Entry.ID when that is a valid FHIR id
// ([A-Za-z0-9-.]{1,64}), else the hex SHA-256 of Entry.ID, so "<txhash>-grant"
// (70 characters) still yields a stable, unique id.
//
// # AuditEvent
//
// Codes: type and subtype from DICOM (http://dicom.nema.org/resources/ontology/DCM),
// action from AuditEventAction. Every event also has a subtype in
// urn:healthwallet:action whose code is the Entry.Action, so a reader can
// tell apart events that share a DICOM type.
//
//	Action               type                    DICOM subtype                               action
//	request              110110 Patient Record   -                                           C
//	decline              110110 Patient Record   -                                           U
//	grant                110110 Patient Record   -                                           C
//	revoke               110110 Patient Record   -                                           U
//	expiry               110110 Patient Record   -                                           U
//	key-release          110106 Export           -                                           R
//	record-added         110107 Import           -                                           C
//	anchor               110110 Patient Record   -                                           C
//	emergency-authorize  110113 Security Alert   110135 Object Security Attributes Changed   C
//	emergency-access     110113 Security Alert   110127 Emergency Override Started           E
//	emergency-release    110106 Export           -                                           R
//
// Consent traffic is routine, so it is a Patient Record event; only the
// break-glass set-up and use are Security Alerts, so that monitors which page
// on alerts are not drowned by ordinary grants. Both kinds of key release
// (a grant's capsule, an emergency key share) are an Export: key material
// leaves the patient's control.
//
// Other elements:
//
//	meta.source     "urn:healthwallet:chain:" + chain ID, on every resource
//	                whose input names the chain
//	recorded        Entry.Recorded as a UTC instant
//	outcome         "0" (success); "4" (minor failure) with an outcomeDesc when
//	                Entry.Outcome is "declined"
//	purposeOfEvent  Entry.Purpose in http://terminology.hl7.org/CodeSystem/v3-ActReason;
//	                only the PurposeOfUse codes the chain carries (chain.Purpose)
//	                are accepted, so no made-up code reaches the output
//	agent[0]        the actor: requestor true, type v3-ParticipationType AUT
//	                "author (originator)" (the sender signed the transaction)
//	agent[1]        Entry.Other, if any and not the actor: requestor false, type
//	                v3-ParticipationType CST "custodian" for a clinic (it holds a
//	                key share), else IRCP "information recipient"
//	agent.who       identifier urn:healthwallet:key, type from Party.Kind
//	                (patient: Patient, clinician: Practitioner, clinic:
//	                Organization), display Name or else Health Wallet ID
//	agent.role      Party.Role as text (the chain's roles are not a coded system)
//	source          site and observer identifier urn:healthwallet:chain = chain ID;
//	                type http://terminology.hl7.org/CodeSystem/security-source-type
//	                "4" Application Server
//	entity[0]       the patient: type audit-entity-type "1" Person, role
//	                object-role "1" Patient
//	entity[1]       the transaction, if Entry.Tx is set: what identifier
//	                urn:healthwallet:tx, type audit-entity-type "2" System Object,
//	                detail "block" (block number), one detail "scope" per scope
//	                item, detail "note" (the request's note)
//
// The note is free text a clinician typed, so it goes in entity.detail
// (valueString), never in entity.description or name. Without a transaction
// (an expiry need not have one) the details go on the patient entity.
//
// # Consent
//
//	status      Grant.Status, an R4 consent-state code (draft, proposed,
//	            active, rejected, inactive, entered-in-error); the wallet's
//	            "inactive" covers revoked and expired grants
//	identifier  urn:healthwallet:tx = grant transaction hash
//	scope       consentscope "patient-privacy" Privacy Consent
//	category    LOINC 59284-0
//	patient     the patient; performer [the patient], who granted
//	dateTime    Grant.Granted
//	policyRule  v3-ActCode OPTIN "opt-in" (satisfies invariant ppc-1)
//	provision   root: period (Start, End), actor, action, purpose; then one
//	            nested provision of type "permit" for the categories (class,
//	            urn:healthwallet:category) and one for the records (data,
//	            meaning "instance", reference identifier urn:healthwallet:record)
//	actor.role  v3-ParticipationType IRCP "information recipient" for a read
//	            grant, AUT "author (originator)" for a write grant (both when
//	            both), reference = the grantee
//	action      consentaction "access" for read; "correct" (Access and
//	            Correct) for write, the consentaction code closest to adding
//	            to and amending the patient's record
//	purpose     Grant.Purpose in v3-ActReason
//
// The scope sits in nested provisions because R4 reserves provision.type for
// nested rules and ANDs the criteria of one provision: class and data side by
// side would mean "records that are in these categories and among these
// IDs", while a grant covers the union. The revocation time has no R4
// Consent element; the revoke AuditEvent carries it.
//
// # Provenance
//
//	target     the record: identifier urn:healthwallet:record, type
//	           Authored.ResourceType, display "<type> <record ID>"
//	recorded   Authored.Recorded
//	activity   v3-DataOperation CREATE "create"
//	agent      type provenance-participant-type "author"; who = the clinician;
//	           role = the clinician's role as text; onBehalfOf = the clinic
//	entity     role "source", what identifier urn:healthwallet:cid = ciphertext CID
//	signature  type urn:iso-astm:E1762-95:2013 1.2.840.10065.1.12.1.1 Author's
//	           Signature, when = Recorded, who = the clinician, onBehalfOf = the
//	           clinic, sigFormat application/octet-stream, data = the raw 64-byte
//	           Ed25519 signature of the anchor transaction
//
// The signature is over the chain transaction's encoding, not over a FHIR
// resource, so it is verified against the chain (the Provenance id names the
// transaction), not against the target.
//
// # Bundle
//
// Bundle wraps resources, each of which must have a resourceType and a valid
// id, in a "collection" Bundle. Each entry's fullUrl is "urn:uuid:" and a
// UUID derived from "<resourceType>/<id>" with SHA-256 (version 8, the RFC
// 9562 form for hash-based custom UUIDs), so re-exporting the same resources
// gives the same fullUrls. Two entries with the same type and id are an
// error (invariant bdl-7). The Bundle's own id is derived from its entries;
// it has no timestamp, which would make exports differ run to run.
package fhirexport
