package chain

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// ClinicianRegister is a clinic's statement that a key belongs to a
// practising clinician of that clinic, with a coarse role and, optionally,
// the clinician's public identity record so patients can encrypt to them.
// Signed by a clinic that is a block signer (AuthClinic).
//
// Identity, when present, is a wallet/identity Public in its binary form
// (version 1, MaxIdentityLen bytes) whose signing key is Clinician. This
// package checks its structure only; a wallet verifies the KEM key's binding
// signature (identity.Public.Verify) before encrypting to it.
//
// Wire form (body of type 6):
//
//	clinician  fixed 32  Ed25519 key
//	role       u8        Role
//	identity   bytes     empty, or the identity record
type ClinicianRegister struct {
	Clinician PublicKey
	Role      Role
	Identity  []byte
}

func (ClinicianRegister) Type() TxType { return TypeClinicianRegister }

func (ClinicianRegister) Authority() Authority { return AuthClinic }

func (r ClinicianRegister) Validate() error {
	if err := checkKey("clinician", r.Clinician); err != nil {
		return err
	}
	if !r.Role.Valid() {
		return fmt.Errorf("role %v: %w", r.Role, ErrInvalid)
	}
	if len(r.Identity) == 0 {
		return nil
	}
	return checkIdentity(r.Identity, r.Clinician)
}

// checkIdentity checks the structure of a wallet/identity Public, version 1:
// 0x01 | signing key[32] | u16 BE 1216 | KEM key | u16 BE 64 | signature.
func checkIdentity(id []byte, key PublicKey) error {
	if len(id) > MaxIdentityLen {
		return fmt.Errorf("identity of %d bytes, limit %d: %w", len(id), MaxIdentityLen, ErrTooLarge)
	}
	if len(id) != MaxIdentityLen {
		return fmt.Errorf("identity of %d bytes, want %d: %w", len(id), MaxIdentityLen, ErrInvalid)
	}
	if id[0] != 0x01 {
		return fmt.Errorf("identity version %d: %w", id[0], ErrInvalid)
	}
	if !bytes.Equal(id[1:1+PublicKeySize], key[:]) {
		return fmt.Errorf("identity is another key's: %w", ErrInvalid)
	}
	off := 1 + PublicKeySize
	if binary.BigEndian.Uint16(id[off:]) != identityKEMKeyLen {
		return fmt.Errorf("identity KEM key length %d: %w", binary.BigEndian.Uint16(id[off:]), ErrInvalid)
	}
	off += 2 + identityKEMKeyLen
	if binary.BigEndian.Uint16(id[off:]) != SignatureSize {
		return fmt.Errorf("identity signature length %d: %w", binary.BigEndian.Uint16(id[off:]), ErrInvalid)
	}
	return nil
}

func (r ClinicianRegister) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(r.Clinician[:])
	e.Uint8(uint8(r.Role))
	e.Bytes(r.Identity)
	return e.Out()
}

func decodeClinicianRegister(b []byte) (Body, error) {
	d := NewDecoder(b)
	var r ClinicianRegister
	r.Clinician = d.Key("clinician")
	r.Role = Role(d.Uint8("role"))
	r.Identity = d.Bytes("identity", MaxIdentityLen)
	return finishBody(d, r)
}
