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
	"sync"

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

// bufPool holds chunk buffers (one encrypted chunk plus one byte, enough for
// every use). Pooling them removes the allocation, zeroing and GC cost of two
// 64 KiB buffers per stream, which is most of the fixed cost of a small record.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, encryptedChunkSize+1)
	return &b
}}

func getBuf() []byte { return *bufPool.Get().(*[]byte) }

// putBuf returns b to the pool, zeroing it first if it held plaintext.
func putBuf(b []byte, secret bool) {
	if b == nil {
		return
	}
	if secret {
		clear(b)
	}
	b = b[:cap(b)]
	bufPool.Put(&b)
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
	return &writer{dst: dst, aead: aead, buf: getBuf()[:encryptedChunkSize]}, nil
}

type writer struct {
	dst     io.Writer
	aead    cipher.AEAD
	nonce   nonce
	counter uint64
	buf     []byte // encryptedChunkSize (+1 cap); buf[:n] is plaintext not yet sealed
	n       int    // always <= ChunkSize between calls
	err     error  // sticky; once set, buf is back in the pool
}

func (w *writer) fail(err error) error {
	w.err = err
	putBuf(w.buf, true)
	w.buf = nil
	return err
}

// seal seals pt (either w.buf[:len(pt)] or caller memory) into w.buf and
// writes it out.
func (w *writer) seal(pt []byte, final bool) error {
	if !final && w.counter == math.MaxUint64 {
		return w.fail(fmt.Errorf("envelope: too many chunks"))
	}
	w.nonce.set(w.counter, final)
	ct := w.aead.Seal(w.buf[:0], w.nonce[:], pt, nil)
	if _, err := w.dst.Write(ct); err != nil {
		return w.fail(err)
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
	w.fail(errWriterClosed)
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
	pbuf    []byte // ChunkSize, taken on first small Read or WriteTo
	pending []byte // verified plaintext not yet returned, within pbuf
	err     error  // sticky; io.EOF after the final chunk
}

// release returns the buffers to the pool once the stream is over (r.err is
// set) and nothing is pending.
func (r *reader) release() {
	putBuf(r.cbuf, false)
	putBuf(r.pbuf, true)
	r.cbuf, r.pbuf, r.pending, r.mem = nil, nil, nil, nil
}

func (r *reader) plainBuf() []byte {
	if r.pbuf == nil {
		r.pbuf = getBuf()[:ChunkSize]
	}
	return r.pbuf
}

func newReader(src io.Reader, mem []byte, key DataKey, salt []byte) (*reader, error) {
	aead, err := payloadAEAD(key, salt)
	if err != nil {
		return nil, err
	}
	r := &reader{src: src, mem: mem, aead: aead}
	if src != nil {
		r.cbuf = getBuf()
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

// next reads the next chunk, authenticates it and decrypts it into dst[:0]
// (in place if cap(dst) is large enough; dst must not overlap the
// ciphertext). It returns io.EOF after the final chunk. It must only be called
// with nothing pending.
func (r *reader) next(dst []byte) ([]byte, error) {
	if r.err != nil {
		r.release()
		return nil, r.err
	}
	chunk, last, err := r.readChunk()
	if err != nil {
		return nil, r.fail(err)
	}
	return r.openNext(dst, chunk, last)
}

// openNext is next for a chunk the caller has read.
func (r *reader) openNext(dst, chunk []byte, last bool) ([]byte, error) {
	if r.err != nil {
		r.release()
		return nil, r.err
	}
	pt, err := r.openChunk(dst, chunk, last)
	if err != nil {
		return nil, r.fail(err)
	}
	return pt, nil
}

// fail makes err sticky and returns the buffers to the pool.
func (r *reader) fail(err error) error {
	r.err = err
	r.release()
	return err
}

// openChunk authenticates and decrypts chunk i = r.counter. last reports
// whether the stream ends right after it.
func (r *reader) openChunk(dst, chunk []byte, last bool) ([]byte, error) {
	i := r.counter
	switch {
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
		if r.err != nil {
			r.release()
			return 0, r.err
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
		pt, err := r.next(r.plainBuf())
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
	if wt, ok := r.src.(io.WriterTo); ok && r.err == nil {
		n, err := r.pushTo(wt, w)
		return total + n, err
	}
	for {
		if r.err != nil {
			r.release()
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		pt, err := r.next(r.plainBuf())
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(pt)
		total += int64(n)
		if err != nil {
			return total, r.fail(err) // the chunk is consumed: no going on
		}
	}
}

// pushTo decrypts a source that can write itself out (bytes.Reader,
// bytes.Buffer, bufio.Reader, ...): src.WriteTo hands the ciphertext to a
// sink that opens whole chunks where they lie in the source's memory, so they
// are not copied into cbuf first. Only a chunk split across two writes, and
// the last bytes (which can only be opened once the end is known), go through
// cbuf.
func (r *reader) pushTo(src io.WriterTo, w io.Writer) (int64, error) {
	s := &pushSink{r: r, w: w}
	if r.carry { // left by an earlier Read
		r.cbuf[0] = r.cbuf[encryptedChunkSize]
		s.k = 1
		r.carry = false
	}
	_, err := src.WriteTo(s)
	switch {
	case s.err != nil: // authentication failure or error writing to w
		return s.total, s.err
	case err != nil:
		return s.total, r.fail(fmt.Errorf("envelope: reading chunk %d: %w", r.counter, err))
	}
	// The stream has ended: what is buffered is the last chunk.
	s.chunk(r.cbuf[:s.k], true)
	if s.err != nil {
		return s.total, s.err
	}
	r.release()
	return s.total, nil
}

type pushSink struct {
	r     *reader
	w     io.Writer
	k     int // ciphertext bytes buffered in r.cbuf, at most encryptedChunkSize
	total int64
	err   error
}

// chunk opens one chunk and writes its plaintext to w. Any error is sticky,
// in the reader too.
func (s *pushSink) chunk(c []byte, last bool) {
	pt, err := s.r.openNext(s.r.plainBuf(), c, last)
	if err != nil {
		s.err = err
		return
	}
	n, err := s.w.Write(pt)
	s.total += int64(n)
	if err != nil {
		s.err = s.r.fail(err)
	}
}

func (s *pushSink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	if n == 0 {
		return 0, nil
	}
	if s.k > 0 {
		// Complete the buffered chunk; open it only once a byte follows it.
		c := copy(s.r.cbuf[s.k:encryptedChunkSize], p)
		s.k += c
		p = p[c:]
		if len(p) == 0 {
			return n, nil
		}
		if s.chunk(s.r.cbuf[:encryptedChunkSize], false); s.err != nil {
			return 0, s.err
		}
		s.k = 0
	}
	for len(p) > encryptedChunkSize {
		if s.chunk(p[:encryptedChunkSize], false); s.err != nil {
			return 0, s.err
		}
		p = p[encryptedChunkSize:]
	}
	s.k = copy(s.r.cbuf, p)
	return n, nil
}
