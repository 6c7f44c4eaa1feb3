package chain

import "fmt"

// CredentialKind is what a clinician's credential attests: a licence to
// practise as something, or a training certificate. One byte on the wire.
// The credential document (a W3C Verifiable Credential held by the
// clinician) carries the details; the chain holds only the kind.
type CredentialKind uint8

// The kinds. Numbers are frozen.
const (
	KindPhysician  CredentialKind = 1
	KindNurse      CredentialKind = 2
	KindPharmacist CredentialKind = 3
	KindPrescriber CredentialKind = 4
	// KindTraining is a training certificate (for example "MRI safety");
	// its name is in the document, not on the chain.
	KindTraining CredentialKind = 5
	kindEnd      CredentialKind = 6
)

var kindNames = [...]string{
	KindPhysician: "physician", KindNurse: "nurse", KindPharmacist: "pharmacist",
	KindPrescriber: "prescriber", KindTraining: "training",
}

// Valid reports whether k is a defined kind.
func (k CredentialKind) Valid() bool { return k > 0 && k < kindEnd }

// Clinical reports whether k is a licence to treat patients (physician or
// nurse), which emergency access requires.
func (k CredentialKind) Clinical() bool { return k == KindPhysician || k == KindNurse }

// String returns the kind's name.
func (k CredentialKind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("CredentialKind(%d)", uint8(k))
}

// ParseCredentialKind is the inverse of String.
func ParseCredentialKind(s string) (CredentialKind, error) {
	for k := CredentialKind(1); k < kindEnd; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("credential kind %q: %w", s, ErrInvalid)
}

// CredentialKinds is a set of kinds: bit 1<<kind for each. An authority is
// admitted to issue the kinds in its set.
type CredentialKinds uint8

// KindsOf returns the set of the given kinds.
func KindsOf(kinds ...CredentialKind) CredentialKinds {
	var ks CredentialKinds
	for _, k := range kinds {
		ks |= 1 << k
	}
	return ks
}

// Has reports whether k is in the set.
func (ks CredentialKinds) Has(k CredentialKind) bool { return k.Valid() && ks&(1<<k) != 0 }

// Valid reports whether the set holds only defined kinds.
func (ks CredentialKinds) Valid() bool { return ks&^allKinds == 0 }

// Kinds returns the set's kinds in increasing order.
func (ks CredentialKinds) Kinds() []CredentialKind {
	var out []CredentialKind
	for k := CredentialKind(1); k < kindEnd; k++ {
		if ks.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

const allKinds = CredentialKinds(1<<KindPhysician | 1<<KindNurse | 1<<KindPharmacist | 1<<KindPrescriber | 1<<KindTraining)

// CredentialStatus is a credential's standing, set by its issuer.
type CredentialStatus uint8

// The statuses. Numbers are frozen. Revoked is final; suspended can return
// to active (a reinstatement).
const (
	StatusActive    CredentialStatus = 1
	StatusSuspended CredentialStatus = 2
	StatusRevoked   CredentialStatus = 3
	statusEnd       CredentialStatus = 4
)

var statusNames = [...]string{StatusActive: "active", StatusSuspended: "suspended", StatusRevoked: "revoked"}

// Valid reports whether s is a defined status.
func (s CredentialStatus) Valid() bool { return s > 0 && s < statusEnd }

// String returns the status's name.
func (s CredentialStatus) String() string {
	if s.Valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("CredentialStatus(%d)", uint8(s))
}

// ParseCredentialStatus is the inverse of String.
func ParseCredentialStatus(s string) (CredentialStatus, error) {
	for v := CredentialStatus(1); v < statusEnd; v++ {
		if statusNames[v] == s {
			return v, nil
		}
	}
	return 0, fmt.Errorf("credential status %q: %w", s, ErrInvalid)
}
