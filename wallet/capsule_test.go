package wallet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/healthwallet/healthwallet/wallet/identity"
)

func testIdentity(t *testing.T, b byte) *identity.Identity {
	t.Helper()
	id, err := identity.FromEntropy(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A capsule opens only with the grantee's key; a stranger holding the
// sealed bytes (they are in IPFS for anyone to fetch) gets nothing.
func TestCapsuleOnlyForTheGrantee(t *testing.T) {
	patient, doctor, stranger := testIdentity(t, 1), testIdentity(t, 2), testIdentity(t, 3)
	kem, err := doctor.Public().KEM()
	if err != nil {
		t.Fatal(err)
	}
	c := capsule{Version: capsuleVersion, Patient: patient.ID().String(), Grantee: doctor.ID().String(),
		Records: []capsuleRecord{{ID: "r1", CID: "bafk", Key: bytes.Repeat([]byte{7}, 32), Title: "Hypertension"}}}
	sealed, err := sealCapsule(c, kem)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Hypertension")) {
		t.Fatal("capsule plaintext visible")
	}
	got, err := openCapsule(sealed, doctor.KEMKey())
	if err != nil || got.Records[0].Title != "Hypertension" || !bytes.Equal(got.Records[0].Key, c.Records[0].Key) {
		t.Fatalf("grantee: %+v %v", got, err)
	}
	if _, err := openCapsule(sealed, stranger.KEMKey()); !errors.Is(err, ErrBadCapsule) {
		t.Fatalf("stranger: %v", err)
	}
	c.Version = 2
	sealed, _ = sealCapsule(c, kem)
	if _, err := openCapsule(sealed, doctor.KEMKey()); !errors.Is(err, ErrBadCapsule) {
		t.Fatalf("version 2: %v", err)
	}
	c.Version, c.Records[0].Key = capsuleVersion, []byte{1, 2}
	sealed, _ = sealCapsule(c, kem)
	if _, err := openCapsule(sealed, doctor.KEMKey()); !errors.Is(err, ErrBadCapsule) {
		t.Fatalf("short key: %v", err)
	}
}
