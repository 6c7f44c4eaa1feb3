package chain

// ClinicKey is a clinic publishing its public identity record, so that
// patients can seal emergency key shares to it (EmergencyAuthorization).
// Signed by a clinic that is a block signer (AuthClinic), once per key: a
// clinic that must change keys joins again under a new signing key.
//
// Identity is a wallet/identity Public in its binary form (version 1,
// MaxIdentityLen bytes) whose signing key is the sender's; this package
// checks the structure and the state layer the sender, and a wallet verifies
// the KEM key's binding signature before sealing to it.
//
// Wire form (body of type 9):
//
//	identity  bytes  the identity record (MaxIdentityLen bytes)
type ClinicKey struct {
	Identity []byte
}

func (ClinicKey) Type() TxType { return TypeClinicKey }

func (ClinicKey) Authority() Authority { return AuthClinic }

func (k ClinicKey) Validate() error {
	key := k.SigningKey()
	if err := checkIdentity(k.Identity, key); err != nil {
		return err
	}
	return checkKey("identity signing key", key)
}

// SigningKey returns the Ed25519 key the identity record names.
func (k ClinicKey) SigningKey() PublicKey {
	var key PublicKey
	if len(k.Identity) >= 1+PublicKeySize {
		copy(key[:], k.Identity[1:1+PublicKeySize])
	}
	return key
}

func (k ClinicKey) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Bytes(k.Identity)
	return e.Out()
}

func decodeClinicKey(b []byte) (Body, error) {
	d := NewDecoder(b)
	k := ClinicKey{Identity: d.Bytes("identity", MaxIdentityLen)}
	return finishBody(d, k)
}
