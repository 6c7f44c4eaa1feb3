//go:build unix

package keystore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// saveLoopEnv names the keystore path for the child process of
// TestCrashDuringSave; when it is unset TestHelperSaveLoop does nothing.
const saveLoopEnv = "HEALTHWALLET_KEYSTORE_SAVE_LOOP"

// crashStates are the two (secret, passphrase) states the child alternates
// between.
var crashStates = [2]struct{ secret, pass []byte }{
	{bytes.Repeat([]byte{0xaa}, 32), []byte("passphrase A")},
	{bytes.Repeat([]byte{0xbb}, 32), []byte("passphrase B")},
}

// TestHelperSaveLoop is not a test: it is the body of the child process of
// TestCrashDuringSave, which saves the keystore in a tight loop until it is
// killed.
func TestHelperSaveLoop(t *testing.T) {
	path := os.Getenv(saveLoopEnv)
	if path == "" {
		t.Skip("helper process for TestCrashDuringSave")
	}
	// Never outlive a parent that failed to kill us.
	stop := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(stop); i++ {
		s := crashStates[i%2]
		if err := Save(path, s.secret, s.pass, TestParams); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(3)
		}
	}
	fmt.Fprintln(os.Stderr, "helper: not killed in time")
	os.Exit(4)
}

// tempFiles lists the temporary files of the keystore at path.
func tempFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCrashDuringSave SIGKILLs a process that is saving the keystore over
// and over, at random moments, and checks after each kill that the file
// holds exactly one of the two states the process writes (never a torn
// mixture, never damage), and that the next Save removes any temporary file
// the killed process left.
func TestCrashDuringSave(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wallet.hwks")
	if err := Save(path, crashStates[0].secret, crashStates[0].pass, TestParams); err != nil {
		t.Fatal(err)
	}

	const (
		iterations = 100
		maxDelay   = 5 * time.Millisecond
		timeout    = 10 * time.Second // per step; only reached if something is badly wrong
	)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	start := time.Now()
	interrupted := 0 // kills that left a temporary file: the kill hit a write
	seen := [2]int{}
	for i := range iterations {
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}

		var out bytes.Buffer
		cmd := exec.Command(exe, "-test.run=^TestHelperSaveLoop$", "-test.count=1")
		cmd.Env = append(os.Environ(), saveLoopEnv+"="+path)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()

		// Wait until the child has completed at least one Save: the file
		// changes with every Save (fresh salt and nonce).
		deadline := time.Now().Add(timeout)
		for {
			cur, err := os.ReadFile(path)
			if err == nil && !bytes.Equal(cur, before) {
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("iteration %d: child exited early: %v\n%s", i, err, out.String())
			case <-time.After(100 * time.Microsecond):
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("iteration %d: child made no progress in %v\n%s", i, timeout, out.String())
			}
		}

		// Any moment is a valid moment to die.
		time.Sleep(time.Duration(rng.Int64N(int64(maxDelay))))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = <-exited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("iteration %d: child ended with %v, not by SIGKILL\n%s", i, err, out.String())
		}

		// Exactly one state opens the file, and it holds that state's secret.
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		opened := -1
		for s, st := range crashStates {
			secret, _, err := Unseal(file, st.pass)
			switch {
			case err == nil:
				if !bytes.Equal(secret, st.secret) {
					t.Fatalf("iteration %d: state %d passphrase opened secret %x", i, s, secret)
				}
				if opened >= 0 {
					t.Fatalf("iteration %d: both passphrases open the file", i)
				}
				opened = s
			case !errors.Is(err, ErrWrongPassphrase):
				t.Fatalf("iteration %d: file torn by the kill: %v", i, err)
			}
		}
		if opened < 0 {
			t.Fatalf("iteration %d: neither state opens the file", i)
		}
		seen[opened]++

		temps := tempFiles(t, path)
		if len(temps) > 1 {
			t.Fatalf("iteration %d: %d temporary files from one writer: %v", i, len(temps), temps)
		}
		if len(temps) == 1 {
			interrupted++
		}

		// The next Save removes the leftover.
		st := crashStates[i%2]
		if err := Save(path, st.secret, st.pass, TestParams); err != nil {
			t.Fatal(err)
		}
		if temps := tempFiles(t, path); len(temps) != 0 {
			t.Fatalf("iteration %d: temporary files left after Save: %v", i, temps)
		}
		if got, err := Load(path, st.pass); err != nil || !bytes.Equal(got, st.secret) {
			t.Fatalf("iteration %d: after Save: %x, %v", i, got, err)
		}
		if strings.Contains(out.String(), "helper:") {
			t.Fatalf("iteration %d: child reported: %s", i, out.String())
		}
	}
	t.Logf("%d kills in %v: %d interrupted a write (left a temporary file); file held state A %d times, state B %d times",
		iterations, time.Since(start).Round(time.Millisecond), interrupted, seen[0], seen[1])
}
