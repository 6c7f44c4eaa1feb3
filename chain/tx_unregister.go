package chain

// ClinicianRevoke withdraws a clinician's registration. Signed by a clinic
// that is a block signer (AuthClinic); whether any signer or only the
// registering clinic may revoke is a state rule.
//
// Wire form (body of type 7):
//
//	clinician  fixed 32  Ed25519 key
type ClinicianRevoke struct {
	Clinician PublicKey
}

func (ClinicianRevoke) Type() TxType { return TypeClinicianRevoke }

func (ClinicianRevoke) Authority() Authority { return AuthClinic }

func (r ClinicianRevoke) Validate() error { return checkKey("clinician", r.Clinician) }

func (r ClinicianRevoke) AppendBody(b []byte) []byte { return append(b, r.Clinician[:]...) }

func decodeClinicianRevoke(b []byte) (Body, error) {
	d := NewDecoder(b)
	r := ClinicianRevoke{Clinician: d.Key("clinician")}
	return finishBody(d, r)
}
