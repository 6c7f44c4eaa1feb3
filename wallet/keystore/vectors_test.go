package keystore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/ from the current code")

// The manifest of testdata/: one good version 1 file and files damaged in
// labelled ways, each with the error Unseal must give.
type manifest struct {
	Comment    string         `json:"comment"`
	Passphrase string         `json:"passphrase"`
	Secret     string         `json:"secret"`
	Params     Params         `json:"params"`
	Cases      []manifestCase `json:"cases"`
}

type manifestCase struct {
	File       string `json:"file"`
	Passphrase string `json:"passphrase,omitempty"` // overrides the manifest's
	Expect     string `json:"expect"`               // "ok" or an error variable's name
	Note       string `json:"note"`
}

var expectErrors = map[string]error{
	"ok":                    nil,
	"ErrCorrupt":            ErrCorrupt,
	"ErrWrongPassphrase":    ErrWrongPassphrase,
	"ErrUnsupportedVersion": ErrUnsupportedVersion,
	"ErrParamsOutOfBounds":  ErrParamsOutOfBounds,
}

const (
	vectorPassphrase = "correct horse battery staple ✓"
	vectorSecret     = "68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c"
	goodFile         = "v1-good.hwks"
)

// derived lists the damaged files and how each is made from the good one,
// so the test can check that every stored file is what its label says.
var derived = []struct {
	file, expect, note string
	make               func(good []byte) []byte
}{
	{"v1-truncated.hwks", "ErrCorrupt", "last 10 bytes missing",
		func(g []byte) []byte { return g[:len(g)-10] }},
	{"v1-truncated-header.hwks", "ErrCorrupt", "only the first 40 bytes",
		func(g []byte) []byte { return g[:40] }},
	{"v1-empty.hwks", "ErrCorrupt", "empty file",
		func(g []byte) []byte { return []byte{} }},
	{"v1-header-flipped.hwks", "ErrCorrupt", "one bit of the salt flipped; the checksum catches it",
		func(g []byte) []byte { g[offSalt+3] ^= 0x10; return g }},
	{"v1-ciphertext-flipped.hwks", "ErrCorrupt", "one bit of the ciphertext flipped; the checksum catches it",
		func(g []byte) []byte { g[headerSize+5] ^= 0x01; return g }},
	{"v1-checksum-flipped.hwks", "ErrCorrupt", "one bit of the checksum flipped",
		func(g []byte) []byte { g[len(g)-1] ^= 0x80; return g }},
	{"v1-trailing-garbage.hwks", "ErrCorrupt", "extra bytes after the checksum",
		func(g []byte) []byte { return append(g, "garbage"...) }},
	{"not-a-keystore.hwks", "ErrCorrupt", "a different file",
		func(g []byte) []byte { return []byte("%PDF-1.7\nnot a keystore\n") }},
	{"v2-unknown-version.hwks", "ErrUnsupportedVersion", "format version 2",
		func(g []byte) []byte { g[offVersion] = 2; return fixChecksum(g) }},
	{"v1-unknown-kdf.hwks", "ErrUnsupportedVersion", "KDF id 2, checksum recomputed",
		func(g []byte) []byte { g[offKDF] = 2; return fixChecksum(g) }},
	{"v1-memory-4gib.hwks", "ErrParamsOutOfBounds", "memory 4 GiB, checksum recomputed: refused before Argon2id allocates",
		func(g []byte) []byte { binary.BigEndian.PutUint32(g[offMemory:], 4<<20); return fixChecksum(g) }},
	{"v1-time-1000.hwks", "ErrParamsOutOfBounds", "1000 passes, checksum recomputed",
		func(g []byte) []byte { binary.BigEndian.PutUint32(g[offTime:], 1000); return fixChecksum(g) }},
	{"v1-threads-0.hwks", "ErrParamsOutOfBounds", "0 threads, checksum recomputed",
		func(g []byte) []byte { g[offThreads] = 0; return fixChecksum(g) }},
	{"v1-salt-edited.hwks", "ErrWrongPassphrase", "salt changed AND checksum recomputed: a deliberate edit is indistinguishable from a wrong passphrase",
		func(g []byte) []byte { g[offSalt] ^= 0xff; return fixChecksum(g) }},
}

func writeVectors(t *testing.T) {
	secret, _ := hex.DecodeString(vectorSecret)
	good, err := Seal(secret, []byte(vectorPassphrase), TestParams)
	if err != nil {
		t.Fatal(err)
	}
	m := manifest{
		Comment: "Keystore format v1 test vectors. Each case: Unseal(file, passphrase) must succeed with secret " +
			"or fail with the named error. Damaged files are made from " + goodFile + " as described by note. " +
			"Regenerate with go test -run TestVectors -update.",
		Passphrase: vectorPassphrase,
		Secret:     vectorSecret,
		Params:     TestParams,
		Cases: []manifestCase{
			{File: goodFile, Expect: "ok", Note: "sealed with TestParams"},
			{File: goodFile, Passphrase: "correct horse battery staple", Expect: "ErrWrongPassphrase", Note: "passphrase without the final ' ✓'"},
		},
	}
	files := map[string][]byte{goodFile: good}
	for _, d := range derived {
		files[d.file] = d.make(bytes.Clone(good))
		m.Cases = append(m.Cases, manifestCase{File: d.file, Expect: d.expect, Note: d.note})
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "manifest.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readManifest(t testing.TB) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	m := readManifest(t)
	secret, err := hex.DecodeString(m.Secret)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join("testdata", goodFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Cases {
		t.Run(c.File+"/"+c.Expect, func(t *testing.T) {
			want, ok := expectErrors[c.Expect]
			if !ok {
				t.Fatalf("unknown expectation %q", c.Expect)
			}
			file, err := os.ReadFile(filepath.Join("testdata", c.File))
			if err != nil {
				t.Fatal(err)
			}
			pass := m.Passphrase
			if c.Passphrase != "" {
				pass = c.Passphrase
			}
			var got []byte
			var p Params
			alloc := allocated(func() { got, p, err = Unseal(file, []byte(pass)) })
			if want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, secret) || p != m.Params {
					t.Fatalf("got %x %+v, want %x %+v", got, p, secret, m.Params)
				}
				return
			}
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			if want == ErrParamsOutOfBounds && alloc > 1<<20 {
				t.Errorf("allocated %d bytes before refusing", alloc)
			}
			t.Logf("%s: %v", c.Note, err)
		})
	}
	// Each damaged file is exactly the labelled change to the good file.
	for _, d := range derived {
		stored, err := os.ReadFile(filepath.Join("testdata", d.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored, d.make(bytes.Clone(good))) {
			t.Errorf("%s is not %q applied to %s", d.file, d.note, goodFile)
		}
	}
}
