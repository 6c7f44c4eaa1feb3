package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// syncBuffer is a bytes.Buffer safe for a running command to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A clinic's wallet runs as a headless node of the consortium it founded:
// it reports itself a signer, and stops cleanly on a signal (the context
// main cancels on SIGINT/SIGTERM), leaving the wallet openable.
func TestNodeRunsAndStops(t *testing.T) {
	walletOptions.KDF = keystore.TestParams
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "HEALTHWALLET_PASSPHRASE" {
			return "node test passphrase"
		}
		return ""
	}
	cmd := func(ctx context.Context, out *syncBuffer, args ...string) int {
		var errb syncBuffer
		code := run(ctx, append([]string{"--data-dir", dir}, args...), strings.NewReader(""), out, &errb, getenv)
		if code != 0 {
			t.Logf("healthwallet %s: %s", strings.Join(args, " "), errb.String())
		}
		return code
	}
	var out syncBuffer
	if cmd(context.Background(), &out, "init") != 0 {
		t.Fatal("init failed")
	}
	out = syncBuffer{}
	if cmd(context.Background(), &out, "id") != 0 {
		t.Fatal("id failed")
	}
	id := strings.TrimSpace(out.String())
	genesis := filepath.Join(t.TempDir(), "genesis.json")
	if cmd(context.Background(), &syncBuffer{}, "chain", "init", "--chain-id", "node-test", "--signer", id+"=Clinic", "--out", genesis, "--period", "1s") != 0 {
		t.Fatal("chain init failed")
	}
	ctx, stop := context.WithCancel(context.Background())
	var nodeOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cmd(ctx, &nodeOut, "node", "--genesis", genesis, "--listen", "/ip4/127.0.0.1/tcp/0", "--status-every", "0")
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(nodeOut.String(), "listening on") {
		select {
		case code := <-done:
			t.Fatalf("node exited %d: %s", code, nodeOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start: %q", nodeOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !regexp.MustCompile(`chain node-test at block 0, signer: yes`).MatchString(nodeOut.String()) {
		t.Fatalf("node output: %s", nodeOut.String())
	}
	stop()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(nodeOut.String(), "stopped") {
			t.Fatalf("node exited %d: %s", code, nodeOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
	}
	if cmd(context.Background(), &syncBuffer{}, "status") != 0 {
		t.Fatal("wallet not openable after the node stopped")
	}
}
