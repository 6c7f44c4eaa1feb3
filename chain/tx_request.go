package chain

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// AccessRequest is a clinician asking a patient for access: the scope, the
// purpose, how long (seconds from the grant's start) and a short note for
// the patient. Signed by a registered clinician (AuthClinician). The patient
// answers with a ConsentGrant or an AccessDecision naming this transaction's
// hash.
//
// The note is readable by every consortium member, like everything on chain:
// a wallet should tell its user not to put health information in it.
//
// Wire form (body of type 4):
//
//	patient    fixed 32  Ed25519 key
//	scope      Scope
//	purpose    u8        Purpose
//	duration   u64       seconds, 1 to MaxAccessDuration
//	note       text      0 to MaxNoteLen bytes of UTF-8, no control characters
type AccessRequest struct {
	Patient  PublicKey
	Scope    Scope
	Purpose  Purpose
	Duration uint64
	Note     string
}

func (AccessRequest) Type() TxType { return TypeAccessRequest }

func (AccessRequest) Authority() Authority { return AuthClinician }

func (r AccessRequest) Validate() error {
	if err := checkKey("patient", r.Patient); err != nil {
		return err
	}
	if err := r.Scope.Validate(); err != nil {
		return err
	}
	if !r.Purpose.Valid() {
		return fmt.Errorf("purpose %v: %w", r.Purpose, ErrInvalid)
	}
	if r.Duration == 0 {
		return fmt.Errorf("duration is zero: %w", ErrInvalid)
	}
	if r.Duration > MaxAccessDuration {
		return fmt.Errorf("duration %d s, limit %d: %w", r.Duration, MaxAccessDuration, ErrTooLarge)
	}
	return checkNote(r.Note)
}

func checkNote(s string) error {
	if len(s) > MaxNoteLen {
		return fmt.Errorf("note of %d bytes, limit %d: %w", len(s), MaxNoteLen, ErrTooLarge)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("note is not UTF-8: %w", ErrInvalid)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("note: control character %U at byte %d: %w", r, i, ErrInvalid)
		}
	}
	return nil
}

func (r AccessRequest) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(r.Patient[:])
	e.scope(r.Scope)
	e.Uint8(uint8(r.Purpose))
	e.Uint64(r.Duration)
	e.Text(r.Note)
	return e.Out()
}

func decodeAccessRequest(b []byte) (Body, error) {
	d := NewDecoder(b)
	var r AccessRequest
	r.Patient = d.Key("patient")
	r.Scope = d.scope()
	r.Purpose = Purpose(d.Uint8("purpose"))
	r.Duration = d.Uint64("duration")
	r.Note = d.Text("note", MaxNoteLen)
	return finishBody(d, r)
}
