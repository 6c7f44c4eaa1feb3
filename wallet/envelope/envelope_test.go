package envelope

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

var roundTripSizes = []int{
	0, 1, 100,
	ChunkSize - 1, ChunkSize, ChunkSize + 1,
	2 * ChunkSize, 3*ChunkSize + 5,
	3<<20 + 7, // ~3 MiB
}

func encryptTo(t testing.TB, pt []byte, names ...string) ([]byte, DataKey) {
	t.Helper()
	var buf bytes.Buffer
	key, err := Encrypt(&buf, bytes.NewReader(pt), testPub(t, names...)...)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), key
}

// readAllWith drains r with reads of exactly size bytes.
func readAllWith(r io.Reader, size int) ([]byte, error) {
	var out []byte
	p := make([]byte, size)
	for {
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// pieceReader is a source that can write itself out (like bytes.Reader, so
// that the reader's push path is used) in pieces of a given size.
type pieceReader struct {
	data  []byte
	piece int
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.data)
	p.data = p.data[n:]
	return n, nil
}

func (p *pieceReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(p.data) > 0 {
		m, err := w.Write(p.data[:min(p.piece, len(p.data))])
		total += int64(m)
		p.data = p.data[m:]
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// readModes are the ways to drain a reader: pull (Read), push (WriteTo with
// a source that is an io.WriterTo), and both mixed.
var readModes = []struct {
	name string
	src  func(ct []byte) io.Reader
	read func(r io.Reader) ([]byte, error)
}{
	{"pull", func(ct []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(ct)} }, func(r io.Reader) ([]byte, error) { return readAllWith(r, 1000) }},
	{"pull-copy", func(ct []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(ct)) }, copyAll},
	{"push", func(ct []byte) io.Reader { return bytes.NewReader(ct) }, copyAll},
	{"push-1000", func(ct []byte) io.Reader { return &pieceReader{ct, 1000} }, copyAll},
	{"push-chunk", func(ct []byte) io.Reader { return &pieceReader{ct, encryptedChunkSize} }, copyAll},
	{"push-chunk+1", func(ct []byte) io.Reader { return &pieceReader{ct, encryptedChunkSize + 1} }, copyAll},
	{"push-3chunks-1", func(ct []byte) io.Reader { return &pieceReader{ct, 3*encryptedChunkSize - 1} }, copyAll},
	{"read-then-push", func(ct []byte) io.Reader { return bytes.NewReader(ct) }, func(r io.Reader) ([]byte, error) {
		head := make([]byte, 100)
		n, err := r.Read(head)
		if err == io.EOF {
			return head[:n], nil
		}
		if err != nil {
			return head[:n], err
		}
		rest, err := copyAll(r)
		return append(head[:n], rest...), err
	}},
	{"read-big-then-push", func(ct []byte) io.Reader { return bytes.NewReader(ct) }, func(r io.Reader) ([]byte, error) {
		head := make([]byte, ChunkSize)
		n, err := r.Read(head)
		if err == io.EOF {
			return head[:n], nil
		}
		if err != nil {
			return head[:n], err
		}
		rest, err := copyAll(r)
		return append(head[:n], rest...), err
	}},
}

func copyAll(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	return buf.Bytes(), err
}

func TestRoundTrip(t *testing.T) {
	alice := testKey(t, "alice")
	for _, size := range roundTripSizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			pt := testPlaintext(fmt.Sprint("roundtrip", size), size)
			ct, key := encryptTo(t, pt, "alice")

			if want := HeaderSize(1) + int64(size) + Overhead(int64(size)); int64(len(ct)) != want {
				t.Errorf("ciphertext is %d bytes, HeaderSize+len+Overhead = %d", len(ct), want)
			}

			got, err := DecryptAll(ct, alice)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("DecryptAll: %v, plaintext equal: %v", err, bytes.Equal(got, pt))
			}
			got, err = DecryptAllWithKey(ct, key)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("DecryptAllWithKey: %v, plaintext equal: %v", err, bytes.Equal(got, pt))
			}

			var buf bytes.Buffer
			if err := Decrypt(&buf, bytes.NewReader(ct), alice); err != nil || !bytes.Equal(buf.Bytes(), pt) {
				t.Fatalf("Decrypt: %v, plaintext equal: %v", err, bytes.Equal(buf.Bytes(), pt))
			}

			for _, m := range readModes {
				r, err := NewReaderWithKey(m.src(ct), key)
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.read(r)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%s: %v, plaintext equal: %v", m.name, err, bytes.Equal(got, pt))
				}
			}
			readSizes := []int{1000, ChunkSize, 3 * ChunkSize}
			if size <= 2*ChunkSize {
				readSizes = append(readSizes, 1)
			}
			for _, rs := range readSizes {
				r, err := NewReaderWithKey(iotest.HalfReader(bytes.NewReader(ct)), key)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAllWith(r, rs)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("Read(%d): %v, plaintext equal: %v", rs, err, bytes.Equal(got, pt))
				}
			}
		})
	}
}

// TestWriterPaths encrypts through every path of the writer (small writes,
// direct sealing from large writes, ReadFrom) and checks all decrypt.
func TestWriterPaths(t *testing.T) {
	key := testDataKey()
	for _, size := range roundTripSizes {
		pt := testPlaintext(fmt.Sprint("writer", size), size)
		writeSizes := []int{7000, ChunkSize, ChunkSize + 1, 2*ChunkSize + 3, size + 1}
		if size <= 2*ChunkSize {
			writeSizes = append(writeSizes, 1)
		}
		check := func(name string, ct []byte) {
			t.Helper()
			got, err := DecryptAllWithKey(ct, key)
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("size %d, %s: %v, plaintext equal: %v", size, name, err, bytes.Equal(got, pt))
			}
		}
		for _, ws := range writeSizes {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, key)
			if err != nil {
				t.Fatal(err)
			}
			for p := pt; len(p) > 0; {
				n := min(ws, len(p))
				if m, err := w.Write(p[:n]); m != n || err != nil {
					t.Fatalf("Write = %d, %v", m, err)
				}
				p = p[n:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("writes of %d", ws), buf.Bytes())
		}
		// ReadFrom (the source hides its WriterTo), in odd-sized reads.
		var buf bytes.Buffer
		src := struct{ io.Reader }{iotest.HalfReader(bytes.NewReader(pt))}
		if err := EncryptWithKey(&buf, src, key); err != nil {
			t.Fatal(err)
		}
		check("ReadFrom", buf.Bytes())
	}
}

func TestMultipleRecipients(t *testing.T) {
	pt := []byte(`{"resourceType":"Observation","status":"final"}`)
	ct, key := encryptTo(t, pt, "alice", "bob", "carol")
	h, _, err := ParseHeader(bytes.NewReader(ct))
	if err != nil {
		t.Fatal(err)
	}
	if h.Recipients() != 3 {
		t.Errorf("Recipients() = %d, want 3", h.Recipients())
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		got, err := DecryptAll(ct, testKey(t, name))
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("%s: %v", name, err)
		}
		k, err := h.Unwrap(testKey(t, name))
		if err != nil || k != key {
			t.Errorf("%s: Unwrap: %v, key matches: %v", name, err, k == key)
		}
	}
	if _, err := DecryptAll(ct, testKey(t, "mallory")); !errors.Is(err, ErrNoMatchingRecipient) {
		t.Errorf("non-recipient: got %v, want ErrNoMatchingRecipient", err)
	}
	if _, err := NewReader(bytes.NewReader(ct), testKey(t, "mallory")); !errors.Is(err, ErrNoMatchingRecipient) {
		t.Errorf("non-recipient NewReader: got %v, want ErrNoMatchingRecipient", err)
	}
	if err := h.Verify(key); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := h.Verify(DataKey{1}); !errors.Is(err, ErrHeaderTampered) {
		t.Errorf("Verify with wrong key: got %v, want ErrHeaderTampered", err)
	}
}

func TestNoRecipients(t *testing.T) {
	pt := []byte("key held in a capsule")
	ct, key := encryptTo(t, pt)
	if int64(len(ct)) != HeaderSize(0)+int64(len(pt))+Overhead(int64(len(pt))) {
		t.Errorf("unexpected size %d", len(ct))
	}
	if _, err := DecryptAll(ct, testKey(t, "alice")); !errors.Is(err, ErrNoMatchingRecipient) {
		t.Errorf("got %v, want ErrNoMatchingRecipient", err)
	}
	if got, err := DecryptAllWithKey(ct, key); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("DecryptAllWithKey: %v", err)
	}
}

func TestMaxRecipients(t *testing.T) {
	mallory := testKey(t, "mallory").PublicKey()
	recips := make([]hpke.PublicKey, MaxRecipients)
	for i := range recips {
		recips[i] = mallory
	}
	recips[MaxRecipients-1] = testKey(t, "alice").PublicKey()
	var buf bytes.Buffer
	if _, err := Encrypt(&buf, bytes.NewReader(nil), recips...); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != HeaderSize(MaxRecipients)+tagSize || buf.Len()-tagSize != MaxHeaderSize {
		t.Errorf("size %d, MaxHeaderSize %d", buf.Len(), MaxHeaderSize)
	}
	if _, err := DecryptAll(buf.Bytes(), testKey(t, "alice")); err != nil {
		t.Errorf("last of %d stanzas: %v", MaxRecipients, err)
	}
	if _, err := Encrypt(io.Discard, bytes.NewReader(nil), append(recips, mallory)...); err == nil {
		t.Errorf("Encrypt to %d recipients succeeded", MaxRecipients+1)
	}
}

func TestBadKeys(t *testing.T) {
	x, err := hpke.DHKEM(ecdh.X25519()).GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Encrypt(io.Discard, bytes.NewReader(nil), x.PublicKey()); err == nil {
		t.Error("Encrypt to an X25519 DHKEM key succeeded")
	}
	if _, err := Encrypt(io.Discard, bytes.NewReader(nil), nil); err == nil {
		t.Error("Encrypt to a nil key succeeded")
	}
	ct, _ := encryptTo(t, []byte("x"), "alice")
	if _, err := DecryptAll(ct, x); !errors.Is(err, ErrNoMatchingRecipient) {
		t.Errorf("X25519 private key: got %v", err)
	}
	if _, err := DecryptAll(ct, nil); !errors.Is(err, ErrNoMatchingRecipient) {
		t.Errorf("nil private key: got %v", err)
	}
}

func TestOverheadAndHeaderSize(t *testing.T) {
	for _, c := range []struct{ n, want int64 }{
		{-1, -1}, {0, 16}, {1, 16}, {ChunkSize - 1, 16}, {ChunkSize, 16},
		{ChunkSize + 1, 32}, {2 * ChunkSize, 32}, {1 << 30, (1 << 30) / ChunkSize * 16},
	} {
		if got := Overhead(c.n); got != c.want {
			t.Errorf("Overhead(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	if HeaderSize(-1) != -1 || HeaderSize(MaxRecipients+1) != -1 || HeaderSize(1) != 24+1168+32 {
		t.Error("HeaderSize bounds")
	}
}

// TestStreamingNeverReturnsTamperedChunk: with chunk 2 of 4 modified, a
// reader yields exactly chunks 0 and 1, then ErrChunkTampered, whatever the
// read pattern; DecryptAll yields nothing.
func TestStreamingNeverReturnsTamperedChunk(t *testing.T) {
	pt := testPlaintext("tamper", 3*ChunkSize+1234)
	ct, key := encryptTo(t, pt, "alice")
	ct[chunkOffset(1, 2)+100] ^= 0x01

	for _, rs := range []int{1, 1000, ChunkSize, 5 * ChunkSize} {
		r, err := NewReaderWithKey(bytes.NewReader(ct), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllWith(r, rs)
		if !errors.Is(err, ErrChunkTampered) || !bytes.Equal(got, pt[:2*ChunkSize]) {
			t.Errorf("reads of %d: got %d bytes (prefix ok: %v), err %v", rs, len(got), bytes.Equal(got, pt[:len(got)]), err)
		}
		// The error is sticky.
		if n, err := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err, ErrChunkTampered) {
			t.Errorf("Read after error = %d, %v", n, err)
		}
	}
	for _, m := range readModes {
		r, err := NewReaderWithKey(m.src(ct), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.read(r)
		if !errors.Is(err, ErrChunkTampered) || !bytes.Equal(got, pt[:2*ChunkSize]) {
			t.Errorf("%s: got %d bytes (prefix ok: %v), err %v", m.name, len(got), bytes.Equal(got, pt[:len(got)]), err)
		}
		if n, err := io.Copy(io.Discard, r); n != 0 || !errors.Is(err, ErrChunkTampered) {
			t.Errorf("%s: WriteTo after error = %d, %v", m.name, n, err)
		}
	}
	var buf bytes.Buffer
	if err := Decrypt(&buf, bytes.NewReader(ct), testKey(t, "alice")); !errors.Is(err, ErrChunkTampered) || !bytes.Equal(buf.Bytes(), pt[:2*ChunkSize]) {
		t.Errorf("Decrypt wrote %d bytes, err %v", buf.Len(), err)
	}
	if got, err := DecryptAll(ct, testKey(t, "alice")); got != nil || !errors.Is(err, ErrChunkTampered) {
		t.Errorf("DecryptAll = %d bytes, %v", len(got), err)
	}
}

// TestPayloadDamage covers truncation, reordering and appending against the
// sentinel each must give, through both the streaming and in-memory readers.
func TestPayloadDamage(t *testing.T) {
	key := testDataKey()
	enc := func(pt []byte) []byte {
		var buf bytes.Buffer
		if err := EncryptWithKey(&buf, bytes.NewReader(pt), key); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	hs := int(HeaderSize(0))
	three := enc(testPlaintext("three", 2*ChunkSize+10)) // chunks: full, full, short
	full := enc(testPlaintext("full", 2*ChunkSize))      // chunks: full, full(final)
	small := enc([]byte("small record"))
	empty := enc(nil)
	swap := func(ct []byte, i, j int) []byte {
		c := bytes.Clone(ct)
		a, b := c[hs+i*encryptedChunkSize:][:encryptedChunkSize], c[hs+j*encryptedChunkSize:][:encryptedChunkSize]
		tmp := bytes.Clone(a)
		copy(a, b)
		copy(b, tmp)
		return c
	}
	cases := []struct {
		name string
		ct   []byte
		want []error
	}{
		{"no payload", three[:hs], []error{ErrTruncated}},
		{"cut at boundary 1", three[:hs+encryptedChunkSize], []error{ErrTruncated}},
		{"cut at boundary 2", three[:hs+2*encryptedChunkSize], []error{ErrTruncated}},
		{"cut at boundary of full final", full[:hs+encryptedChunkSize], []error{ErrTruncated}},
		{"cut mid chunk", three[:hs+encryptedChunkSize+500], []error{ErrTruncated, ErrChunkTampered}},
		{"cut inside tag", three[:hs+encryptedChunkSize+10], []error{ErrTruncated}},
		{"cut last byte", three[:len(three)-1], []error{ErrTruncated, ErrChunkTampered}},
		{"cut empty final", empty[:len(empty)-1], []error{ErrTruncated}},
		{"swap 0 1", swap(three, 0, 1), []error{ErrChunkTampered}},
		{"swap full final", swap(full, 0, 1), []error{ErrChunkTampered}},
		{"trailing after full final", append(bytes.Clone(full), 0), []error{ErrTrailingData}},
		{"trailing chunk after full final", append(bytes.Clone(full), full[hs:]...), []error{ErrTrailingData}},
		{"trailing after short final", append(bytes.Clone(small), 0), []error{ErrChunkTampered}},
		{"trailing after empty", append(bytes.Clone(empty), 0), []error{ErrChunkTampered}},
		{"tampered tag", func() []byte { c := bytes.Clone(small); c[len(c)-1] ^= 1; return c }(), []error{ErrChunkTampered}},
	}
	for _, c := range cases {
		check := func(how string, err error) {
			t.Helper()
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("%s, %s: got %v, want %v", c.name, how, err, w)
				}
			}
		}
		_, err := DecryptAllWithKey(c.ct, key)
		check("DecryptAll", err)
		for _, m := range readModes {
			r, err := NewReaderWithKey(m.src(c.ct), key)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.read(r)
			check(m.name, err)
		}
	}
}

// TestNonCanonicalFinal checks files a conforming writer never produces.
func TestNonCanonicalFinal(t *testing.T) {
	key := testDataKey()
	salt := make([]byte, saltSize)
	header, err := marshalHeader(key, salt, nil)
	if err != nil {
		t.Fatal(err)
	}
	full := testPlaintext("x", ChunkSize)
	for _, c := range []struct {
		name   string
		chunks [][]byte
		finals []bool
		want   error
	}{
		{"empty final after full", [][]byte{full, nil}, []bool{false, true}, ErrChunkTampered},
		{"final flag then more", [][]byte{full, full[:5]}, []bool{true, true}, ErrTrailingData},
		{"short without final flag", [][]byte{full[:5]}, []bool{false}, ErrTruncated},
		{"no final flag", [][]byte{full}, []bool{false}, ErrTruncated},
	} {
		ct := append(bytes.Clone(header), sealPayload(t, key, salt, c.chunks, c.finals)...)
		if _, err := DecryptAllWithKey(ct, key); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestHeaderDamage(t *testing.T) {
	alice := testKey(t, "alice")
	ct, key := encryptTo(t, []byte("hello"), "alice")
	hsz := int(HeaderSize(1))

	// Every truncation inside the header.
	for n := 0; n < hsz; n++ {
		_, _, err := ParseHeader(bytes.NewReader(ct[:n]))
		if !errors.Is(err, ErrMalformedHeader) {
			t.Fatalf("cut at %d: got %v", n, err)
		}
		if n >= len(magic) && !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: got %v, want ErrTruncated too", n, err)
		}
	}
	// Every byte of the header, flipped, with the key: the MAC (or parsing)
	// catches it.
	for i := 0; i < hsz; i++ {
		c := bytes.Clone(ct)
		c[i] ^= 0x80
		_, err := DecryptAllWithKey(c, key)
		switch {
		case i < len(magic):
			if !errors.Is(err, ErrMalformedHeader) {
				t.Errorf("byte %d: got %v", i, err)
			}
		case i == len(magic):
			if !errors.Is(err, ErrUnknownVersion) {
				t.Errorf("byte %d: got %v", i, err)
			}
		case i == preambleSize-2: // count high byte: 1 -> 32769
			if !errors.Is(err, ErrMalformedHeader) {
				t.Errorf("byte %d: got %v", i, err)
			}
		case i == preambleSize-1: // count low byte: 1 -> 129, header cut short
			if !errors.Is(err, ErrMalformedHeader) {
				t.Errorf("byte %d: got %v", i, err)
			}
		default:
			if !errors.Is(err, ErrHeaderTampered) {
				t.Errorf("byte %d: got %v", i, err)
			}
		}
	}
	// A sample of positions with the private key.
	for _, c := range []struct {
		off  int
		want error
	}{
		{6, ErrHeaderTampered},                               // salt
		{preambleSize + 5, ErrNoMatchingRecipient},           // ML-KEM ciphertext
		{preambleSize + 1090, ErrNoMatchingRecipient},        // X25519 share
		{preambleSize + encSize + 3, ErrNoMatchingRecipient}, // wrapped key
		{hsz - 1, ErrHeaderTampered},                         // MAC
	} {
		d := bytes.Clone(ct)
		d[c.off] ^= 0x01
		if _, err := DecryptAll(d, alice); !errors.Is(err, c.want) {
			t.Errorf("offset %d: got %v, want %v", c.off, err, c.want)
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestIOErrors(t *testing.T) {
	boom := errors.New("boom")
	key := testDataKey()

	// Read errors are passed through, not taken for damage.
	if _, err := NewReaderWithKey(errReader{boom}, key); !errors.Is(err, boom) || isSentinel(err) {
		t.Errorf("header read error: %v", err)
	}
	ct, key2 := encryptTo(t, testPlaintext("io", 2*ChunkSize), "alice")
	r, err := NewReaderWithKey(io.MultiReader(bytes.NewReader(ct[:HeaderSize(1)+100]), errReader{boom}), key2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, boom) || isSentinel(err) {
		t.Errorf("payload read error: %v", err)
	}

	// The same through the push path (the source is an io.WriterTo).
	r, err = NewReaderWithKey(&failingWriterTo{pieceReader{ct, 70000}, 100000, boom}, key2)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, r); !errors.Is(err, boom) || isSentinel(err) || n != ChunkSize {
		t.Errorf("push read error: %d, %v", n, err)
	}
	// A failing destination stops the reader for good, in both paths.
	for _, src := range []io.Reader{bytes.NewReader(ct), struct{ io.Reader }{bytes.NewReader(ct)}} {
		r, err = NewReaderWithKey(src, key2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(errWriter{boom}, r); !errors.Is(err, boom) {
			t.Errorf("destination error: %v", err)
		}
		if _, err := r.Read(make([]byte, 10)); !errors.Is(err, boom) {
			t.Errorf("Read after destination error: %v", err)
		}
	}

	// Write errors are returned and sticky.
	if _, err := NewWriter(errWriter{boom}, key); !errors.Is(err, boom) {
		t.Errorf("header write error: %v", err)
	}
	lw := &limitedWriter{n: int(HeaderSize(0)) + 10, err: boom}
	w, err := NewWriter(lw, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 2*ChunkSize)); !errors.Is(err, boom) {
		t.Errorf("Write: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close after write error: %v", err)
	}

	// Write after Close fails; Close twice is fine.
	w, err = NewWriter(io.Discard, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// failingWriterTo fails with err once it has handed out limit bytes.
type failingWriterTo struct {
	pieceReader
	limit int64
	err   error
}

func (f *failingWriterTo) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(f.data) > 0 {
		n := min(f.piece, len(f.data))
		if total+int64(n) > f.limit {
			return total, f.err
		}
		m, err := w.Write(f.data[:n])
		total += int64(m)
		f.data = f.data[m:]
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

type limitedWriter struct {
	n   int
	err error
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

// TestConstantAllocations checks that the payload costs no allocation per
// chunk: encrypting or decrypting 64 chunks allocates as much as 4.
func TestConstantAllocations(t *testing.T) {
	key := testDataKey()
	allocs := func(size int) (enc, dec float64) {
		pt := testPlaintext("allocs", size)
		var buf bytes.Buffer
		if err := EncryptWithKey(&buf, bytes.NewReader(pt), key); err != nil {
			t.Fatal(err)
		}
		ct := buf.Bytes()
		src := bytes.NewReader(pt)
		enc = testing.AllocsPerRun(5, func() {
			src.Reset(pt)
			if err := EncryptWithKey(io.Discard, src, key); err != nil {
				t.Fatal(err)
			}
		})
		csrc := bytes.NewReader(ct)
		dec = testing.AllocsPerRun(5, func() {
			csrc.Reset(ct)
			r, err := NewReaderWithKey(csrc, key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				t.Fatal(err)
			}
		})
		return enc, dec
	}
	e4, d4 := allocs(4 * ChunkSize)
	e64, d64 := allocs(64 * ChunkSize)
	// A little slack: under -race, sync.Pool drops buffers at random.
	if e64 > e4+3 || d64 > d4+3 {
		t.Errorf("allocations grow with size: encrypt %v -> %v, decrypt %v -> %v", e4, e64, d4, d64)
	}
}
