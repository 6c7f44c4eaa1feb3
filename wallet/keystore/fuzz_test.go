package keystore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnseal feeds arbitrary files to Unseal. It must never panic, must
// return one of the package's errors, and must only succeed with a secret
// that re-seals and unseals to itself. With fixSum set the fuzzer's file
// gets a valid checksum first, so that mutations reach the parameter checks,
// Argon2id, the AEAD and payload parsing instead of stopping at the
// checksum; to keep each run fast it skips files whose (in-bounds)
// parameters would make Argon2id slow.
func FuzzUnseal(f *testing.F) {
	m := readManifest(f)
	for _, c := range m.Cases {
		file, err := os.ReadFile(filepath.Join("testdata", c.File))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file, false)
		f.Add(file, true)
	}
	pass := []byte(m.Passphrase)
	f.Fuzz(func(t *testing.T, file []byte, fixSum bool) {
		if fixSum && len(file) >= headerSize+checksumSize {
			p := Params{
				Time:      binary.BigEndian.Uint32(file[offTime:]),
				MemoryKiB: binary.BigEndian.Uint32(file[offMemory:]),
				Threads:   file[offThreads],
			}
			if p.Validate() == nil && (p.Time > 2 || p.MemoryKiB > 1024) {
				t.Skip("expensive but valid parameters")
			}
			file = fixChecksum(file)
		}
		secret, p, err := Unseal(file, pass)
		if err != nil {
			for _, known := range []error{ErrCorrupt, ErrWrongPassphrase, ErrUnsupportedVersion, ErrParamsOutOfBounds} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if len(secret) == 0 || len(secret) > MaxSecretSize || p.Validate() != nil {
			t.Fatalf("accepted secret of %d bytes with params %+v", len(secret), p)
		}
		again, err := Seal(secret, pass, TestParams)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := Unseal(again, pass)
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("re-seal round trip: %v", err)
		}
	})
}
