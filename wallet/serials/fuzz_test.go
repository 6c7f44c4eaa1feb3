package serials

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode: Decode never panics, and what it accepts is canonical (it
// encodes back to the same bytes) and every serial in it proves.
func FuzzDecode(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "list-v1.bin")); err == nil {
		f.Add(b)
	}
	key := testKey("fuzz")
	f.Add(rawList(1, testGTIN, testLot, testExpiry, []string{"A1", "B2"}, key))
	f.Add(rawList(1, testGTIN, testLot, testExpiry, []string{"B2", "A1"}, key))
	f.Add([]byte("HWSL\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(l.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
		root := l.Root()
		for _, s := range l.Serials {
			index, proof, ok := l.Prove(s)
			if !ok || !VerifyMembership(root, len(l.Serials), s, index, proof) {
				t.Fatalf("serial %q does not prove", s)
			}
		}
	})
}
