package keystore

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/healthwallet/healthwallet/internal/atomicfile"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Format constants of version 1.
const (
	magic         = "HWKS"
	formatVersion = 1
	kdfArgon2id   = 1

	saltSize     = 16
	nonceSize    = chacha20poly1305.NonceSizeX // 24
	keySize      = chacha20poly1305.KeySize    // 32
	tagSize      = chacha20poly1305.Overhead   // 16
	checksumSize = sha256.Size

	offVersion   = 4
	offKDF       = 5
	offTime      = 6
	offMemory    = 10
	offThreads   = 14
	offSalt      = 15
	offNonce     = offSalt + saltSize   // 31
	offCTLen     = offNonce + nonceSize // 55
	headerSize   = offCTLen + 4         // 59
	minFileSize  = headerSize + tagSize + checksumSize
	recordHeader = 3 // kind byte + 2-byte length

	// recordSecret is the payload record kind of the root secret.
	recordSecret = 1
)

// Errors. Unseal returns them as they are; Save, Load and ChangePassphrase
// wrap them with the file's path.
var (
	// ErrWrongPassphrase means the file is intact but the passphrase does
	// not open it.
	ErrWrongPassphrase = errors.New("incorrect passphrase")
	// ErrCorrupt means the file is damaged (truncated, altered, malformed)
	// or is not a keystore.
	ErrCorrupt = errors.New("keystore file is damaged")
	// ErrUnsupportedVersion means the file uses a format version or key
	// derivation function this code does not know, typically because a newer
	// version of the application wrote it.
	ErrUnsupportedVersion = errors.New("keystore format not supported")
	// ErrParamsOutOfBounds means Argon2id parameters are outside the bounds
	// in limits.go.
	ErrParamsOutOfBounds = errors.New("keystore key derivation parameters out of bounds")
	// ErrNotExist means there is no keystore file. Errors wrapping it also
	// wrap fs.ErrNotExist.
	ErrNotExist = errors.New("keystore not found")
	// ErrEmptyPassphrase is returned when sealing with an empty passphrase.
	ErrEmptyPassphrase = errors.New("keystore passphrase is empty")
)

// Params are the Argon2id cost parameters.
type Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes
}

var (
	// DefaultParams is RFC 9106's second recommended option: 3 passes over
	// 64 MiB with 4 lanes.
	DefaultParams = Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}
	// TestParams is the cheapest setting within bounds, for tests only: it
	// gives a passphrase almost no protection.
	TestParams = Params{Time: MinTime, MemoryKiB: MinMemoryKiB, Threads: 1}
)

// Validate reports whether p is within the bounds in limits.go, with an
// error wrapping ErrParamsOutOfBounds if not.
func (p Params) Validate() error {
	switch {
	case p.Time < MinTime || p.Time > MaxTime:
		return fmt.Errorf("%w: time %d not in %d..%d", ErrParamsOutOfBounds, p.Time, MinTime, MaxTime)
	case p.MemoryKiB < MinMemoryKiB || p.MemoryKiB > MaxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB not in %d..%d KiB", ErrParamsOutOfBounds, p.MemoryKiB, MinMemoryKiB, MaxMemoryKiB)
	case p.Threads < MinThreads || p.Threads > MaxThreads:
		return fmt.Errorf("%w: threads %d not in %d..%d", ErrParamsOutOfBounds, p.Threads, MinThreads, MaxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("%w: memory %d KiB is less than 8 KiB for each of %d threads", ErrParamsOutOfBounds, p.MemoryKiB, p.Threads)
	}
	return nil
}

// deriveKey runs Argon2id. p must have been validated.
func deriveKey(passphrase, salt []byte, p Params) []byte {
	return argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, keySize)
}

// Seal encrypts secret under passphrase with Argon2id parameters p and
// returns the keystore file contents.
func Seal(secret, passphrase []byte, p Params) ([]byte, error) {
	if len(secret) == 0 || len(secret) > MaxSecretSize {
		return nil, fmt.Errorf("keystore: secret is %d bytes, want 1..%d", len(secret), MaxSecretSize)
	}
	payload := make([]byte, 0, recordHeader+len(secret))
	payload = append(payload, recordSecret)
	payload = binary.BigEndian.AppendUint16(payload, uint16(len(secret)))
	payload = append(payload, secret...)
	defer clear(payload)
	return sealPayload(payload, passphrase, p)
}

// sealPayload encrypts an encoded payload.
func sealPayload(payload, passphrase []byte, p Params) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	if len(payload) > maxPayloadSize {
		return nil, fmt.Errorf("keystore: payload is %d bytes, limit %d", len(payload), maxPayloadSize)
	}
	ctLen := len(payload) + tagSize
	file := make([]byte, headerSize, headerSize+ctLen+checksumSize)
	copy(file, magic)
	file[offVersion] = formatVersion
	file[offKDF] = kdfArgon2id
	binary.BigEndian.PutUint32(file[offTime:], p.Time)
	binary.BigEndian.PutUint32(file[offMemory:], p.MemoryKiB)
	file[offThreads] = p.Threads
	rand.Read(file[offSalt:offNonce])  // never fails
	rand.Read(file[offNonce:offCTLen]) // never fails
	binary.BigEndian.PutUint32(file[offCTLen:], uint32(ctLen))

	key := deriveKey(passphrase, file[offSalt:offNonce], p)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	header := file[:headerSize]
	file = aead.Seal(file, file[offNonce:offCTLen], payload, header)
	sum := sha256.Sum256(file)
	return append(file, sum[:]...), nil
}

// Unseal decrypts keystore file contents with passphrase and returns the
// root secret and the Argon2id parameters the file was sealed with (so a
// caller can re-seal with stronger ones). Errors wrap ErrCorrupt,
// ErrUnsupportedVersion, ErrParamsOutOfBounds or ErrWrongPassphrase.
func Unseal(file, passphrase []byte) (secret []byte, p Params, err error) {
	payload, p, err := unsealPayload(file, passphrase)
	if err != nil {
		return nil, Params{}, err
	}
	defer clear(payload)
	secret, err = parsePayload(payload)
	if err != nil {
		return nil, Params{}, err
	}
	return secret, p, nil
}

// corrupt returns an ErrCorrupt error with details.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// unsealPayload checks the file's structure, checksum and parameters, then
// decrypts and returns the payload.
func unsealPayload(file, passphrase []byte) ([]byte, Params, error) {
	if !bytes.HasPrefix(file, []byte(magic)) {
		if len(file) < len(magic) && bytes.HasPrefix([]byte(magic), file) {
			return nil, Params{}, corrupt("truncated to %d bytes", len(file))
		}
		return nil, Params{}, corrupt("not a Health Wallet keystore file")
	}
	if len(file) <= offVersion {
		return nil, Params{}, corrupt("truncated to %d bytes", len(file))
	}
	if v := file[offVersion]; v != formatVersion {
		return nil, Params{}, fmt.Errorf("%w: format version %d (this version of Health Wallet reads version %d)", ErrUnsupportedVersion, v, formatVersion)
	}
	if len(file) < minFileSize {
		return nil, Params{}, corrupt("truncated to %d bytes", len(file))
	}
	ctLen := binary.BigEndian.Uint32(file[offCTLen:])
	if ctLen < tagSize+recordHeader || ctLen > maxPayloadSize+tagSize {
		return nil, Params{}, corrupt("bad ciphertext length %d", ctLen)
	}
	want := headerSize + int(ctLen) + checksumSize
	if len(file) < want {
		return nil, Params{}, corrupt("truncated to %d bytes of %d", len(file), want)
	}
	if len(file) > want {
		return nil, Params{}, corrupt("%d unexpected bytes after the end", len(file)-want)
	}
	body := file[:want-checksumSize]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], file[len(body):]) {
		return nil, Params{}, corrupt("checksum mismatch")
	}
	// The file is as it was written. Check what it asks for before doing it.
	if kdf := file[offKDF]; kdf != kdfArgon2id {
		return nil, Params{}, fmt.Errorf("%w: unknown key derivation function %d", ErrUnsupportedVersion, kdf)
	}
	p := Params{
		Time:      binary.BigEndian.Uint32(file[offTime:]),
		MemoryKiB: binary.BigEndian.Uint32(file[offMemory:]),
		Threads:   file[offThreads],
	}
	if err := p.Validate(); err != nil {
		return nil, Params{}, err
	}
	key := deriveKey(passphrase, file[offSalt:offNonce], p)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, Params{}, fmt.Errorf("keystore: %w", err)
	}
	payload, err := aead.Open(nil, file[offNonce:offCTLen], body[headerSize:], body[:headerSize])
	if err != nil {
		return nil, Params{}, ErrWrongPassphrase
	}
	return payload, p, nil
}

// parsePayload returns a copy of the root secret record of a payload,
// skipping records of unknown kinds.
func parsePayload(payload []byte) ([]byte, error) {
	var secret []byte
	for r := payload; len(r) > 0; {
		if len(r) < recordHeader {
			return nil, corrupt("truncated payload record")
		}
		kind, n := r[0], int(binary.BigEndian.Uint16(r[1:]))
		r = r[recordHeader:]
		if len(r) < n {
			return nil, corrupt("payload record of kind %d overruns the payload", kind)
		}
		if kind == recordSecret {
			if secret != nil {
				return nil, corrupt("two root secrets")
			}
			if n == 0 || n > MaxSecretSize {
				return nil, corrupt("root secret of %d bytes", n)
			}
			secret = bytes.Clone(r[:n])
		}
		r = r[n:]
	}
	if secret == nil {
		return nil, corrupt("no root secret")
	}
	return secret, nil
}

// writeMu serialises this process's writes to keystore files, so that the
// stale temporary file cleanup of one write never removes another's.
var writeMu sync.Mutex

// Save seals secret under passphrase with parameters p and atomically
// writes it to path with mode 0600, replacing any existing keystore there.
// It then removes temporary files left by earlier interrupted writes.
func Save(path string, secret, passphrase []byte, p Params) error {
	file, err := Seal(secret, passphrase, p)
	if err != nil {
		return fmt.Errorf("keystore %s: %w", path, err)
	}
	return writeFile(path, file)
}

func writeFile(path string, file []byte) error {
	writeMu.Lock()
	defer writeMu.Unlock()
	return writeFileLocked(path, file)
}

// writeFileLocked writes a keystore file; writeMu must be held.
func writeFileLocked(path string, file []byte) error {
	if err := atomicfile.WriteFile(path, file, 0o600); err != nil {
		return fmt.Errorf("keystore %s: %w", path, err)
	}
	// Best effort: leftovers are harmless, and the write has succeeded.
	_ = atomicfile.CleanStale(path)
	return nil
}

// readFile reads a keystore file, refusing to read more than any valid
// keystore can be.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNotExist, err)
		}
		return nil, fmt.Errorf("keystore %s: %w", path, err)
	}
	defer f.Close()
	file, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", path, err)
	}
	if len(file) > maxFileSize {
		return nil, fmt.Errorf("keystore %s: %w", path, corrupt("larger than %d bytes", maxFileSize))
	}
	return file, nil
}

// Load reads the keystore at path and returns its root secret. Errors name
// the path and wrap ErrNotExist (and fs.ErrNotExist), ErrCorrupt,
// ErrUnsupportedVersion, ErrParamsOutOfBounds or ErrWrongPassphrase.
func Load(path string, passphrase []byte) ([]byte, error) {
	file, err := readFile(path)
	if err != nil {
		return nil, err
	}
	secret, _, err := Unseal(file, passphrase)
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", path, err)
	}
	return secret, nil
}

// ChangePassphrase re-seals the keystore at path under newPassphrase with
// parameters p and a fresh salt and nonce, after checking oldPassphrase
// opens it. It replaces the file atomically; on error the file is unchanged.
// (Changing only p, with the same passphrase twice, upgrades the key
// derivation parameters.) The payload is re-sealed as it is, including
// records this version does not know.
func ChangePassphrase(path string, oldPassphrase, newPassphrase []byte, p Params) error {
	// Hold the lock from read to write so no other write in this process is
	// lost in between.
	writeMu.Lock()
	defer writeMu.Unlock()
	file, err := readFile(path)
	if err != nil {
		return err
	}
	payload, _, err := unsealPayload(file, oldPassphrase)
	if err != nil {
		return fmt.Errorf("keystore %s: %w", path, err)
	}
	defer clear(payload)
	// Refuse to re-seal something unreadable.
	secret, err := parsePayload(payload)
	if err != nil {
		return fmt.Errorf("keystore %s: %w", path, err)
	}
	clear(secret)
	sealed, err := sealPayload(payload, newPassphrase, p)
	if err != nil {
		return fmt.Errorf("keystore %s: %w", path, err)
	}
	return writeFileLocked(path, sealed)
}
