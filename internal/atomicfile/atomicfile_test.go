package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.bin")

	for i, want := range [][]byte{[]byte("first"), []byte("second, longer contents"), {}, []byte("x")} {
		if err := WriteFile(path, want, 0o600); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("write %d: read back %q, want %q", i, got, want)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"data.bin"}) {
			t.Fatalf("write %d: directory holds %q, want only data.bin", i, names)
		}
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("permissions %v, want 0600", perm)
		}
	}
}

func TestWriteFileReplacesPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("permissions %v after replacing a 0644 file, want 0600", perm)
	}
}

func TestWriteFileRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteFile("rel.txt", []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "rel.txt"))
	if err != nil || string(got) != "hello" {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := CleanStale("rel.txt"); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFileErrorsLeaveNoTempFile(t *testing.T) {
	dir := t.TempDir()

	// Missing directory: the temporary file cannot even be created.
	if err := WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Error("writing into a missing directory succeeded")
	}

	// The destination is a non-empty directory: the rename fails after the
	// temporary file was written, and the temporary file must be removed.
	target := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("x"), 0o600); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"target"}) {
		t.Fatalf("directory holds %q after a failed write, want only target", names)
	}

	if err := WriteFile(dir+string(filepath.Separator), []byte("x"), 0o600); err == nil {
		t.Error("a path ending in a separator was accepted")
	}
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keystore")
	keep := []string{
		"keystore",
		".keystore.tmp-xyz",               // not hex
		".keystore.tmp-0123456789abcde",   // too short
		".keystore.tmp-0123456789abcdef0", // too long
		".keystore.tmp-0123456789ABCDEF",  // upper case: not ours
		".other.tmp-0123456789abcdef",     // another file's temp
		"keystore.tmp-0123456789abcdef",   // no leading dot
	}
	remove := []string{
		".keystore.tmp-0123456789abcdef",
		".keystore.tmp-fedcba9876543210",
	}
	for _, name := range slices.Concat(keep, remove) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory with a matching name is not ours either.
	if err := os.Mkdir(filepath.Join(dir, ".keystore.tmp-00000000000000aa"), 0o700); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".keystore.tmp-00000000000000aa")

	if err := CleanStale(path); err != nil {
		t.Fatal(err)
	}
	got := dirNames(t, dir)
	slices.Sort(keep)
	if !slices.Equal(got, keep) {
		t.Fatalf("after CleanStale directory holds\n%q\nwant\n%q", got, keep)
	}

	// Nothing left to remove is not an error.
	if err := CleanStale(path); err != nil {
		t.Fatal(err)
	}
	// A missing directory is.
	if err := CleanStale(filepath.Join(dir, "missing", "f")); err == nil {
		t.Error("CleanStale in a missing directory succeeded")
	}
}

// TestTempNamesAreRecognised checks that WriteFile and CleanStale agree on
// the temporary file naming scheme.
func TestTempNamesAreRecognised(t *testing.T) {
	for _, base := range []string{"f", "keystore.hwks", ".hidden", "with space"} {
		for range 100 {
			name := newTempName(base)
			if !isTempName(name, base) {
				t.Fatalf("%q not recognised as a temporary file of %q", name, base)
			}
			if isTempName(name, base+"x") {
				t.Fatalf("%q recognised as a temporary file of %q", name, base+"x")
			}
		}
	}
}

func TestWriteFileConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = WriteFile(path, bytes.Repeat([]byte{byte('a' + i)}, 1000+i), 0o600)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := int(got[0] - 'a')
	if i < 0 || i >= n || !bytes.Equal(got, bytes.Repeat([]byte{byte('a' + i)}, 1000+i)) {
		t.Fatalf("file holds a mixture of writes (len %d)", len(got))
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"f"}) {
		t.Fatalf("directory holds %q, want only f", names)
	}
}
