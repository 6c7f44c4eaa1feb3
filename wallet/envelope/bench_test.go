package envelope

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// The envelope benchmarks use EncryptWithKey with no recipients and
// NewReaderWithKey, so the per-byte numbers exclude HPKE; BenchmarkWrap and
// BenchmarkUnwrap measure that fixed cost separately. Compare MB/s with
// BenchmarkRawXChaCha20Poly1305, the bare AEAD on one hot 64 KiB chunk, or
// read the ratios from BenchmarkVsRaw.

var benchSizes = []int{1 << 20, 64 << 20}

func sizeName(n int) string { return fmt.Sprintf("%dMiB", n>>20) }

func BenchmarkEncrypt(b *testing.B) {
	key := testDataKey()
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			pt := make([]byte, size)
			src := bytes.NewReader(pt)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(pt)
				if err := EncryptWithKey(io.Discard, src, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecrypt(b *testing.B) {
	key := testDataKey()
	for _, size := range benchSizes {
		var buf bytes.Buffer
		if err := EncryptWithKey(&buf, bytes.NewReader(make([]byte, size)), key); err != nil {
			b.Fatal(err)
		}
		ct := buf.Bytes()
		b.Run("stream/"+sizeName(size), func(b *testing.B) {
			src := bytes.NewReader(ct)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(ct)
				r, err := NewReaderWithKey(src, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("all/"+sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecryptAllWithKey(ct, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawXChaCha20Poly1305(b *testing.B) {
	key := testDataKey()
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		b.Fatal(err)
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	buf := make([]byte, ChunkSize, ChunkSize+tagSize)
	b.Run("Seal", func(b *testing.B) {
		b.SetBytes(ChunkSize)
		b.ReportAllocs()
		for b.Loop() {
			aead.Seal(buf[:0], nonce, buf[:ChunkSize], nil)
		}
	})
	ct := aead.Seal(nil, nonce, make([]byte, ChunkSize), nil)
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(ChunkSize)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := aead.Open(buf[:0], nonce, ct, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same AEAD over 64 MiB laid out in memory, chunk by chunk: the fair
	// baseline for the 64 MiB record benchmarks, which cannot keep their data
	// in cache either.
	const spread = 64 << 20
	b.Run("Seal/64MiB", func(b *testing.B) {
		pt := make([]byte, spread)
		b.SetBytes(spread)
		b.ReportAllocs()
		for b.Loop() {
			for off := 0; off < spread; off += ChunkSize {
				aead.Seal(buf[:0], nonce, pt[off:off+ChunkSize], nil)
			}
		}
	})
	b.Run("Open/64MiB", func(b *testing.B) {
		sealed := make([]byte, 0, spread/ChunkSize*(ChunkSize+tagSize))
		for off := 0; off < spread; off += ChunkSize {
			sealed = append(sealed, ct...)
		}
		b.SetBytes(spread)
		b.ReportAllocs()
		for b.Loop() {
			for off := 0; off < len(sealed); off += ChunkSize + tagSize {
				if _, err := aead.Open(buf[:0], nonce, sealed[off:off+ChunkSize+tagSize], nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkVsRaw times, within each iteration, the raw AEAD on one hot 64 KiB
// chunk and the envelope on a whole payload of the same number of chunks, and
// reports envelope throughput as a percentage of raw, which holds up better
// than MB/s on a busy machine. "pull" decrypts from a plain io.Reader (every
// chunk copied in, as from a pipe); "push" from a bytes.Reader (chunks opened
// in place).
func BenchmarkVsRaw(b *testing.B) {
	key := testDataKey()
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		b.Fatal(err)
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	raw := aead.Seal(nil, nonce, make([]byte, ChunkSize), nil)
	out := make([]byte, ChunkSize, ChunkSize+tagSize)
	for _, size := range benchSizes {
		pt := make([]byte, size)
		var buf bytes.Buffer
		if err := EncryptWithKey(&buf, bytes.NewReader(pt), key); err != nil {
			b.Fatal(err)
		}
		ct := buf.Bytes()
		chunks := size / ChunkSize
		b.Run(sizeName(size), func(b *testing.B) {
			var rawOpen, rawSeal, enc, push, pull time.Duration
			src := bytes.NewReader(nil)
			lap := func(d *time.Duration, f func()) {
				t := time.Now()
				f()
				*d += time.Since(t)
			}
			for b.Loop() {
				lap(&rawSeal, func() {
					for range chunks {
						aead.Seal(out[:0], nonce, out, nil)
					}
				})
				lap(&enc, func() {
					src.Reset(pt)
					if err := EncryptWithKey(io.Discard, src, key); err != nil {
						b.Fatal(err)
					}
				})
				lap(&rawOpen, func() {
					for range chunks {
						if _, err := aead.Open(out[:0], nonce, raw, nil); err != nil {
							b.Fatal(err)
						}
					}
				})
				for _, c := range []struct {
					d   *time.Duration
					src func() io.Reader
				}{
					{&push, func() io.Reader { src.Reset(ct); return src }},
					{&pull, func() io.Reader { src.Reset(ct); return struct{ io.Reader }{src} }},
				} {
					lap(c.d, func() {
						r, err := NewReaderWithKey(c.src(), key)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := io.Copy(io.Discard, r); err != nil {
							b.Fatal(err)
						}
					})
				}
			}
			pct := func(raw, env time.Duration) float64 { return 100 * float64(raw) / float64(env) }
			b.ReportMetric(pct(rawSeal, enc), "enc%raw")
			b.ReportMetric(pct(rawOpen, push), "dec-push%raw")
			b.ReportMetric(pct(rawOpen, pull), "dec-pull%raw")
		})
	}
}

// BenchmarkSmallRecord is the fixed cost of a record: a 1 KiB FHIR-sized
// payload with the data key given (no HPKE).
func BenchmarkSmallRecord(b *testing.B) {
	key := testDataKey()
	pt := testPlaintext("small", 1<<10)
	var buf bytes.Buffer
	if err := EncryptWithKey(&buf, bytes.NewReader(pt), key); err != nil {
		b.Fatal(err)
	}
	ct := buf.Bytes()
	b.Run("Encrypt", func(b *testing.B) {
		b.ReportAllocs()
		src := bytes.NewReader(nil)
		for b.Loop() {
			src.Reset(pt)
			if err := EncryptWithKey(io.Discard, src, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecryptAll", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecryptAllWithKey(ct, key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWrap is the fixed per-file cost of wrapping to one recipient.
func BenchmarkWrap(b *testing.B) {
	pub := testPub(b, "alice")
	key := testDataKey()
	salt := make([]byte, saltSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := marshalHeader(key, salt, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnwrap is the fixed per-file cost of parsing a one-recipient
// header and unwrapping the key.
func BenchmarkUnwrap(b *testing.B) {
	alice := testKey(b, "alice")
	header, err := marshalHeader(testDataKey(), make([]byte, saltSize), testPub(b, "alice"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h, _, err := ParseHeader(bytes.NewReader(header))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Unwrap(alice); err != nil {
			b.Fatal(err)
		}
	}
}
