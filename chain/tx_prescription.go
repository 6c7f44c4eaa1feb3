package chain

import "fmt"

// PrescriptionCommit is a prescriber's commitment to a prescription: a
// salted hash of the signed prescription (wallet/rx), the number of
// dispenses it allows and the last moment it may be dispensed. No drug,
// dose or patient is on the chain; only whoever holds the prescription
// and its salt (the patient, then the pharmacy they hand it to) can match
// it to the commitment. Signed by a clinician holding a valid prescriber
// credential at the block's time (AuthPrescriber); that block's time is
// the prescription's writing time.
//
// Wire form (body of type 16):
//
//	commitment  fixed 32  non-zero
//	dispenses   u8        1..MaxDispenses
//	expiry      u64       Unix seconds
type PrescriptionCommit struct {
	Commitment Hash
	Dispenses  uint8
	Expiry     uint64
}

func (PrescriptionCommit) Type() TxType { return TypePrescriptionCommit }

func (PrescriptionCommit) Authority() Authority { return AuthPrescriber }

func (p PrescriptionCommit) Validate() error {
	if p.Commitment.IsZero() {
		return fmt.Errorf("commitment is zero: %w", ErrInvalid)
	}
	if p.Dispenses == 0 || p.Dispenses > MaxDispenses {
		return fmt.Errorf("%d dispenses, want 1..%d: %w", p.Dispenses, MaxDispenses, ErrInvalid)
	}
	if p.Expiry == 0 {
		return fmt.Errorf("no expiry: %w", ErrInvalid)
	}
	return nil
}

func (p PrescriptionCommit) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(p.Commitment[:])
	e.Uint8(p.Dispenses)
	e.Uint64(p.Expiry)
	return e.Out()
}

func decodePrescriptionCommit(b []byte) (Body, error) {
	d := NewDecoder(b)
	var p PrescriptionCommit
	p.Commitment = d.Hash("commitment")
	p.Dispenses = d.Uint8("dispenses")
	p.Expiry = d.Uint64("expiry")
	return finishBody(d, p)
}

// Dispense is a pharmacy's record that it dispensed a committed
// prescription for the Seq-th time. Seq must be the next one: a second
// pharmacy presenting the same prescription after the last allowed
// dispense, or racing another for the same one, is refused wherever it
// is. Signed by a clinician holding a valid pharmacist credential at the
// block's time (AuthPharmacist).
//
// Wire form (body of type 17):
//
//	commitment  fixed 32  non-zero
//	seq         u8        1..MaxDispenses
type Dispense struct {
	Commitment Hash
	Seq        uint8
}

func (Dispense) Type() TxType { return TypeDispense }

func (Dispense) Authority() Authority { return AuthPharmacist }

func (d Dispense) Validate() error {
	if d.Commitment.IsZero() {
		return fmt.Errorf("commitment is zero: %w", ErrInvalid)
	}
	if d.Seq == 0 || d.Seq > MaxDispenses {
		return fmt.Errorf("dispense number %d, want 1..%d: %w", d.Seq, MaxDispenses, ErrInvalid)
	}
	return nil
}

func (d Dispense) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(d.Commitment[:])
	e.Uint8(d.Seq)
	return e.Out()
}

func decodeDispense(b []byte) (Body, error) {
	dec := NewDecoder(b)
	var d Dispense
	d.Commitment = dec.Hash("commitment")
	d.Seq = dec.Uint8("seq")
	return finishBody(dec, d)
}
