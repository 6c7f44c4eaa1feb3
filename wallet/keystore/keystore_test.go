package keystore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	testSecret = bytes.Repeat([]byte{0x5a}, 32)
	testPass   = []byte("correct horse battery staple")
)

// fixChecksum recomputes the trailing checksum of a (modified) file.
func fixChecksum(file []byte) []byte {
	if len(file) < checksumSize {
		return file
	}
	file = bytes.Clone(file)
	body := file[:len(file)-checksumSize]
	sum := sha256.Sum256(body)
	copy(file[len(body):], sum[:])
	return file
}

func sealed(t testing.TB) []byte {
	t.Helper()
	file, err := Seal(testSecret, testPass, TestParams)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func TestSealUnseal(t *testing.T) {
	for _, secret := range [][]byte{testSecret, {1}, bytes.Repeat([]byte{7}, MaxSecretSize)} {
		file, err := Seal(secret, testPass, TestParams)
		if err != nil {
			t.Fatal(err)
		}
		if want := headerSize + recordHeader + len(secret) + tagSize + checksumSize; len(file) != want {
			t.Errorf("file is %d bytes, want %d", len(file), want)
		}
		got, p, err := Unseal(file, testPass)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, secret) || p != TestParams {
			t.Fatalf("Unseal = %x, %+v", got, p)
		}
	}
	// Fresh salt and nonce every time.
	a, b := sealed(t), sealed(t)
	if bytes.Equal(a[offSalt:offNonce], b[offSalt:offNonce]) || bytes.Equal(a[offNonce:offCTLen], b[offNonce:offCTLen]) {
		t.Error("two seals share a salt or nonce")
	}
	// The returned secret does not alias anything the caller passed.
	got, _, err := Unseal(a, testPass)
	if err != nil {
		t.Fatal(err)
	}
	got[0] ^= 1
	if again, _, _ := Unseal(a, testPass); !bytes.Equal(again, testSecret) {
		t.Error("secret aliases the file")
	}
}

func TestSealRejects(t *testing.T) {
	cases := map[string]struct {
		secret, pass []byte
		p            Params
		want         error
	}{
		"empty passphrase": {testSecret, nil, TestParams, ErrEmptyPassphrase},
		"time 0":           {testSecret, testPass, Params{0, 64, 1}, ErrParamsOutOfBounds},
		"time 21":          {testSecret, testPass, Params{21, 64, 1}, ErrParamsOutOfBounds},
		"memory 32 KiB":    {testSecret, testPass, Params{1, 32, 1}, ErrParamsOutOfBounds},
		"memory 513 MiB":   {testSecret, testPass, Params{1, 513 * 1024, 1}, ErrParamsOutOfBounds},
		"threads 0":        {testSecret, testPass, Params{1, 64, 0}, ErrParamsOutOfBounds},
		"threads 17":       {testSecret, testPass, Params{1, 1024, 17}, ErrParamsOutOfBounds},
		"memory < 8/lane":  {testSecret, testPass, Params{1, 64, 16}, ErrParamsOutOfBounds},
		"empty secret":     {nil, testPass, TestParams, nil},
		"huge secret":      {make([]byte, MaxSecretSize+1), testPass, TestParams, nil},
	}
	for name, c := range cases {
		_, err := Seal(c.secret, c.pass, c.p)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if err := DefaultParams.Validate(); err != nil {
		t.Errorf("DefaultParams: %v", err)
	}
	if err := (Params{MaxTime, MaxMemoryKiB, MaxThreads}).Validate(); err != nil {
		t.Errorf("maximum params: %v", err)
	}
}

func TestUnsealWrongPassphrase(t *testing.T) {
	file := sealed(t)
	for _, pass := range [][]byte{nil, []byte("correct horse battery stapl"), []byte("Correct horse battery staple")} {
		_, _, err := Unseal(file, pass)
		if err != ErrWrongPassphrase {
			t.Errorf("passphrase %q: got %v, want exactly ErrWrongPassphrase", pass, err)
		}
	}
	if ErrWrongPassphrase.Error() != "incorrect passphrase" {
		t.Errorf("ErrWrongPassphrase message %q", ErrWrongPassphrase)
	}
}

// TestEveryTruncationAndFlipIsDamage checks that each truncation and each
// single-bit change of a file is reported as damage (or, for the version
// byte, as an unsupported version), never as a wrong passphrase.
func TestEveryTruncationAndFlipIsDamage(t *testing.T) {
	file := sealed(t)
	for n := range len(file) {
		if _, _, err := Unseal(file[:n], testPass); !errors.Is(err, ErrCorrupt) {
			t.Errorf("truncated to %d bytes: %v", n, err)
		}
	}
	for i := range file {
		for bit := range 8 {
			bad := bytes.Clone(file)
			bad[i] ^= 1 << bit
			_, _, err := Unseal(bad, testPass)
			want := ErrCorrupt
			if i == offVersion {
				want = ErrUnsupportedVersion
			}
			if !errors.Is(err, want) {
				t.Fatalf("bit %d of byte %d flipped: got %v, want %v", bit, i, err, want)
			}
		}
	}
	if _, _, err := Unseal(append(bytes.Clone(file), 0), testPass); !errors.Is(err, ErrCorrupt) {
		t.Errorf("trailing byte: %v", err)
	}
}

// TestAuthenticatedHeader checks that the header is bound by the AEAD: with
// the checksum recomputed, any change to it makes the file unopenable.
func TestAuthenticatedHeader(t *testing.T) {
	file := sealed(t)
	for i := offSalt; i < headerSize-4; i++ { // salt and nonce
		bad := bytes.Clone(file)
		bad[i] ^= 1
		if _, _, err := Unseal(fixChecksum(bad), testPass); err != ErrWrongPassphrase {
			t.Fatalf("byte %d changed, checksum fixed: %v", i, err)
		}
	}
	// Bumping time changes the key derivation and the additional data.
	bad := bytes.Clone(file)
	binary.BigEndian.PutUint32(bad[offTime:], 2)
	if _, _, err := Unseal(fixChecksum(bad), testPass); err != ErrWrongPassphrase {
		t.Fatalf("time changed: %v", err)
	}
}

func TestHostileParamsAreRefusedCheaply(t *testing.T) {
	file := sealed(t)
	for _, p := range []Params{
		{1, 4 * 1024 * 1024, 1}, // 4 GiB
		{1, 1<<32 - 1, 1},
		{1<<32 - 1, 64, 1},
		{1, 64, 255},
		{0, 64, 1},
		{1, 0, 1},
		{1, 64, 0},
	} {
		bad := bytes.Clone(file)
		binary.BigEndian.PutUint32(bad[offTime:], p.Time)
		binary.BigEndian.PutUint32(bad[offMemory:], p.MemoryKiB)
		bad[offThreads] = p.Threads
		bad = fixChecksum(bad)
		alloc := allocated(func() {
			if _, _, err := Unseal(bad, testPass); !errors.Is(err, ErrParamsOutOfBounds) {
				t.Errorf("%+v: %v", p, err)
			}
		})
		if alloc > 1<<20 {
			t.Errorf("%+v: Unseal allocated %d bytes before refusing", p, alloc)
		}
	}
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestUnsealNotAKeystore(t *testing.T) {
	for _, in := range []string{"", "H", "HWK", "HWKX", "PK\x03\x04 zip file", "{\"json\": true}"} {
		if _, _, err := Unseal([]byte(in), testPass); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: %v", in, err)
		}
	}
	_, _, err := Unseal([]byte("not a keystore at all, just text"), testPass)
	if err == nil || !strings.Contains(err.Error(), "keystore file is damaged: not a Health Wallet keystore file") {
		t.Errorf("message: %v", err)
	}
}

// sealRecords seals a hand-built payload, to test payload parsing.
func sealRecords(t *testing.T, records ...[]byte) []byte {
	t.Helper()
	file, err := sealPayload(bytes.Join(records, nil), testPass, TestParams)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func record(kind byte, data []byte) []byte {
	return append(binary.BigEndian.AppendUint16([]byte{kind}, uint16(len(data))), data...)
}

func TestPayloadRecords(t *testing.T) {
	// Unknown records before and after the secret are skipped.
	file := sealRecords(t, record(9, []byte("future")), record(recordSecret, testSecret), record(200, nil))
	got, _, err := Unseal(file, testPass)
	if err != nil || !bytes.Equal(got, testSecret) {
		t.Fatalf("got %x, %v", got, err)
	}
	for name, payload := range map[string][][]byte{
		"no secret":        {record(9, []byte("x"))},
		"two secrets":      {record(recordSecret, testSecret), record(recordSecret, testSecret)},
		"empty secret":     {record(recordSecret, nil)},
		"overrun":          {record(recordSecret, testSecret)[:20]},
		"truncated header": {record(recordSecret, testSecret), {1, 0}},
		"empty":            {{}},
	} {
		file, err := sealPayload(bytes.Join(payload, nil), testPass, TestParams)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Unseal(file, testPass); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wallet.hwks")
	if err := Save(path, testSecret, testPass, TestParams); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
	got, err := Load(path, testPass)
	if err != nil || !bytes.Equal(got, testSecret) {
		t.Fatalf("Load = %x, %v", got, err)
	}

	_, err = Load(path, []byte("wrong"))
	if !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), path) {
		t.Errorf("wrong passphrase: %v", err)
	}

	missing := filepath.Join(dir, "missing.hwks")
	_, err = Load(missing, testPass)
	if !errors.Is(err, ErrNotExist) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}

	damaged := filepath.Join(dir, "damaged.hwks")
	file, _ := os.ReadFile(path)
	os.WriteFile(damaged, file[:len(file)-1], 0o600)
	_, err = Load(damaged, testPass)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), damaged) ||
		!strings.Contains(err.Error(), "keystore file is damaged: truncated") {
		t.Errorf("damaged file: %v", err)
	}

	huge := filepath.Join(dir, "huge.hwks")
	os.WriteFile(huge, append(file, make([]byte, maxFileSize)...), 0o600)
	if _, err := Load(huge, testPass); !errors.Is(err, ErrCorrupt) {
		t.Errorf("huge file: %v", err)
	}

	if err := Save(path, testSecret, nil, TestParams); !errors.Is(err, ErrEmptyPassphrase) || !strings.Contains(err.Error(), path) {
		t.Errorf("Save with empty passphrase: %v", err)
	}
	if err := Save(filepath.Join(dir, "no", "such", "dir"), testSecret, testPass, TestParams); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}

func TestSaveCleansStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wallet.hwks")
	stale := filepath.Join(dir, ".wallet.hwks.tmp-0123456789abcdef")
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(stale, []byte("half a keystore"), 0o600)
	os.WriteFile(other, []byte("keep me"), 0o600)
	if err := Save(path, testSecret, testPass, TestParams); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file survived Save: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wallet.hwks")
	if err := Save(path, testSecret, testPass, TestParams); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	newPass := []byte("a new passphrase")

	err := ChangePassphrase(path, []byte("wrong"), newPass, TestParams)
	if !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), path) {
		t.Fatalf("wrong old passphrase: %v", err)
	}
	if err := ChangePassphrase(path, testPass, nil, TestParams); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty new passphrase: %v", err)
	}
	if err := ChangePassphrase(path, testPass, newPass, Params{}); !errors.Is(err, ErrParamsOutOfBounds) {
		t.Fatalf("bad params: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Fatal("a failed ChangePassphrase changed the file")
	}

	stronger := Params{Time: 2, MemoryKiB: 256, Threads: 2}
	if err := ChangePassphrase(path, testPass, newPass, stronger); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if bytes.Equal(after[offSalt:offNonce], before[offSalt:offNonce]) || bytes.Equal(after[offNonce:offCTLen], before[offNonce:offCTLen]) {
		t.Error("salt or nonce reused")
	}
	got, p, err := Unseal(after, newPass)
	if err != nil || !bytes.Equal(got, testSecret) || p != stronger {
		t.Fatalf("after change: %x %+v %v", got, p, err)
	}
	if _, err := Load(path, testPass); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("old passphrase still works: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("unexpected file")
	}
	if err := ChangePassphrase(filepath.Join(dir, "missing"), testPass, newPass, TestParams); !errors.Is(err, ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestChangePassphraseKeepsUnknownRecords checks that records a later
// version might add survive a passphrase change by this version.
func TestChangePassphraseKeepsUnknownRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.hwks")
	payload := bytes.Join([][]byte{record(recordSecret, testSecret), record(42, []byte("from the future"))}, nil)
	file, err := sealPayload(payload, testPass, TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ChangePassphrase(path, testPass, []byte("new"), TestParams); err != nil {
		t.Fatal(err)
	}
	file, _ = os.ReadFile(path)
	got, _, err := unsealPayload(file, []byte("new"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("payload after change %q, %v", got, err)
	}
}

func BenchmarkUnlock(b *testing.B) {
	file, err := Seal(testSecret, testPass, DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Unseal(file, testPass); err != nil {
			b.Fatal(err)
		}
	}
}
