package wallet

import (
	"bytes"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/healthwallet/healthwallet/wallet/envelope"
)

// capsuleVersion is the key capsule format this code writes and reads.
const capsuleVersion = 1

// maxCapsuleSize bounds a capsule fetched from the network.
const maxCapsuleSize = 16 << 20

// capsule is a sealed key capsule's plaintext: the data keys of the records
// a grant shares, and what the grantee needs to show them. Version 1 is
// this JSON, encrypted as an envelope (wallet/envelope/FORMAT.md) to the
// grantee's and the patient's KEM keys (the patient's wallet reads its own
// capsules to know which records a grant already covers); it goes into IPFS
// and the ConsentGrant (or a later GrantCapsule) carries its content ID. The
// patient is the grant's sender on the chain; the capsule repeats both IDs
// so that one cannot be replayed under another grant. PatientIdentity, the
// patient's public identity record, lets a grantee with a write grant
// encrypt new records to the patient.
type capsule struct {
	Version         int             `json:"version"`
	Patient         string          `json:"patient"` // Health Wallet ID
	Grantee         string          `json:"grantee"`
	PatientIdentity []byte          `json:"patientIdentity,omitempty"` // identity.Public, binary
	Records         []capsuleRecord `json:"records"`
}

type capsuleRecord struct {
	ID           string    `json:"id"`
	CID          string    `json:"cid"` // the ciphertext, anchored by the patient
	Key          []byte    `json:"key"` // the record's data key
	ResourceType string    `json:"resourceType"`
	Category     string    `json:"category"`
	ContentType  string    `json:"contentType"`
	Size         int64     `json:"size"`
	Title        string    `json:"title"`
	Date         time.Time `json:"date,omitzero"`
}

// ErrBadCapsule: a key capsule that does not open or parse.
var ErrBadCapsule = errors.New("wallet: bad key capsule")

func sealCapsule(c capsule, to ...hpke.PublicKey) ([]byte, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := envelope.Encrypt(&out, bytes.NewReader(plain), to...); err != nil {
		return nil, fmt.Errorf("seal capsule: %w", err)
	}
	return out.Bytes(), nil
}

func openCapsule(sealed []byte, k hpke.PrivateKey) (capsule, error) {
	var c capsule
	plain, err := envelope.DecryptAll(sealed, k)
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrBadCapsule, err)
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrBadCapsule, err)
	}
	if c.Version != capsuleVersion {
		return c, fmt.Errorf("%w: version %d", ErrBadCapsule, c.Version)
	}
	for _, r := range c.Records {
		if len(r.Key) != len(envelope.DataKey{}) {
			return c, fmt.Errorf("%w: record %s: key of %d bytes", ErrBadCapsule, r.ID, len(r.Key))
		}
	}
	return c, nil
}
