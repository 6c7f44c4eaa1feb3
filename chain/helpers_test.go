package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

const testChain = "healthwallet-test-1"

// testKey returns a deterministic key: the Ed25519 key whose seed is
// SHA-256("healthwallet-chain-test/" + name).
func testKey(name string) ed25519.PrivateKey {
	seed := testSeed(name)
	return ed25519.NewKeyFromSeed(seed[:])
}

func testSeed(name string) [32]byte { return sha256.Sum256([]byte("healthwallet-chain-test/" + name)) }

func testPub(name string) PublicKey { return PublicKeyOf(testKey(name)) }

// testCID returns the CIDv1 (codec raw or dag-pb) whose digest is the
// SHA-256 of data.
func testCID(t testing.TB, codec byte, data string) CID {
	t.Helper()
	sum := sha256.Sum256([]byte(data))
	c, err := CIDFromBytes(append([]byte{1, codec, 0x12, 0x20}, sum[:]...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testIdentity returns a structurally valid wallet/identity Public record
// for key (filler bytes for the KEM key and its signature).
func testIdentity(key PublicKey) []byte {
	b := []byte{1}
	b = append(b, key[:]...)
	b = binary.BigEndian.AppendUint16(b, identityKEMKeyLen)
	for i := range identityKEMKeyLen {
		b = append(b, byte(i*7))
	}
	b = binary.BigEndian.AppendUint16(b, SignatureSize)
	return append(b, make([]byte, SignatureSize)...)
}

type sample struct {
	name   string
	signer string // key name
	nonce  uint64
	body   Body
}

// samples returns a body of every registered type (some types twice), with
// the name of the key that would sign it.
func samples(t testing.TB) []sample {
	t.Helper()
	return []sample{
		{"RecordAnchor", "patient", 0, RecordAnchor{
			Patient:  testPub("patient"),
			RecordID: "k7ta2hvn3pq4x6c5m2ew4bzy",
			CID:      testCID(t, codecRaw, "record ciphertext"),
			Category: CategoryMedications,
			Time:     1767225600,
		}},
		{"RecordAnchor-by-clinician", "clinician", 3, RecordAnchor{
			Patient:  testPub("patient"),
			RecordID: "q2ms7dcx4yb5nfk3hw6gzt7a",
			CID:      testCID(t, codecDagPB, "large record ciphertext"),
			Category: CategoryObservations,
			Time:     1767229200,
		}},
		{"ConsentGrant", "patient", 1, ConsentGrant{
			Grantee: testPub("clinician"),
			Scope: NewScope([]string{"q2ms7dcx4yb5nfk3hw6gzt7a", "k7ta2hvn3pq4x6c5m2ew4bzy"},
				[]Category{CategoryMedications, CategoryAllergies}),
			Actions:   ActionRead | ActionWrite,
			Purpose:   PurposeTREAT,
			NotBefore: 1767225600,
			Expiry:    1767225600 + 30*86400,
			Capsule:   testCID(t, codecRaw, "key capsule"),
		}},
		{"ConsentGrant-write-only", "patient", 2, ConsentGrant{
			Grantee:   testPub("clinician"),
			Scope:     NewScope(nil, []Category{CategoryObservations}),
			Actions:   ActionWrite,
			Purpose:   PurposeETREAT,
			NotBefore: 1767225600,
			Expiry:    1767225600 + 86400,
		}},
		{"ConsentRevoke", "patient", 4, ConsentRevoke{Grant: sha256.Sum256([]byte("a grant"))}},
		{"AccessRequest", "clinician", 0, AccessRequest{
			Patient:  testPub("patient"),
			Scope:    NewScope(nil, []Category{CategoryImmunizations, CategoryConditions}),
			Purpose:  PurposeTREAT,
			Duration: 7 * 86400,
			Note:     "Dr. Müller, Praxis am Markt: für die Überweisung",
		}},
		{"AccessDecision", "patient", 5, AccessDecision{Request: sha256.Sum256([]byte("a request")), Decision: DecisionDeclined}},
		{"ClinicianRegister", "clinic-a", 0, ClinicianRegister{
			Clinician: testPub("clinician"),
			Role:      RolePhysician,
			Identity:  testIdentity(testPub("clinician")),
		}},
		{"ClinicianRegister-no-identity", "clinic-a", 1, ClinicianRegister{Clinician: testPub("nurse"), Role: RoleNurse}},
		{"ClinicianRevoke", "clinic-a", 2, ClinicianRevoke{Clinician: testPub("nurse")}},
		{"GrantCapsule", "patient", 6, GrantCapsule{Grant: sha256.Sum256([]byte("a grant")), Capsule: testCID(t, codecRaw, "second key capsule")}},
		{"ClinicKey", "clinic-b", 0, ClinicKey{Identity: testIdentity(testPub("clinic-b"))}},
		{"EmergencyAuthorization", "patient", 7, EmergencyAuthorization{
			Summary:   testCID(t, codecRaw, "emergency summary ciphertext"),
			Shares:    testCID(t, codecRaw, "sealed shares"),
			Threshold: 2,
			Holders:   sortedKeys("clinic-a", "clinic-b", "clinic-c"),
		}},
		{"EmergencyAccess", "clinician", 1, EmergencyAccess{
			Patient:       testPub("patient"),
			Authorization: sha256.Sum256([]byte("an emergency authorization")),
			Purpose:       PurposeETREAT,
			Note:          "ED Klinikum Nord, patient unresponsive",
		}},
		{"EmergencyRelease", "clinic-a", 3, EmergencyRelease{Access: sha256.Sum256([]byte("an emergency access")), Share: testCID(t, codecRaw, "re-sealed share")}},
		{"AuthorityVote", "clinic-a", 4, AuthorityVote{Key: testPub("board"), Admit: true, Name: "Medisch Tuchtcollege Noord", Kinds: KindsOf(KindPhysician, KindNurse, KindPrescriber)}},
		{"AuthorityVote-remove", "clinic-b", 1, AuthorityVote{Key: testPub("board")}},
		{"CredentialAnchor", "board", 0, CredentialAnchor{
			Credential: sha256.Sum256([]byte("a credential document")),
			Subject:    testPub("clinician"),
			Kind:       KindPrescriber,
			ValidFrom:  1767225600,
			ValidUntil: 1767225600 + 5*365*86400,
		}},
		{"CredentialStatusChange", "board", 1, CredentialStatusChange{Credential: sha256.Sum256([]byte("a credential document")), Status: StatusSuspended}},
		{"PrescriptionCommit", "clinician", 2, PrescriptionCommit{Commitment: sha256.Sum256([]byte("a prescription commitment")), Dispenses: 3, Expiry: 1767225600 + 90*86400}},
		{"Dispense", "pharmacist", 0, Dispense{Commitment: sha256.Sum256([]byte("a prescription commitment")), Seq: 1}},
		{"OrganisationRegister", "clinic-a", 5, OrganisationRegister{Org: testPub("manufacturer"), Role: OrgManufacturer, Name: "Pharma Nord GmbH", GLN: "4098765000003"}},
		{"OrganisationRegister-no-gln", "board", 2, OrganisationRegister{Org: testPub("pharmacy"), Role: OrgPharmacy, Name: "Apotheke am Markt"}},
		{"OrganisationRevoke", "clinic-b", 2, OrganisationRevoke{Org: testPub("wholesaler")}},
		{"BatchCommission", "manufacturer", 0, BatchCommission{
			GTIN:    "09506000134352",
			Lot:     "L2026-11A",
			Expiry:  "290100",
			Count:   100000,
			Serials: sha256.Sum256([]byte("a serials Merkle root")),
			List:    testCID(t, codecRaw, "signed serial list"),
		}},
		{"Shipment-whole", "manufacturer", 1, Shipment{GTIN: "09506000134352", Lot: "L2026-11A", To: testPub("wholesaler")}},
		{"Shipment", "wholesaler", 0, Shipment{GTIN: "09506000134352", Lot: "L2026-11A", To: testPub("pharmacy"),
			Serials: []string{"100000042", "100000043", "7HX%2F-Q9"}}},
		{"Receipt", "pharmacy", 0, Receipt{Shipment: sha256.Sum256([]byte("a shipment"))}},
		{"PackDispense", "pharmacy", 1, PackDispense{GTIN: "09506000134352", Lot: "L2026-11A", Serial: "100000042"}},
		{"Recall", "manufacturer", 2, Recall{GTIN: "09506000134352", Lot: "L2026-11A", Action: ActionRecall}},
		{"Recall-serials", "board", 3, Recall{GTIN: "09506000134352", Lot: "L2026-11A", Serials: []string{"100000043"}, Action: ActionQuarantine}},
	}
}

func signSample(t testing.TB, s sample) *Tx {
	t.Helper()
	tx, err := Sign(testKey(s.signer), testChain, s.nonce, s.body)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	return tx
}

// rawTx encodes a transaction envelope from arbitrary parts, valid or not.
func rawTx(version uint8, chainID string, typ TxType, sender PublicKey, nonce uint64, body []byte, sig Signature) []byte {
	e := NewEncoder(nil)
	e.Uint8(version)
	e.Text(chainID)
	e.Uint8(uint8(typ))
	e.Fixed(sender[:])
	e.Uint64(nonce)
	e.Bytes(body)
	e.Fixed(sig[:])
	return e.Out()
}

// signedRaw signs an arbitrary body encoding with key name's key, as Sign
// would if the body were valid.
func signedRaw(name string, typ TxType, body []byte, nonce uint64) []byte {
	priv := testKey(name)
	pub := PublicKeyOf(priv)
	var sig Signature
	copy(sig[:], ed25519.Sign(priv, SigningMessage(testChain, typ, body, nonce, pub)))
	return rawTx(TxVersion, testChain, typ, pub, nonce, body, sig)
}

// testHeader returns a sealed header of block number n with a vote.
func testHeader(t testing.TB, n uint64, txRoot Hash) Header {
	t.Helper()
	h := Header{
		ChainID:    testChain,
		ParentHash: sha256.Sum256([]byte("parent")),
		Number:     n,
		Time:       1767225600 + 2*n,
		TxRoot:     txRoot,
		StateRoot:  sha256.Sum256([]byte("state")),
		Difficulty: DiffInTurn,
		Vote:       &Vote{Target: testPub("clinic-c"), Authorize: true},
	}
	if err := h.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	return h
}

func sortedKeys(names ...string) []PublicKey {
	ks := make([]PublicKey, len(names))
	for i, n := range names {
		ks[i] = testPub(n)
	}
	for i := range ks { // insertion sort: tiny lists
		for j := i; j > 0 && string(ks[j][:]) < string(ks[j-1][:]); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// wantErr fails unless err wraps want (nil: no error).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
	if !strings.HasPrefix(err.Error(), "chain: ") {
		t.Fatalf("%s: error %q lacks the package prefix", what, err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
