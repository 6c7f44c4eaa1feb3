package envelope

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// The envelope benchmarks use EncryptWithKey with no recipients and
// NewReaderWithKey, so the per-byte numbers exclude HPKE; BenchmarkWrap and
// BenchmarkUnwrap measure that fixed cost separately. Compare MB/s with
// BenchmarkRawXChaCha20Poly1305, the bare AEAD on one 64 KiB chunk.

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
