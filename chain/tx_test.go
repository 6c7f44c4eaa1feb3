package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestTxRoundTrip(t *testing.T) {
	seen := map[TxType]bool{}
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			tx := signSample(t, s)
			seen[tx.Type()] = true
			if tx.Type() != s.body.Type() || tx.Nonce() != s.nonce || tx.Sender() != testPub(s.signer) || tx.ChainID() != testChain {
				t.Fatalf("envelope fields: %v %d %s %q", tx.Type(), tx.Nonce(), tx.Sender(), tx.ChainID())
			}
			if !reflect.DeepEqual(tx.Body(), s.body) {
				t.Fatalf("body %#v, want %#v", tx.Body(), s.body)
			}
			if err := tx.Verify(testChain); err != nil {
				t.Fatal(err)
			}
			enc := tx.Encode()
			if tx.Size() != len(enc) || tx.Size() > MaxTxSize {
				t.Fatalf("size %d, encoding %d", tx.Size(), len(enc))
			}
			if tx.Hash() != sha256.Sum256(enc) {
				t.Fatal("hash is not SHA-256 of the encoding")
			}
			got, err := Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Encode(), enc) || got.Hash() != tx.Hash() || !reflect.DeepEqual(got.Body(), s.body) {
				t.Fatal("decode(encode(tx)) differs")
			}
			if err := got.Verify(testChain); err != nil {
				t.Fatal(err)
			}
			// The decoded transaction owns its bytes.
			for i := range enc {
				enc[i] ^= 0xff
			}
			if got.Hash() != tx.Hash() || !bytes.Equal(got.Encode(), tx.Encode()) || got.Verify(testChain) != nil {
				t.Fatal("decoded tx aliases its input")
			}
			// Signing is deterministic (Ed25519): same inputs, same bytes.
			if again := signSample(t, s); !bytes.Equal(again.Encode(), tx.Encode()) {
				t.Fatal("signing twice gave different bytes")
			}
			if s.body.Authority() == 0 || s.body.Authority().String() == "" {
				t.Fatal("body without an authority hint")
			}
		})
	}
	for _, typ := range RegisteredTypes() {
		if !seen[typ] {
			t.Errorf("no sample of registered type %v", typ)
		}
	}
}

func TestSignRejectsInvalidBodies(t *testing.T) {
	priv := testKey("patient")
	base := samples(t)[2].body.(ConsentGrant)
	cases := []struct {
		name string
		body Body
		want error
	}{
		{"nil body", nil, ErrInvalid},
		{"unsorted scope", func() Body { g := base; g.Scope.RecordIDs = []string{"b", "a"}; return g }(), ErrNonCanonical},
		{"empty scope", func() Body { g := base; g.Scope = Scope{}; return g }(), ErrInvalid},
		{"read without capsule", func() Body { g := base; g.Capsule = CID{}; return g }(), ErrInvalid},
		{"expiry before start", func() Body { g := base; g.Expiry = g.NotBefore; return g }(), ErrInvalid},
		{"small-order grantee", func() Body { g := base; g.Grantee = PublicKey{1}; return g }(), ErrBadKey},
		{"scope too big", func() Body {
			g := base
			ids := make([]string, MaxScopeEntries)
			for i := range ids {
				ids[i] = strings.Repeat("r", 4) + string(rune('a'+i/26/26%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
			}
			g.Scope = NewScope(ids, []Category{CategoryOther})
			return g
		}(), ErrTooLarge},
	}
	for _, c := range cases {
		_, err := Sign(priv, testChain, 0, c.body)
		wantErr(t, c.name, err, c.want)
	}
	// The largest built-in body (a grant of MaxScopeEntries longest record
	// IDs) fits a transaction with room to spare.
	g := base
	ids := make([]string, MaxScopeEntries)
	for i := range ids {
		ids[i] = strings.Repeat("r", MaxRecordIDLen-3) + string(rune('a'+i/26/26%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
	}
	g.Scope = NewScope(ids, nil)
	big, err := Sign(priv, strings.Repeat("c", MaxChainIDLen), 0, g)
	if err != nil {
		t.Fatal(err)
	}
	if big.Size() > MaxTxSize {
		t.Fatalf("largest grant is %d bytes", big.Size())
	}
	if testing.Verbose() {
		t.Logf("largest grant: %d bytes", big.Size())
	}
	_, err = Sign(priv, "bad chain id", 0, base)
	wantErr(t, "chain ID with spaces", err, ErrInvalid)
	_, err = Sign(priv[:10], testChain, 0, base)
	wantErr(t, "short private key", err, ErrInvalid)
}

func TestVerifyRejects(t *testing.T) {
	tx := signSample(t, samples(t)[2])
	enc := tx.Encode()
	wantErr(t, "wrong chain", tx.Verify("healthwallet-test-2"), ErrWrongChain)

	// Offsets in the envelope: version, chain ID (1-byte length), type,
	// sender, nonce, body length (2 bytes here), body, signature.
	nonceOff := 1 + 1 + len(testChain) + 1 + PublicKeySize
	bodyOff := nonceOff + 8 + 2
	if enc[nonceOff+8] < 0x80 {
		t.Fatal("test assumes a 2-byte body length")
	}
	tamper := func(name string, off int, bit byte) {
		t.Helper()
		b := bytes.Clone(enc)
		b[off] ^= bit
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: tampered encoding no longer decodes: %v", name, err)
		}
		wantErr(t, name, got.Verify(testChain), ErrBadSignature)
	}
	tamper("nonce", nonceOff+7, 1)
	tamper("body: not-before", len(enc)-SignatureSize-1-CIDLen-1-8-8-1, 1)
	tamper("body: grantee", bodyOff+5, 0x10)
	tamper("signature", len(enc)-1, 1)

	// The same signature under another sender, or with another type.
	other := testPub("clinician")
	b := rawTx(TxVersion, testChain, tx.Type(), other, tx.Nonce(), tx.Body().AppendBody(nil), tx.Signature())
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "other sender", got.Verify(testChain), ErrBadSignature)

	// A signature for chain 1 presented on chain 2.
	b = rawTx(TxVersion, "healthwallet-test-2", tx.Type(), tx.Sender(), tx.Nonce(), tx.Body().AppendBody(nil), tx.Signature())
	if got, err = Decode(b); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "replayed on another chain", got.Verify("healthwallet-test-2"), ErrBadSignature)
}

func TestNewSignedTx(t *testing.T) {
	s := samples(t)[0]
	priv := testKey(s.signer)
	sender := PublicKeyOf(priv)
	var sig Signature
	copy(sig[:], ed25519.Sign(priv, SigningMessage(testChain, s.body.Type(), s.body.AppendBody(nil), 9, sender)))
	tx, err := NewSignedTx(testChain, sender, 9, s.body, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Verify(testChain); err != nil {
		t.Fatal(err)
	}
	want, _ := Sign(priv, testChain, 9, s.body)
	if !bytes.Equal(tx.Encode(), want.Encode()) {
		t.Fatal("NewSignedTx and Sign disagree")
	}
}

// A signature made for a transaction never verifies as a header seal and
// vice versa: the signed messages start with different domain strings,
// neither a prefix of the other.
func TestDomainSeparation(t *testing.T) {
	if strings.HasPrefix(txDomain, headerDomain) || strings.HasPrefix(headerDomain, txDomain) {
		t.Fatal("one domain is a prefix of the other")
	}
	tx := signSample(t, samples(t)[9]) // signed by clinic-a
	if !bytes.HasPrefix(SigningMessage(testChain, tx.Type(), nil, 0, tx.Sender()), []byte(txDomain)) {
		t.Fatal("tx message lacks its domain")
	}

	h := testHeader(t, 7, EmptyTxRoot) // sealed by clinic-a
	if !bytes.HasPrefix(h.SealMessage(), []byte(headerDomain)) {
		t.Fatal("seal message lacks its domain")
	}
	forged := h
	forged.Signature = tx.Signature()
	wantErr(t, "tx signature as a seal", forged.VerifySeal(), ErrBadSignature)

	// A seal presented as a transaction signature by the same key.
	got, err := NewSignedTx(testChain, h.Signer, tx.Nonce(), tx.Body(), h.Signature)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "seal as a tx signature", got.Verify(testChain), ErrBadSignature)

	// Even with a message chosen to look like a header: the key signs the
	// raw unsealed header bytes without the domain; neither verifies.
	raw := h.SealMessage()[len(headerDomain):]
	var sig Signature
	copy(sig[:], ed25519.Sign(testKey("clinic-a"), raw))
	forged.Signature = sig
	wantErr(t, "undomained seal", forged.VerifySeal(), ErrBadSignature)
}

func TestRegistry(t *testing.T) {
	want := []TxType{TypeRecordAnchor, TypeConsentGrant, TypeConsentRevoke, TypeAccessRequest,
		TypeAccessDecision, TypeClinicianRegister, TypeClinicianRevoke, TypeGrantCapsule, TypeClinicKey,
		TypeEmergencyAuthorization, TypeEmergencyAccess, TypeEmergencyRelease,
		TypeAuthorityVote, TypeCredentialAnchor, TypeCredentialStatus, TypePrescriptionCommit, TypeDispense,
		TypeOrganisationRegister, TypeOrganisationRevoke, TypeBatchCommission, TypeShipment, TypeReceipt, TypePackDispense, TypeRecall}
	if got := RegisteredTypes(); !slices.Equal(got, want) {
		t.Fatalf("registered %v", got)
	}
	if TypeConsentGrant.String() != "ConsentGrant" || TxType(200).String() != "TxType(200)" {
		t.Fatal("type names")
	}
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Fatalf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("twice", func() { RegisterBody(TypeRecordAnchor, "again", decodeRecordAnchor) })
	mustPanic("zero", func() { RegisterBody(0, "zero", decodeRecordAnchor) })
}

// A body type registered from outside the package flows through Sign,
// Decode and blocks with no change to their code; a sloppy decoder that
// accepts a non-canonical body is caught by Decode's re-encoding check.
type testPing struct{ N uint64 }

const typePing TxType = 250

func (testPing) Type() TxType         { return typePing }
func (testPing) Validate() error      { return nil }
func (testPing) Authority() Authority { return AuthPatient }
func (p testPing) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Uint64(p.N)
	return e.Out()
}

func TestRegisterNewType(t *testing.T) {
	RegisterBody(typePing, "Ping", func(b []byte) (Body, error) {
		// Sloppy: reads 8 bytes, ignores the rest.
		d := NewDecoder(b)
		return testPing{N: d.Uint64("n")}, d.Err()
	})
	defer func() { registry.Lock(); registry.types[typePing] = nil; registry.Unlock() }()

	tx, err := Sign(testKey("patient"), testChain, 0, testPing{N: 42})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Verify(testChain); err != nil {
		t.Fatal(err)
	}
	blk := NewBlock(testHeader(t, 1, Hash{}), []*Tx{tx})
	if err := blk.Header.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBlock(blk.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(testChain); err != nil {
		t.Fatal(err)
	}
	if got.Txs[0].Body().(testPing).N != 42 {
		t.Fatal("body lost")
	}
	_, err = Decode(signedRaw("patient", typePing, append(tx.Body().AppendBody(nil), 0), 0))
	wantErr(t, "sloppy decoder, trailing body byte", err, ErrNonCanonical)
}

func TestGS1CheckDigit(t *testing.T) {
	// Published identifiers: GS1's example GTIN and GLN, EAN-13s printed on
	// retail packs (as GTIN-14), and the all-zero edge.
	for _, id := range []string{"09506000134352", "04006381333931", "9506000134352", "4098765000003", "00000000000000", "8712345000004"} {
		if got := gs1CheckDigit(id[:len(id)-1]); got != id[len(id)-1] {
			t.Errorf("check digit of %s: %c", id, got)
		}
	}
	for _, c := range []struct {
		in   string
		want error
	}{
		{"09506000134352", nil},
		{"09506000134353", ErrInvalid},  // check digit off by one
		{"09506000134325", ErrInvalid},  // two digits swapped
		{"9506000134352", ErrInvalid},   // GTIN-13 not padded
		{"0950600013435X", ErrInvalid},  // not a digit
		{"095060001343520", ErrInvalid}, // too long
		{"", ErrInvalid},
	} {
		if err := checkGTIN(c.in); c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("GTIN %q: %v, want %v", c.in, err, c.want)
		}
	}
	if err := checkGLN("4098765000003"); err != nil {
		t.Error(err)
	}
	wantErrNoPrefix(t, checkGLN("4098765000004"), ErrInvalid)
}

func TestExpiryDates(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"290131", true}, {"290100", true}, {"281231", true}, {"280229", true}, {"000229", true},
		{"270229", false}, {"270230", false}, {"290431", false}, {"291301", false}, {"290001", false},
		{"2901", false}, {"29013", false}, {"2901311", false}, {"29O131", false}, {"", false},
	} {
		err := checkExpiry(c.in)
		if (err == nil) != c.ok {
			t.Errorf("expiry %q: %v", c.in, err)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("expiry %q: error %v wraps no ErrInvalid", c.in, err)
		}
	}
}

// Every supply-chain body refuses what no node could accept, before it is
// signed and again when decoded.
func TestSupplyBodiesRefused(t *testing.T) {
	var commission BatchCommission
	var ship Shipment
	for _, s := range samples(t) {
		switch b := s.body.(type) {
		case BatchCommission:
			commission = b
		case Shipment:
			if b.Serials != nil {
				ship = b
			}
		}
	}
	recall := Recall{GTIN: commission.GTIN, Lot: commission.Lot, Action: ActionRecall}
	dispense := PackDispense{GTIN: commission.GTIN, Lot: commission.Lot, Serial: "100000042"}
	reg := OrganisationRegister{Org: testPub("pharmacy"), Role: OrgPharmacy, Name: "Apotheke am Markt", GLN: "4098765000003"}
	modC := func(f func(*BatchCommission)) Body { c := commission; f(&c); return c }
	modS := func(f func(*Shipment)) Body { s := ship; s.Serials = slices.Clone(ship.Serials); f(&s); return s }
	modR := func(f func(*Recall)) Body { r := recall; f(&r); return r }
	modD := func(f func(*PackDispense)) Body { d := dispense; f(&d); return d }
	modO := func(f func(*OrganisationRegister)) Body { o := reg; f(&o); return o }
	many := make([]string, MaxShipmentSerials+1)
	for i := range many {
		many[i] = fmt.Sprintf("S%06d", i)
	}
	cases := []struct {
		name string
		body Body
		want error
	}{
		{"commission: bad GTIN check digit", modC(func(c *BatchCommission) { c.GTIN = "09506000134353" }), ErrInvalid},
		{"commission: GTIN-13", modC(func(c *BatchCommission) { c.GTIN = "9506000134352" }), ErrInvalid},
		{"commission: empty lot", modC(func(c *BatchCommission) { c.Lot = "" }), ErrInvalid},
		{"commission: lot of 21 characters", modC(func(c *BatchCommission) { c.Lot = strings.Repeat("L", 21) }), ErrTooLarge},
		{"commission: lot with a space", modC(func(c *BatchCommission) { c.Lot = "L 1" }), ErrInvalid},
		{"commission: lot with a GS separator", modC(func(c *BatchCommission) { c.Lot = "L1\x1d21" }), ErrInvalid},
		{"commission: lot with a #", modC(func(c *BatchCommission) { c.Lot = "L#1" }), ErrInvalid},
		{"commission: expiry in month 13", modC(func(c *BatchCommission) { c.Expiry = "291301" }), ErrInvalid},
		{"commission: expiry on February 30", modC(func(c *BatchCommission) { c.Expiry = "280230" }), ErrInvalid},
		{"commission: no packs", modC(func(c *BatchCommission) { c.Count = 0 }), ErrInvalid},
		{"commission: over a million packs", modC(func(c *BatchCommission) { c.Count = MaxBatchSerials + 1 }), ErrTooLarge},
		{"commission: zero root", modC(func(c *BatchCommission) { c.Serials = Hash{} }), ErrInvalid},
		{"commission: no serial list", modC(func(c *BatchCommission) { c.List = CID{} }), ErrInvalid},
		{"shipment: bad GTIN check digit", modS(func(s *Shipment) { s.GTIN = "09506000134353" }), ErrInvalid},
		{"shipment: small-order recipient", modS(func(s *Shipment) { s.To = PublicKey{1} }), ErrBadKey},
		{"shipment: serials unsorted", modS(func(s *Shipment) { s.Serials[0], s.Serials[1] = s.Serials[1], s.Serials[0] }), ErrNonCanonical},
		{"shipment: serial twice", modS(func(s *Shipment) { s.Serials[1] = s.Serials[0] }), ErrNonCanonical},
		{"shipment: empty serial", modS(func(s *Shipment) { s.Serials = []string{""} }), ErrInvalid},
		{"shipment: serial with a space", modS(func(s *Shipment) { s.Serials = []string{"A B"} }), ErrInvalid},
		{"shipment: serial too long", modS(func(s *Shipment) { s.Serials = []string{strings.Repeat("9", 21)} }), ErrTooLarge},
		{"shipment: too many serials", modS(func(s *Shipment) { s.Serials = many }), ErrTooLarge},
		{"receipt: zero shipment", Receipt{}, ErrInvalid},
		{"dispense: bad GTIN check digit", modD(func(d *PackDispense) { d.GTIN = "09506000134325" }), ErrInvalid},
		{"dispense: no serial", modD(func(d *PackDispense) { d.Serial = "" }), ErrInvalid},
		{"dispense: serial with a non-ASCII byte", modD(func(d *PackDispense) { d.Serial = "Ä1" }), ErrInvalid},
		{"recall: no action", modR(func(r *Recall) { r.Action = 0 }), ErrInvalid},
		{"recall: undefined action", modR(func(r *Recall) { r.Action = 4 }), ErrInvalid},
		{"recall: too many serials", modR(func(r *Recall) { r.Serials = many }), ErrTooLarge},
		{"register: no role", modO(func(o *OrganisationRegister) { o.Role = 0 }), ErrInvalid},
		{"register: undefined role", modO(func(o *OrganisationRegister) { o.Role = 4 }), ErrInvalid},
		{"register: bad GLN check digit", modO(func(o *OrganisationRegister) { o.GLN = "4098765000004" }), ErrInvalid},
		{"register: GLN of 12 digits", modO(func(o *OrganisationRegister) { o.GLN = "409876500000" }), ErrInvalid},
		{"register: empty name", modO(func(o *OrganisationRegister) { o.Name = "" }), ErrInvalid},
		{"register: name with a trailing space", modO(func(o *OrganisationRegister) { o.Name = "Apotheke " }), ErrInvalid},
		{"register: name too long", modO(func(o *OrganisationRegister) { o.Name = strings.Repeat("n", MaxOrganisationNameLen+1) }), ErrTooLarge},
		{"register: small-order key", modO(func(o *OrganisationRegister) { o.Org = PublicKey{1} }), ErrBadKey},
		{"revoke: small-order key", OrganisationRevoke{Org: PublicKey{1}}, ErrBadKey},
	}
	priv := testKey("manufacturer")
	for _, c := range cases {
		_, err := Sign(priv, testChain, 0, c.body)
		wantErr(t, c.name, err, c.want)
		// The same body on the wire, past the signer's check: the decoder
		// refuses it too.
		enc := c.body.AppendBody(nil)
		_, err = lookupBody(c.body.Type()).decode(enc)
		if err == nil {
			t.Errorf("%s: decoded", c.name)
		}
	}
	for _, ok := range []Body{commission, ship, recall, dispense, reg, modC(func(c *BatchCommission) { c.Expiry = "280229" }),
		modS(func(s *Shipment) { s.Serials = many[:MaxShipmentSerials] }), modO(func(o *OrganisationRegister) { o.GLN = "" })} {
		if _, err := Sign(priv, testChain, 0, ok); err != nil {
			t.Errorf("%T: %v", ok, err)
		}
	}
	// The largest shipment (MaxShipmentSerials serials of the longest
	// length) fits a transaction.
	long := make([]string, MaxShipmentSerials)
	for i := range long {
		long[i] = fmt.Sprintf("%020d", i)
	}
	big, err := Sign(priv, strings.Repeat("c", MaxChainIDLen), 0, Shipment{GTIN: ship.GTIN, Lot: strings.Repeat("L", MaxGS1FieldLen), To: ship.To, Serials: long})
	if err != nil {
		t.Fatal(err)
	}
	if big.Size() > MaxTxSize {
		t.Fatalf("largest shipment is %d bytes", big.Size())
	}
}

func TestSupplyEnums(t *testing.T) {
	for r := OrgRole(1); r.Valid(); r++ {
		if got, err := ParseOrgRole(r.String()); err != nil || got != r {
			t.Errorf("role %v: %v, %v", r, got, err)
		}
	}
	for a := RecallAction(1); a.Valid(); a++ {
		if got, err := ParseRecallAction(a.String()); err != nil || got != a {
			t.Errorf("action %v: %v, %v", a, got, err)
		}
	}
	if OrgRole(9).String() != "OrgRole(9)" || RecallAction(0).String() != "RecallAction(0)" {
		t.Error("names of undefined values")
	}
	if _, err := ParseOrgRole("distributor"); !errors.Is(err, ErrInvalid) {
		t.Error("unknown role parsed")
	}
	if _, err := ParseRecallAction("withdraw"); !errors.Is(err, ErrInvalid) {
		t.Error("unknown action parsed")
	}
}
