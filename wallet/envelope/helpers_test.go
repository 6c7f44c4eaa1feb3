package envelope

import (
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// testIKM is the deterministic HPKE DeriveKeyPair input of a named test
// recipient: SHA-256("healthwallet envelope test recipient " + name).
func testIKM(name string) []byte {
	h := sha256.Sum256([]byte("healthwallet envelope test recipient " + name))
	return h[:]
}

var testKeys sync.Map // name -> hpke.PrivateKey

// testKey returns the recipient key derived from testIKM(name).
func testKey(t testing.TB, name string) hpke.PrivateKey {
	t.Helper()
	if k, ok := testKeys.Load(name); ok {
		return k.(hpke.PrivateKey)
	}
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(testIKM(name))
	if err != nil {
		t.Fatal(err)
	}
	testKeys.Store(name, k)
	return k
}

func testPub(t testing.TB, names ...string) []hpke.PublicKey {
	t.Helper()
	pubs := make([]hpke.PublicKey, len(names))
	for i, n := range names {
		pubs[i] = testKey(t, n).PublicKey()
	}
	return pubs
}

// testDataKey is a fixed data key: SHA-256("healthwallet envelope test data key").
func testDataKey() DataKey {
	return DataKey(sha256.Sum256([]byte("healthwallet envelope test data key")))
}

// testPlaintext returns n deterministic pseudo-random bytes for seed.
func testPlaintext(seed string, n int) []byte {
	s := sha256.Sum256([]byte(seed))
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// sentinels maps the names used in the vector manifest to the errors.
var sentinels = map[string]error{
	"ErrUnknownVersion":      ErrUnknownVersion,
	"ErrMalformedHeader":     ErrMalformedHeader,
	"ErrNoMatchingRecipient": ErrNoMatchingRecipient,
	"ErrHeaderTampered":      ErrHeaderTampered,
	"ErrChunkTampered":       ErrChunkTampered,
	"ErrTruncated":           ErrTruncated,
	"ErrTrailingData":        ErrTrailingData,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// sealPayload builds a payload chunk by chunk with chosen final flags, to
// construct malformed files that a conforming writer never produces.
func sealPayload(t testing.TB, key DataKey, salt []byte, chunks [][]byte, finals []bool) []byte {
	t.Helper()
	aead, err := payloadAEAD(key, salt)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	var n nonce
	for i, c := range chunks {
		n.set(uint64(i), finals[i])
		out = aead.Seal(out, n[:], c, nil)
	}
	return out
}

// chunkOffset returns the offset in a file of encrypted chunk i.
func chunkOffset(recipients, i int) int {
	return int(HeaderSize(recipients)) + i*encryptedChunkSize
}
