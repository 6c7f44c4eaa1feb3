package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// IDPrefix starts every ID string.
	IDPrefix = "hw1"

	idVersion       = 0x01
	idChecksumLabel = "healthwallet id checksum v1"
	idChecksumSize  = 4
	idPayloadSize   = 1 + ed25519.PublicKeySize + idChecksumSize // 37 bytes
	idDataChars     = (idPayloadSize*8 + 4) / 5                  // 60 base32 characters
	idAlphabet      = "abcdefghijklmnopqrstuvwxyz234567"         // RFC 4648, lower case

	// maxIDInput bounds the input ParseID looks at; an ID with generous
	// spacing is well under this.
	maxIDInput = 1024
)

var idEncoding = base32.NewEncoding(idAlphabet).WithPadding(base32.NoPadding)

// Errors returned by ParseID. Each wraps ErrInvalidID, so callers that do not
// care which mistake was made test for ErrInvalidID only.
var (
	ErrInvalidID   = errors.New("invalid Health Wallet ID")
	ErrIDPrefix    = fmt.Errorf("%w: a Health Wallet ID starts with %s", ErrInvalidID, IDPrefix)
	ErrIDCharacter = fmt.Errorf("%w: bad character", ErrInvalidID)
	ErrIDLength    = fmt.Errorf("%w: wrong length", ErrInvalidID)
	ErrIDVersion   = fmt.Errorf("%w: unknown version", ErrInvalidID)
	ErrIDChecksum  = fmt.Errorf("%w: this ID has a typo: checksum does not match", ErrInvalidID)
)

// ID is a person's public Health Wallet identity, shown as a string such as
// "hw1a...". It contains the person's Ed25519 signing key, so a signature by
// them can be checked offline from the ID alone; see the package
// documentation for the format and the reasons for it.
//
// IDs are comparable with ==. The zero ID is not a valid identity; its
// String is "".
type ID struct {
	key [ed25519.PublicKeySize]byte
	ok  bool
}

// IDFromSigningKey returns the ID of an Ed25519 public key. It panics if
// key is not ed25519.PublicKeySize bytes long.
func IDFromSigningKey(key ed25519.PublicKey) ID {
	if len(key) != ed25519.PublicKeySize {
		panic(fmt.Sprintf("identity: bad Ed25519 public key length %d", len(key)))
	}
	var id ID
	copy(id.key[:], key)
	id.ok = true
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return !id.ok }

// SigningKey returns (a copy of) the Ed25519 public key id names, or nil for
// the zero ID.
func (id ID) SigningKey() ed25519.PublicKey {
	if !id.ok {
		return nil
	}
	return ed25519.PublicKey(id.key[:]) // id is a copy; the slice aliases nothing shared
}

// idChecksum returns the checksum of a version byte and key.
func idChecksum(version byte, key []byte) []byte {
	h := sha256.New()
	h.Write([]byte(idChecksumLabel))
	h.Write([]byte{version})
	h.Write(key)
	return h.Sum(nil)[:idChecksumSize]
}

// String returns the canonical form of id: "hw1" and 60 lower-case
// characters. It returns "" for the zero ID.
func (id ID) String() string {
	if !id.ok {
		return ""
	}
	payload := make([]byte, 0, idPayloadSize)
	payload = append(payload, idVersion)
	payload = append(payload, id.key[:]...)
	payload = append(payload, idChecksum(idVersion, id.key[:])...)
	return IDPrefix + idEncoding.EncodeToString(payload)
}

// MarshalText implements encoding.TextMarshaler. The zero ID cannot be
// marshalled.
func (id ID) MarshalText() ([]byte, error) {
	if !id.ok {
		return nil, errors.New("identity: cannot marshal the zero ID")
	}
	return []byte(id.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler using ParseID.
func (id *ID) UnmarshalText(text []byte) error {
	parsed, err := ParseID(string(text))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ParseID parses an ID as a person may have typed or pasted it: surrounding
// whitespace, upper case, and spaces or dashes between groups of characters
// are accepted. The errors wrap ErrInvalidID and one of ErrIDPrefix,
// ErrIDCharacter (naming the character and its 1-based position in the
// trimmed input), ErrIDVersion, ErrIDLength or ErrIDChecksum.
func ParseID(s string) (ID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ID{}, fmt.Errorf("%w: empty", ErrIDLength)
	}
	if len(s) > maxIDInput {
		return ID{}, fmt.Errorf("%w: an ID has %d characters after %s; this input is %d bytes long", ErrIDLength, idDataChars, IDPrefix, len(s))
	}
	// Normalise, remembering where each kept character was typed.
	type typed struct {
		r   rune
		pos int // 1-based, in runes of the trimmed input
	}
	chars := make([]typed, 0, len(IDPrefix)+idDataChars)
	n := 0
	for _, r := range s {
		n++
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		chars = append(chars, typed{r, n})
	}
	if len(chars) < len(IDPrefix) ||
		string([]rune{chars[0].r, chars[1].r, chars[2].r}) != IDPrefix {
		return ID{}, ErrIDPrefix
	}
	data := make([]byte, 0, idDataChars)
	for _, c := range chars[len(IDPrefix):] {
		if c.r >= utf8.RuneSelf || strings.IndexByte(idAlphabet, byte(c.r)) < 0 {
			return ID{}, fmt.Errorf("%w %q at position %d: an ID uses only the letters a to z and the digits 2 to 7", ErrIDCharacter, c.r, c.pos)
		}
		data = append(data, byte(c.r))
	}
	// The version is in the first two characters (5 + 3 bits); check it
	// before the length so that an ID from a newer format, which may have
	// another length, is reported as such.
	if len(data) >= 2 {
		v, err := idEncoding.DecodeString(string(data[:2]) + "aaaaaa") // 8 chars -> 5 bytes
		if err == nil && v[0] != idVersion {
			return ID{}, fmt.Errorf("%w %d: this ID is mistyped, or comes from a newer version of Health Wallet", ErrIDVersion, v[0])
		}
	}
	if len(data) != idDataChars {
		return ID{}, fmt.Errorf("%w: an ID has %d characters after %s; this one has %d", ErrIDLength, idDataChars, IDPrefix, len(data))
	}
	payload, err := idEncoding.DecodeString(string(data))
	if err != nil || len(payload) != idPayloadSize {
		return ID{}, fmt.Errorf("%w: %v", ErrIDLength, err) // cannot happen after the checks above
	}
	key := payload[1 : 1+ed25519.PublicKeySize]
	sum := payload[1+ed25519.PublicKeySize:]
	if string(sum) != string(idChecksum(idVersion, key)) {
		return ID{}, ErrIDChecksum
	}
	id := IDFromSigningKey(key)
	// The last character carries 4 unused bits, which must be zero: otherwise
	// two strings would name the same ID and a typo there would go unnoticed.
	if id.String() != IDPrefix+string(data) {
		return ID{}, ErrIDChecksum
	}
	return id, nil
}
