package chain

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

// splice returns b with b[off:off+n] replaced by repl.
func splice(b []byte, off, n int, repl ...byte) []byte {
	out := append([]byte(nil), b[:off]...)
	out = append(out, repl...)
	return append(out, b[off+n:]...)
}

func withByte(b []byte, off int, v byte) []byte {
	out := bytes.Clone(b)
	out[off] = v
	return out
}

// Every non-canonical or invalid transaction encoding is rejected, with the
// right sentinel.
func TestDecodeTxRejects(t *testing.T) {
	ss := samples(t)
	grantTx := signSample(t, ss[2])
	enc := grantTx.Encode()
	grant := ss[2].body.(ConsentGrant)
	anchor := ss[0].body.(RecordAnchor)
	request := ss[5].body.(AccessRequest)
	register := ss[7].body.(ClinicianRegister)

	typeOff := 1 + 1 + len(testChain)
	senderOff := typeOff + 1
	bodyLenOff := senderOff + PublicKeySize + 8
	if enc[bodyLenOff] < 0x80 || enc[bodyLenOff+1] >= 0x80 {
		t.Fatal("test assumes a 2-byte body length")
	}
	body := func(b Body) []byte { return b.AppendBody(nil) }
	sigOf := grantTx.Signature()
	var noSig Signature
	goodSender := testPub("patient")

	cid := func(prefix []byte, digest int) []byte {
		sum := sha256.Sum256([]byte("x"))
		return append(prefix, sum[:digest]...)
	}
	grantWithCapsule := func(c []byte) []byte {
		g := grant
		g.Capsule = CID{}
		b := body(g)
		b = b[:len(b)-1] // drop the empty capsule
		e := NewEncoder(b)
		e.Bytes(c)
		return e.Out()
	}
	mod := func(f func(*ConsentGrant)) []byte { g := grant; f(&g); return body(g) }
	modA := func(f func(*RecordAnchor)) []byte { a := anchor; f(&a); return body(a) }
	modR := func(f func(*AccessRequest)) []byte { r := request; f(&r); return body(r) }
	modC := func(f func(*ClinicianRegister)) []byte { r := register; f(&r); return body(r) }
	modE := func(f func(*EmergencyAuthorization)) []byte {
		a := EmergencyAuthorization{Summary: testCID(t, codecRaw, "s"), Shares: testCID(t, codecRaw, "sh"), Threshold: 2,
			Holders: sortedKeys("clinic-a", "clinic-b", "clinic-c")}
		f(&a)
		return body(a)
	}
	// A scope encoded by hand: count 129 record IDs.
	bigCount := NewEncoder(grantee(grant))
	bigCount.Uvarint(MaxScopeEntries + 1)

	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", nil, ErrTruncated},
		{"truncated by one byte", enc[:len(enc)-1], ErrTruncated},
		{"trailing byte", append(bytes.Clone(enc), 0), ErrNonCanonical},
		{"unknown version 2", withByte(enc, 0, 2), ErrUnknownVersion},
		{"unknown version 0", withByte(enc, 0, 0), ErrUnknownVersion},
		{"non-minimal varint: chain ID length", splice(enc, 1, 1, byte(len(testChain))|0x80, 0x00), ErrNonCanonical},
		{"non-minimal varint: body length", splice(enc, bodyLenOff, 2, enc[bodyLenOff], enc[bodyLenOff+1]|0x80, 0x00), ErrNonCanonical},
		{"varint overflow", splice(enc, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), ErrNonCanonical},
		{"body length over MaxTxSize", splice(enc, bodyLenOff, 2, 0x81, 0x80, 0x01), ErrTooLarge},
		{"body length beyond input", splice(enc, bodyLenOff, 2, 0xff, 0x3f), ErrTruncated},
		{"unknown type 99", withByte(enc, typeOff, 99), ErrUnknownType},
		{"unknown type 0", withByte(enc, typeOff, 0), ErrUnknownType},
		{"type of another body", withByte(enc, typeOff, byte(TypeConsentRevoke)), ErrNonCanonical},
		{"tx over MaxTxSize", rawTx(1, testChain, TypeConsentRevoke, goodSender, 0, make([]byte, MaxTxSize), noSig), ErrTooLarge},
		{"empty chain ID", rawTx(1, "", TypeConsentGrant, goodSender, 0, body(grant), sigOf), ErrInvalid},
		{"chain ID too long", rawTx(1, strings.Repeat("a", MaxChainIDLen+1), TypeConsentGrant, goodSender, 0, body(grant), sigOf), ErrTooLarge},
		{"chain ID with a space", rawTx(1, "health wallet", TypeConsentGrant, goodSender, 0, body(grant), sigOf), ErrInvalid},
		{"chain ID not ASCII", rawTx(1, "hëalth", TypeConsentGrant, goodSender, 0, body(grant), sigOf), ErrInvalid},
		{"sender: identity point", rawTx(1, testChain, TypeConsentGrant, PublicKey{1}, 0, body(grant), sigOf), ErrBadKey},
		{"sender: zero", rawTx(1, testChain, TypeConsentGrant, PublicKey{}, 0, body(grant), sigOf), ErrBadKey},
		{"sender: identity point, sign bit set", rawTx(1, testChain, TypeConsentGrant, PublicKey{1, 31: 0x80}, 0, body(grant), sigOf), ErrBadKey},
		{"sender: non-canonical y", rawTx(1, testChain, TypeConsentGrant, PublicKey{0xf0, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff, 16: 0xff, 17: 0xff, 18: 0xff, 19: 0xff, 20: 0xff, 21: 0xff, 22: 0xff, 23: 0xff, 24: 0xff, 25: 0xff, 26: 0xff, 27: 0xff, 28: 0xff, 29: 0xff, 30: 0xff, 31: 0x7f}, 0, body(grant), sigOf), ErrBadKey},

		// Bodies (each correctly signed, so only the body is at fault).
		{"body: trailing byte", signedRaw("patient", TypeConsentGrant, append(body(grant), 0), 0), ErrNonCanonical},
		{"body: truncated", signedRaw("patient", TypeConsentGrant, body(grant)[:40], 0), ErrTruncated},
		{"body: empty", signedRaw("patient", TypeConsentRevoke, nil, 0), ErrTruncated},
		{"scope: unsorted record IDs", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.RecordIDs = []string{"b", "a"} }), 0), ErrNonCanonical},
		{"scope: duplicate record ID", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.RecordIDs = []string{"a", "a"} }), 0), ErrNonCanonical},
		{"scope: unsorted categories", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.Categories = []Category{3, 1} }), 0), ErrNonCanonical},
		{"scope: duplicate category", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.Categories = []Category{2, 2} }), 0), ErrNonCanonical},
		{"scope: empty", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope = Scope{} }), 0), ErrInvalid},
		{"scope: count over limit", signedRaw("patient", TypeConsentGrant, bigCount.Out(), 0), ErrTooLarge},
		{"scope: unknown category", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.Categories = []Category{categoryEnd} }), 0), ErrInvalid},
		{"scope: record ID with a slash", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.RecordIDs = []string{"a/b"} }), 0), ErrInvalid},
		{"scope: empty record ID", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Scope.RecordIDs = []string{""} }), 0), ErrInvalid},
		{"grant: actions 0", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Actions = 0 }), 0), ErrInvalid},
		{"grant: unknown action bit", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Actions = 5 }), 0), ErrInvalid},
		{"grant: purpose 0", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Purpose = 0 }), 0), ErrInvalid},
		{"grant: unknown purpose", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Purpose = purposeEnd }), 0), ErrInvalid},
		{"grant: expiry = not-before", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Expiry = g.NotBefore }), 0), ErrInvalid},
		{"grant: read without capsule", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Capsule = CID{} }), 0), ErrInvalid},
		{"grant: grantee small order", signedRaw("patient", TypeConsentGrant, mod(func(g *ConsentGrant) { g.Grantee = PublicKey(smallOrder[2]) }), 0), ErrBadKey},
		{"CID: v0", signedRaw("patient", TypeConsentGrant, grantWithCapsule(cid([]byte{0x12, 0x20}, 32)), 0), ErrInvalid},
		{"CID: dag-cbor codec", signedRaw("patient", TypeConsentGrant, grantWithCapsule(cid([]byte{1, 0x71, 0x12, 0x20}, 32)), 0), ErrInvalid},
		{"CID: identity multihash", signedRaw("patient", TypeConsentGrant, grantWithCapsule(cid([]byte{1, 0x55, 0x00, 0x20}, 32)), 0), ErrInvalid},
		{"CID: short digest", signedRaw("patient", TypeConsentGrant, grantWithCapsule(cid([]byte{1, 0x55, 0x12, 0x1f}, 31)), 0), ErrInvalid},
		{"CID: trailing byte", signedRaw("patient", TypeConsentGrant, grantWithCapsule(append(cid([]byte{1, 0x55, 0x12, 0x20}, 32), 0)), 0), ErrInvalid},
		{"CID: over MaxCIDLen", signedRaw("patient", TypeConsentGrant, grantWithCapsule(make([]byte, MaxCIDLen+1)), 0), ErrTooLarge},
		{"anchor: no CID", signedRaw("patient", TypeRecordAnchor, modA(func(a *RecordAnchor) { a.CID = CID{} }), 0), ErrInvalid},
		{"anchor: category 0", signedRaw("patient", TypeRecordAnchor, modA(func(a *RecordAnchor) { a.Category = 0 }), 0), ErrInvalid},
		{"anchor: category 15", signedRaw("patient", TypeRecordAnchor, modA(func(a *RecordAnchor) { a.Category = 15 }), 0), ErrInvalid},
		{"anchor: time 0", signedRaw("patient", TypeRecordAnchor, modA(func(a *RecordAnchor) { a.Time = 0 }), 0), ErrInvalid},
		{"anchor: record ID too long", signedRaw("patient", TypeRecordAnchor, modA(func(a *RecordAnchor) { a.RecordID = strings.Repeat("a", MaxRecordIDLen+1) }), 0), ErrTooLarge},
		{"request: oversize note", signedRaw("clinician", TypeAccessRequest, modR(func(r *AccessRequest) { r.Note = strings.Repeat("x", MaxNoteLen+1) }), 0), ErrTooLarge},
		{"request: note not UTF-8", signedRaw("clinician", TypeAccessRequest, modR(func(r *AccessRequest) { r.Note = "bad \xff" }), 0), ErrInvalid},
		{"request: note with a control character", signedRaw("clinician", TypeAccessRequest, modR(func(r *AccessRequest) { r.Note = "a\x00b" }), 0), ErrInvalid},
		{"request: duration 0", signedRaw("clinician", TypeAccessRequest, modR(func(r *AccessRequest) { r.Duration = 0 }), 0), ErrInvalid},
		{"request: duration over limit", signedRaw("clinician", TypeAccessRequest, modR(func(r *AccessRequest) { r.Duration = MaxAccessDuration + 1 }), 0), ErrTooLarge},
		{"decision: unknown", signedRaw("patient", TypeAccessDecision, body(AccessDecision{Request: Hash{1}, Decision: 2}), 0), ErrInvalid},
		{"decision: zero request", signedRaw("patient", TypeAccessDecision, body(AccessDecision{Decision: DecisionDeclined}), 0), ErrInvalid},
		{"revoke: zero grant", signedRaw("patient", TypeConsentRevoke, body(ConsentRevoke{}), 0), ErrInvalid},
		{"register: role 0", signedRaw("clinic-a", TypeClinicianRegister, modC(func(r *ClinicianRegister) { r.Role = 0 }), 0), ErrInvalid},
		{"register: unknown role", signedRaw("clinic-a", TypeClinicianRegister, modC(func(r *ClinicianRegister) { r.Role = roleEnd }), 0), ErrInvalid},
		{"register: identity of another key", signedRaw("clinic-a", TypeClinicianRegister, modC(func(r *ClinicianRegister) { r.Identity = testIdentity(testPub("nurse")) }), 0), ErrInvalid},
		{"register: identity truncated", signedRaw("clinic-a", TypeClinicianRegister, modC(func(r *ClinicianRegister) { r.Identity = r.Identity[:100] }), 0), ErrInvalid},
		{"register: identity too long", signedRaw("clinic-a", TypeClinicianRegister, modC(func(r *ClinicianRegister) { r.Identity = append(bytes.Clone(r.Identity), 0) }), 0), ErrTooLarge},
		{"register: identity version 2", signedRaw("clinic-a", TypeClinicianRegister, modC(func(r *ClinicianRegister) { r.Identity = withByte(r.Identity, 0, 2) }), 0), ErrInvalid},
		{"unregister: small-order key", signedRaw("clinic-a", TypeClinicianRevoke, body(ClinicianRevoke{Clinician: PublicKey(smallOrder[4])}), 0), ErrBadKey},
		{"grant capsule: zero grant", signedRaw("patient", TypeGrantCapsule, body(GrantCapsule{Capsule: testCID(t, codecRaw, "c")}), 0), ErrInvalid},
		{"grant capsule: no capsule", signedRaw("patient", TypeGrantCapsule, body(GrantCapsule{Grant: Hash{1}}), 0), ErrInvalid},
		{"clinic key: empty", signedRaw("clinic-a", TypeClinicKey, body(ClinicKey{}), 0), ErrInvalid},
		{"clinic key: truncated", signedRaw("clinic-a", TypeClinicKey, body(ClinicKey{Identity: testIdentity(testPub("clinic-a"))[:40]}), 0), ErrInvalid},
		{"emergency authorization: unsorted holders", signedRaw("patient", TypeEmergencyAuthorization, modE(func(a *EmergencyAuthorization) { a.Holders[0], a.Holders[1] = a.Holders[1], a.Holders[0] }), 0), ErrNonCanonical},
		{"emergency authorization: duplicate holder", signedRaw("patient", TypeEmergencyAuthorization, modE(func(a *EmergencyAuthorization) { a.Holders[1] = a.Holders[0] }), 0), ErrNonCanonical},
		{"emergency authorization: threshold 0", signedRaw("patient", TypeEmergencyAuthorization, modE(func(a *EmergencyAuthorization) { a.Threshold = 0 }), 0), ErrInvalid},
		{"emergency authorization: threshold over holders", signedRaw("patient", TypeEmergencyAuthorization, modE(func(a *EmergencyAuthorization) { a.Threshold = 4 }), 0), ErrInvalid},
		{"emergency authorization: no holders", signedRaw("patient", TypeEmergencyAuthorization, modE(func(a *EmergencyAuthorization) { a.Holders, a.Threshold = nil, 0 }), 0), ErrInvalid},
		{"emergency authorization: small-order holder", signedRaw("patient", TypeEmergencyAuthorization, modE(func(a *EmergencyAuthorization) { a.Holders[0] = PublicKey(smallOrder[0]) }), 0), ErrBadKey},
		{"emergency access: purpose TREAT", signedRaw("clinician", TypeEmergencyAccess, body(EmergencyAccess{Patient: testPub("patient"), Authorization: Hash{1}, Purpose: PurposeTREAT}), 0), ErrInvalid},
		{"emergency access: zero authorization", signedRaw("clinician", TypeEmergencyAccess, body(EmergencyAccess{Patient: testPub("patient"), Purpose: PurposeBTG}), 0), ErrInvalid},
		{"emergency release: no share", signedRaw("clinic-a", TypeEmergencyRelease, body(EmergencyRelease{Access: Hash{1}}), 0), ErrInvalid},
	}
	for _, c := range cases {
		tx, err := Decode(c.in)
		if tx != nil {
			t.Errorf("%s: returned a transaction with error %v", c.name, err)
		}
		wantErr(t, c.name, err, c.want)
	}
	if _, err := Decode(enc); err != nil {
		t.Fatalf("the base encoding: %v", err)
	}
}

// grantee returns just the grantee field of g's encoding (for hand-built
// bodies).
func grantee(g ConsentGrant) []byte { return bytes.Clone(g.Grantee[:]) }

func TestDecodeHeaderRejects(t *testing.T) {
	h := testHeader(t, 5, EmptyTxRoot)
	enc := h.Encode()
	voteOff := 1 + 1 + len(testChain) + HashSize + 8 + 8 + HashSize + HashSize + 1
	if enc[voteOff] != 1 || enc[voteOff+1+PublicKeySize] != 1 {
		t.Fatal("bad vote offset")
	}
	hdr := func(f func(*Header)) []byte { x := h; f(&x); return x.Encode() }
	cp := sortedKeys("clinic-a", "clinic-b", "clinic-c")
	genesis := Header{ChainID: testChain, Difficulty: DiffNoTurn, Checkpoint: cp, Time: 1767225600}
	gen := func(f func(*Header)) []byte { x := genesis; f(&x); return x.Encode() }
	noVote := hdr(func(x *Header) { x.Vote = nil })
	cpOff := voteOff + 1

	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"truncated", enc[:len(enc)-1], ErrTruncated},
		{"trailing byte", append(bytes.Clone(enc), 0), ErrNonCanonical},
		{"unknown version", withByte(enc, 0, 2), ErrUnknownVersion},
		{"over MaxHeaderSize", make([]byte, MaxHeaderSize+1), ErrTooLarge},
		{"bad bool byte: vote flag 2", withByte(enc, voteOff, 2), ErrNonCanonical},
		{"bad bool byte: authorize 2", withByte(enc, voteOff+1+PublicKeySize, 2), ErrNonCanonical},
		{"bad bool byte: authorize 0xff", withByte(enc, voteOff+1+PublicKeySize, 0xff), ErrNonCanonical},
		{"non-minimal varint: checkpoint count", splice(noVote, cpOff, 1, 0x80, 0x00), ErrNonCanonical},
		{"difficulty 0", hdr(func(x *Header) { x.Difficulty = 0 }), ErrInvalid},
		{"difficulty 3", hdr(func(x *Header) { x.Difficulty = 3 }), ErrInvalid},
		{"empty chain ID", hdr(func(x *Header) { x.ChainID = "" }), ErrInvalid},
		{"vote target small order", hdr(func(x *Header) { x.Vote = &Vote{Target: PublicKey{}} }), ErrBadKey},
		{"signer zero", hdr(func(x *Header) { x.Signer = PublicKey{} }), ErrBadKey},
		{"checkpoint with a vote", hdr(func(x *Header) { x.Checkpoint = cp }), ErrInvalid},
		{"checkpoint unsorted", hdr(func(x *Header) { x.Vote = nil; x.Checkpoint = []PublicKey{cp[1], cp[0]} }), ErrNonCanonical},
		{"checkpoint duplicate", hdr(func(x *Header) { x.Vote = nil; x.Checkpoint = []PublicKey{cp[0], cp[0]} }), ErrNonCanonical},
		{"checkpoint over MaxSigners", splice(noVote, cpOff, 1, MaxSigners+1), ErrTooLarge},
		{"checkpoint small-order key", hdr(func(x *Header) { x.Vote = nil; x.Checkpoint = []PublicKey{{1}} }), ErrBadKey},
		{"genesis with a signer", gen(func(x *Header) { x.Signer = testPub("clinic-a") }), ErrInvalid},
		{"genesis with a seal", gen(func(x *Header) { x.Signature[0] = 1 }), ErrInvalid},
		{"genesis with a parent", gen(func(x *Header) { x.ParentHash[0] = 1 }), ErrInvalid},
		{"genesis with a vote", gen(func(x *Header) { x.Checkpoint = nil; x.Vote = &Vote{Target: cp[0]} }), ErrInvalid},
		{"genesis without signers", gen(func(x *Header) { x.Checkpoint = nil }), ErrInvalid},
	}
	for _, c := range cases {
		got, err := DecodeHeader(c.in)
		if got != nil {
			t.Errorf("%s: returned a header with error %v", c.name, err)
		}
		wantErr(t, c.name, err, c.want)
	}
	for _, ok := range [][]byte{enc, noVote, genesis.Encode()} {
		if _, err := DecodeHeader(ok); err != nil {
			t.Fatalf("base header: %v", err)
		}
	}
}

func TestDecodeBlockRejects(t *testing.T) {
	ss := samples(t)
	txs := []*Tx{signSample(t, ss[0]), signSample(t, ss[2])}
	blk := NewBlock(testHeader(t, 9, Hash{}), txs)
	if err := blk.Header.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	enc := blk.Encode()
	hdrLen := len(blk.Header.Encode())
	countOff := 1 + 2 + hdrLen
	if enc[1] < 0x80 || enc[countOff] != 2 {
		t.Fatal("test assumes a 2-byte header length")
	}
	badTx := withByte(txs[1].Encode(), 1+1+len(testChain), 99)
	withTx := func(tb []byte) []byte {
		out := append(bytes.Clone(enc[:countOff]), 1)
		e := NewEncoder(out)
		e.Bytes(tb)
		return e.Out()
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"truncated", enc[:len(enc)-1], ErrTruncated},
		{"trailing byte", append(bytes.Clone(enc), 0), ErrNonCanonical},
		{"unknown version", withByte(enc, 0, 0), ErrUnknownVersion},
		{"over MaxBlockSize", make([]byte, MaxBlockSize+1), ErrTooLarge},
		{"header length over MaxHeaderSize", splice(enc, 1, 2, 0xff, 0x7f), ErrTooLarge},
		{"header with trailing byte", splice(enc, 1, 2+hdrLen, append(binaryUvarint(hdrLen+1), append(blk.Header.Encode(), 0)...)...), ErrNonCanonical},
		{"non-minimal varint: tx count", splice(enc, countOff, 1, 0x82, 0x00), ErrNonCanonical},
		{"tx count over MaxBlockTxs", splice(enc, countOff, 1, 0x81, 0x40), ErrTooLarge},
		{"tx count beyond input", splice(enc, countOff, 1, 0xff, 0x3f), ErrTruncated},
		{"one tx too many", splice(enc, countOff, 1, 3), ErrTruncated},
		{"tx of an unknown type", withTx(badTx), ErrUnknownType},
		{"tx over MaxTxSize", withTx(make([]byte, MaxTxSize+1)), ErrTooLarge},
	}
	for _, c := range cases {
		got, err := DecodeBlock(c.in)
		if got != nil {
			t.Errorf("%s: returned a block with error %v", c.name, err)
		}
		wantErr(t, c.name, err, c.want)
	}
}

func binaryUvarint(n int) []byte {
	e := NewEncoder(nil)
	e.Uvarint(uint64(n))
	return e.Out()
}

// Every strict prefix of a valid encoding fails, and flipping any single bit
// either fails or gives an input that re-encodes to itself.
func TestPrefixesAndBitFlips(t *testing.T) {
	type input struct {
		name   string
		enc    []byte
		decode func([]byte) ([]byte, error)
	}
	decTx := func(b []byte) ([]byte, error) {
		tx, err := Decode(b)
		if err != nil {
			return nil, err
		}
		return tx.Encode(), nil
	}
	decHdr := func(b []byte) ([]byte, error) {
		h, err := DecodeHeader(b)
		if err != nil {
			return nil, err
		}
		return h.Encode(), nil
	}
	var ins []input
	for _, s := range samples(t) {
		ins = append(ins, input{"tx/" + s.name, signSample(t, s).Encode(), decTx})
	}
	h := testHeader(t, 3, EmptyTxRoot)
	ins = append(ins, input{"header", h.Encode(), decHdr})
	for _, in := range ins {
		for n := range len(in.enc) {
			if _, err := in.decode(in.enc[:n]); err == nil {
				t.Fatalf("%s: prefix of %d bytes decodes", in.name, n)
			}
		}
		for i := range len(in.enc) * 8 {
			b := bytes.Clone(in.enc)
			b[i/8] ^= 1 << (i % 8)
			re, err := in.decode(b)
			if err == nil && !bytes.Equal(re, b) {
				t.Fatalf("%s: bit %d flipped: accepted but re-encodes differently", in.name, i)
			}
		}
	}
}
