package state

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
)

// TestCrashChild is the child of TestSIGKILL: it applies blocks to the state
// at $HW_STATE_CRASH forever, printing "acked N" after each commit.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("HW_STATE_CRASH")
	if path == "" {
		t.Skip("child process of TestSIGKILL")
	}
	st, err := Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	e := &env{t: t, st: st, signers: []chain.PublicKey{testPub("clinic-a")}, nonces: map[chain.PublicKey]uint64{}, time: 1000}
	// Resume at the stored head.
	if n, h, ok, err := st.Head(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	} else if ok {
		e.number, e.parent, e.time = n, h, 1000+2*n
	}
	for j := range 50 {
		k := testPub(fmt.Sprintf("p%d", j))
		if e.nonces[k], err = st.Nonce(k); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	for i := int(e.number); ; i++ {
		txs := make([]*chain.Tx, 0, 50)
		for j := range 50 {
			name := fmt.Sprintf("p%d", j)
			txs = append(txs, e.sign(name, anchor(t, name, strconv.Itoa(i), chain.CategoryOther)))
		}
		b, err := e.apply(txs...)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d %s\n", b.Header.Number, b.Hash())
	}
}

// TestSIGKILL kills a process while it writes blocks; the reopened state
// passes PRAGMA integrity_check and holds every block it acknowledged.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var lastAcked uint64
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), "HW_STATE_CRASH="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var acked uint64
		var ackedHash string
		prev := lastAcked
		deadline := time.Now().Add(10 * time.Second)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "acked" {
				acked, _ = strconv.ParseUint(f[1], 10, 64)
				ackedHash = f[2]
			} else if len(f) > 0 && f[0] == "error" {
				t.Fatalf("child: %s", sc.Text())
			}
			if acked >= uint64(20*(round+1)) && acked > prev || time.Now().After(deadline) {
				break
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if acked == 0 {
			t.Fatal("child acknowledged nothing")
		}
		st, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.IntegrityCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
		n, _, ok, err := st.Head()
		if err != nil || !ok || n < acked {
			t.Fatalf("round %d: head %d after %d acknowledged: %v", round, n, acked, err)
		}
		var h []byte
		if err := st.db.QueryRow(`SELECT hash FROM blocks WHERE number = ?`, acked).Scan(&h); err != nil || fmt.Sprintf("%x", h) != ackedHash {
			t.Fatalf("acknowledged block %d: %x %v", acked, h, err)
		}
		lastAcked = n
		st.Close() // the next round's child resumes from here
	}
}
