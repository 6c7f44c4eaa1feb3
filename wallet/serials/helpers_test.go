package serials

import (
	"crypto/ed25519"
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

// testKey is a fixed manufacturer key, so golden output is reproducible.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("serials test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

const (
	testGTIN   = "09506000134352" // GS1's example GTIN, check digit 2
	testLot    = "L2026-11A"
	testExpiry = "281130"
)

// randomSerials returns n distinct serials as manufacturers print them:
// 12 random upper-case alphanumerics (a serialisation system's usual
// choice), from a fixed seed.
func randomSerials(tb testing.TB, n int, seed uint64) []string {
	tb.Helper()
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	r := rand.New(rand.NewPCG(seed, 0x5e71a15))
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	var b [12]byte
	for len(out) < n {
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if s := string(b[:]); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// rawList encodes a list with any fields, in the given order, correctly
// signed by key: the decoder must refuse what New would not have written
// even when the signature is good.
func rawList(version uint8, gtin, lot, expiry string, serials []string, key ed25519.PrivateKey) []byte {
	e := chain.NewEncoder([]byte(signingContext))
	e.Fixed([]byte(magic))
	e.Uint8(version)
	e.Text(gtin)
	e.Text(lot)
	e.Text(expiry)
	e.Uvarint(uint64(len(serials)))
	for _, s := range serials {
		e.Text(s)
	}
	signed := e.Out()
	b := append([]byte(nil), signed[len(signingContext):]...)
	b = append(b, ed25519.Sign(key, signed)...)
	return append(b, key.Public().(ed25519.PublicKey)...)
}
