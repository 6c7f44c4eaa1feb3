package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

var sentinels = []error{ErrTruncated, ErrNonCanonical, ErrTooLarge, ErrUnknownVersion, ErrUnknownType,
	ErrInvalid, ErrBadKey, ErrBadSignature, ErrWrongChain, ErrBadTxRoot, ErrDuplicateTx}

// checkSentinel fails unless err is nil or wraps a sentinel.
func checkSentinel(t *testing.T, how string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: error %q wraps no sentinel", how, err)
}

// goldenSeeds returns the encodings of the golden vectors of one kind.
func goldenSeeds(f *testing.F, kind string) [][]byte {
	data, err := os.ReadFile(vectorFile)
	if err != nil {
		f.Fatal(err)
	}
	var vs vectorSet
	if err := json.Unmarshal(data, &vs); err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, v := range vs.Vectors {
		if v.Kind == kind {
			b, err := hex.DecodeString(v.Hex)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// Decoded values must not alias the input: scribble over it and check the
// value still encodes to the original bytes.
func scribble(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}

func FuzzDecodeTx(f *testing.F) {
	for _, b := range goldenSeeds(f, "tx") {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{1, 1, 'x', 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		tx, err := Decode(data)
		checkSentinel(t, "Decode", err)
		if err != nil {
			return
		}
		scribble(data)
		enc := tx.Encode()
		if !bytes.Equal(enc, in) {
			t.Fatalf("accepted input re-encodes differently:\n in %x\nout %x", in, enc)
		}
		if tx.Hash() != sha256.Sum256(in) || tx.Size() > MaxTxSize {
			t.Fatal("hash or size")
		}
		// The decoded body re-signs to the same body bytes.
		if !bytes.Equal(tx.Body().AppendBody(nil), tx.bodyEnc) || tx.Body().Validate() != nil {
			t.Fatal("body does not round-trip")
		}
		checkSentinel(t, "Verify", tx.Verify(tx.ChainID()))
		again, err := Decode(enc)
		if err != nil || again.Hash() != tx.Hash() {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	for _, b := range goldenSeeds(f, "header") {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		h, err := DecodeHeader(data)
		checkSentinel(t, "DecodeHeader", err)
		if err != nil {
			return
		}
		scribble(data)
		enc := h.Encode()
		if !bytes.Equal(enc, in) {
			t.Fatalf("accepted input re-encodes differently:\n in %x\nout %x", in, enc)
		}
		if h.Hash() != sha256.Sum256(in) || len(enc) > MaxHeaderSize || h.Validate() != nil {
			t.Fatal("hash, size or validity")
		}
		checkSentinel(t, "VerifySeal", h.VerifySeal())
	})
}

func FuzzDecodeBlock(f *testing.F) {
	for _, b := range goldenSeeds(f, "block") {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		b, err := DecodeBlock(data)
		checkSentinel(t, "DecodeBlock", err)
		if err != nil {
			return
		}
		scribble(data)
		enc := b.Encode()
		if !bytes.Equal(enc, in) {
			t.Fatalf("accepted input re-encodes differently:\n in %x\nout %x", in, enc)
		}
		if b.Size() != len(enc) || len(b.Txs) > MaxBlockTxs {
			t.Fatal("size")
		}
		checkSentinel(t, "Verify", b.Verify(b.Header.ChainID))
	})
}
