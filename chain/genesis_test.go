package chain

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testGenesis() *Genesis {
	return NewGenesis("healthwallet-demo-1", time.Unix(1767225600, 0), map[PublicKey]string{
		testPub("clinic-a"): "Clinic A",
		testPub("clinic-b"): "Clinic B",
	})
}

// TestGenesisVector pins the genesis format: the file in testdata reads, and
// its header hash — the chain's identity — does not change.
func TestGenesisVector(t *testing.T) {
	path := filepath.Join("testdata", "genesis.json")
	hashPath := filepath.Join("testdata", "genesis.hash")
	if *update {
		if err := testGenesis().Save(path); err != nil {
			t.Fatal(err)
		}
		h, err := testGenesis().Header()
		if err != nil {
			t.Fatal(err)
		}
		hash := h.Hash()
		os.WriteFile(hashPath, []byte(hash.String()+"\n"), 0o644)
	}
	g, err := LoadGenesis(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := g.Header()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(hashPath)
	if got := h.Hash(); got.String() != strings.TrimSpace(string(want)) {
		t.Fatalf("genesis hash %s, want %s", got, want)
	}
	if h.Number != 0 || len(h.Checkpoint) != 2 || !h.Signer.IsZero() {
		t.Fatalf("genesis header %+v", h)
	}
	// The header round-trips through the wire format.
	back, err := DecodeHeader(h.Encode())
	if err != nil || back.Hash() != h.Hash() {
		t.Fatalf("genesis header does not round-trip: %v", err)
	}
}

func TestGenesisRejects(t *testing.T) {
	good := `{"version":1,"chainId":"c-1","time":1,"period":2,"epoch":30000,"signers":[{"key":"` + testPub("a").String() + `"}]}`
	if _, err := ReadGenesis(strings.NewReader(good)); err != nil {
		t.Fatalf("good genesis refused: %v", err)
	}
	tests := []struct{ name, json string }{
		{"no signers", strings.Replace(good, `[{"key":"`+testPub("a").String()+`"}]`, `[]`, 1)},
		{"duplicate signer", strings.Replace(good, `}]}`, `},{"key":"`+testPub("a").String()+`"}]}`, 1)},
		{"short key", strings.Replace(good, testPub("a").String(), "abcd", 1)},
		{"zero period", strings.Replace(good, `"period":2`, `"period":0`, 1)},
		{"zero epoch", strings.Replace(good, `"epoch":30000`, `"epoch":0`, 1)},
		{"unknown version", strings.Replace(good, `"version":1`, `"version":2`, 1)},
		{"unknown field", strings.Replace(good, `"time":1`, `"time":1,"gasLimit":5`, 1)},
		{"bad chain ID", strings.Replace(good, `"c-1"`, `"has spaces and ünïcode"`, 1)},
		{"trailing data", good + `{}`},
		{"not JSON", `signers: a, b`},
	}
	for _, tt := range tests {
		if _, err := ReadGenesis(strings.NewReader(tt.json)); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	big := bytes.Repeat([]byte(" "), MaxGenesisSize+1)
	if _, err := ReadGenesis(bytes.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized genesis: %v", err)
	}
}
