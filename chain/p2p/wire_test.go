package p2p

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

var update = flag.Bool("update", false, "rewrite testdata/wire.json")

// The sync protocol's messages are a versioned wire format: these vectors
// pin every message kind's bytes.
func TestWireVectors(t *testing.T) {
	tx := chaintest.SignNonce("alice", 0, chaintest.Anchor("alice", "r1"))
	vectors := map[string]string{
		"request status":       hex.EncodeToString(request{kind: kindStatus}.encode()),
		"request blocks 5-132": hex.EncodeToString(request{kind: kindBlocks, from: 5, max: 128}.encode()),
		"request pool":         hex.EncodeToString(request{kind: kindPool}.encode()),
		"status":               hex.EncodeToString(Status{Genesis: chain.Hash{0xaa}, Number: 300, Head: chain.Hash{0xbb}, TotalDifficulty: 601}.encode()),
		"pool of one tx":       hex.EncodeToString(encodeBatch([][]byte{tx.Encode()})),
		"empty batch":          hex.EncodeToString(encodeBatch(nil)),
	}
	path := filepath.Join("testdata", "wire.json")
	if *update {
		b, _ := json.MarshalIndent(vectors, "", "  ")
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name, got := range vectors {
		if want[name] != got {
			t.Errorf("%s: %s, vector %s", name, got, want[name])
		}
	}
	// Each vector decodes.
	for _, name := range []string{"request status", "request blocks 5-132", "request pool"} {
		raw, _ := hex.DecodeString(want[name])
		if _, err := decodeRequest(raw); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	raw, _ := hex.DecodeString(want["pool of one tx"])
	if txs, err := decodeTxs(raw); err != nil || len(txs) != 1 || txs[0].Hash() != tx.Hash() {
		t.Errorf("pool vector: %v", err)
	}
}

func TestWireRefusals(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version 2", []byte{2, kindStatus}},
		{"unknown kind", []byte{1, 9}},
		{"batch of 0", []byte{1, kindBlocks, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}},
		{"batch over the limit", []byte{1, kindBlocks, 0, 0, 0, 0, 0, 0, 0, 1, 0, 129}},
		{"trailing bytes", []byte{1, kindStatus, 0}},
	}
	for _, c := range cases {
		if _, err := decodeRequest(c.b); !errors.Is(err, ErrGarbage) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := decodeBlocks([]byte{1, 0x81, 0x01}); !errors.Is(err, ErrGarbage) { // 129 blocks
		t.Errorf("too many blocks: %v", err)
	}
	// A stream that breaks is the network's fault, not garbage.
	broken := errors.New("stream reset")
	if _, err := readFrame(bufio.NewReader(iotest.ErrReader(broken)), 99); !errors.Is(err, broken) || errors.Is(err, ErrGarbage) {
		t.Errorf("broken stream: %v", err)
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader([]byte{0x80})), 99); errors.Is(err, ErrGarbage) {
		t.Errorf("stream ending inside the length: %v", err)
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(bytes.Repeat([]byte{0xff}, 11))), 99); !errors.Is(err, ErrGarbage) {
		t.Errorf("overlong length: %v", err)
	}
	var frame bytes.Buffer
	writeFrame(&frame, make([]byte, 100))
	if _, err := readFrame(bufio.NewReader(&frame), 99); !errors.Is(err, ErrGarbage) {
		t.Errorf("frame over the limit: %v", err)
	}
}
