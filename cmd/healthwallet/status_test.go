package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/internal/control"
	"github.com/healthwallet/healthwallet/wallet/keystore"
)

// shortDataDir returns a fresh data directory with a short path: the node's
// control socket lives in it, and a Unix socket's path must fit in ~104
// bytes, which t.TempDir() paths can exceed.
func shortDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hwst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// statusCLI runs healthwallet commands against one data directory; pass is
// the passphrase in the environment ("" for none).
type statusCLI struct {
	t   *testing.T
	dir string
}

func (c statusCLI) run(ctx context.Context, pass string, stdout, stderr *syncBuffer, args ...string) int {
	getenv := func(k string) string {
		if k == "HEALTHWALLET_PASSPHRASE" {
			return pass
		}
		return ""
	}
	return run(ctx, append([]string{"--data-dir", c.dir}, args...), strings.NewReader(""), stdout, stderr, getenv)
}

// must runs a command that must succeed and returns its output.
func (c statusCLI) must(pass string, args ...string) string {
	c.t.Helper()
	var out, errb syncBuffer
	if code := c.run(context.Background(), pass, &out, &errb, args...); code != 0 {
		c.t.Fatalf("healthwallet %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

const statusPass = "status test passphrase"

// While a clinic's node runs, `healthwallet status` asks it (no passphrase:
// the node holds the wallet) and shows its height, that it is a signer, the
// signers and its pinning; --json gives the same as data. Once the node
// stops, status --node says no node is running and fails, and plain status
// shows the wallet again.
func TestStatusOfRunningNode(t *testing.T) {
	walletOptions.KDF = keystore.TestParams
	c := statusCLI{t, shortDataDir(t)}
	c.must(statusPass, "init")
	id := strings.TrimSpace(c.must(statusPass, "id"))
	genesis := filepath.Join(t.TempDir(), "genesis.json")
	c.must(statusPass, "chain", "init", "--chain-id", "status-test", "--signer", id+"=Clinic", "--out", genesis, "--period", "1s")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var nodeOut, nodeErr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- c.run(ctx, statusPass, &nodeOut, &nodeErr, "node", "--genesis", genesis, "--listen", "/ip4/127.0.0.1/tcp/0", "--status-every", "0", "--pin-quota-gib", "2")
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(nodeOut.String(), "listening on") {
		select {
		case code := <-done:
			t.Fatalf("node exited %d: %s%s", code, nodeOut.String(), nodeErr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start: %q %q", nodeOut.String(), nodeErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(nodeErr.String(), "no status socket") {
		t.Fatalf("node has no status socket: %s", nodeErr.String())
	}

	out := c.must("", "status") // no passphrase
	for _, want := range []string{
		`(?m)^node:     ` + regexp.QuoteMeta(id) + ` \(up \S+\)$`,
		`(?m)^chain:    status-test at block \d+ \(head [0-9a-f]{12}…, \S+ old\)$`,
		`(?m)^signer:   yes$`,
		`(?m)^signers:  1$`,
		`(?m)^  ` + regexp.QuoteMeta(id) + ` \(this node\)$`,
		`(?m)^peers:    0$`,
		`(?m)^pending:  \d+ transactions?$`,
		`(?m)^pinned:   .+ in \d+ roots$`,
		`(?m)^quota:    2\.0 GiB \(\d+ pinned since start, \d+ waiting for a peer, \d+ over quota\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("status output lacks %s:\n%s", want, out)
		}
	}

	var st control.Status
	if err := json.Unmarshal([]byte(c.must("", "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != 1 || st.NodeID != id || st.ChainID != "status-test" || !st.Signer ||
		len(st.Signers) != 1 || len(st.HeadHash) != 64 || st.HeadTime.IsZero() || st.StartedAt.IsZero() ||
		!st.Pinning || st.QuotaBytes != 2<<30 {
		t.Errorf("status --json: %+v", st)
	}
	if signerName(st.Signers[0]) != id {
		t.Errorf("signer key %s is not the node's ID %s", st.Signers[0], id)
	}

	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("node exited %d: %s", code, nodeErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
	}
	if _, err := os.Lstat(control.SocketPath(c.dir)); !os.IsNotExist(err) {
		t.Errorf("control socket left after the node stopped: %v", err)
	}
	wantNoNode(t, c, "--node")
	if out := c.must(statusPass, "status"); !strings.Contains(out, "records:") {
		t.Errorf("status with no node did not show the wallet: %s", out)
	}
}

// wantNoNode checks that status with args fails, saying no node is running.
func wantNoNode(t *testing.T, c statusCLI, args ...string) {
	t.Helper()
	var out, errb syncBuffer
	code := c.run(context.Background(), "", &out, &errb, append([]string{"status"}, args...)...)
	want := "no node is running for " + c.dir + " (start one with: healthwallet node --genesis FILE)"
	if code == 0 || !strings.Contains(errb.String(), want) || out.String() != "" {
		t.Errorf("status %s with no node: exit %d, stdout %q, stderr %q; want a non-zero exit and %q",
			strings.Join(args, " "), code, out.String(), errb.String(), want)
	}
}

// With no node, status --node and --json fail with the message, whether
// there is no socket or a stale one a killed node left.
func TestStatusNoNode(t *testing.T) {
	c := statusCLI{t, shortDataDir(t)}
	wantNoNode(t, c, "--node")
	wantNoNode(t, c, "--json")

	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: control.SocketPath(c.dir), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // as a killed node leaves it
	ln.Close()
	wantNoNode(t, c, "--node")
	wantNoNode(t, c, "--json")
}

func TestPrintStatus(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := control.Status{
		Version: 1, NodeID: "hw1node", ChainID: "acme-health", Height: 1234,
		HeadHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", HeadTime: now.Add(-3 * time.Second),
		Peers: 2, Pending: 1, Signer: false, Signers: []string{"zz"},
		StartedAt: now.Add(-26*time.Hour - 5*time.Minute),
		Pinning:   true, PinnedBytes: 3<<30 + 1<<29, PinnedCount: 812, PinnedSinceStart: 40, WaitingForPeer: 3, QuotaBytes: 100 << 30,
	}
	var out syncBuffer
	printStatus(&cli{stdout: &out}, st, now)
	want := `node:     hw1node (up 26h5m)
chain:    acme-health at block 1234 (head 9f86d081884c…, 3s old)
peers:    2
pending:  1 transaction
signer:   no
signers:  1
  zz
pinned:   3.5 GiB in 812 roots
quota:    100.0 GiB (40 pinned since start, 3 waiting for a peer, 0 over quota)
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
