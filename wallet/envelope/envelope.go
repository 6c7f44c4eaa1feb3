package envelope

import (
	"bytes"
	"crypto/hpke"
	"crypto/rand"
	"fmt"
	"io"
)

// Version is the format version this package writes, and the only one it
// reads.
const Version = 1

// DataKey is the random 256-bit key a record is encrypted under. The header
// MAC and payload keys are derived from it; it is wrapped to each recipient.
type DataKey [32]byte

// NewDataKey returns a fresh random data key from crypto/rand.
func NewDataKey() (DataKey, error) {
	var k DataKey
	if _, err := rand.Read(k[:]); err != nil {
		return DataKey{}, fmt.Errorf("envelope: generating data key: %w", err)
	}
	return k, nil
}

// Encrypt streams src to dst under a fresh data key wrapped to every
// recipient, and returns the key (callers re-wrap it to grantees later).
//
// With no recipients the returned key is the only way to decrypt. On error,
// whatever was written to dst is incomplete and must be discarded (a reader
// would reject it: the final chunk is never written).
func Encrypt(dst io.Writer, src io.Reader, recipients ...hpke.PublicKey) (DataKey, error) {
	key, err := NewDataKey()
	if err != nil {
		return DataKey{}, err
	}
	if err := EncryptWithKey(dst, src, key, recipients...); err != nil {
		return DataKey{}, err
	}
	return key, nil
}

// EncryptWithKey is Encrypt with a caller-chosen data key (tests,
// re-encryption). Reusing a key across files is safe: every file has a fresh
// random payload salt and so a distinct payload key.
func EncryptWithKey(dst io.Writer, src io.Reader, key DataKey, recipients ...hpke.PublicKey) error {
	w, err := NewWriter(dst, key, recipients...)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	return w.Close()
}

// NewReader parses the header from src, unwraps the data key with k, verifies
// the header and returns a reader of the plaintext.
//
// Read returns plaintext only from chunks that have been authenticated; a
// truncated or tampered stream surfaces as an error from Read, never as
// unverified bytes. The bytes returned before such an error are authentic but
// are not the whole record: a caller must not treat them as complete until
// Read returns io.EOF.
//
// The returned reader also implements io.WriterTo, so io.Copy from it costs no
// extra copy; and when src is itself an io.WriterTo holding the ciphertext in
// memory (bytes.Reader, bytes.Buffer) chunks are decrypted where they lie.
func NewReader(src io.Reader, k hpke.PrivateKey) (io.Reader, error) {
	h, payload, err := ParseHeader(src)
	if err != nil {
		return nil, err
	}
	key, err := h.Unwrap(k)
	if err != nil {
		return nil, err
	}
	return newReader(payload, nil, key, h.salt)
}

// NewReaderWithKey is NewReader for a caller that already holds the data key
// (a grantee): it verifies the header MAC with key instead of unwrapping.
func NewReaderWithKey(src io.Reader, key DataKey) (io.Reader, error) {
	h, payload, err := ParseHeader(src)
	if err != nil {
		return nil, err
	}
	return h.NewPayloadReader(payload, key)
}

// Decrypt writes the plaintext of src to dst, one authenticated chunk at a
// time: dst only ever receives verified chunks, but on error it has received
// a prefix of the plaintext, which the caller must discard.
func Decrypt(dst io.Writer, src io.Reader, k hpke.PrivateKey) error {
	r, err := NewReader(src, k)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, r)
	return err
}

// DecryptAll returns the whole plaintext of ciphertext, or nothing and an
// error.
func DecryptAll(ciphertext []byte, k hpke.PrivateKey) ([]byte, error) {
	h, _, err := ParseHeader(bytes.NewReader(ciphertext))
	if err != nil {
		return nil, err
	}
	key, err := h.Unwrap(k)
	if err != nil {
		return nil, err
	}
	return decryptAll(h, ciphertext[h.Size():], key)
}

// DecryptAllWithKey is DecryptAll with a data key obtained some other way.
func DecryptAllWithKey(ciphertext []byte, key DataKey) ([]byte, error) {
	h, _, err := ParseHeader(bytes.NewReader(ciphertext))
	if err != nil {
		return nil, err
	}
	if err := h.Verify(key); err != nil {
		return nil, err
	}
	return decryptAll(h, ciphertext[h.Size():], key)
}

// decryptAll decrypts an in-memory payload straight into one right-sized
// buffer: no per-chunk copy in or out.
func decryptAll(h *Header, payload []byte, key DataKey) ([]byte, error) {
	r, err := newReader(nil, payload, key, h.salt)
	if err != nil {
		return nil, err
	}
	// For a well-formed payload this is the exact plaintext size.
	chunks := (len(payload) + encryptedChunkSize - 1) / encryptedChunkSize
	out := make([]byte, 0, max(0, len(payload)-chunks*tagSize))
	for {
		n := len(out)
		pt, err := r.next(out[n:cap(out)])
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			clear(out[:cap(out)])
			return nil, err
		}
		if len(pt) <= cap(out)-n {
			out = out[:n+len(pt)] // Open wrote in place
		} else {
			out = append(out, pt...)
		}
	}
}
