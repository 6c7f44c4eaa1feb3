package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyler-smith/go-bip39"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json from the current code")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	abandonArt = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"
	zooVote    = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote"
)

// vectorMnemonics are the phrases of testdata/vectors.json, all from the
// BIP39 reference test vectors.
var vectorMnemonics = []string{
	abandonArt,
	"legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title",
	"letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless",
	zooVote,
	"hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length",
}

// vectorDeriveLabel is the DeriveKey label whose output the vectors record.
const vectorDeriveLabel = "healthwallet/v1/test-vector"

type vector struct {
	Mnemonic        string `json:"mnemonic"`
	Entropy         string `json:"entropy"`
	Ed25519Public   string `json:"ed25519_public"`
	KEMPublicSHA256 string `json:"kem_public_sha256"`
	PublicBinSHA256 string `json:"public_binary_sha256"`
	DeriveKeyTest32 string `json:"derive_key_test_vector_32"`
	ID              string `json:"id"`
}

type vectorFile struct {
	Comment string   `json:"comment"`
	Vectors []vector `json:"vectors"`
}

func computeVector(t testing.TB, mnemonic string) vector {
	t.Helper()
	id, err := FromMnemonic(mnemonic)
	if err != nil {
		t.Fatalf("FromMnemonic(%q): %v", mnemonic, err)
	}
	pub := id.Public()
	bin, err := pub.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	kemSum := sha256.Sum256(pub.KEMKey)
	binSum := sha256.Sum256(bin)
	return vector{
		Mnemonic:        id.Mnemonic(),
		Entropy:         hex.EncodeToString(id.Entropy()),
		Ed25519Public:   hex.EncodeToString(pub.SigningKey),
		KEMPublicSHA256: hex.EncodeToString(kemSum[:]),
		PublicBinSHA256: hex.EncodeToString(binSum[:]),
		DeriveKeyTest32: hex.EncodeToString(id.DeriveKey(vectorDeriveLabel, 32)),
		ID:              id.ID().String(),
	}
}

func TestVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	if *update {
		vf := vectorFile{
			Comment: "Health Wallet identity derivation v1. Mnemonics and entropies are BIP39 reference vectors; " +
				"kem_public_sha256 is SHA-256 of the 1216-byte MLKEM768-X25519 public key; public_binary_sha256 is SHA-256 of Public.MarshalBinary; " +
				"derive_key_test_vector_32 is DeriveKey(\"" + vectorDeriveLabel + "\", 32). Regenerate with go test -run TestVectors -update.",
		}
		for _, m := range vectorMnemonics {
			vf.Vectors = append(vf.Vectors, computeVector(t, m))
		}
		b, err := json.MarshalIndent(vf, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Vectors) < len(vectorMnemonics) {
		t.Fatalf("%d vectors, want at least %d", len(vf.Vectors), len(vectorMnemonics))
	}
	for _, want := range vf.Vectors {
		got := computeVector(t, want.Mnemonic)
		if got != want {
			t.Errorf("mnemonic %q:\n got %+v\nwant %+v", want.Mnemonic, got, want)
		}
		// The entropy route gives the same identity as the phrase route.
		ent, _ := hex.DecodeString(want.Entropy)
		id, err := FromEntropy(ent)
		if err != nil {
			t.Fatal(err)
		}
		if id.ID().String() != want.ID || id.Mnemonic() != want.Mnemonic {
			t.Errorf("FromEntropy(%s) gives %s / %q", want.Entropy, id.ID(), id.Mnemonic())
		}
		parsed, err := ParseID(want.ID)
		if err != nil {
			t.Errorf("ParseID(%s): %v", want.ID, err)
		} else if hex.EncodeToString(parsed.SigningKey()) != want.Ed25519Public {
			t.Errorf("ParseID(%s) key %x, want %s", want.ID, parsed.SigningKey(), want.Ed25519Public)
		}
	}
}

// TestDerivationSpec recomputes the abandon/art vector from the documented
// derivation with literal labels and the one-shot hkdf.Key, independently of
// the package's constants and Extract/Expand split.
func TestDerivationSpec(t *testing.T) {
	seed := bip39.NewSeed(abandonArt, "")
	edSeed, err := hkdf.Key(sha256.New, seed, []byte("healthwallet identity v1"), "healthwallet/v1/ed25519-signing", 32)
	if err != nil {
		t.Fatal(err)
	}
	ikm, err := hkdf.Key(sha256.New, seed, []byte("healthwallet identity v1"), "healthwallet/v1/hpke-mlkem768x25519", 32)
	if err != nil {
		t.Fatal(err)
	}
	kem, err := hpke.MLKEM768X25519().DeriveKeyPair(ikm)
	if err != nil {
		t.Fatal(err)
	}
	kemSum := sha256.Sum256(kem.PublicKey().Bytes())

	id, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := id.Public().SigningKey, ed25519.NewKeyFromSeed(edSeed).Public().(ed25519.PublicKey); !got.Equal(want) {
		t.Errorf("signing key %x, want %x", got, want)
	}
	if got := sha256.Sum256(id.Public().KEMKey); got != kemSum {
		t.Errorf("KEM key hash %x, want %x", got, kemSum)
	}
	// The checksum of the ID, from its definition.
	key := id.Public().SigningKey
	sum := sha256.Sum256(append(append([]byte("healthwallet id checksum v1"), 0x01), key...))
	payload := append(append([]byte{0x01}, key...), sum[:4]...)
	want := "hw1" + strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(payload), "="))
	if got := id.ID().String(); got != want {
		t.Errorf("ID %s, want %s", got, want)
	}
}

// TestStandardBIP39 pins the BIP39 side of the derivation to the reference
// vectors, so the recovery phrase stays an ordinary BIP39 phrase.
func TestStandardBIP39(t *testing.T) {
	seed := bip39.NewSeed(abandonArt, "TREZOR")
	const want = "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8"
	if hex.EncodeToString(seed) != want {
		t.Errorf("BIP39 seed of the abandon/art vector with passphrase TREZOR:\n got %x\nwant %s", seed, want)
	}
	for phrase, want := range map[string]string{
		abandonArt: strings.Repeat("00", 32),
		zooVote:    strings.Repeat("ff", 32),
	} {
		ent, err := ParseMnemonic(phrase)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(ent) != want {
			t.Errorf("entropy of %q is %x, want %s", phrase, ent, want)
		}
	}
}

func TestDeterministicAndDistinct(t *testing.T) {
	a1, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromMnemonic(zooVote)
	if err != nil {
		t.Fatal(err)
	}
	bin := func(id *Identity) []byte {
		b, err := id.Public().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kemPriv := func(id *Identity) []byte {
		b, err := id.KEMKey().Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if a1.ID() != a2.ID() || !bytes.Equal(bin(a1), bin(a2)) ||
		!bytes.Equal(a1.SigningKey(), a2.SigningKey()) || !bytes.Equal(kemPriv(a1), kemPriv(a2)) ||
		!bytes.Equal(a1.DeriveKey("x", 32), a2.DeriveKey("x", 32)) {
		t.Error("the same phrase gave different identities")
	}
	if a1.ID() == b.ID() || bytes.Equal(a1.Public().KEMKey, b.Public().KEMKey) ||
		bytes.Equal(kemPriv(a1), kemPriv(b)) || bytes.Equal(a1.DeriveKey("x", 32), b.DeriveKey("x", 32)) {
		t.Error("different phrases gave overlapping identities")
	}
	// Within one identity, the signing key, KEM seed and derived keys are
	// independent.
	if bytes.Equal(a1.SigningKey().Seed(), kemPriv(a1)) {
		t.Error("signing key seed equals KEM key")
	}
}

func TestNewMnemonic(t *testing.T) {
	m1, err := NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	if m1 == m2 {
		t.Fatal("two new phrases are equal")
	}
	if n := len(strings.Fields(m1)); n != MnemonicWords {
		t.Fatalf("new phrase has %d words", n)
	}
	id, err := FromMnemonic(m1)
	if err != nil {
		t.Fatal(err)
	}
	if id.Mnemonic() != m1 {
		t.Errorf("Mnemonic() = %q, want %q", id.Mnemonic(), m1)
	}
}

func TestParseMnemonicNormalises(t *testing.T) {
	messy := "  \t" + strings.ToUpper(strings.Replace(abandonArt, " ", "   ", 5)) + "\n  "
	messy = strings.Replace(messy, " ", "\u00a0", 1) // a non-breaking space from a paste
	id, err := FromMnemonic(messy)
	if err != nil {
		t.Fatal(err)
	}
	if id.Mnemonic() != abandonArt {
		t.Errorf("canonical phrase %q", id.Mnemonic())
	}
}

func TestParseMnemonicErrors(t *testing.T) {
	words := strings.Fields(vectorMnemonics[4])
	swapped := append([]string(nil), words...)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	replaced := append([]string(nil), words...)
	replaced[7] = "abandon"
	typo := append([]string(nil), words...)
	typo[4] = "causr"

	tests := []struct {
		name, phrase, want string
		word               *WordError
	}{
		{"empty", "", "a recovery phrase has 24 words; got 0", nil},
		{"23 words", strings.Join(words[:23], " "), "a recovery phrase has 24 words; got 23", nil},
		{"25 words", strings.Join(append(words, "zoo"), " "), "a recovery phrase has 24 words; got 25", nil},
		{"12 words", strings.Join(words[:12], " "), "a recovery phrase has 24 words; got 12", nil},
		{"typo", strings.Join(typo, " "), `word 5, "causr", is not in the recovery word list (did you mean "cause"?)`,
			&WordError{Position: 5, Word: "causr", Suggestion: "cause"}},
		{"misspelt word", strings.Replace(abandonArt, "art", "artt", 1), `word 24, "artt", is not in the recovery word list`,
			&WordError{Position: 24, Word: "artt"}},
		{"unknown short word", strings.Replace(abandonArt, "art", "xyz", 1), `word 24, "xyz", is not in the recovery word list`,
			&WordError{Position: 24, Word: "xyz"}},
		{"punctuation", strings.Replace(abandonArt, "abandon abandon", "abandon, abandon", 1), `word 1, "abandon,"`,
			&WordError{Position: 1, Word: "abandon,", Suggestion: "abandon"}},
		{"checksum", strings.Repeat("abandon ", 24), "the words are valid but one is wrong or out of order", nil},
		{"swapped", strings.Join(swapped, " "), "the words are valid but one is wrong or out of order", nil},
		{"replaced", strings.Join(replaced, " "), "the words are valid but one is wrong or out of order", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ent, err := ParseMnemonic(tt.phrase)
			if err == nil {
				t.Fatalf("accepted, entropy %x", ent)
			}
			if !errors.Is(err, ErrInvalidPhrase) {
				t.Errorf("error %v does not wrap ErrInvalidPhrase", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var we *WordError
			if errors.As(err, &we) != (tt.word != nil) {
				t.Fatalf("WordError: got %v, want %v", we, tt.word)
			}
			if tt.word != nil && *we != *tt.word {
				t.Errorf("WordError %+v, want %+v", *we, *tt.word)
			}
			if _, err := FromMnemonic(tt.phrase); !errors.Is(err, ErrInvalidPhrase) {
				t.Errorf("FromMnemonic: %v", err)
			}
		})
	}
}

func TestFromEntropyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := FromEntropy(make([]byte, n)); err == nil {
			t.Errorf("FromEntropy accepted %d bytes", n)
		}
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	id, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	want := id.ID()
	id.Entropy()[0] ^= 1
	id.SigningKey()[0] ^= 1
	id.Public().SigningKey[0] ^= 1
	id.Public().KEMKey[0] ^= 1
	if id.ID() != want || id.Entropy()[0] != 0 {
		t.Error("mutating a returned slice changed the identity")
	}
	if err := id.Public().Verify(); err != nil {
		t.Error(err)
	}
}

func TestDeriveKey(t *testing.T) {
	id, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	k1 := id.DeriveKey("healthwallet/v1/catalog-key", 32)
	k2 := id.DeriveKey("healthwallet/v1/other-key", 32)
	if len(k1) != 32 || bytes.Equal(k1, k2) {
		t.Errorf("derived keys %x %x", k1, k2)
	}
	if got := id.DeriveKey("healthwallet/v1/catalog-key", 32); !bytes.Equal(got, k1) {
		t.Error("DeriveKey is not deterministic")
	}
	if n := len(id.DeriveKey("x", maxDeriveKeySize)); n != maxDeriveKeySize {
		t.Errorf("got %d bytes", n)
	}
	// A caller label can never reproduce the identity's own key material.
	if bytes.Equal(id.DeriveKey("healthwallet/v1/ed25519-signing ", 32), id.SigningKey().Seed()) {
		t.Error("derived key equals the signing seed")
	}
	for _, tc := range []struct {
		label string
		n     int
	}{
		{LabelSigning, 32}, {LabelKEM, 32}, {"", 32},
		{"ok", 0}, {"ok", -1}, {"ok", maxDeriveKeySize + 1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("DeriveKey(%q, %d) did not panic", tc.label, tc.n)
				}
			}()
			id.DeriveKey(tc.label, tc.n)
		}()
	}
}

func TestKEMRoundTrip(t *testing.T) {
	id, err := FromMnemonic(vectorMnemonics[4])
	if err != nil {
		t.Fatal(err)
	}
	// Simulate the wire: marshal, unmarshal, check against the ID, verify.
	bin, err := id.Public().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var pub Public
	if err := pub.UnmarshalBinary(bin); err != nil {
		t.Fatal(err)
	}
	if !pub.MatchesID(id.ID()) || pub.ID() != id.ID() {
		t.Fatal("received public bundle does not match the ID")
	}
	pk, err := pub.KEM()
	if err != nil {
		t.Fatal(err)
	}
	info := []byte("healthwallet test")
	msg := []byte("blood type: O negative")
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := hpke.Open(id.KEMKey(), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, ct)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("opened %q", got)
	}
	// The other identity cannot open it.
	other, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hpke.Open(other.KEMKey(), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, ct); err == nil {
		t.Fatal("another identity opened the message")
	}
	if pub.MatchesID(other.ID()) || pub.MatchesID(ID{}) {
		t.Error("MatchesID matched the wrong ID")
	}
}

func TestPublicVerify(t *testing.T) {
	a, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromMnemonic(zooVote)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Public().Verify(); err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(p *Public){
		"flipped KEM key":   func(p *Public) { p.KEMKey[100] ^= 1 },
		"flipped signature": func(p *Public) { p.KEMSignature[0] ^= 1 },
		"other's KEM key":   func(p *Public) { p.KEMKey = b.Public().KEMKey },
		"other's signing":   func(p *Public) { p.SigningKey = b.Public().SigningKey },
		"other's key and signature": func(p *Public) {
			p.KEMKey, p.KEMSignature = b.Public().KEMKey, b.Public().KEMSignature
		},
		"short signing key": func(p *Public) { p.SigningKey = p.SigningKey[:31] },
		"short KEM key":     func(p *Public) { p.KEMKey = p.KEMKey[:1215] },
		"long signature":    func(p *Public) { p.KEMSignature = append(p.KEMSignature, 0) },
		"nil":               func(p *Public) { *p = Public{} },
	}
	for name, mutate := range mutations {
		p := a.Public()
		mutate(&p)
		if err := p.Verify(); !errors.Is(err, ErrInvalidPublic) {
			t.Errorf("%s: Verify returned %v", name, err)
		}
		if _, err := p.KEM(); !errors.Is(err, ErrInvalidPublic) {
			t.Errorf("%s: KEM returned %v", name, err)
		}
	}
}

func TestPublicBinary(t *testing.T) {
	id, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := id.Public().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(bin) != marshalledPublicSize {
		t.Fatalf("marshalled size %d, want %d", len(bin), marshalledPublicSize)
	}
	var p Public
	if err := p.UnmarshalBinary(bin); err != nil {
		t.Fatal(err)
	}
	bin[1] ^= 1 // must not alias
	if p.ID() != id.ID() {
		t.Fatal("unmarshalled Public aliases its input")
	}
	bin[1] ^= 1

	for n := range len(bin) {
		if err := new(Public).UnmarshalBinary(bin[:n]); !errors.Is(err, ErrInvalidPublic) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	bad := func(name string, edit func(b []byte) []byte) {
		b := edit(bytes.Clone(bin))
		if err := new(Public).UnmarshalBinary(b); !errors.Is(err, ErrInvalidPublic) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad("trailing byte", func(b []byte) []byte { return append(b, 0) })
	bad("version 2", func(b []byte) []byte { b[0] = 2; return b })
	bad("version 0", func(b []byte) []byte { b[0] = 0; return b })
	bad("KEM length +1", func(b []byte) []byte { b[34]++; return b })
	bad("KEM length huge", func(b []byte) []byte { b[33], b[34] = 0xff, 0xff; return b })
	bad("signature length", func(b []byte) []byte { b[35+KEMPublicKeySize+1]--; return b })

	// A structurally valid but forged bundle unmarshals, and Verify rejects it.
	forged := bytes.Clone(bin)
	forged[len(forged)-1] ^= 1
	if err := p.UnmarshalBinary(forged); err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(); err == nil {
		t.Error("forged signature verified")
	}

	if _, err := (Public{}).MarshalBinary(); !errors.Is(err, ErrInvalidPublic) {
		t.Errorf("marshalling an empty Public: %v", err)
	}
}

func BenchmarkDerive(b *testing.B) {
	entropy := make([]byte, EntropySize)
	for b.Loop() {
		if _, err := FromEntropy(entropy); err != nil {
			b.Fatal(err)
		}
	}
}
