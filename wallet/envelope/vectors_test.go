package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors (changes every file: HPKE and the salt are randomized)")

const vectorDir = "testdata/vectors"

// manifest is testdata/vectors/manifest.json. See FORMAT.md, "Test vectors".
type manifest struct {
	Comment string   `json:"comment"`
	Version int      `json:"format_version"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Comment string `json:"comment"`
	// RecipientIKM is the hex input to
	// hpke.MLKEM768X25519().DeriveKeyPair of the private key to decrypt with.
	RecipientIKM string `json:"recipient_ikm"`
	// Expect is "ok" or the name of the sentinel error decrypting with that
	// key must give.
	Expect string `json:"expect"`
	// DataKey (hex) and ExpectWithKey: the same, decrypting with the data
	// key directly (NewReaderWithKey).
	DataKey       string `json:"data_key"`
	ExpectWithKey string `json:"expect_with_key"`
	// For files that decrypt with either key: the plaintext.
	PlaintextLen    int    `json:"plaintext_len,omitempty"`
	PlaintextSHA256 string `json:"plaintext_sha256,omitempty"`
}

func TestVectors(t *testing.T) {
	if *update {
		generateVectors(t)
	}
	data, err := os.ReadFile(filepath.Join(vectorDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Version != Version || len(m.Vectors) == 0 {
		t.Fatalf("manifest: version %d, %d vectors", m.Version, len(m.Vectors))
	}
	seen := map[string]bool{}
	for _, v := range m.Vectors {
		seen[v.Expect] = true
		seen[v.ExpectWithKey] = true
		t.Run(v.Name, func(t *testing.T) {
			ct, err := os.ReadFile(filepath.Join(vectorDir, v.File))
			if err != nil {
				t.Fatal(err)
			}
			ikm, err := hex.DecodeString(v.RecipientIKM)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := suiteKEM.DeriveKeyPair(ikm)
			if err != nil {
				t.Fatal(err)
			}
			kb, err := hex.DecodeString(v.DataKey)
			if err != nil || len(kb) != len(DataKey{}) {
				t.Fatalf("data_key: %v", err)
			}
			key := DataKey(kb)

			check := func(how, expect string, pt []byte, err error) {
				t.Helper()
				if expect == "ok" {
					if err != nil {
						t.Fatalf("%s: %v", how, err)
					}
					if len(pt) != v.PlaintextLen || sha256Hex(pt) != v.PlaintextSHA256 {
						t.Fatalf("%s: wrong plaintext (%d bytes)", how, len(pt))
					}
					return
				}
				want, ok := sentinels[expect]
				if !ok {
					t.Fatalf("unknown expectation %q", expect)
				}
				if !errors.Is(err, want) || pt != nil {
					t.Fatalf("%s: got %v (%d bytes), want %s", how, err, len(pt), expect)
				}
			}
			stream := func(r interface{ Read([]byte) (int, error) }, err error) ([]byte, error) {
				if err != nil {
					return nil, err
				}
				var buf bytes.Buffer
				if _, err := buf.ReadFrom(r); err != nil {
					return nil, err
				}
				return buf.Bytes(), nil
			}

			pt, err := DecryptAll(ct, priv)
			check("DecryptAll", v.Expect, pt, err)
			pt, err = stream(NewReader(bytes.NewReader(ct), priv))
			check("NewReader", v.Expect, pt, err)
			pt, err = DecryptAllWithKey(ct, key)
			check("DecryptAllWithKey", v.ExpectWithKey, pt, err)
			pt, err = stream(NewReaderWithKey(bytes.NewReader(ct), key))
			check("NewReaderWithKey", v.ExpectWithKey, pt, err)

			if v.Expect == "ok" {
				h, _, err := ParseHeader(bytes.NewReader(ct))
				if err != nil {
					t.Fatal(err)
				}
				if k, err := h.Unwrap(priv); err != nil || k != key {
					t.Fatalf("Unwrap: %v, key matches: %v", err, k == key)
				}
			}
		})
	}
	for name := range sentinels {
		if !seen[name] {
			t.Errorf("no vector expects %s", name)
		}
	}
}

const fhirExample = `{"resourceType":"Observation","id":"example","status":"final",` +
	`"code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},` +
	`"subject":{"reference":"Patient/example"},"effectiveDateTime":"2016-03-28",` +
	`"valueQuantity":{"value":67.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}`

// generateVectors writes testdata/vectors. Run only to add vectors or after a
// deliberate format change (which needs a new Version): the committed files
// pin format version 1 and every later version of this package must still
// decode them.
func generateVectors(t *testing.T) {
	key := testDataKey()
	keyHex := hex.EncodeToString(key[:])
	enc := func(pt []byte, names ...string) []byte {
		var buf bytes.Buffer
		if err := EncryptWithKey(&buf, bytes.NewReader(pt), key, testPub(t, names...)...); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	flip := func(ct []byte, off int) []byte {
		c := bytes.Clone(ct)
		c[off] ^= 0x01
		return c
	}
	hs1 := int(HeaderSize(1))

	empty := []byte{}
	fhir := []byte(fhirExample)
	oneChunk := testPlaintext("vector one chunk", ChunkSize)
	twoChunks := testPlaintext("vector two chunks", ChunkSize+1000)

	goodEmpty := enc(empty, "alice")
	goodFHIR := enc(fhir, "alice")
	goodOne := enc(oneChunk, "alice")
	goodTwo := enc(twoChunks, "alice")
	goodThree := enc(fhir, "alice", "bob", "carol")
	goodNone := enc(fhir)

	// Files a conforming writer never produces, built chunk by chunk.
	salt := bytes.Repeat([]byte{0x5a}, saltSize)
	header, err := marshalHeader(key, salt, testPub(t, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	crafted := func(chunks [][]byte, finals []bool) []byte {
		return append(bytes.Clone(header), sealPayload(t, key, salt, chunks, finals)...)
	}

	type entry struct {
		name, comment string
		ct            []byte
		pt            []byte // nil unless some path decrypts
		recipient     string
		expect        string
		expectWithKey string
	}
	entries := []entry{
		{"good_empty", "empty plaintext: one empty final chunk", goodEmpty, empty, "alice", "ok", "ok"},
		{"good_fhir", "small FHIR resource, one short final chunk", goodFHIR, fhir, "alice", "ok", "ok"},
		{"good_one_full_chunk", "exactly 65536 bytes: one full final chunk", goodOne, oneChunk, "alice", "ok", "ok"},
		{"good_two_chunks", "65536+1000 bytes: a full chunk and a short final chunk", goodTwo, twoChunks, "alice", "ok", "ok"},
		{"good_three_recipients", "three stanzas, alice's first", goodThree, fhir, "alice", "ok", "ok"},
		{"good_three_recipients_bob", "three stanzas, bob's second", goodThree, fhir, "bob", "ok", "ok"},
		{"good_three_recipients_carol", "three stanzas, carol's third", goodThree, fhir, "carol", "ok", "ok"},
		{"good_no_recipients", "zero stanzas: only the data key decrypts", goodNone, fhir, "alice", "ErrNoMatchingRecipient", "ok"},
		{"wrong_recipient", "encrypted to alice, decrypted by mallory", goodFHIR, fhir, "mallory", "ErrNoMatchingRecipient", "ok"},

		{"bad_magic", "magic HWENX", func() []byte { c := bytes.Clone(goodFHIR); c[4] = 'X'; return c }(), nil, "alice", "ErrMalformedHeader", "ErrMalformedHeader"},
		{"unknown_version", "version byte 2", func() []byte { c := bytes.Clone(goodFHIR); c[5] = 2; return c }(), nil, "alice", "ErrUnknownVersion", "ErrUnknownVersion"},
		{"recipient_count_over_limit", "count 257", func() []byte { c := bytes.Clone(goodFHIR); c[22], c[23] = 1, 1; return c }(), nil, "alice", "ErrMalformedHeader", "ErrMalformedHeader"},
		{"header_truncated", "file cut inside the first stanza", goodFHIR[:100], nil, "alice", "ErrMalformedHeader", "ErrMalformedHeader"},
		{"header_mac_tampered", "last MAC byte flipped", flip(goodFHIR, hs1-1), nil, "alice", "ErrHeaderTampered", "ErrHeaderTampered"},
		{"header_salt_tampered", "payload salt flipped: the stanza still opens, the MAC fails", flip(goodFHIR, 6), nil, "alice", "ErrHeaderTampered", "ErrHeaderTampered"},
		{"stanza_tampered_own", "the only stanza's wrapped key flipped: it no longer opens, which looks like another recipient's stanza", flip(goodFHIR, preambleSize+encSize+1), nil, "alice", "ErrNoMatchingRecipient", "ErrHeaderTampered"},
		{"stanza_tampered_other", "bob's stanza flipped; alice's opens and the MAC fails", flip(goodThree, preambleSize+stanzaSize+7), nil, "alice", "ErrHeaderTampered", "ErrHeaderTampered"},

		{"chunk_tampered", "byte 100 of chunk 0 (full, non-final) flipped", flip(goodTwo, hs1+100), nil, "alice", "ErrChunkTampered", "ErrChunkTampered"},
		{"final_chunk_tampered", "tag of the only (short, final) chunk flipped; also matches ErrTruncated, see FORMAT.md", flip(goodFHIR, len(goodFHIR)-1), nil, "alice", "ErrChunkTampered", "ErrChunkTampered"},
		{"truncated_no_payload", "header only", goodFHIR[:hs1], nil, "alice", "ErrTruncated", "ErrTruncated"},
		{"truncated_at_chunk_boundary", "cut right after chunk 0 (full, non-final)", goodTwo[:hs1+encryptedChunkSize], nil, "alice", "ErrTruncated", "ErrTruncated"},
		{"truncated_mid_chunk", "cut in the middle of chunk 0; also matches ErrChunkTampered, see FORMAT.md", goodTwo[:hs1+encryptedChunkSize/2], nil, "alice", "ErrTruncated", "ErrTruncated"},
		{"reordered_chunks", "chunks 0 and 1 swapped", append(bytes.Clone(goodTwo[:hs1]), append(bytes.Clone(goodTwo[hs1+encryptedChunkSize:]), goodTwo[hs1:hs1+encryptedChunkSize]...)...), nil, "alice", "ErrChunkTampered", "ErrChunkTampered"},
		{"trailing_after_full_final_chunk", "one byte after a full final chunk", append(bytes.Clone(goodOne), 0), nil, "alice", "ErrTrailingData", "ErrTrailingData"},
		{"trailing_after_short_final_chunk", "bytes after a short final chunk move the tag: indistinguishable from a modified chunk", append(bytes.Clone(goodFHIR), "junk"...), nil, "alice", "ErrChunkTampered", "ErrChunkTampered"},
		{"empty_final_after_full", "crafted: a full chunk then an empty final chunk (non-canonical)", crafted([][]byte{oneChunk, empty}, []bool{false, true}), nil, "alice", "ErrChunkTampered", "ErrChunkTampered"},
	}

	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := manifest{
		Comment: "Health Wallet envelope format v1 test vectors; see ../../FORMAT.md. " +
			"Recipient keys: hpke.MLKEM768X25519().DeriveKeyPair(recipient_ikm).",
		Version: Version,
	}
	files := map[string][]byte{}
	for _, e := range entries {
		file := e.name + ".hwenc"
		for name, ct := range files {
			if bytes.Equal(ct, e.ct) {
				file = name // several entries share one file
			}
		}
		files[file] = e.ct
		v := vector{
			Name: e.name, File: file, Comment: e.comment,
			RecipientIKM: hex.EncodeToString(testIKM(e.recipient)),
			Expect:       e.expect, DataKey: keyHex, ExpectWithKey: e.expectWithKey,
		}
		if e.pt != nil {
			v.PlaintextLen, v.PlaintextSHA256 = len(e.pt), sha256Hex(e.pt)
		}
		m.Vectors = append(m.Vectors, v)
	}
	old, _ := filepath.Glob(filepath.Join(vectorDir, "*.hwenc"))
	for _, f := range old {
		os.Remove(f)
	}
	for name, ct := range files {
		if err := os.WriteFile(filepath.Join(vectorDir, name), ct, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vectorDir, "manifest.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
