package chain

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// AuthorityVote is a clinic signer's vote to admit a licensing authority (a
// medical board, a pharmacy board, a clinic's training office) with the
// kinds of credential it may issue, or to remove one. The state layer
// counts each signer's newest vote since the authority's last admission or
// removal; more than half of the current signers agreeing on the same
// proposal carries it, as clique's signer votes do. Signed by a current
// block signer (AuthClinic).
//
// Wire form (body of type 13):
//
//	authority  fixed 32  Ed25519 key
//	admit      bool      true: admit (or change name or kinds); false: remove
//	name       text      admit: 1..MaxAuthorityNameLen bytes; remove: empty
//	kinds      u8        CredentialKinds; admit: non-empty; remove: zero
type AuthorityVote struct {
	Key   PublicKey // the authority's Ed25519 key
	Admit bool
	Name  string
	Kinds CredentialKinds
}

func (AuthorityVote) Type() TxType { return TypeAuthorityVote }

func (AuthorityVote) Authority() Authority { return AuthClinic }

func (v AuthorityVote) Validate() error {
	if err := checkKey("authority", v.Key); err != nil {
		return err
	}
	if !v.Kinds.Valid() {
		return fmt.Errorf("kinds 0x%02x: undefined kind: %w", uint8(v.Kinds), ErrInvalid)
	}
	if !v.Admit {
		if v.Name != "" || v.Kinds != 0 {
			return fmt.Errorf("a removal names no name or kinds: %w", ErrInvalid)
		}
		return nil
	}
	if v.Kinds == 0 {
		return fmt.Errorf("admission with no kinds: %w", ErrInvalid)
	}
	return checkName("authority name", v.Name, MaxAuthorityNameLen)
}

// checkName checks a display name: non-empty, at most limit bytes of UTF-8,
// no control characters, no leading or trailing space.
func checkName(field, s string, limit int) error {
	if s == "" {
		return fmt.Errorf("%s is empty: %w", field, ErrInvalid)
	}
	if len(s) > limit {
		return fmt.Errorf("%s of %d bytes, limit %d: %w", field, len(s), limit, ErrTooLarge)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not UTF-8: %w", field, ErrInvalid)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s: control character %U at byte %d: %w", field, r, i, ErrInvalid)
		}
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		return fmt.Errorf("%s starts with a space: %w", field, ErrInvalid)
	}
	if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
		return fmt.Errorf("%s ends with a space: %w", field, ErrInvalid)
	}
	return nil
}

func (v AuthorityVote) AppendBody(b []byte) []byte {
	e := NewEncoder(b)
	e.Fixed(v.Key[:])
	e.Bool(v.Admit)
	e.Text(v.Name)
	e.Uint8(uint8(v.Kinds))
	return e.Out()
}

func decodeAuthorityVote(b []byte) (Body, error) {
	d := NewDecoder(b)
	var v AuthorityVote
	v.Key = d.Key("authority")
	v.Admit = d.Bool("admit")
	v.Name = d.Text("name", MaxAuthorityNameLen)
	v.Kinds = CredentialKinds(d.Uint8("kinds"))
	return finishBody(d, v)
}
