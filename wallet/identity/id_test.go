package identity

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorIDs returns the IDs recorded in testdata/vectors.json.
func vectorIDs(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vf.Vectors {
		ids = append(ids, v.ID)
	}
	return ids
}

const testID = "hw1afizn5aaoscx2oi7w6zfhpxmwdkr66irzvoh3wrq4bplwhggqqjoiqec3gcq" // abandon ... art

// encodeIDPayload builds an ID string from arbitrary version, key and
// checksum, to make IDs that only one check rejects.
func encodeIDPayload(version byte, key, sum []byte) string {
	payload := append(append([]byte{version}, key...), sum...)
	return IDPrefix + idEncoding.EncodeToString(payload)
}

func TestParseIDTolerant(t *testing.T) {
	want, err := ParseID(testID)
	if err != nil {
		t.Fatal(err)
	}
	if want.String() != testID {
		t.Fatalf("String() = %s", want)
	}
	group := func(s string, n int, sep string) string {
		var parts []string
		for len(s) > n {
			parts = append(parts, s[:n])
			s = s[n:]
		}
		return strings.Join(append(parts, s), sep)
	}
	for _, in := range []string{
		"  " + testID + "\n",
		strings.ToUpper(testID),
		"HW1" + testID[3:],
		"hw1-" + group(testID[3:], 4, "-"),
		group(testID, 5, " "),
		"\t" + group(strings.ToUpper(testID), 3, " - ") + " \r\n",
		group(testID, 20, "\n"), // wrapped over lines
	} {
		got, err := ParseID(in)
		if err != nil {
			t.Errorf("ParseID(%q): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("ParseID(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseIDErrors(t *testing.T) {
	good, err := ParseID(testID)
	if err != nil {
		t.Fatal(err)
	}
	key := good.SigningKey()
	data := testID[3:]
	replaceAt := func(s string, i int, c string) string { return s[:i] + c + s[i+1:] }

	// The last character holds one data bit and four unused bits; set one of
	// the unused bits.
	last := strings.IndexByte(idAlphabet, testID[len(testID)-1])
	nonCanonical := testID[:len(testID)-1] + string(idAlphabet[last|1])

	tests := []struct {
		name, in string
		kind     error
		msg      string
	}{
		{"empty", "", ErrIDLength, "empty"},
		{"blank", " \t\n", ErrIDLength, "empty"},
		{"no prefix", data, ErrIDPrefix, "a Health Wallet ID starts with hw1"},
		{"wrong prefix", "hw2" + data, ErrIDPrefix, "a Health Wallet ID starts with hw1"},
		{"other scheme", "npub1" + data, ErrIDPrefix, "a Health Wallet ID starts with hw1"},
		{"prefix only partly", "hw", ErrIDPrefix, "a Health Wallet ID starts with hw1"},
		{"zero", replaceAt(testID, 10, "0"), ErrIDCharacter, "bad character '0' at position 11"},
		{"one", replaceAt(testID, 20, "1"), ErrIDCharacter, "bad character '1' at position 21"},
		{"eight", replaceAt(testID, 62, "8"), ErrIDCharacter, "bad character '8' at position 63"},
		{"punctuation", replaceAt(testID, 5, "."), ErrIDCharacter, "bad character '.' at position 6"},
		{"non-ASCII", replaceAt(testID, 7, "é"), ErrIDCharacter, "bad character 'é' at position 8"},
		{"position counts typed characters", "  hw1-" + data[:4] + "-0" + data[5:], ErrIDCharacter, "bad character '0' at position 10"},
		{"too short", testID[:len(testID)-1], ErrIDLength, "an ID has 60 characters after hw1; this one has 59"},
		{"too long", testID + "a", ErrIDLength, "this one has 61"},
		{"doubled", testID + testID[3:], ErrIDLength, "this one has 120"},
		{"huge", testID + strings.Repeat("a", 2000), ErrIDLength, "an ID has 60 characters"},
		{"version 2", encodeIDPayload(2, key, idChecksum(2, key)), ErrIDVersion, "unknown version 2"},
		{"version 0", encodeIDPayload(0, key, idChecksum(0, key)), ErrIDVersion, "unknown version 0"},
		{"version 2, other length", encodeIDPayload(2, append(key, key...), nil), ErrIDVersion, "unknown version 2"},
		{"typo", replaceAt(testID, 30, "q"), ErrIDChecksum, "this ID has a typo: checksum does not match"},
		{"bad checksum", encodeIDPayload(1, key, []byte{0, 0, 0, 0}), ErrIDChecksum, "this ID has a typo: checksum does not match"},
		{"unused bits set", nonCanonical, ErrIDChecksum, "this ID has a typo: checksum does not match"},
		{"swapped neighbours", testID[:20] + testID[21:22] + testID[20:21] + testID[22:], ErrIDChecksum, "checksum does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseID(tt.in)
			if err == nil {
				t.Fatalf("ParseID(%q) = %s, want error", tt.in, id)
			}
			if !errors.Is(err, ErrInvalidID) || !errors.Is(err, tt.kind) {
				t.Errorf("error %q: want %q wrapping ErrInvalidID", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if !id.IsZero() {
				t.Error("non-zero ID returned with an error")
			}
			var u ID
			if err := u.UnmarshalText([]byte(tt.in)); !errors.Is(err, tt.kind) {
				t.Errorf("UnmarshalText: %v", err)
			}
		})
	}
}

// TestParseIDCatchesSingleSubstitutions changes every character of each
// vector ID after the prefix to every other base32 character, and checks
// that none of the results parse. Characters past the first two (which hold
// the version) must be caught by the checksum specifically.
func TestParseIDCatchesSingleSubstitutions(t *testing.T) {
	checked := 0
	for _, s := range vectorIDs(t) {
		for i := len(IDPrefix); i < len(s); i++ {
			for _, c := range []byte(idAlphabet) {
				if c == s[i] {
					continue
				}
				typo := s[:i] + string(c) + s[i+1:]
				id, err := ParseID(typo)
				checked++
				switch {
				case err == nil:
					t.Errorf("substitution %q at %d of %s accepted as %s", c, i, s, id)
				case !errors.Is(err, ErrInvalidID):
					t.Errorf("substitution at %d: %v does not wrap ErrInvalidID", i, err)
				case i >= len(IDPrefix)+2 && !errors.Is(err, ErrIDChecksum):
					t.Errorf("substitution at %d: got %v, want the checksum error", i, err)
				}
			}
		}
	}
	if want := 5 * 60 * 31; checked != want {
		t.Errorf("checked %d substitutions, want %d", checked, want)
	}
}

// TestParseIDCatchesTranspositions swaps every pair of adjacent, different
// characters of the vector IDs.
func TestParseIDCatchesTranspositions(t *testing.T) {
	for _, s := range vectorIDs(t) {
		for i := len(IDPrefix); i+1 < len(s); i++ {
			if s[i] == s[i+1] {
				continue
			}
			typo := s[:i] + s[i+1:i+2] + s[i:i+1] + s[i+2:]
			if id, err := ParseID(typo); !errors.Is(err, ErrInvalidID) {
				t.Errorf("transposition at %d of %s: got %s, %v", i, s, id, err)
			}
		}
	}
}

func TestIDFromSigningKey(t *testing.T) {
	id, err := FromMnemonic(abandonArt)
	if err != nil {
		t.Fatal(err)
	}
	pub := id.Public().SigningKey
	got := IDFromSigningKey(pub)
	if got != id.ID() || got.String() != testID || !got.SigningKey().Equal(pub) || got.IsZero() {
		t.Fatalf("IDFromSigningKey = %s", got)
	}
	// The ID does not alias the key it was made from.
	pub[0] ^= 1
	if got.String() != testID {
		t.Fatal("ID aliases its key")
	}
	got.SigningKey()[0] ^= 1
	if got.String() != testID {
		t.Fatal("SigningKey() aliases the ID")
	}
	for _, n := range []int{0, 31, 33, 64} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("IDFromSigningKey accepted a %d-byte key", n)
				}
			}()
			IDFromSigningKey(make(ed25519.PublicKey, n))
		}()
	}
}

func TestIDText(t *testing.T) {
	id, err := ParseID(testID)
	if err != nil {
		t.Fatal(err)
	}
	type doc struct {
		Owner ID            `json:"owner"`
		Peers map[ID]string `json:"peers"`
	}
	in := doc{Owner: id, Peers: map[ID]string{id: "me"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"owner":%q,"peers":{%q:"me"}}`, testID, testID); string(b) != want {
		t.Fatalf("JSON %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Owner != id || out.Peers[id] != "me" {
		t.Fatalf("round trip gave %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"owner":"hw1nope"}`), &out); !errors.Is(err, ErrInvalidID) {
		t.Errorf("bad ID in JSON: %v", err)
	}

	var zero ID
	if zero.String() != "" || zero.SigningKey() != nil || !zero.IsZero() {
		t.Error("zero ID is not empty")
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("zero ID marshalled")
	}
	if _, err := json.Marshal(doc{}); err == nil {
		t.Error("JSON with a zero ID marshalled")
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range vectorIDs(f) {
		f.Add(s)
		f.Add(strings.ToUpper(s))
		f.Add(" " + s[:20] + "-" + s[20:] + "\n")
		f.Add(s[:len(s)-1])
	}
	f.Add("")
	f.Add("hw1")
	f.Add("hw1ab")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidID) {
				t.Fatalf("error %v does not wrap ErrInvalidID", err)
			}
			if !id.IsZero() {
				t.Fatal("non-zero ID with an error")
			}
			return
		}
		canon := id.String()
		if len(canon) != len(IDPrefix)+idDataChars {
			t.Fatalf("canonical form %q", canon)
		}
		again, err := ParseID(canon)
		if err != nil || again != id {
			t.Fatalf("re-parsing %q: %v, %v", canon, again, err)
		}
		if IDFromSigningKey(id.SigningKey()) != id {
			t.Fatal("key round trip")
		}
		text, err := id.MarshalText()
		if err != nil || string(text) != canon {
			t.Fatalf("MarshalText: %q, %v", text, err)
		}
		// Whatever was accepted is the canonical form up to the tolerated
		// differences.
		norm := strings.Map(func(r rune) rune {
			if r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0xa0 {
				return -1
			}
			return r
		}, strings.ToLower(s))
		if norm != canon && !strings.ContainsFunc(s, func(r rune) bool { return r > 0x7f }) {
			t.Fatalf("accepted %q as %q", s, canon)
		}
	})
}

func FuzzUnmarshalPublic(f *testing.F) {
	for _, m := range vectorMnemonics[:2] {
		id, err := FromMnemonic(m)
		if err != nil {
			f.Fatal(err)
		}
		b, err := id.Public().MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:100])
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Public
		if err := p.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrInvalidPublic) {
				t.Fatalf("error %v does not wrap ErrInvalidPublic", err)
			}
			return
		}
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		if !bytes.Equal(b, data) {
			t.Fatal("re-marshalled bytes differ")
		}
		// Verification and KEM parsing must not panic on hostile input.
		if err := p.Verify(); err == nil {
			if _, err := p.KEM(); err != nil {
				t.Logf("verified bundle with unusable KEM key: %v", err)
			}
		}
		_ = p.ID()
	})
}
