package rx

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// Version is the prescription format version this package writes and reads.
const Version = 1

// Domain separation: a prescription signature or commitment can never be
// mistaken for any other signed or hashed value in Health Wallet.
const (
	signDomain   = "healthwallet-rx-v1\x00"
	commitDomain = "healthwallet-rx-commit-v1\x00"
)

// Prescription is a signed prescription (version 1): the prescriber's
// MedicationRequest with the facts the chain and the pharmacist need beside
// it, the prescriber's signature over all of them, and the salt that hides
// the commitment on chain.
//
// Whoever holds a Prescription with its salt can match it to its commitment
// on chain and present it at a pharmacy: the patient should hand it over the
// way they would a paper prescription.
type Prescription struct {
	Prescriber     chain.PublicKey
	PrescriberName string
	Patient        string    // the patient's Health Wallet ID (identity.ID), canonical form
	Written        time.Time // the prescriber's clock, UTC, whole seconds; the chain's block time is what counts
	Dispenses      uint8     // 1 + refills
	Expiry         time.Time // last moment it may be dispensed, UTC, whole seconds
	Request        []byte    // the FHIR R4 MedicationRequest, JCS-canonical JSON
	Signature      chain.Signature
	Salt           [32]byte // random; never on chain
}

// Write makes a prescription of o for patient (a Health Wallet ID), signed by
// the prescriber's key, written now. It checks o (errors wrap ErrInvalidOrder)
// but not the prescriber's credential: the chain does that when the
// commitment is submitted.
func Write(o Order, prescriber ed25519.PrivateKey, prescriberName, patient string, now time.Time) (*Prescription, error) {
	return write(o, prescriber, prescriberName, patient, now, rand.Reader)
}

// write is Write with the randomness (the salt, then the resource id) taken
// from random, so that tests can make golden vectors.
func write(o Order, prescriber ed25519.PrivateKey, prescriberName, patient string, now time.Time, random io.Reader) (*Prescription, error) {
	if err := o.CheckAt(now); err != nil {
		return nil, err
	}
	if len(prescriber) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("rx: prescriber key of %d bytes, want %d", len(prescriber), ed25519.PrivateKeySize)
	}
	if prescriberName == "" {
		return nil, invalid("prescriber name is empty")
	}
	if err := checkText("prescriber name", prescriberName, MaxNameLen, false); err != nil {
		return nil, err
	}
	id, err := identity.ParseID(patient)
	if err != nil {
		return nil, fmt.Errorf("rx: patient: %w: %w", err, ErrInvalidOrder)
	}
	written := time.Unix(now.Unix(), 0).UTC()
	expiry := time.Unix(o.ValidUntil.Unix(), 0).UTC()
	if u := written.Unix(); u <= 0 || u > maxUnix {
		return nil, invalid("time of writing %s is out of range", fhirTime(written))
	}

	p := &Prescription{
		Prescriber:     chain.PublicKeyOf(prescriber),
		PrescriberName: prescriberName,
		Patient:        id.String(),
		Written:        written,
		Dispenses:      o.Dispenses(),
		Expiry:         expiry,
	}
	var resourceID [16]byte
	if _, err := io.ReadFull(random, p.Salt[:]); err != nil {
		return nil, fmt.Errorf("rx: salt: %w", err)
	}
	if _, err := io.ReadFull(random, resourceID[:]); err != nil {
		return nil, fmt.Errorf("rx: resource id: %w", err)
	}
	p.Request, err = buildRequest(hex.EncodeToString(resourceID[:]), o, p.Prescriber.String(), prescriberName, p.Patient, written, expiry)
	if err != nil {
		return nil, err
	}
	msg, err := p.signedMessage()
	if err != nil {
		return nil, err
	}
	copy(p.Signature[:], ed25519.Sign(prescriber, msg))
	return p, nil
}

// signed is the object the prescriber signs, and the first fields of the
// handover JSON. Times are Unix seconds, as on chain.
type signed struct {
	V              int             `json:"v"`
	Prescriber     string          `json:"prescriber"`
	PrescriberName string          `json:"prescriberName"`
	Patient        string          `json:"patient"`
	Written        int64           `json:"written"`
	Dispenses      uint8           `json:"dispenses"`
	Expiry         int64           `json:"expiry"`
	Request        json.RawMessage `json:"request"`
}

func (p *Prescription) signedFields() signed {
	return signed{V: Version, Prescriber: p.Prescriber.String(), PrescriberName: p.PrescriberName, Patient: p.Patient,
		Written: p.Written.Unix(), Dispenses: p.Dispenses, Expiry: p.Expiry.Unix(), Request: p.Request}
}

// signedMessage is what the prescriber signs, for Write and VerifySignature
// alike: the domain, then the JCS form of the signed fields.
func (p *Prescription) signedMessage() ([]byte, error) {
	b, err := json.Marshal(p.signedFields())
	if err != nil {
		return nil, fmt.Errorf("rx: encode signed fields: %w", err)
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("rx: canonicalize signed fields: %w", err)
	}
	return append([]byte(signDomain), c...), nil
}

// Commitment is what the prescriber commits on chain:
// SHA-256(domain || salt || signed message || signature). Without the salt,
// nobody can test a guessed prescription (a common drug for a known patient)
// against the chain. The zero Hash means p cannot be encoded (a Request that
// is not JSON), and matches nothing on chain.
func (p *Prescription) Commitment() chain.Hash {
	msg, err := p.signedMessage()
	if err != nil {
		return chain.Hash{}
	}
	h := sha256.New()
	h.Write([]byte(commitDomain))
	h.Write(p.Salt[:])
	h.Write(msg)
	h.Write(p.Signature[:])
	return chain.Hash(h.Sum(nil))
}

// Order reads the order back from the MedicationRequest, for display.
func (p *Prescription) Order() (Order, error) {
	_, o, err := parseRequest(p.Request)
	if err != nil {
		return Order{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return o, nil
}

// VerifySignature checks the prescriber's signature over every signed field
// (ErrAltered if it fails), then that the MedicationRequest agrees with the
// fields beside it (ErrMalformed if not: the prescriber signed a
// contradiction, which this package never writes).
func (p *Prescription) VerifySignature() error {
	if err := p.Prescriber.Check(); err != nil {
		return fmt.Errorf("%w: prescriber key: %v", ErrAltered, err)
	}
	msg, err := p.signedMessage()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !ed25519.Verify(p.Prescriber[:], msg, p.Signature[:]) {
		return fmt.Errorf("%w: the signature of %s does not verify over this content", ErrAltered, p.Prescriber)
	}
	return p.consistent()
}

// consistent checks that the MedicationRequest says what the fields beside
// it say: the chain and the pharmacist go by the fields, the patient's
// record by the request.
func (p *Prescription) consistent() error {
	mr, o, err := parseRequest(p.Request)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	bad := func(what string, signed, request any) error {
		return fmt.Errorf("%w: %s %v beside the request, %v in it", ErrMalformed, what, signed, request)
	}
	switch {
	case mr.Subject.Identifier.Value != p.Patient:
		return bad("patient", p.Patient, mr.Subject.Identifier.Value)
	case mr.Requester.Identifier.Value != p.Prescriber.String():
		return bad("prescriber", p.Prescriber, mr.Requester.Identifier.Value)
	case mr.Requester.Display != p.PrescriberName:
		return bad("prescriber name", p.PrescriberName, mr.Requester.Display)
	case mr.AuthoredOn != fhirTime(p.Written):
		return bad("written", fhirTime(p.Written), mr.AuthoredOn)
	case mr.DispenseRequest.ValidityPeriod.Start != fhirTime(p.Written):
		return bad("validity start", fhirTime(p.Written), mr.DispenseRequest.ValidityPeriod.Start)
	case !o.ValidUntil.Equal(p.Expiry):
		return bad("expiry", fhirTime(p.Expiry), fhirTime(o.ValidUntil))
	case o.Dispenses() != p.Dispenses:
		return bad("dispenses", p.Dispenses, o.Dispenses())
	}
	return nil
}

// Commit is the chain transaction body that commits p.
func (p *Prescription) Commit() chain.PrescriptionCommit {
	return chain.PrescriptionCommit{Commitment: p.Commitment(), Dispenses: p.Dispenses, Expiry: uint64(p.Expiry.Unix())}
}
