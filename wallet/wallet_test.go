package wallet_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

const (
	bulkDir    = "../../shared/testdata/fhir/bulk-10-patients"
	bundlesDir = "../../shared/testdata/fhir/synthea-bundles"
	passphrase = "correct horse battery staple"
)

var testOpts = wallet.Options{KDF: keystore.TestParams}

func newWallet(t testing.TB) *wallet.Wallet {
	t.Helper()
	w, _, err := wallet.Create(t.TempDir(), []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func bulkFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(bulkDir, "*.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bulk test data in %s: %v", bulkDir, err)
	}
	return files
}

func bundleFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(bundlesDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundles in %s: %v", bundlesDir, err)
	}
	return files
}

// nonEmptyLines counts the resources in an NDJSON file.
func nonEmptyLines(t testing.TB, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateOpenRestore(t *testing.T) {
	dir := t.TempDir()
	w, phrase, err := wallet.Create(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	id := w.ID()
	if got := len(strings.Fields(phrase)); got != 24 {
		t.Fatalf("recovery phrase has %d words, want 24", got)
	}
	if _, err := wallet.Open(dir, []byte(passphrase), testOpts); !errors.Is(err, wallet.ErrLocked) {
		t.Fatalf("second Open while open = %v, want ErrLocked", err)
	}
	if _, _, err := wallet.Create(dir, []byte(passphrase), testOpts); err == nil {
		t.Fatal("Create over an open wallet succeeded")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := wallet.Create(dir, []byte(passphrase), testOpts); !errors.Is(err, wallet.ErrWalletExists) {
		t.Fatalf("Create over a wallet = %v, want ErrWalletExists", err)
	}

	_, err = wallet.Open(dir, []byte("not the passphrase"), testOpts)
	if !errors.Is(err, wallet.ErrWrongPassphrase) || err.Error() != "incorrect passphrase" {
		t.Fatalf("Open with a wrong passphrase = %q, want errors.Is ErrWrongPassphrase and \"incorrect passphrase\"", err)
	}
	w, err = wallet.Open(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if w.ID() != id {
		t.Fatalf("reopened ID %s, want %s", w.ID(), id)
	}
	w.Close()

	// The same phrase restores the same identity elsewhere.
	w2, err := wallet.Restore(t.TempDir(), "  "+strings.ToUpper(phrase)+"\n", []byte("another passphrase"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if w2.ID() != id {
		t.Fatalf("restored ID %s, want %s", w2.ID(), id)
	}
	if _, err := wallet.Open(t.TempDir(), []byte(passphrase), testOpts); !errors.Is(err, wallet.ErrNoWallet) {
		t.Fatalf("Open of an empty dir = %v, want ErrNoWallet", err)
	}
	if _, _, err := wallet.Create(t.TempDir(), []byte("short"), testOpts); !errors.Is(err, wallet.ErrWeakPassphrase) {
		t.Fatalf("Create with a short passphrase = %v, want ErrWeakPassphrase", err)
	}
}

// TestPassphraseUnicodeForms: a passphrase typed as composed or decomposed
// characters (macOS vs Windows keyboards) opens the same wallet.
func TestPassphraseUnicodeForms(t *testing.T) {
	dir := t.TempDir()
	composed, decomposed := "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", "cafe\u0301 cre\u0300me bru\u0302le\u0301e"
	w, _, err := wallet.Create(dir, []byte(composed), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	w, err = wallet.Open(dir, []byte(decomposed), testOpts)
	if err != nil {
		t.Fatalf("decomposed form of the passphrase: %v", err)
	}
	w.Close()
}

func TestChangePassphrase(t *testing.T) {
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ChangePassphrase([]byte("wrong one!"), []byte("a new passphrase")); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Fatalf("ChangePassphrase with a wrong old passphrase = %v", err)
	}
	if err := w.ChangePassphrase([]byte(passphrase), []byte("a new passphrase")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := wallet.Open(dir, []byte(passphrase), testOpts); !errors.Is(err, wallet.ErrWrongPassphrase) {
		t.Fatalf("old passphrase still opens: %v", err)
	}
	w, err = wallet.Open(dir, []byte("a new passphrase"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}

// TestImportBulkCounts imports the Synthea bulk export: every resource comes
// in, and the counts per type match the files.
func TestImportBulkCounts(t *testing.T) {
	ctx := context.Background()
	w := newWallet(t)
	want := map[string]int{}
	total := 0
	for _, f := range bulkFiles(t) {
		typ := strings.SplitN(filepath.Base(f), ".", 2)[0]
		n := nonEmptyLines(t, f)
		want[typ] += n
		total += n
		var last int64
		rep, err := w.ImportFile(ctx, f, func(done, total int64) { last = done })
		if err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
		if rep.Added != n || rep.Duplicates != 0 || rep.ByType[typ] != n {
			t.Errorf("%s: added %d (%v), %d duplicates; want %d", f, rep.Added, rep.ByType, rep.Duplicates, n)
		}
		if last != int64(n) {
			t.Errorf("%s: progress ended at %d, want %d", f, last, n)
		}
	}
	got, err := w.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("catalog holds %d %s, file has %d", got[typ], typ, n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("catalog types %v, want %v", got, want)
	}
	t.Logf("imported %d resources of %d types", total, len(want))

	// Importing again adds nothing.
	f := bulkFiles(t)[0]
	rep, err := w.ImportFile(ctx, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 0 || rep.Duplicates != nonEmptyLines(t, f) {
		t.Errorf("re-import of %s: added %d, duplicates %d", f, rep.Added, rep.Duplicates)
	}
	again, _ := w.Counts(ctx)
	if again[strings.SplitN(filepath.Base(f), ".", 2)[0]] != want[strings.SplitN(filepath.Base(f), ".", 2)[0]] {
		t.Errorf("re-import changed counts: %v", again)
	}
}

func TestReadBackAndTitles(t *testing.T) {
	ctx := context.Background()
	w := newWallet(t)
	f := bundleFiles(t)[0]
	rep, err := w.ImportFile(ctx, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added < 100 {
		t.Fatalf("bundle gave %d records", rep.Added)
	}
	src, _ := os.ReadFile(f)
	recs, err := w.List(ctx, wallet.Query{ResourceType: "Observation"})
	if err != nil || len(recs) == 0 {
		t.Fatalf("no observations: %v", err)
	}
	for _, r := range recs[:10] {
		if r.Title == "" || r.Date.IsZero() || r.Category != "observations" {
			t.Errorf("observation %s: title %q date %v category %q", r.ID, r.Title, r.Date, r.Category)
		}
		_, plain, err := w.Read(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(plain)) != r.Size || !bytes.Contains(plain, []byte(`"resourceType":"Observation"`)) {
			t.Errorf("record %s read back %d bytes: %.80s", r.ID, len(plain), plain)
		}
		// The stored resource is the input's: its id is in the file.
		var res struct{ ID string }
		if err := json.Unmarshal(plain, &res); err != nil || res.ID == "" || !bytes.Contains(src, []byte(`"`+res.ID+`"`)) {
			t.Errorf("record %s (resource id %q) not found in its source file: %v", r.ID, res.ID, err)
		}
	}
	if _, _, err := w.Read(ctx, "nosuchrecord"); !errors.Is(err, wallet.ErrNoRecord) {
		t.Errorf("Read of an unknown ID = %v, want ErrNoRecord", err)
	}
}

// TestImportRefusesBadFilesWhole checks that a bad file is refused with an
// error naming it and the entry, and that nothing from it is kept.
func TestImportRefusesBadFilesWhole(t *testing.T) {
	ctx := context.Background()
	good := `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"Heart rate"}}`
	tests := []struct {
		name, file, content string
		wantErr             []string
		wantIs              error
	}{
		{"bad json line", "labs.ndjson", good + "\n" + `{"resourceType":"Observation","id":"o2"` + "\n", []string{"labs.ndjson", "line 2"}, nil},
		{"not fhir", "notes.json", `{"name":"Jane","notes":"hello"}`, []string{"notes.json"}, nil},
		{"unknown type", "x.ndjson", good + "\n" + `{"resourceType":"Observaton","id":"o3"}`, []string{"x.ndjson", "line 2", "Observaton"}, nil},
		{"bundle entry without resource", "b.json", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + good + `},{"request":{"method":"DELETE","url":"Patient/1"}}]}`, []string{"b.json", "entry 2"}, nil},
		{"plain text", "readme.txt", "hello, not a health record", []string{"readme.txt"}, wallet.ErrUnsupportedFile},
		{"empty", "empty.json", "", []string{"empty.json"}, nil},
	}
	w := newWallet(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := w.ImportFile(ctx, path, nil)
			if err == nil {
				t.Fatal("import succeeded")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			recs, _ := w.List(ctx, wallet.Query{})
			if len(recs) != 0 {
				t.Errorf("a refused file left %d records", len(recs))
			}
		})
	}
	// Nothing was left in the block store either.
	if n := wallet.BlockCount(t, w); n != 0 {
		t.Errorf("refused imports left %d blocks", n)
	}
}

func TestAttachments(t *testing.T) {
	ctx := context.Background()
	w := newWallet(t)
	dir := t.TempDir()
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("stream of a scanned discharge letter\n"), 30000)...) // > 1 MiB: several chunks and blocks
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3, 4}, 1000)...)
	for name, data := range map[string][]byte{"letter.pdf": pdf, "xray.png": png} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o600)
		rep, err := w.ImportFile(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 1 {
			t.Fatalf("%s: added %d", name, rep.Added)
		}
		rec, err := w.Get(ctx, rep.IDs[0])
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind != wallet.KindAttachment || rec.Title != name || rec.Size != int64(len(data)) || rec.Category != "documents" {
			t.Errorf("%s: catalog entry %+v", name, rec)
		}
		out := filepath.Join(dir, "out-"+name)
		if err := w.SaveAs(ctx, rec.ID, out); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, data) {
			t.Errorf("%s: saved %d bytes, want the original %d", name, len(got), len(data))
		}
		if rep, err := w.ImportFile(ctx, path, nil); err != nil || rep.Added != 0 || rep.Duplicates != 1 {
			t.Errorf("%s re-import: %+v %v", name, rep, err)
		}
	}
}

type catalogEntry struct {
	kind, typ, cat, ctype, title string
	date                         time.Time
	size                         int64
}

func catalogOf(t *testing.T, w *wallet.Wallet) []catalogEntry {
	t.Helper()
	recs, err := w.List(context.Background(), wallet.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var out []catalogEntry
	for _, r := range recs {
		out = append(out, catalogEntry{string(r.Kind), r.ResourceType, r.Category, r.ContentType, r.Title, r.Date, r.Size})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		if a.title != b.title {
			return a.title < b.title
		}
		if !a.date.Equal(b.date) {
			return a.date.Before(b.date)
		}
		return a.size < b.size
	})
	return out
}

// TestExportRoundTrip exports a wallet as a Bundle and imports it into a
// fresh wallet: the catalog is the same.
func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	w := newWallet(t)
	for _, f := range bundleFiles(t) {
		if _, err := w.ImportFile(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
	}
	pdf := filepath.Join(t.TempDir(), "scan.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4 a small scanned letter"), 0o600)
	if _, err := w.ImportFile(ctx, pdf, nil); err != nil {
		t.Fatal(err)
	}
	var bundle bytes.Buffer
	if err := w.ExportBundle(ctx, &bundle, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(bundle.Bytes()), []byte("{")) || !bytes.Contains(bundle.Bytes(), []byte(`"collection"`)) {
		t.Fatalf("export is not a collection Bundle: %.200s", bundle.Bytes())
	}
	fresh := newWallet(t)
	rep, err := fresh.ImportBytes(ctx, "export.json", bundle.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	before, after := catalogOf(t, w), catalogOf(t, fresh)
	if rep.Added != len(before) || len(after) != len(before) {
		t.Fatalf("round trip: %d records before, %d added, %d after", len(before), rep.Added, len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("entry %d differs after round trip:\n before %+v\n after  %+v", i, before[i], after[i])
		}
	}
}

// TestNoPlaintextOnDisk: after importing, no identifying text of the records
// is readable anywhere in the data directory.
func TestNoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, _, err := wallet.Create(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	f := bundleFiles(t)[0]
	if _, err := w.ImportFile(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	recs, _ := w.List(ctx, wallet.Query{})
	w.Close()
	// Needles: the patient's name from the file name, and record titles.
	name := strings.SplitN(filepath.Base(f), "_", 3)
	needles := []string{name[0] + " ", name[1], "Body Height", "Hemoglobin"}
	for _, r := range recs[:20] {
		if len(r.Title) >= 8 {
			needles = append(needles, r.Title)
		}
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s holds %q in plaintext", path, n)
			}
		}
		return nil
	})
}

// TestDeleteAndGC: a deleted record's ciphertext is unpinned and a GC frees
// its space; the other records are untouched.
func TestDeleteAndGC(t *testing.T) {
	ctx := context.Background()
	w := newWallet(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "scan.pdf")
	os.WriteFile(big, append([]byte("%PDF-1.5\n"), bytes.Repeat([]byte("x"), 3<<20)...), 0o600)
	rep, err := w.ImportFile(ctx, big, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ImportFile(ctx, bundleFiles(t)[1], nil); err != nil {
		t.Fatal(err)
	}
	before := wallet.BlockCount(t, w)
	if res, err := w.GC(ctx); err != nil || res.Blocks != 0 {
		t.Fatalf("GC with nothing deleted removed %d blocks: %v", res.Blocks, err)
	}
	if err := w.Delete(ctx, rep.IDs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Get(ctx, rep.IDs[0]); !errors.Is(err, wallet.ErrNoRecord) {
		t.Fatalf("deleted record still listed: %v", err)
	}
	res, err := w.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes < 3<<20 || wallet.BlockCount(t, w) != before-res.Blocks {
		t.Fatalf("GC freed %d bytes in %d blocks; %d blocks before, %d after", res.Bytes, res.Blocks, before, wallet.BlockCount(t, w))
	}
	recs, _ := w.List(ctx, wallet.Query{})
	for _, r := range recs {
		if _, _, err := w.Read(ctx, r.ID); err != nil {
			t.Fatalf("record %s unreadable after GC: %v", r.ID, err)
		}
	}
}
