package chain

import "fmt"

// RecordAnchor puts a record's ciphertext on the record: the patient's key,
// the record's wallet ID, the CID of the encrypted record (never the
// plaintext), a coarse category and a time. Signed by the patient, or by a
// clinician holding the patient's write grant (AuthPatientOrWriter).
//
// Wire form (body of type 1):
//
//	patient    fixed 32   Ed25519 key
//	record ID  text       ValidRecordID
//	CID        bytes      CIDv1 sha2-256 (required)
//	category   u8         Category
//	time       u64        unix seconds, non-zero
type RecordAnchor struct {
	Patient  PublicKey
	RecordID string
	CID      CID
	Category Category
	Time     uint64
}

func (RecordAnchor) Type() TxType { return TypeRecordAnchor }

func (RecordAnchor) Authority() Authority { return AuthPatientOrWriter }

func (a RecordAnchor) Validate() error {
	if err := checkKey("patient", a.Patient); err != nil {
		return err
	}
	if err := ValidRecordID(a.RecordID); err != nil {
		return err
	}
	if a.CID.IsZero() {
		return fmt.Errorf("CID is missing: %w", ErrInvalid)
	}
	if !a.Category.Valid() {
		return fmt.Errorf("category %v: %w", a.Category, ErrInvalid)
	}
	if a.Time == 0 {
		return fmt.Errorf("time is zero: %w", ErrInvalid)
	}
	return nil
}

func (a RecordAnchor) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(a.Patient[:])
	e.Text(a.RecordID)
	e.CID(a.CID)
	e.Uint8(uint8(a.Category))
	e.Uint64(a.Time)
	return e.Out()
}

func decodeRecordAnchor(b []byte) (Body, error) {
	d := NewDecoder(b)
	var a RecordAnchor
	a.Patient = d.Key("patient")
	a.RecordID = d.Text("record ID", MaxRecordIDLen)
	a.CID = d.CID("CID")
	a.Category = Category(d.Uint8("category"))
	a.Time = d.Uint64("time")
	return finishBody(d, a)
}
