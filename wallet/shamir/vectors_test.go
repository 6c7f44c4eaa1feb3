package shamir

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json from the current code")

const vectorsPath = "testdata/vectors.json"

type vectorFile struct {
	Comment  []string        `json:"comment"`
	Products []productVector `json:"field_products"`
	Inverses []inverseVector `json:"field_inverses"`
	Splits   []splitVector   `json:"splits"`
}

type productVector struct {
	A       string `json:"a"`
	B       string `json:"b"`
	Product string `json:"product"`
	Source  string `json:"source"`
}

type inverseVector struct {
	A       string `json:"a"`
	Inverse string `json:"inverse"`
	Source  string `json:"source"`
}

type splitVector struct {
	Name   string   `json:"name"`
	Secret string   `json:"secret"`
	N      int      `json:"n"`
	K      int      `json:"k"`
	Seed   string   `json:"seed"`
	Shares []string `json:"shares"`
}

// splitCases are the inputs of the split vectors; -update computes their
// shares.
var splitCases = []splitVector{
	{Name: "data key, 3 of 5", Secret: hex.EncodeToString(testKey()), N: 5, K: 3, Seed: "healthwallet shamir vector 1"},
	{Name: "data key, 4 of 7", Secret: hex.EncodeToString(testKey()), N: 7, K: 4, Seed: "healthwallet shamir vector 2"},
	{Name: "16 bytes, 2 of 2", Secret: "000102030405060708090a0b0c0d0e0f", N: 2, K: 2, Seed: "healthwallet shamir vector 3"},
	{Name: "one byte, 1 of 1 (no protection)", Secret: "42", N: 1, K: 1, Seed: "healthwallet shamir vector 4"},
	{Name: "1 of 3 (every share is the secret)", Secret: "c0ffee", N: 3, K: 1, Seed: "healthwallet shamir vector 5"},
	{Name: "two bytes, 3 of 255 (every x)", Secret: "ff00", N: 255, K: 3, Seed: "healthwallet shamir vector 6"},
	{Name: "one byte, 255 of 255 (largest degree)", Secret: "5a", N: 255, K: 255, Seed: "healthwallet shamir vector 7"},
}

func byteHex(b byte) string { return hex.EncodeToString([]byte{b}) }

func generateVectors(t *testing.T) vectorFile {
	t.Helper()
	vf := vectorFile{Comment: []string{
		"Shamir secret sharing over GF(2^8) mod x^8+x^4+x^3+x+1 (0x11B); see the package documentation of wallet/shamir.",
		"field_products and field_inverses are checked by hand against FIPS 197, independent of the code.",
		"splits: the random stream is block 0, block 1, ... where block i = SHA-256(seed || uint64 big-endian i) and seed is the UTF-8 of the seed string.",
		"split reads len(secret)*(k-1) bytes from it: the coefficients of x^1..x^(k-1) for secret byte 0, then for byte 1, and so on.",
		"shares are the encoded shares for x = 1..n: version (01) | threshold | x | y, in hex.",
	}}
	for _, v := range aesFieldVectors {
		vf.Products = append(vf.Products, productVector{byteHex(v.a), byteHex(v.b), byteHex(v.product), v.source})
	}
	for _, v := range aesInverseVectors {
		vf.Inverses = append(vf.Inverses, inverseVector{byteHex(v.a), byteHex(v.inverse), v.source})
	}
	for _, c := range splitCases {
		c.Shares = encodeShares(t, c)
		vf.Splits = append(vf.Splits, c)
	}
	return vf
}

func encodeShares(t *testing.T, c splitVector) []string {
	t.Helper()
	secret, err := hex.DecodeString(c.Secret)
	if err != nil {
		t.Fatalf("vector %q: secret: %v", c.Name, err)
	}
	shares := mustSplit(t, secret, c.N, c.K, c.Seed)
	out := make([]string, len(shares))
	for i, s := range shares {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("vector %q: share %d: %v", c.Name, i, err)
		}
		out[i] = hex.EncodeToString(b)
	}
	return out
}

func decodeHexByte(t *testing.T, s string) byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 1 {
		t.Fatalf("field vector %q is not one hex byte", s)
	}
	return b[0]
}

func TestVectors(t *testing.T) {
	if *update {
		b, err := json.MarshalIndent(generateVectors(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(vectorsPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", vectorsPath)
	}

	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("%v (run go test -run TestVectors -update to create it)", err)
	}
	var vf vectorFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		t.Fatalf("%s: %v", vectorsPath, err)
	}
	if len(vf.Products) == 0 || len(vf.Inverses) == 0 || len(vf.Splits) == 0 {
		t.Fatalf("%s has an empty section", vectorsPath)
	}

	for _, v := range vf.Products {
		a, b, p := decodeHexByte(t, v.A), decodeHexByte(t, v.B), decodeHexByte(t, v.Product)
		if got := mul(a, b); got != p {
			t.Errorf("mul(%s, %s) = %02x, vectors say %s (%s)", v.A, v.B, got, v.Product, v.Source)
		}
	}
	for _, v := range vf.Inverses {
		a, ia := decodeHexByte(t, v.A), decodeHexByte(t, v.Inverse)
		if got := inv(a); got != ia {
			t.Errorf("inv(%s) = %02x, vectors say %s (%s)", v.A, got, v.Inverse, v.Source)
		}
	}

	for _, v := range vf.Splits {
		t.Run(v.Name, func(t *testing.T) {
			if got := encodeShares(t, v); !slices.Equal(got, v.Shares) {
				t.Fatalf("split(%s, n=%d, k=%d, seed %q) changed:\n got  %v\n want %v", v.Secret, v.N, v.K, v.Seed, got, v.Shares)
			}
			secret, _ := hex.DecodeString(v.Secret)
			shares := make([]Share, len(v.Shares))
			for i, h := range v.Shares {
				b, err := hex.DecodeString(h)
				if err != nil {
					t.Fatalf("share %d: %v", i, err)
				}
				if err := shares[i].UnmarshalBinary(b); err != nil {
					t.Fatalf("share %d (%s): %v", i, h, err)
				}
			}
			// The first k, the last k in reverse, and all of them.
			last := slices.Clone(shares[len(shares)-v.K:])
			slices.Reverse(last)
			for _, sub := range [][]Share{shares[:v.K], last, shares} {
				got, err := Combine(sub)
				if err != nil {
					t.Fatalf("Combine(x=%v): %v", xsOf(sub), err)
				}
				if !bytes.Equal(got, secret) {
					t.Fatalf("Combine(x=%v) = %x, want %s", xsOf(sub), got, v.Secret)
				}
			}
		})
	}
}
