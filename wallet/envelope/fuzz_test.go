package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// checkSentinel fails unless err is nil or wraps one of the sentinels.
func checkSentinel(t *testing.T, how string, err error) {
	t.Helper()
	if err != nil && !isSentinel(err) {
		t.Fatalf("%s: error %q is not a sentinel", how, err)
	}
}

func FuzzParseHeader(f *testing.F) {
	key := testDataKey()
	for _, names := range [][]string{nil, {"alice"}, {"alice", "bob"}} {
		var buf bytes.Buffer
		if err := EncryptWithKey(&buf, bytes.NewReader([]byte("x")), key, testPub(f, names...)...); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:HeaderSize(len(names))])
	}
	f.Add([]byte("HWENC"))
	f.Add([]byte("HWENC\x02"))
	f.Add([]byte("HWENC\x01" + string(make([]byte, 16)) + "\x01\x01"))
	f.Add([]byte{})
	alice := testKey(f, "alice")

	f.Fuzz(func(t *testing.T, data []byte) {
		h, payload, err := ParseHeader(bytes.NewReader(data))
		checkSentinel(t, "ParseHeader", err)
		if err != nil {
			return
		}
		if h.Recipients() > MaxRecipients || int64(h.Size()) != HeaderSize(h.Recipients()) || h.Size() > len(data) {
			t.Fatalf("header with %d recipients, %d bytes", h.Recipients(), h.Size())
		}
		if rest, _ := io.ReadAll(payload); len(rest) != len(data)-h.Size() {
			t.Fatalf("ParseHeader consumed %d bytes of a %d-byte header", len(data)-len(rest), h.Size())
		}
		checkSentinel(t, "Verify", h.Verify(key))
		if h.Recipients() <= 4 { // each stanza costs an X-Wing decapsulation
			_, err := h.Unwrap(alice)
			checkSentinel(t, "Unwrap", err)
		}
	})
}

// fuzzBases returns the good test vectors that alice can decrypt, with their
// plaintexts. They are fixed files, so a fuzz input means the same thing in
// every worker process and every run.
func fuzzBases(f *testing.F) (cts, pts [][]byte) {
	data, err := os.ReadFile(filepath.Join(vectorDir, "manifest.json"))
	if err != nil {
		f.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		f.Fatal(err)
	}
	alice := hex.EncodeToString(testIKM("alice"))
	for _, v := range m.Vectors {
		if v.Expect != "ok" || v.RecipientIKM != alice {
			continue
		}
		ct, err := os.ReadFile(filepath.Join(vectorDir, v.File))
		if err != nil {
			f.Fatal(err)
		}
		pt, err := DecryptAllWithKey(ct, testDataKey())
		if err != nil {
			f.Fatal(err)
		}
		cts, pts = append(cts, ct), append(pts, pt)
	}
	if len(cts) == 0 {
		f.Fatal("no base vectors")
	}
	return cts, pts
}

// FuzzDecrypt mutates valid files: base (one of fuzzBases) gets xor applied
// at offset off, is cut to cut bytes (if cut is non-zero) and has tail
// appended. With raw set, tail alone is the file. A mutated file must never
// decrypt to anything but the base plaintext, and the streaming reader must
// only ever return a prefix of it.
func FuzzDecrypt(f *testing.F) {
	cts, pts := fuzzBases(f)
	key := testDataKey()
	alice := testKey(f, "alice")
	for i, ct := range cts {
		b := uint8(i)
		f.Add(b, false, uint32(0), []byte{}, uint32(0), []byte{})           // unmodified
		f.Add(b, false, uint32(len(ct)-1), []byte{1}, uint32(0), []byte{})  // last tag byte
		f.Add(b, false, uint32(30), []byte{0x80}, uint32(0), []byte{})      // in the first stanza
		f.Add(b, false, uint32(0), []byte{}, uint32(len(ct)-100), []byte{}) // cut
		f.Add(b, false, uint32(0), []byte{}, uint32(0), []byte{0})          // trailing byte
		if len(ct) > 2*encryptedChunkSize {
			f.Add(b, false, uint32(0), []byte{}, uint32(len(ct)-encryptedChunkSize), []byte{})
		}
	}
	f.Add(uint8(0), true, uint32(0), []byte{}, uint32(0), []byte("HWENC\x01"))

	f.Fuzz(func(t *testing.T, base uint8, raw bool, off uint32, xor []byte, cut uint32, tail []byte) {
		var data, want []byte
		if raw {
			data = tail
		} else {
			i := int(base) % len(cts)
			data, want = bytes.Clone(cts[i]), pts[i]
			for j, x := range xor {
				data[(int(off)+j)%len(data)] ^= x
			}
			if cut != 0 {
				data = data[:int(cut)%(len(data)+1)]
			}
			data = append(data, tail...)
		}
		// matches reports whether a (prefix of a) plaintext is allowed.
		matches := func(pt []byte, prefix bool) bool {
			if !raw {
				return bytes.Equal(pt, want) || prefix && bytes.HasPrefix(want, pt)
			}
			for _, w := range pts {
				if bytes.Equal(pt, w) || prefix && bytes.HasPrefix(w, pt) {
					return true
				}
			}
			return false
		}

		all, err := DecryptAllWithKey(data, key)
		checkSentinel(t, "DecryptAllWithKey", err)
		if err == nil && !matches(all, false) {
			t.Fatalf("decrypted to a wrong plaintext of %d bytes", len(all))
		}
		if err != nil && all != nil {
			t.Fatal("DecryptAllWithKey returned plaintext with an error")
		}

		// The streaming reader must agree, and return only authentic
		// plaintext before any error.
		r, serr := NewReaderWithKey(bytes.NewReader(data), key)
		var got []byte
		if serr == nil {
			got, serr = readAllWith(r, 1000)
		}
		checkSentinel(t, "stream", serr)
		if (serr == nil) != (err == nil) || (err == nil && !bytes.Equal(got, all)) {
			t.Fatalf("stream and DecryptAll disagree: %v / %v", serr, err)
		}
		if !matches(got, true) {
			t.Fatalf("stream returned %d bytes that are not a prefix of the plaintext", len(got))
		}
		// The same through the push path, with writes that split chunks.
		r, serr = NewReaderWithKey(&pieceReader{data, 40000}, key)
		got = nil
		if serr == nil {
			got, serr = copyAll(r)
		}
		checkSentinel(t, "push", serr)
		if (serr == nil) != (err == nil) || (err == nil && !bytes.Equal(got, all)) {
			t.Fatalf("push and DecryptAll disagree: %v / %v", serr, err)
		}
		if !matches(got, true) {
			t.Fatalf("push returned %d bytes that are not a prefix of the plaintext", len(got))
		}

		// With the private key: the same outcome, unless no stanza opens.
		if h, _, herr := ParseHeader(bytes.NewReader(data)); herr == nil && h.Recipients() <= 4 {
			// (bounded: each stanza costs an X-Wing decapsulation)
			pk, perr := DecryptAll(data, alice)
			checkSentinel(t, "DecryptAll", perr)
			if perr == nil && (err != nil || !bytes.Equal(pk, all)) {
				t.Fatalf("DecryptAll succeeded where DecryptAllWithKey gave %v", err)
			}
			if perr != nil && err == nil && !errors.Is(perr, ErrNoMatchingRecipient) {
				t.Fatalf("DecryptAll: %v, DecryptAllWithKey succeeded", perr)
			}
		}
	})
}
