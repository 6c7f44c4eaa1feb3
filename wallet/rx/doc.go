// Package rx defines Health Wallet's signed e-prescriptions and the
// pharmacist's verdict on one.
//
// It owns:
//
//   - the Order a prescriber fills in and its checks (order.go);
//   - its content, a FHIR R4 MedicationRequest (fhir.go);
//   - the signed Prescription, version 1, and its commitment (prescription.go);
//   - the handover form the patient shows a pharmacy (handover.go);
//   - Verify, the pharmacist's verdict from local chain state (verify.go),
//     each refusal named by a sentinel error (ErrForged, ErrAltered, ...).
//
// It does not own the chain (the rules that only prescribers commit and
// pharmacists dispense, once per allowed dispense, are chain/state's; Verify
// reads the state through the Ledger interface), nor keys, storage or
// delivery (the wallet signs with its key, submits the transactions and
// sends the prescription to the patient as a record). It does no I/O.
//
// # Format
//
// The MedicationRequest has status active, intent order, a
// medicationCodeableConcept with one coding (RxNorm or a local code system),
// subject by Health Wallet ID (urn:healthwallet:id), requester by chain key
// (urn:healthwallet:key) and name, authoredOn, one dosageInstruction text, a
// dispenseRequest (validityPeriod, numberOfRepeatsAllowed, quantity) and an
// optional note. It is kept in its JCS (RFC 8785) form.
//
// The prescriber signs, with Ed25519,
//
//	"healthwallet-rx-v1\x00" || JCS({v: 1, prescriber, prescriberName, patient,
//	                               written, dispenses, expiry, request})
//
// where times are Unix seconds and request is the MedicationRequest object,
// and commits on chain (chain.PrescriptionCommit), with the dispenses and
// expiry,
//
//	SHA-256("healthwallet-rx-commit-v1\x00" || salt || signed message || signature)
//
// The salt is 32 random bytes that never go on chain: without it nobody can
// confirm a guess (a common drug for a known patient) against the
// commitment, so the chain shows that some prescription exists, not what or
// for whom.
//
// The handover text is "hwrx1:" followed by unpadded base64url of the
// DEFLATE-compressed JSON of the signed fields plus signature and salt; a
// realistic prescription is about a kilobyte, one QR code. A .hwrx file holds
// the same text. Whoever holds the text can present the prescription, as with
// a paper one.
//
// Everything decoded here is untrusted: Decode bounds the text and the
// inflated JSON before allocating, refuses unknown or missing fields and
// anything outside the limits (limits.go), and never panics (FuzzDecode).
// Test vectors are in testdata/ (regenerate with go test -run TestGolden
// -update).
package rx
