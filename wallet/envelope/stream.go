package envelope

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"golang.org/x/crypto/chacha20poly1305"
)

// The payload is STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over
// XChaCha20-Poly1305, as in age: chunk i is sealed with nonce
// 0^15 || uint64be(i) || final, final = 1 on the last chunk only.

// payloadAEAD derives the payload key HKDF-SHA256(key, salt, payloadLabel).
func payloadAEAD(key DataKey, salt []byte) (cipher.AEAD, error) {
	pk, err := hkdf.Key(sha256.New, key[:], salt, payloadLabel, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("envelope: deriving payload key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(pk)
	clear(pk)
	if err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	return aead, nil
}

type nonce [nonceSize]byte

func (n *nonce) set(counter uint64, final bool) {
	binary.BigEndian.PutUint64(n[nonceCounterOff:nonceFlagOff], counter)
	n[nonceFlagOff] = 0
	if final {
		n[nonceFlagOff] = 1
	}
}

// NewWriter writes the header to dst and returns a writer that encrypts what
// is written to it. Close seals and writes the final chunk (a file without it
// is rejected as truncated); it does not close dst. The writer also
// implements io.ReaderFrom.
//
// With no recipients, key is the only way to decrypt.
func NewWriter(dst io.Writer, key DataKey, recipients ...hpke.PublicKey) (io.WriteCloser, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("envelope: generating salt: %w", err)
	}
	header, err := marshalHeader(key, salt, recipients)
	if err != nil {
		return nil, err
	}
	aead, err := payloadAEAD(key, salt)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write(header); err != nil {
		return nil, err
	}
	return &writer{dst: dst, aead: aead, buf: make([]byte, encryptedChunkSize)}, nil
}

type writer struct {
	dst     io.Writer
	aead    cipher.AEAD
	nonce   nonce
	counter uint64
	buf     []byte // encryptedChunkSize; buf[:n] is plaintext not yet sealed
	n       int    // always <= ChunkSize between calls
	err     error  // sticky
}

// seal seals pt (either w.buf[:len(pt)] or caller memory) into w.buf and
// writes it out.
func (w *writer) seal(pt []byte, final bool) error {
	if !final && w.counter == math.MaxUint64 {
		w.err = fmt.Errorf("envelope: too many chunks")
		return w.err
	}
	w.nonce.set(w.counter, final)
	ct := w.aead.Seal(w.buf[:0], w.nonce[:], pt, nil)
	if _, err := w.dst.Write(ct); err != nil {
		w.err = err
		return err
	}
	w.counter++
	return nil
}

// Write buffers p and seals each chunk once it is known not to be the last,
// that is once at least one more byte has arrived.
func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		if w.n == ChunkSize {
			if err := w.seal(w.buf[:ChunkSize], false); err != nil {
				return written, err
			}
			w.n = 0
		}
		if w.n == 0 && len(p) > ChunkSize {
			// A whole chunk with more after it: seal it straight from p.
			if err := w.seal(p[:ChunkSize], false); err != nil {
				return written, err
			}
			p = p[ChunkSize:]
			written += ChunkSize
			continue
		}
		c := copy(w.buf[w.n:ChunkSize], p)
		w.n += c
		p = p[c:]
		written += c
	}
	return written, nil
}

// ReadFrom reads src to EOF straight into the chunk buffer, one byte ahead so
// that it knows whether a full chunk is the last.
func (w *writer) ReadFrom(src io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	var total int64
	for {
		m, err := io.ReadFull(src, w.buf[w.n:ChunkSize+1])
		w.n += m
		total += int64(m)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		extra := w.buf[ChunkSize]
		if err := w.seal(w.buf[:ChunkSize], false); err != nil {
			return total, err
		}
		w.buf[0] = extra
		w.n = 1
	}
}

// Close seals and writes the final chunk. It does not close the underlying
// writer. Closing again returns nil.
func (w *writer) Close() error {
	if w.err == errWriterClosed {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if err := w.seal(w.buf[:w.n], true); err != nil {
		return err
	}
	clear(w.buf)
	w.err = errWriterClosed
	return nil
}

// reader decrypts a payload from src, or from mem when the whole ciphertext is
// in memory (DecryptAll), in which case chunks are opened where they lie.
type reader struct {
	src     io.Reader
	mem     []byte
	aead    cipher.AEAD
	nonce   nonce
	counter uint64
	cbuf    []byte // encryptedChunkSize+1, stream mode only
	carry   bool   // cbuf[encryptedChunkSize] is the first byte of the next chunk
	pbuf    []byte // ChunkSize, allocated on first small Read or WriteTo
	pending []byte // verified plaintext not yet returned, within pbuf
	err     error  // sticky; io.EOF after the final chunk
}

func newReader(src io.Reader, mem []byte, key DataKey, salt []byte) (*reader, error) {
	aead, err := payloadAEAD(key, salt)
	if err != nil {
		return nil, err
	}
	r := &reader{src: src, mem: mem, aead: aead}
	if src != nil {
		r.cbuf = make([]byte, encryptedChunkSize+1)
	}
	return r, nil
}

// readChunk returns the next encrypted chunk (encryptedChunkSize bytes, or
// fewer if the stream ends first) and whether the stream ends right after it.
// In stream mode it reads one byte ahead to know that, so that every chunk is
// opened once, with the right final flag, unless it fails.
func (r *reader) readChunk() (chunk []byte, last bool, err error) {
	if r.src == nil {
		n := min(len(r.mem), encryptedChunkSize)
		chunk, r.mem = r.mem[:n:n], r.mem[n:]
		return chunk, len(r.mem) == 0, nil
	}
	start := 0
	if r.carry {
		r.cbuf[0] = r.cbuf[encryptedChunkSize]
		start = 1
	}
	n, err := io.ReadFull(r.src, r.cbuf[start:])
	n += start
	switch err {
	case nil:
		r.carry = true
		return r.cbuf[:encryptedChunkSize], false, nil
	case io.EOF, io.ErrUnexpectedEOF:
		r.carry = false
		return r.cbuf[:n], true, nil
	default:
		return nil, false, fmt.Errorf("envelope: reading chunk %d: %w", r.counter, err)
	}
}

func (r *reader) open(dst, chunk []byte, final bool) ([]byte, error) {
	r.nonce.set(r.counter, final)
	return r.aead.Open(dst[:0], r.nonce[:], chunk, nil)
}

// next authenticates the next chunk and decrypts it into dst[:0] (in place if
// cap(dst) is large enough; dst must not overlap the ciphertext). It returns
// io.EOF after the final chunk.
func (r *reader) next(dst []byte) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	pt, err := r.nextChunk(dst)
	if err != nil {
		r.err = err
		r.mem = nil
		clear(r.pbuf)
		return nil, err
	}
	return pt, nil
}

func (r *reader) nextChunk(dst []byte) ([]byte, error) {
	i := r.counter
	chunk, last, err := r.readChunk()
	switch {
	case err != nil:
		return nil, err
	case len(chunk) == 0:
		return nil, fmt.Errorf("%w: stream ends after %d chunks without a final chunk", ErrTruncated, i)
	case len(chunk) < tagSize:
		return nil, fmt.Errorf("%w: stream ends inside chunk %d", ErrTruncated, i)
	}

	if !last {
		// A full chunk with more after it: it must not be the final one.
		if pt, err := r.open(dst, chunk, false); err == nil {
			if i == math.MaxUint64 {
				return nil, fmt.Errorf("%w: chunk counter overflow", ErrChunkTampered)
			}
			r.counter++
			return pt, nil
		}
		if _, err := r.open(dst, chunk, true); err == nil {
			return nil, fmt.Errorf("%w: after chunk %d", ErrTrailingData, i)
		}
		return nil, fmt.Errorf("%w: chunk %d", ErrChunkTampered, i)
	}

	// The stream ends with this chunk: it must be the final one.
	pt, err := r.open(dst, chunk, true)
	if err != nil {
		if len(chunk) < encryptedChunkSize {
			return nil, fmt.Errorf("envelope: chunk %d is short and does not authenticate as the final chunk: stream cut inside it (%w) or chunk modified (%w)", i, ErrTruncated, ErrChunkTampered)
		}
		if _, err := r.open(dst, chunk, false); err == nil {
			return nil, fmt.Errorf("%w: stream ends after %d chunks without a final chunk", ErrTruncated, i+1)
		}
		return nil, fmt.Errorf("%w: chunk %d", ErrChunkTampered, i)
	}
	if len(pt) == 0 && i > 0 {
		return nil, fmt.Errorf("%w: chunk %d: empty final chunk after a full one", ErrChunkTampered, i)
	}
	r.err = io.EOF
	return pt, nil
}

// Read returns verified plaintext. With len(p) >= ChunkSize a chunk is
// decrypted straight into p.
func (r *reader) Read(p []byte) (int, error) {
	for {
		if len(r.pending) > 0 {
			n := copy(p, r.pending)
			r.pending = r.pending[n:]
			return n, nil
		}
		if len(p) == 0 {
			return 0, nil
		}
		if len(p) >= ChunkSize {
			pt, err := r.next(p[:0:len(p)])
			if err != nil {
				return 0, err
			}
			if len(pt) > 0 {
				return len(pt), nil
			}
			continue // empty final chunk: next call returns io.EOF
		}
		if r.pbuf == nil {
			r.pbuf = make([]byte, ChunkSize)
		}
		pt, err := r.next(r.pbuf)
		if err != nil {
			return 0, err
		}
		r.pending = pt
	}
}

// WriteTo writes the plaintext to w chunk by chunk, each one only once it has
// been authenticated.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(r.pending) > 0 {
		n, err := w.Write(r.pending)
		total += int64(n)
		r.pending = r.pending[n:]
		if err != nil {
			return total, err
		}
	}
	if r.pbuf == nil {
		r.pbuf = make([]byte, ChunkSize)
	}
	for {
		pt, err := r.next(r.pbuf)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(pt)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}
