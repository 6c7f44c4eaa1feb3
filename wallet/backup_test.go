package wallet_test

import (
	"bytes"
	"context"
	"crypto/hpke"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"

	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
	"github.com/healthwallet/healthwallet/wallet/envelope"
	"github.com/healthwallet/healthwallet/wallet/identity"
)

// backupSource is a wallet holding the two Synthea patients' Bundles and a
// PDF of several blocks, and its recovery phrase.
func backupSource(t *testing.T) (*wallet.Wallet, string) {
	t.Helper()
	ctx := context.Background()
	w, phrase, err := wallet.Create(t.TempDir(), []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	for _, f := range bundleFiles(t) {
		if _, err := w.ImportFile(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
	}
	pdf := filepath.Join(t.TempDir(), "discharge-letter.pdf")
	os.WriteFile(pdf, append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("a scanned discharge letter\n"), 50000)...), 0o600) // > 1 MiB
	if _, err := w.ImportFile(ctx, pdf, nil); err != nil {
		t.Fatal(err)
	}
	return w, phrase
}

func exportBackup(t testing.TB, w *wallet.Wallet) (cid.Cid, []byte) {
	t.Helper()
	var buf bytes.Buffer
	var done, total int64
	root, err := w.ExportBackup(context.Background(), &buf, func(d, t int64) { done, total = d, t })
	if err != nil {
		t.Fatal(err)
	}
	if done != int64(buf.Len()) || total != done {
		t.Errorf("export progress ended at %d of %d; the backup is %d bytes", done, total, buf.Len())
	}
	return root, buf.Bytes()
}

// recordsOf lists a wallet's records by ID.
func recordsOf(t *testing.T, w *wallet.Wallet) []wallet.Record {
	t.Helper()
	recs, err := w.List(context.Background(), wallet.Query{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	return recs
}

func sameRecord(a, b wallet.Record) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.ResourceType == b.ResourceType && a.Category == b.Category &&
		a.ContentType == b.ContentType && a.Size == b.Size && a.CID == b.CID && a.Title == b.Title &&
		a.Date.Equal(b.Date) && a.Source == b.Source && a.AddedAt.Equal(b.AddedAt)
}

// TestBackupRoundTrip: a backup restored into a fresh directory with the
// same phrase gives the same catalog, every record readable with the same
// plaintext; backups are deterministic, and the restored wallet's backup is
// the very file it came from.
func TestBackupRoundTrip(t *testing.T) {
	ctx := context.Background()
	w, phrase := backupSource(t)
	root, car := exportBackup(t, w)
	if root.Version() != 1 || root.Type() != cid.DagProtobuf {
		t.Errorf("root %s is not a CIDv1 dag-pb directory", root)
	}
	br, err := carv2.NewBlockReader(bytes.NewReader(car))
	if err != nil || br.Version != 1 || len(br.Roots) != 1 || !br.Roots[0].Equals(root) {
		t.Fatalf("backup is not a CARv1 with the single root %s: %v %v", root, br, err)
	}
	root2, car2 := exportBackup(t, w)
	if !root2.Equals(root) || !bytes.Equal(car2, car) {
		t.Fatalf("a second backup of the same wallet differs: root %s, then %s", root, root2)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	var done, total int64
	r, err := wallet.RestoreBackup(ctx, dir, phrase, []byte("another passphrase"), bytes.NewReader(car), testOpts,
		func(d, t int64) { done, total = d, t })
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if done != int64(len(car)) || total != done {
		t.Errorf("restore progress ended at %d of %d; the backup is %d bytes", done, total, len(car))
	}
	if r.ID() != w.ID() {
		t.Fatalf("restored ID %s, want %s", r.ID(), w.ID())
	}
	before, after := catalogOf(t, w), catalogOf(t, r)
	if len(after) != len(before) || len(before) < 400 {
		t.Fatalf("%d records before, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("entry %d differs after restore:\n before %+v\n after  %+v", i, before[i], after[i])
		}
	}
	a, b := recordsOf(t, w), recordsOf(t, r)
	for i := range a {
		if !sameRecord(a[i], b[i]) {
			t.Fatalf("record differs after restore:\n before %+v\n after  %+v", a[i], b[i])
		}
		_, pa, err := w.Read(ctx, a[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		_, pb, err := r.Read(ctx, b[i].ID)
		if err != nil {
			t.Fatalf("restored record %s: %v", b[i].ID, err)
		}
		if !bytes.Equal(pa, pb) {
			t.Fatalf("record %s: plaintext differs after restore", a[i].ID)
		}
	}
	if root3, car3 := exportBackup(t, r); !root3.Equals(root) || !bytes.Equal(car3, car) {
		t.Errorf("the restored wallet's backup has root %s, want the original %s", root3, root)
	}

	// A change to the catalog gives a new root.
	extra := filepath.Join(t.TempDir(), "note.pdf")
	os.WriteFile(extra, []byte("%PDF-1.4 one more letter"), 0o600)
	if _, err := w.ImportFile(ctx, extra, nil); err != nil {
		t.Fatal(err)
	}
	if root4, _ := exportBackup(t, w); root4.Equals(root) {
		t.Error("a backup after an import has the old root")
	}
	t.Logf("%d records: backup of %d bytes, root %s", len(a), len(car), root)
}

// noWalletLeft fails unless dir is gone, or was there before and holds
// nothing now.
func noWalletLeft(t *testing.T, dir string, existed bool) {
	t.Helper()
	if wallet.Exists(dir) {
		t.Fatalf("%s holds a wallet after a refused restore", dir)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case !existed && !errors.Is(err, os.ErrNotExist):
		t.Errorf("%s left behind (%d entries, %v)", dir, len(entries), err)
	case existed && (err != nil || len(entries) != 0):
		t.Errorf("%s holds %d entries after a refused restore: %v", dir, len(entries), err)
	}
}

func TestRestoreBackupWrongPhrase(t *testing.T) {
	ctx := context.Background()
	w, _ := backupSource(t)
	_, car := exportBackup(t, w)
	other, err := identity.NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "w")
	_, err = wallet.RestoreBackup(ctx, dir, other, []byte(passphrase), bytes.NewReader(car), testOpts, nil)
	if !errors.Is(err, wallet.ErrBackupOtherWallet) || !strings.Contains(err.Error(), "this backup belongs to another wallet") {
		t.Fatalf("restore with another phrase = %v, want ErrBackupOtherWallet", err)
	}
	noWalletLeft(t, dir, false)

	// An existing empty directory is left as it was.
	empty := t.TempDir()
	if _, err := wallet.RestoreBackup(ctx, empty, other, []byte(passphrase), bytes.NewReader(car), testOpts, nil); !errors.Is(err, wallet.ErrBackupOtherWallet) {
		t.Fatalf("restore with another phrase = %v", err)
	}
	noWalletLeft(t, empty, true)

	// An existing wallet is refused and untouched.
	if _, err := wallet.RestoreBackup(ctx, w.Dir(), other, []byte(passphrase), bytes.NewReader(car), testOpts, nil); !errors.Is(err, wallet.ErrLocked) {
		t.Fatalf("restore over an open wallet = %v, want ErrLocked", err)
	}
	if !wallet.Exists(w.Dir()) {
		t.Fatal("restore over an open wallet removed it")
	}
}

func TestRestoreBackupRefusesDamage(t *testing.T) {
	ctx := context.Background()
	w, phrase := backupSource(t)
	_, car := exportBackup(t, w)
	flipped := bytes.Clone(car)
	flipped[len(car)/2] ^= 0x40
	for name, bad := range map[string][]byte{
		"half":      car[:len(car)/2],
		"last byte": car[:len(car)-1],
		"flipped":   flipped,
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "w")
			_, err := wallet.RestoreBackup(ctx, dir, phrase, []byte(passphrase), bytes.NewReader(bad), testOpts, nil)
			if !errors.Is(err, wallet.ErrBadBackup) || !errors.Is(err, ipfs.ErrBadCAR) {
				t.Fatalf("restore of a damaged backup = %v, want ErrBadBackup and ErrBadCAR", err)
			}
			noWalletLeft(t, dir, false)
		})
	}
	if _, err := wallet.RestoreBackup(ctx, t.TempDir(), "not a phrase", []byte(passphrase), bytes.NewReader(car), testOpts, nil); err == nil {
		t.Fatal("restore with a malformed phrase succeeded")
	}
}

// TestRestoreBackupForged: anyone can encrypt a catalog to the wallet's
// public key; a backup whose catalog the wallet did not write is refused.
func TestRestoreBackupForged(t *testing.T) {
	ctx := context.Background()
	w, phrase := backupSource(t)
	s, err := ipfs.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pk, err := hpke.MLKEM768X25519().NewPublicKey(w.Public().KEMKey)
	if err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf(`{"catalog":{"format":"healthwallet-backup-catalog","version":1,"wallet":%q,"records":[]},"mac":"%064x"}`, w.ID(), 0)
	var sealed bytes.Buffer
	if _, err := envelope.Encrypt(&sealed, strings.NewReader(doc), pk); err != nil {
		t.Fatal(err)
	}
	catCID, err := s.Add(ctx, &sealed)
	if err != nil {
		t.Fatal(err)
	}
	records, err := s.PutDirectory(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.PutDirectory(ctx, map[string]cid.Cid{"catalog.hwenc": catCID, "records": records})
	if err != nil {
		t.Fatal(err)
	}
	var car bytes.Buffer
	if err := s.WriteCAR(ctx, &car, root, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "w")
	_, err = wallet.RestoreBackup(ctx, dir, phrase, []byte(passphrase), &car, testOpts, nil)
	if !errors.Is(err, wallet.ErrBadBackup) || !strings.Contains(err.Error(), "not written by this wallet") {
		t.Fatalf("restore of a forged backup = %v, want ErrBadBackup", err)
	}
	noWalletLeft(t, dir, false)
}

// TestBackupNoPlaintext: the backup file holds none of the patient's names
// or record titles in the clear.
func TestBackupNoPlaintext(t *testing.T) {
	w, _ := backupSource(t)
	_, car := exportBackup(t, w)
	if !bytes.Contains(car, []byte("Health Wallet encrypted backup, format v1")) {
		t.Error("the backup has no README")
	}
	var needles []string
	for _, f := range bundleFiles(t) {
		name := strings.SplitN(filepath.Base(f), "_", 3)
		needles = append(needles, name[0]+" ", name[1], strings.TrimSuffix(name[2], ".json"))
	}
	needles = append(needles, "Body Height", "Hemoglobin", "discharge", "resourceType", "Observation", "Patient")
	for _, r := range recordsOf(t, w) {
		if len(r.Title) >= 8 {
			needles = append(needles, r.Title)
		}
	}
	for _, n := range needles {
		if bytes.Contains(car, []byte(n)) {
			t.Errorf("the backup holds %q in plaintext", n)
		}
	}
}

// TestBackupTenThousandRecords: a wallet of 10,500 records (a sharded
// records directory) backs up and restores whole, no block over 1 MiB.
// Under the race detector, where encrypting each record costs ten times
// as much, 4,000 records still make a sharded directory.
func TestBackupTenThousandRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 10,500 records")
	}
	ctx := context.Background()
	n := 10500
	if raceEnabled() {
		n = 4000
	}
	var nd bytes.Buffer
	for i := range n {
		fmt.Fprintf(&nd, `{"resourceType":"Observation","id":"obs-%d","status":"final","code":{"text":"Measurement %d"},"valueQuantity":{"value":%d}}`+"\n", i, i, i)
	}
	w, phrase, err := wallet.Create(t.TempDir(), []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	start := time.Now()
	if rep, err := w.ImportBytes(ctx, "many.ndjson", nd.Bytes(), nil); err != nil || rep.Added != n {
		t.Fatalf("import: %d added, %v", rep.Added, err)
	}
	imported := time.Now()
	root, car := exportBackup(t, w)
	exported := time.Now()
	br, err := carv2.NewBlockReader(bytes.NewReader(car))
	if err != nil {
		t.Fatal(err)
	}
	blocks, largest := 0, 0
	for {
		b, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		blocks++
		largest = max(largest, len(b.RawData()))
	}
	if largest >= 1<<20 {
		t.Errorf("largest block %d bytes", largest)
	}
	restoreStart := time.Now()
	r, err := wallet.RestoreBackup(ctx, filepath.Join(t.TempDir(), "r"), phrase, []byte(passphrase), bytes.NewReader(car), testOpts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	t.Logf("import %v, backup %v, restore %v", imported.Sub(start), exported.Sub(imported), time.Since(restoreStart))
	counts, err := r.Counts(ctx)
	if err != nil || counts["Observation"] != n {
		t.Fatalf("restored counts %v, %v", counts, err)
	}
	t.Logf("%d records: backup %d bytes in %d blocks (largest %d), root %s", n, len(car), blocks, largest, root)
}

// BenchmarkExportBackup backs up a wallet of the Synthea bulk export (7,160
// resources) and a 32 MiB PDF.
func BenchmarkExportBackup(b *testing.B) {
	ctx := context.Background()
	w := newWallet(b)
	for _, f := range bulkFiles(b) {
		if _, err := w.ImportFile(ctx, f, nil); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.ImportBytes(ctx, "scan.pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("0123456789abcdef"), 2<<20)...), nil); err != nil {
		b.Fatal(err)
	}
	var size countingDiscard
	if _, err := w.ExportBackup(ctx, &size, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := w.ExportBackup(ctx, io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestoreBackup restores the same backup into a fresh directory.
func BenchmarkRestoreBackup(b *testing.B) {
	ctx := context.Background()
	w, phrase, err := wallet.Create(b.TempDir(), []byte(passphrase), testOpts)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for _, f := range bulkFiles(b) {
		if _, err := w.ImportFile(ctx, f, nil); err != nil {
			b.Fatal(err)
		}
	}
	var car bytes.Buffer
	if _, err := w.ExportBackup(ctx, &car, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(car.Len()))
	for b.Loop() {
		r, err := wallet.RestoreBackup(ctx, filepath.Join(b.TempDir(), "r"), phrase, []byte(passphrase), bytes.NewReader(car.Bytes()), testOpts, nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

type countingDiscard int64

func (c *countingDiscard) Write(p []byte) (int, error) {
	*c += countingDiscard(len(p))
	return len(p), nil
}
