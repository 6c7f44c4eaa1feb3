package serials

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden describes testdata/list-v1.bin for readers and other
// implementations: its fields, root and one proof.
type golden struct {
	GTIN         string   `json:"gtin"`
	Lot          string   `json:"lot"`
	Expiry       string   `json:"expiry"`
	Serials      []string `json:"serials"`
	Manufacturer string   `json:"manufacturer"`
	Signature    string   `json:"signature"`
	Root         string   `json:"root"`
	ProofSerial  string   `json:"proofSerial"`
	ProofIndex   int      `json:"proofIndex"`
	Proof        []string `json:"proof"`
}

func TestGolden(t *testing.T) {
	l, err := New(testGTIN, testLot, testExpiry, []string{"7KQ2M9XR4TZP", "A1B2C3D4E5F6", "0000000001", "X9-Y8/Z7", "HX4N2P8W6Q3R"}, testKey("golden manufacturer"))
	if err != nil {
		t.Fatal(err)
	}
	index, proof, ok := l.Prove("A1B2C3D4E5F6")
	if !ok {
		t.Fatal("golden serial not provable")
	}
	g := golden{
		GTIN: l.GTIN, Lot: l.Lot, Expiry: l.Expiry, Serials: l.Serials,
		Manufacturer: l.Manufacturer.String(), Signature: hex.EncodeToString(l.Signature[:]),
		Root: l.Root().String(), ProofSerial: "A1B2C3D4E5F6", ProofIndex: index,
	}
	for _, h := range proof {
		g.Proof = append(g.Proof, h.String())
	}
	desc, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	desc = append(desc, '\n')
	bin := l.Encode()
	binPath, descPath := filepath.Join("testdata", "list-v1.bin"), filepath.Join("testdata", "list-v1.json")
	if *update {
		if err := os.WriteFile(binPath, bin, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(descPath, desc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantBin, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	wantDesc, err := os.ReadFile(descPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bin, wantBin) {
		t.Fatalf("encoding differs from %s:\n got %x\nwant %x", binPath, bin, wantBin)
	}
	if !bytes.Equal(desc, wantDesc) {
		t.Fatalf("description differs from %s:\n%s", descPath, desc)
	}
	// The stored file decodes, and its proof checks from the JSON alone.
	got, err := Decode(wantBin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Root().String() != g.Root {
		t.Fatalf("stored list's root %s, want %s", got.Root(), g.Root)
	}
	var root chain.Hash
	hex.Decode(root[:], []byte(g.Root))
	var path []chain.Hash
	for _, s := range g.Proof {
		var h chain.Hash
		if _, err := hex.Decode(h[:], []byte(s)); err != nil {
			t.Fatal(err)
		}
		path = append(path, h)
	}
	if !VerifyMembership(root, len(g.Serials), g.ProofSerial, g.ProofIndex, path) {
		t.Fatal("golden proof refused")
	}
}
