//go:build unix

package wallet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet"
)

const crashEnv = "HEALTHWALLET_CRASH_CHILD_DIR"

// TestHelperImportLoop is the child of TestImportSurvivesKill: it imports
// small files forever, appending each acknowledged record ID to a file.
func TestHelperImportLoop(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestImportSurvivesKill")
	}
	ctx := context.Background()
	w, err := wallet.Open(filepath.Join(dir, "wallet"), []byte(passphrase), testOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	acked, err := os.OpenFile(filepath.Join(dir, "acked"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		os.Exit(3)
	}
	seed := time.Now().UnixNano()
	for i := 0; ; i++ {
		var b strings.Builder
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&b, `{"resourceType":"Observation","id":"o-%d-%d-%d","status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":%d,"unit":"/min"}}`+"\n", seed, i, j, 60+j)
		}
		rep, err := w.ImportBytes(ctx, "loop.ndjson", []byte(b.String()), nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		// Acknowledge only after ImportBytes returned: from here on the
		// records must survive anything.
		fmt.Fprintln(acked, strings.Join(rep.IDs, "\n"))
	}
}

// TestImportSurvivesKill SIGKILLs a process while it imports, many times:
// afterwards the catalog passes integrity_check, every acknowledged record
// is there, and every record in the catalog reads back (no row points at
// missing blocks).
func TestImportSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	w, _, err := wallet.Create(filepath.Join(dir, "wallet"), []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const rounds = 6
	for round := 0; round < rounds; round++ {
		before := countLines(t, filepath.Join(dir, "acked"))
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperImportLoop$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has acknowledged some imports, then let it
		// run a random while longer, so the kill lands anywhere in one.
		deadline := time.Now().Add(60 * time.Second)
		for countLines(t, filepath.Join(dir, "acked")) < before+20 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("child acknowledged nothing within 60 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		w, err := wallet.Open(filepath.Join(dir, "wallet"), []byte(passphrase), testOpts)
		if err != nil {
			t.Fatalf("round %d: wallet does not open after a kill: %v", round, err)
		}
		ctx := context.Background()
		if err := w.IntegrityCheck(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		recs, err := w.List(ctx, wallet.Query{})
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range recs {
			have[r.ID] = true
			if _, _, err := w.Read(ctx, r.ID); err != nil {
				t.Fatalf("round %d: record %s in the catalog does not read: %v", round, r.ID, err)
			}
		}
		for _, id := range readLines(t, filepath.Join(dir, "acked")) {
			if id != "" && !have[id] {
				t.Fatalf("round %d: acknowledged record %s lost", round, id)
			}
		}
		w.Close()
	}
}

// readLines returns the complete lines of path: a line the kill cut short
// was never acknowledged.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	return lines[:len(lines)-1]
}

// countLines counts complete lines: a line cut by the kill does not count.
func countLines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}
