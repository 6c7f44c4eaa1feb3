package wallet_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/healthwallet/healthwallet/wallet"
)

func TestFilesToImport(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.json", "a.NDJSON", "notes.txt", ".hidden.json", "sub/c.pdf", ".git/d.json"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	named := filepath.Join(dir, "notes.txt") // named: tried, whatever its kind
	missing := filepath.Join(dir, "gone.json")
	got, err := wallet.FilesToImport([]string{named, dir, missing})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{named, filepath.Join(dir, "a.NDJSON"), filepath.Join(dir, "b.json"), filepath.Join(dir, "sub/c.pdf"), missing}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
