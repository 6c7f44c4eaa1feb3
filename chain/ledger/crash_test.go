package ledger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// The crash test's chain: one signer, a few accounts sending anchors and
// grants.
var crashAccounts = []string{"crash-0", "crash-1", "crash-2", "crash-3", "crash-4", "crash-5", "crash-6", "crash-7"}

func crashGenesis() *chain.Genesis { return chaintest.Genesis(2, "clinic-a") }

// TestLedgerCrashChild is the child of TestLedgerSIGKILL: it opens the
// ledger in $HW_LEDGER_CRASH and, forever, admits a few transactions and
// seals a block, printing "sealing <number>" before Seal and
// "acked <number> <hash>" only once Seal returned (the block is stored and
// is the head: the node would now publish it).
func TestLedgerCrashChild(t *testing.T) {
	dir := os.Getenv("HW_LEDGER_CRASH")
	if dir == "" {
		t.Skip("child process of TestLedgerSIGKILL")
	}
	fail := func(what string, err error) {
		fmt.Printf("error %s: %v\n", what, err)
		os.Exit(1)
	}
	ctx := context.Background()
	l, err := Open(ctx, Config{Dir: dir, Genesis: crashGenesis(), Now: farClock})
	if err != nil {
		fail("open", err)
	}
	// Resume every account at its nonce in the state (the mempool died
	// with the last process).
	nonces := map[string]uint64{}
	for _, name := range crashAccounts {
		if nonces[name], err = l.State().Nonce(chaintest.Pub(name)); err != nil {
			fail("nonce", err)
		}
	}
	fmt.Printf("ready %d\n", l.Head().Number)
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	key := chaintest.Key("clinic-a")
	for stop := time.Now().Add(2 * time.Minute); time.Now().Before(stop); { // a bound should the parent vanish
		for range 1 + rng.IntN(6) {
			i := rng.IntN(len(crashAccounts))
			name := crashAccounts[i]
			var body chain.Body = chaintest.Anchor(name, "r"+strconv.FormatUint(nonces[name], 10))
			if rng.IntN(4) == 0 { // to another account
				body = chaintest.Grant(crashAccounts[(i+1+rng.IntN(len(crashAccounts)-1))%len(crashAccounts)])
			}
			if err := l.AddTx(ctx, chaintest.SignNonce(name, nonces[name], body)); err != nil {
				fail("add tx", err)
			}
			nonces[name]++
		}
		fmt.Printf("sealing %d\n", l.Head().Number+1)
		blk, err := l.Seal(ctx, key, 0, false)
		if err != nil {
			fail("seal", err)
		}
		fmt.Printf("acked %d %s\n", blk.Header.Number, blk.Hash())
	}
	os.Exit(2)
}

// crashLine is a line of the child's output.
type crashLine struct {
	ready   bool
	sealing bool
	number  uint64
	hash    chain.Hash
	err     string
}

// TestLedgerSIGKILL kills a sealing node with SIGKILL at random moments,
// round after round on the same directory. After every kill the ledger
// reopens, both databases pass PRAGMA integrity_check, every block the
// node acknowledged is still canonical at its number (the head at or past
// the last one), and every account's nonce in the state is the number of
// its transactions in the canonical chain.
func TestLedgerSIGKILL(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SIGKILL test runs on Linux")
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const rounds = 20
	budget := 15 * time.Second // fewer rounds on a slow machine, never fewer than minRounds
	const minRounds = 4
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dir := filepath.Join(t.TempDir(), "ledger")
	acked := map[uint64]chain.Hash{} // every acknowledged block, all rounds
	var lastAcked uint64
	repaired, repairedInSeal := 0, 0 // reopens that reverted a block the kill left half inserted
	var seal sealTimes
	start := time.Now()
	round := 0
	for ; round < rounds; round++ {
		if round >= minRounds && time.Since(start) > budget {
			t.Logf("stopping after %d rounds (%s budget)", round, budget)
			break
		}
		want := rng.IntN(25) // acked lines to read before the kill; 0: once opened
		// Half the kills land anywhere in the child's loop, half inside a
		// Seal (where a kill can fall between the state's commit and the
		// store's).
		inSeal := rng.IntN(2) == 1
		delay := func(time.Duration) time.Duration { return time.Duration(rng.IntN(3000)) * time.Microsecond }
		if inSeal {
			delay = func(mean time.Duration) time.Duration { return time.Duration(rng.Float64() * 1.5 * float64(mean)) }
		}
		got := killChildAfter(t, dir, want, inSeal, &seal, delay)
		for _, a := range got {
			if h, ok := acked[a.number]; ok && h != a.hash {
				t.Fatalf("round %d: block %d acknowledged as %s, earlier as %s", round, a.number, a.hash, h)
			}
			acked[a.number] = a.hash
			lastAcked = max(lastAcked, a.number)
		}
		if checkAfterCrash(t, dir, round, acked, lastAcked) {
			repaired++
			if inSeal {
				repairedInSeal++
			}
		}
	}
	if lastAcked == 0 {
		t.Fatal("the child never acknowledged a block")
	}
	t.Logf("%d kills (%d between the state and store commits, %d of them aimed at Seal), %d blocks acknowledged, Seal %s on average, %s",
		round, repaired, repairedInSeal, lastAcked, seal.mean().Round(time.Microsecond), time.Since(start).Round(time.Millisecond))
}

// sealTimes is how long the child's Seal takes, as seen from the parent
// (from its "sealing" line to its "acked" line).
type sealTimes struct {
	sum time.Duration
	n   int
}

func (s *sealTimes) mean() time.Duration {
	if s.n == 0 {
		return time.Millisecond
	}
	return s.sum / time.Duration(s.n)
}

// killChildAfter starts a child on dir and reads its output until it has
// acknowledged want blocks (for 0: until it has opened the ledger); if
// inSeal, it then reads on to the child's next "sealing" line. It kills the
// child with SIGKILL delay(mean Seal time) after that last line arrived and
// returns every block the child acknowledged, including those printed
// between the last read and the kill.
func killChildAfter(t *testing.T, dir string, want int, inSeal bool, seal *sealTimes, delay func(mean time.Duration) time.Duration) []crashLine {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerCrashChild$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), "HW_LEDGER_CRASH="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Kill() // SIGKILL
		}
	}
	defer kill()
	type timed struct {
		crashLine
		at time.Time
	}
	lines := make(chan timed, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- timed{parseCrashLine(sc.Text()), time.Now()}
		}
	}()
	var got []crashLine
	var sealing time.Time
	take := func(l timed) {
		switch {
		case l.err != "":
			kill()
			t.Fatalf("child: %s\n%s", l.err, stderr.String())
		case l.sealing:
			sealing = l.at
		case !l.ready:
			got = append(got, l.crashLine)
			if !sealing.IsZero() {
				seal.sum += l.at.Sub(sealing)
				seal.n++
				sealing = time.Time{}
			}
		}
	}
	// A generous deadline per line: it only fails a child that is stuck.
	const lineDeadline = 60 * time.Second
	timer := time.NewTimer(lineDeadline)
	defer timer.Stop()
	var trigger time.Time // when the line the kill is timed from arrived
	for ready, done := false, false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("child exited (%v) after %d of %d acknowledgements:\n%s", cmd.ProcessState, len(got), want, stderr.String())
			}
			ready = ready || l.ready
			take(l)
			done = ready && len(got) >= want && (!inSeal || l.sealing)
			trigger = l.at
			timer.Reset(lineDeadline)
		case <-timer.C:
			kill()
			t.Fatalf("no output from the child for %s (%d of %d acknowledgements):\n%s", lineDeadline, len(got), want, stderr.String())
		}
	}
	// Not synchronisation: this moves the kill to a random point of the
	// child's loop. It spins, since a sleep this short overshoots by up to
	// a millisecond.
	for at := trigger.Add(delay(seal.mean())); time.Now().Before(at); {
	}
	kill()
	for l := range lines { // acknowledged before the kill landed
		take(l)
	}
	err = cmd.Wait()
	if st, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !st.Signaled() {
		t.Fatalf("child not killed by the signal: %v\n%s", err, stderr.String())
	}
	return got
}

func parseCrashLine(s string) crashLine {
	f := strings.Fields(s)
	switch {
	case len(f) == 2 && f[0] == "ready":
		return crashLine{ready: true}
	case len(f) == 2 && f[0] == "sealing":
		return crashLine{sealing: true}
	case len(f) == 3 && f[0] == "acked":
		n, err := strconv.ParseUint(f[1], 10, 64)
		h, herr := hex.DecodeString(f[2])
		if err == nil && herr == nil && len(h) == len(chain.Hash{}) {
			return crashLine{number: n, hash: chain.Hash(h)}
		}
	case len(f) > 0 && f[0] == "error":
		return crashLine{err: s}
	}
	return crashLine{err: "unexpected output: " + s}
}

// checkAfterCrash reopens the ledger the child was killed on and checks it.
// It reports whether Open had to revert a block the state held and the
// store did not.
func checkAfterCrash(t *testing.T, dir string, round int, acked map[uint64]chain.Hash, lastAcked uint64) (repaired bool) {
	t.Helper()
	ctx := context.Background()
	var logged bytes.Buffer
	l, err := Open(ctx, Config{Dir: dir, Genesis: crashGenesis(), Now: farClock, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer l.Close() // the next round's child resumes from here
	if err := l.IntegrityCheck(ctx); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	head := l.Head()
	if head.Number < lastAcked {
		t.Fatalf("round %d: head %d, but block %d was acknowledged", round, head.Number, lastAcked)
	}
	if n, h, ok, err := l.State().Head(); err != nil || !ok || n != head.Number || h != head.Hash {
		t.Fatalf("round %d: state head %d %s (%v), ledger head %d %s", round, n, h, err, head.Number, head.Hash)
	}
	for n, h := range acked {
		if c, err := l.CanonicalHash(n); err != nil || c != h {
			t.Fatalf("round %d: acknowledged block %d %s, canonical %s (%v)", round, n, h, c, err)
		}
	}
	// Replay the canonical chain's transactions: consecutive nonces per
	// account, and the state's nonces are their counts.
	count := map[chain.PublicKey]uint64{}
	parent := l.GenesisHash()
	for n := uint64(1); n <= head.Number; n++ {
		h, err := l.CanonicalHash(n)
		if err != nil {
			t.Fatalf("round %d: canonical block %d: %v", round, n, err)
		}
		blk, err := l.Block(ctx, h)
		if err != nil {
			t.Fatalf("round %d: block %d: %v", round, n, err)
		}
		if blk.Header.ParentHash != parent || blk.Header.Number != n {
			t.Fatalf("round %d: canonical block %d does not extend block %d", round, n, n-1)
		}
		parent = h
		for _, tx := range blk.Txs {
			if tx.Nonce() != count[tx.Sender()] {
				t.Fatalf("round %d: block %d: tx with nonce %d, want %d", round, n, tx.Nonce(), count[tx.Sender()])
			}
			count[tx.Sender()]++
		}
	}
	if parent != head.Hash {
		t.Fatalf("round %d: canonical chain ends at %s, head is %s", round, parent, head.Hash)
	}
	for _, name := range crashAccounts {
		k := chaintest.Pub(name)
		if got, err := l.State().Nonce(k); err != nil || got != count[k] {
			t.Fatalf("round %d: %s's nonce %d (%v), the canonical chain holds %d of its txs", round, name, got, err, count[k])
		}
	}
	return strings.Contains(logged.String(), "store lacks")
}
