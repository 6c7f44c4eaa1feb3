//go:build unix

package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sockPath returns a socket path in a fresh short directory: t.TempDir()
// paths can exceed the ~104-byte limit of a Unix socket address.
func sockPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hwctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return SocketPath(dir)
}

func serve(t *testing.T, path string, f StatusFunc) *Server {
	t.Helper()
	s, err := Serve(context.Background(), path, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func fixed(st Status) StatusFunc {
	return func(context.Context) (Status, error) { return st, nil }
}

func sample() Status {
	return Status{
		NodeID: "hw1example", ChainID: "acme-health", Height: 42,
		HeadHash: strings.Repeat("ab", 32), HeadTime: time.Unix(1_700_000_000, 0).UTC(),
		Peers: 3, Pending: 2, Signer: true,
		Signers:   []string{strings.Repeat("01", 32), strings.Repeat("02", 32)},
		StartedAt: time.Unix(1_699_999_000, 0).UTC(),
		Pinning:   true, PinnedBytes: 5 << 20, PinnedCount: 7, PinnedSinceStart: 4,
		WaitingForPeer: 1, OverQuota: 0, QuotaBytes: 10 << 30,
	}
}

func TestRoundTrip(t *testing.T) {
	path := sockPath(t)
	want := sample() // Version left 0: the server sets it
	serve(t, path, fixed(want))
	got, err := Query(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want.Version = Version
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestSocketMode0600(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask: Serve must not depend on it
	defer syscall.Umask(old)
	path := sockPath(t)
	serve(t, path, fixed(sample()))
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want a socket with 0600", fi.Mode())
	}
}

// staleSocket leaves a socket file at path that no process listens on, as
// a killed node does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("no stale socket: %v", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := sockPath(t)
	staleSocket(t, path)
	if _, err := Query(context.Background(), path); !errors.Is(err, ErrNoNode) {
		t.Fatalf("query of a stale socket: %v, want ErrNoNode", err)
	}
	serve(t, path, fixed(sample()))
	if _, err := Query(context.Background(), path); err != nil {
		t.Fatal(err)
	}
}

func TestLiveSocketNotReplaced(t *testing.T) {
	path := sockPath(t)
	serve(t, path, fixed(sample()))
	if s, err := Serve(context.Background(), path, fixed(Status{})); err == nil {
		s.Close()
		t.Fatal("a second server took over a live socket")
	}
	if st, err := Query(context.Background(), path); err != nil || st.Height != 42 {
		t.Fatalf("first server after a second tried: %+v, %v", st, err)
	}
}

func TestNotASocketLeftAlone(t *testing.T) {
	path := sockPath(t)
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Serve(context.Background(), path, fixed(Status{})); err == nil {
		s.Close()
		t.Fatal("Serve replaced a regular file")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "mine" {
		t.Fatalf("file changed: %q, %v", b, err)
	}
}

func TestErrNoNode(t *testing.T) {
	path := sockPath(t)
	_, err := Query(context.Background(), path)
	if !errors.Is(err, ErrNoNode) {
		t.Fatalf("got %v, want ErrNoNode", err)
	}
	s, err := Serve(context.Background(), path, fixed(sample()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
	if _, err := Query(context.Background(), path); !errors.Is(err, ErrNoNode) {
		t.Fatalf("after Close: %v, want ErrNoNode", err)
	}
}

func TestStatusErrorReachesClient(t *testing.T) {
	path := sockPath(t)
	serve(t, path, func(context.Context) (Status, error) {
		return Status{}, errors.New("wallet: ledger closed")
	})
	_, err := Query(context.Background(), path)
	if !errors.Is(err, ErrNodeFailed) || !strings.Contains(err.Error(), "wallet: ledger closed") {
		t.Fatalf("got %v, want ErrNodeFailed with the node's reason", err)
	}
}

func TestReadOnly(t *testing.T) {
	path := sockPath(t)
	serve(t, path, fixed(sample()))
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, statusPath, http.StatusMethodNotAllowed},
		{http.MethodPut, statusPath, http.StatusMethodNotAllowed},
		{http.MethodDelete, statusPath, http.StatusMethodNotAllowed},
		{http.MethodGet, "/v1/shutdown", http.StatusNotFound},
		{http.MethodGet, statusPath, http.StatusOK},
	} {
		req, _ := http.NewRequest(tc.method, "http://healthwallet"+tc.path, strings.NewReader("{}"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

// Close ends everything the server started, even with a client holding an
// idle keep-alive connection and a request waiting in the status function.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t)
	path := sockPath(t)
	entered := make(chan struct{}, 1)
	s, err := Serve(context.Background(), path, func(ctx context.Context) (Status, error) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done() // blocks until the server closes
		return Status{}, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	// An idle keep-alive connection: a raw request, answered, left open.
	idle, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	// A request stuck in the status function.
	queried := make(chan error, 1)
	go func() {
		_, err := Query(context.Background(), path)
		queried <- err
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("status function not called")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-queried:
		if err == nil {
			t.Fatal("query answered by a closing server")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("query not ended by Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
}

func TestContextEndStopsServing(t *testing.T) {
	path := sockPath(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Serve(ctx, path, fixed(sample()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Query(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := Query(context.Background(), path)
		if errors.Is(err, ErrNoNode) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still serving after its context ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPathTooLong(t *testing.T) {
	path := filepath.Join(os.TempDir(), strings.Repeat("d", 120), SocketName)
	if s, err := Serve(context.Background(), path, fixed(Status{})); !errors.Is(err, ErrPathTooLong) || !strings.Contains(err.Error(), "Unix socket allows") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Serve: %v, want a clear error", err)
	}
	if _, err := Query(context.Background(), path); !errors.Is(err, ErrPathTooLong) || errors.Is(err, ErrNoNode) {
		t.Fatalf("Query: %v, want a clear error, not ErrNoNode", err)
	}
}
