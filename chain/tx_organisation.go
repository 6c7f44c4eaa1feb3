package chain

import "fmt"

// Medicine supply chain: organisations (this file), batches and recalls
// (tx_batch.go), custody and dispensing (tx_custody.go). Packs are named
// as GS1 names them: GTIN (AI 01), lot (AI 10), expiry (AI 17) and serial
// number (AI 21). A batch's serials are on the chain only as a Merkle root;
// a pack's membership is proved off chain against it.

// OrgRole is what an organisation in the medicine supply chain does. One
// byte on the wire.
type OrgRole uint8

// The roles. Numbers are frozen.
const (
	OrgManufacturer OrgRole = 1
	OrgWholesaler   OrgRole = 2
	OrgPharmacy     OrgRole = 3
	orgRoleEnd      OrgRole = 4
)

var orgRoleNames = [...]string{OrgManufacturer: "manufacturer", OrgWholesaler: "wholesaler", OrgPharmacy: "pharmacy"}

// Valid reports whether r is a defined role.
func (r OrgRole) Valid() bool { return r > 0 && r < orgRoleEnd }

// String returns the role's name.
func (r OrgRole) String() string {
	if r.Valid() {
		return orgRoleNames[r]
	}
	return fmt.Sprintf("OrgRole(%d)", uint8(r))
}

// ParseOrgRole is the inverse of String.
func ParseOrgRole(s string) (OrgRole, error) {
	for r := OrgRole(1); r < orgRoleEnd; r++ {
		if orgRoleNames[r] == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("organisation role %q: %w", s, ErrInvalid)
}

// OrganisationRegister admits a manufacturer, wholesaler or pharmacy to the
// supply chain under its key, with its name and, where it has one, its GS1
// Global Location Number. Signed by a current block signer or an admitted
// licensing authority (AuthRegistrar); a key registers once (a revoked key
// stays revoked: the organisation uses a new key).
//
// Wire form (body of type 18):
//
//	organisation  fixed 32  Ed25519 key
//	role          u8        OrgRole
//	name          text      1..MaxOrganisationNameLen bytes of UTF-8
//	gln           text      empty, or GLNLen digits with a valid check digit
type OrganisationRegister struct {
	Org  PublicKey
	Role OrgRole
	Name string
	GLN  string
}

func (OrganisationRegister) Type() TxType { return TypeOrganisationRegister }

func (OrganisationRegister) Authority() Authority { return AuthRegistrar }

func (r OrganisationRegister) Validate() error {
	if err := checkKey("organisation", r.Org); err != nil {
		return err
	}
	if !r.Role.Valid() {
		return fmt.Errorf("role %v: %w", r.Role, ErrInvalid)
	}
	if err := checkName("organisation name", r.Name, MaxOrganisationNameLen); err != nil {
		return err
	}
	if r.GLN != "" {
		return checkGLN(r.GLN)
	}
	return nil
}

func (r OrganisationRegister) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(r.Org[:])
	e.Uint8(uint8(r.Role))
	e.Text(r.Name)
	e.Text(r.GLN)
	return e.Out()
}

func decodeOrganisationRegister(b []byte) (Body, error) {
	d := NewDecoder(b)
	var r OrganisationRegister
	r.Org = d.Key("organisation")
	r.Role = OrgRole(d.Uint8("role"))
	r.Name = d.Text("name", MaxOrganisationNameLen)
	r.GLN = d.Text("gln", GLNLen)
	return finishBody(d, r)
}

// OrganisationRevoke ends an organisation's registration: from the next
// transaction on it can sign no supply-chain event. What it held stays in
// its custody. Signed by the authority that registered it (while admitted)
// or by any current block signer (AuthRegistrar).
//
// Wire form (body of type 19):
//
//	organisation  fixed 32  Ed25519 key
type OrganisationRevoke struct {
	Org PublicKey
}

func (OrganisationRevoke) Type() TxType { return TypeOrganisationRevoke }

func (OrganisationRevoke) Authority() Authority { return AuthRegistrar }

func (r OrganisationRevoke) Validate() error { return checkKey("organisation", r.Org) }

func (r OrganisationRevoke) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(r.Org[:])
	return e.Out()
}

func decodeOrganisationRevoke(b []byte) (Body, error) {
	d := NewDecoder(b)
	var r OrganisationRevoke
	r.Org = d.Key("organisation")
	return finishBody(d, r)
}
