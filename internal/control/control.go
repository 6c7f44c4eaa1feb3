// Package control is a running node's local, read-only control endpoint:
// HTTP/1.1 over a Unix domain socket in the node's data directory, through
// which `healthwallet status` asks the node how it is doing.
//
// It owns the socket file (created mode 0600, replaced if a killed node left
// it behind, removed on Close), the one endpoint (GET /v1/status) and the
// versioned JSON form of Status. It does not own the figures: the node
// passes a function that fills a Status, and this package neither opens nor
// locks the wallet and knows nothing of the chain or the store. Nothing it
// serves changes anything: there is no endpoint that writes.
//
// Only the data directory's owner can reach the socket (mode 0600, and the
// wallet keeps its data directory 0700). Exclusivity is the wallet's: only
// the process holding the wallet's lock serves its directory's socket, so a
// socket file nobody answers on is stale and Serve replaces it.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// SocketName is the socket's name in a node's data directory.
const SocketName = "control.sock"

// Version is the version of Status this package writes and reads. It
// changes when a field changes meaning or goes away; fields may be added
// without a change.
const Version = 1

// ErrNoNode: nothing listens on the socket (no file, or a stale one).
var ErrNoNode = errors.New("control: no node is running")

// ErrNodeFailed: the node answered but could not produce its status; the
// error Query returns carries the node's reason after this one's text.
var ErrNodeFailed = errors.New("control: the node could not report its status")

// ErrPathTooLong: the socket path is longer than a Unix socket address
// allows (about 104 bytes), so no node can listen there.
var ErrPathTooLong = errors.New("control: socket path too long")

// SocketPath returns where the node of dataDir listens.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// Status is what a node reports about itself. Hashes and keys are hex.
type Status struct {
	Version   int       `json:"version"`
	NodeID    string    `json:"node_id"`
	ChainID   string    `json:"chain_id"`
	Height    uint64    `json:"height"`
	HeadHash  string    `json:"head_hash"`
	HeadTime  time.Time `json:"head_time"`
	Peers     int       `json:"peers"`
	Pending   int       `json:"pending_txs"` // transactions in the mempool
	Signer    bool      `json:"signer"`      // the node's key is one of Signers
	Signers   []string  `json:"signers"`     // public keys, hex
	StartedAt time.Time `json:"started_at"`

	// Pinning is whether the node pins what the chain references (a
	// positive quota). The store figures are reported either way.
	Pinning     bool  `json:"pinning"`
	PinnedBytes int64 `json:"pinned_bytes"` // block bytes in the node's store: what the quota bounds
	PinnedCount int   `json:"pinned_count"` // roots pinned in the store
	// PinnedSinceStart counts the roots the chain pinner pinned since the
	// node started.
	PinnedSinceStart int   `json:"pinned_since_start"`
	WaitingForPeer   int   `json:"waiting_for_peer"` // references no peer has served yet (retried)
	OverQuota        int   `json:"over_quota"`       // references left unpinned: the quota is full
	QuotaBytes       int64 `json:"quota_bytes"`      // 0: not pinning
}

// StatusFunc fills a Status (Version is set by the server). It must return
// promptly once ctx is done.
type StatusFunc func(context.Context) (Status, error)

// statusPath is the one endpoint.
const statusPath = "/v1/status"

// maxBody bounds what Query reads.
const maxBody = 1 << 20

// Server serves a node's control socket until Close (or its context ends).
type Server struct {
	path      string
	srv       *http.Server
	cancel    context.CancelFunc // handlers' base context
	stopAfter func() bool        // unregisters the context watch
	conns     sync.WaitGroup     // open connections
	done      chan struct{}      // closed when Serve returns
	shutOnce  sync.Once
	closeErr  error
}

// Serve listens on path (a Unix socket, created mode 0600) and answers
// status requests with status until Close is called or ctx ends. A socket
// file at path that nobody answers on is removed first; a live one, or a
// file that is not a socket, is an error. Close must be called either way:
// it waits for the server's goroutines and removes the socket.
func Serve(ctx context.Context, path string, status StatusFunc) (*Server, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if err := removeStale(ctx, path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	// Whatever the umask made of it: the owner only. (The data directory
	// is 0700, so no one else could reach it in between.)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close() // removes the socket
		return nil, fmt.Errorf("control: %w", err)
	}
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{path: path, cancel: cancel, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+statusPath, func(w http.ResponseWriter, r *http.Request) {
		st, err := status(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, errorBody{Error: err.Error()})
			return
		}
		st.Version = Version
		writeJSON(w, http.StatusOK, st)
	})
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.conns.Done()
			}
		},
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln) // returns http.ErrServerClosed after shutdown
	}()
	s.stopAfter = context.AfterFunc(ctx, s.shutdown)
	return s, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// shutdown stops accepting, closes every connection (handlers' contexts
// end) and removes the socket file. It does not wait.
func (s *Server) shutdown() {
	s.shutOnce.Do(func() {
		s.cancel()
		s.closeErr = s.srv.Close() // the listener's Close removes the socket
	})
}

// Close stops the server, waits until its goroutines and connections are
// gone and the socket file is removed. It may be called more than once.
func (s *Server) Close() error {
	s.stopAfter()
	s.shutdown()
	<-s.done
	s.conns.Wait()
	return s.closeErr
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "encoding status: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// Query asks the node listening on path for its status. It returns an error
// wrapping ErrNoNode if nothing listens there, and one wrapping
// ErrNodeFailed if the node could not say.
func Query(ctx context.Context, path string) (Status, error) {
	if err := checkPath(path); err != nil {
		return Status{}, err
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://healthwallet"+statusPath, nil)
	if err != nil {
		return Status{}, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if noListener(err) {
			return Status{}, fmt.Errorf("%w at %s", ErrNoNode, path)
		}
		return Status{}, fmt.Errorf("control: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Status{}, fmt.Errorf("control: reading the node's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return Status{}, fmt.Errorf("%w: %s", ErrNodeFailed, e.Error)
	}
	var st Status
	if err := json.Unmarshal(body, &st); err != nil {
		return Status{}, fmt.Errorf("control: the node's answer: %w", err)
	}
	if st.Version != Version {
		return Status{}, fmt.Errorf("control: the node reports status version %d; this healthwallet reads version %d (run the same healthwallet version as the node)", st.Version, Version)
	}
	return st, nil
}

// removeStale removes a socket file at path that nobody answers on.
func removeStale(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control: %s exists and is not a socket (remove it if no node uses it)", path)
	}
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("control: a node already serves %s", path)
	}
	if !noListener(err) {
		return fmt.Errorf("control: checking %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control: removing the stale socket: %w", err)
	}
	return nil
}

// noListener reports whether a dial error means nothing listens: no socket
// file, or one no process has open.
func noListener(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || refused(err)
}

// checkPath rejects a path too long for a Unix socket address, which the
// system would otherwise refuse with a bare "invalid argument".
func checkPath(path string) error {
	limit := 103 // sun_path is 104 bytes on the BSDs and macOS, with its NUL
	if runtime.GOOS == "linux" || runtime.GOOS == "android" || runtime.GOOS == "windows" {
		limit = 107 // 108
	}
	if len(path) > limit {
		return fmt.Errorf("%w: %s is %d bytes, over the %d a Unix socket allows (use a shorter --data-dir)", ErrPathTooLong, path, len(path), limit)
	}
	return nil
}
