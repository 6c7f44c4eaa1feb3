package kubo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the kubo release the project builds and tests against.
const Version = "0.42.0"

// EnvBinary names the environment variable that overrides where Find looks.
const EnvBinary = "HEALTHWALLET_KUBO"

// ErrNoKubo is returned by Find when there is no kubo binary to run.
var ErrNoKubo = errors.New("no kubo binary: run `make kubo` (or set " + EnvBinary + " to an ipfs " + Version + " binary)")

const (
	// DefaultStartTimeout bounds Start when its context has no deadline.
	DefaultStartTimeout = 90 * time.Second
	// DefaultCallTimeout bounds a CLI call whose context has no deadline.
	DefaultCallTimeout = 2 * time.Minute

	// chunker is kubo's default, written out so a changed default cannot
	// change the CIDs the tests compare.
	chunker = "size-262144"
)

// DefaultPath is where packaging/kubo/build.sh puts the binary:
// $XDG_CACHE_HOME (or ~/.cache)/healthwallet/kubo-v<Version>/ipfs.
func DefaultPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "healthwallet", "kubo-v"+Version, "ipfs"), nil
}

// Find returns the kubo binary named by HEALTHWALLET_KUBO or, when that is
// unset, the one at DefaultPath. Its error wraps ErrNoKubo when there is none
// at the default path; a binary named by HEALTHWALLET_KUBO that is missing,
// or any binary of another version than Version, is a plain error, since
// skipping would hide it.
func Find() (string, error) {
	p := os.Getenv(EnvBinary)
	if p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v", EnvBinary, p, err)
		}
	} else {
		var err error
		if p, err = DefaultPath(); err != nil {
			return "", fmt.Errorf("no cache directory (%v): %w", err, ErrNoKubo)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s: %w", p, ErrNoKubo)
		}
	}
	if err := checkVersion(p); err != nil {
		return "", err
	}
	return p, nil
}

// versions remembers, per binary path, the result of checking its version.
var versions sync.Map // string → versionResult

type versionResult struct{ err error }

// checkVersion runs `<bin> version --number` once per binary per process.
func checkVersion(bin string) error {
	if r, ok := versions.Load(bin); ok {
		return r.(versionResult).err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "version", "--number")
	cmd.Env = append(os.Environ(), "IPFS_TELEMETRY=off")
	out, err := cmd.Output()
	if v := strings.TrimSpace(string(out)); err != nil {
		err = fmt.Errorf("%s version: %w", bin, err)
	} else if v != Version {
		err = fmt.Errorf("%s is kubo %s, want %s: run `make kubo`", bin, v, Version)
	}
	versions.Store(bin, versionResult{err})
	return err
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("not an executable file")
	}
	return nil
}

// Options configure a daemon.
type Options struct {
	// Binary is the kubo executable; empty means Find().
	Binary string
	// SwarmKey is the content of a kubo swarm.key file. When set, the daemon
	// joins only that private network (and LIBP2P_FORCE_PNET makes it refuse
	// to run without it). Nil: no private network.
	SwarmKey []byte
}

// Daemon is a running kubo daemon with its own repository.
type Daemon struct {
	bin    string
	repo   string
	env    []string
	api    string // API multiaddr, /ip4/127.0.0.1/tcp/N
	apiURL string // http://127.0.0.1:N
	id     string
	addrs  []string

	cmd     *exec.Cmd
	log     *tailBuffer
	exited  chan struct{}
	exitErr error // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start initialises a repository in a new temporary directory, configures it
// for loopback only and starts `ipfs daemon`, returning once its API answers
// and its swarm listens. ctx bounds the start only (DefaultStartTimeout when
// it has no deadline); the daemon runs until Stop.
func Start(ctx context.Context, opts Options) (d *Daemon, err error) {
	bin := opts.Binary
	if bin == "" {
		if bin, err = Find(); err != nil {
			return nil, err
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultStartTimeout)
		defer cancel()
	}
	repo, err := os.MkdirTemp("", "healthwallet-kubo-")
	if err != nil {
		return nil, err
	}
	d = &Daemon{bin: bin, repo: repo, log: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			d.Stop()
			d = nil
		}
	}()

	d.env = environ(repo, opts.SwarmKey != nil)
	if _, err := d.runLocal(ctx, "init", "--empty-repo"); err != nil {
		return nil, err
	}
	if err := configure(filepath.Join(repo, "config")); err != nil {
		return nil, err
	}
	if opts.SwarmKey != nil {
		if err := os.WriteFile(filepath.Join(repo, "swarm.key"), opts.SwarmKey, 0o600); err != nil {
			return nil, err
		}
	}

	// No CommandContext: the daemon outlives ctx, Stop ends it.
	d.cmd = exec.Command(bin, "daemon", "--migrate=false")
	d.cmd.Env = d.env
	d.cmd.Dir = repo
	d.cmd.Stdout = d.log
	d.cmd.Stderr = d.log
	d.cmd.SysProcAttr = sysProcAttr()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ipfs daemon: %w", err)
	}
	go func() {
		d.exitErr = d.cmd.Wait()
		close(d.exited)
	}()
	if err := d.waitReady(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// StartT starts a daemon for a test or benchmark, failing it if the daemon
// does not start and stopping the daemon when it ends.
func StartT(tb testing.TB, opts Options) *Daemon {
	tb.Helper()
	d, err := Start(tb.Context(), opts)
	if err != nil {
		tb.Fatalf("start kubo: %v", err)
	}
	tb.Cleanup(func() {
		if err := d.Stop(); err != nil {
			tb.Errorf("stop kubo: %v", err)
		}
	})
	return d
}

// environ is the parent's environment with IPFS_PATH pointing at repo,
// telemetry off, and (for a private network) pnet forced.
func environ(repo string, pnet bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "IPFS_PATH", "IPFS_TELEMETRY", "LIBP2P_FORCE_PNET", "IPFS_LOGGING", "GOLOG_LOG_LEVEL":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "IPFS_PATH="+repo, "IPFS_TELEMETRY=off")
	if pnet {
		env = append(env, "LIBP2P_FORCE_PNET=1")
	}
	return env
}

// settings is the loopback-only configuration, by JSON path in kubo's config
// file (checked against `ipfs config show` of kubo 0.42.0).
var settings = []struct {
	path  string
	value any
}{
	{"Addresses.Swarm", []string{"/ip4/127.0.0.1/tcp/0"}},
	{"Addresses.API", []string{"/ip4/127.0.0.1/tcp/0"}},
	{"Addresses.Gateway", []string{"/ip4/127.0.0.1/tcp/0"}},
	{"Addresses.Announce", []string{}},
	{"Addresses.AppendAnnounce", []string{}},
	{"Addresses.NoAnnounce", []string{}},
	{"Bootstrap", []string{}},
	{"Peering.Peers", nil},
	{"Routing.Type", "none"},
	{"Routing.DelegatedRouters", []string{}},
	{"Ipns.DelegatedPublishers", []string{}},
	{"DNS.Resolvers", map[string]string{}},
	{"Discovery.MDNS.Enabled", false},
	{"AutoConf.Enabled", false},
	{"AutoNAT.ServiceMode", "disabled"},
	{"AutoTLS.Enabled", false},
	{"Swarm.DisableNatPortMap", true},
	{"Swarm.RelayClient.Enabled", false},
	{"Swarm.RelayService.Enabled", false},
	{"Swarm.EnableHolePunching", false},
	{"Swarm.Transports.Network.TCP", true},
	{"Swarm.Transports.Network.QUIC", false},
	{"Swarm.Transports.Network.WebTransport", false},
	{"Swarm.Transports.Network.WebRTCDirect", false},
	{"Swarm.Transports.Network.Websocket", false},
	{"Swarm.Transports.Network.Relay", false},
	{"Provide.Enabled", false},
	{"Import.CidVersion", 1},
	{"Import.UnixFSRawLeaves", true},
	{"Import.UnixFSChunker", chunker},
}

// configure rewrites the repository's config file with settings. The daemon
// is not running yet, so editing the file is the same as `ipfs config` and
// costs no process per key.
func configure(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("kubo config %s: %w", path, err)
	}
	for _, s := range settings {
		m := cfg
		keys := strings.Split(s.path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = s.value
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

// waitReady polls until the daemon has written its API address and answers
// /api/v0/id with a loopback TCP swarm address, or it exits, or ctx ends.
func (d *Daemon) waitReady(ctx context.Context) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-d.exited:
			return fmt.Errorf("ipfs daemon exited during start: %v\n%s", d.exitErr, d.log.String())
		case <-ctx.Done():
			return fmt.Errorf("ipfs daemon not ready: %w (last: %v)\n%s", ctx.Err(), last, d.log.String())
		case <-tick.C:
		}
		if d.api == "" {
			b, err := os.ReadFile(filepath.Join(d.repo, "api"))
			if err != nil {
				last = err
				continue
			}
			api := strings.TrimSpace(string(b))
			hostport, err := loopbackTCP(api)
			if err != nil {
				return fmt.Errorf("ipfs daemon API address %q: %w", api, err)
			}
			d.api, d.apiURL = api, "http://"+hostport
		}
		id, err := d.identify(ctx)
		if err != nil {
			last = err
			continue
		}
		var addrs []string
		for _, a := range id.Addresses {
			if _, err := loopbackTCP(a); err == nil && strings.Contains(a, "/p2p/") {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			last = fmt.Errorf("no loopback TCP swarm address yet (have %q)", id.Addresses)
			continue
		}
		d.id, d.addrs = id.ID, addrs
		return nil
	}
}

// loopbackTCP returns "127.0.0.1:port" for a multiaddr that starts
// /ip4/127.0.0.1/tcp/<port> and is plain TCP (optionally /p2p/<id>).
func loopbackTCP(maddr string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(maddr, "/"), "/")
	if len(parts) < 4 || parts[0] != "ip4" || parts[1] != "127.0.0.1" || parts[2] != "tcp" || parts[3] == "" || parts[3] == "0" {
		return "", fmt.Errorf("not a loopback TCP address")
	}
	if rest := parts[4:]; len(rest) != 0 && (len(rest) != 2 || rest[0] != "p2p") {
		return "", fmt.Errorf("not a plain TCP address")
	}
	return "127.0.0.1:" + parts[3], nil
}

// PeerID is the daemon's libp2p peer ID.
func (d *Daemon) PeerID() string { return d.id }

// Addrs are the daemon's swarm addresses, loopback TCP with /p2p/<id>.
func (d *Daemon) Addrs() []string { return append([]string(nil), d.addrs...) }

// APIAddr is the multiaddr of the daemon's RPC API.
func (d *Daemon) APIAddr() string { return d.api }

// Repo is the daemon's IPFS_PATH.
func (d *Daemon) Repo() string { return d.repo }

// Log is the tail of the daemon's own output (stdout and stderr).
func (d *Daemon) Log() string { return d.log.String() }

// Version is `ipfs version --number`, e.g. "0.42.0".
func (d *Daemon) Version(ctx context.Context) (string, error) {
	out, err := d.runLocal(ctx, "version", "--number")
	return strings.TrimSpace(string(out)), err
}

// Connect dials a peer: `ipfs swarm connect <multiaddr with /p2p/>`.
func (d *Daemon) Connect(ctx context.Context, maddr string) error {
	_, err := d.run(ctx, nil, nil, "swarm", "connect", maddr)
	return err
}

// Peers lists the peer IDs the daemon is connected to.
func (d *Daemon) Peers(ctx context.Context) ([]string, error) {
	var out struct {
		Peers []struct{ Peer string }
	}
	if err := d.runJSON(ctx, &out, "swarm", "peers"); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(out.Peers))
	for _, p := range out.Peers {
		ids = append(ids, p.Peer)
	}
	return ids, nil
}

// addArgs make kubo build the DAG the project's store builds: CIDv1, raw
// leaves, sha2-256, 256 KiB chunks, balanced layout.
var addArgs = []string{"add", "--quiet", "--progress=false", "--cid-version=1", "--raw-leaves", "--chunker=" + chunker, "--hash=sha2-256"}

// Add adds the file at path (`ipfs add --cid-version=1 --raw-leaves
// --chunker=size-262144`) and returns its root CID.
func (d *Daemon) Add(ctx context.Context, path string) (string, error) {
	out, err := d.run(ctx, nil, nil, append(addArgs, "--", path)...)
	return lastLine(out), err
}

// AddReader is Add for content read from r (the CLI's standard input).
func (d *Daemon) AddReader(ctx context.Context, r io.Reader) (string, error) {
	out, err := d.run(ctx, r, nil, addArgs...)
	return lastLine(out), err
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// Cat fetches content (`ipfs cat`), from the network if need be.
func (d *Daemon) Cat(ctx context.Context, cid string) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := d.run(ctx, nil, &buf, "cat", "--", cid); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CatTo is Cat writing to w.
func (d *Daemon) CatTo(ctx context.Context, cid string, w io.Writer) error {
	_, err := d.run(ctx, nil, w, "cat", "--", cid)
	return err
}

// DagImport imports a CAR file (`ipfs dag import --stats`), pinning its
// roots, and returns the roots.
func (d *Daemon) DagImport(ctx context.Context, carPath string) ([]string, error) {
	out, err := d.run(ctx, nil, nil, "dag", "import", "--stats", "--pin-roots=true", "--enc=json", "--", carPath)
	if err != nil {
		return nil, err
	}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var ev struct {
			Root *struct {
				Cid struct {
					Slash string `json:"/"`
				}
				PinErrorMsg string
			}
		}
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("ipfs dag import: output %q: %w", out, err)
		}
		if ev.Root == nil {
			continue
		}
		if ev.Root.PinErrorMsg != "" {
			return nil, fmt.Errorf("ipfs dag import: root %s: %s", ev.Root.Cid.Slash, ev.Root.PinErrorMsg)
		}
		roots = append(roots, ev.Root.Cid.Slash)
	}
	return roots, nil
}

// DagExport writes the DAG under cid to w as a CARv1 (`ipfs dag export`).
func (d *Daemon) DagExport(ctx context.Context, cid string, w io.Writer) error {
	_, err := d.run(ctx, nil, w, "dag", "export", "--progress=false", "--", cid)
	return err
}

// Link is one entry of `ipfs ls`.
type Link struct {
	Name string
	CID  string
	Size uint64
}

// Ls lists the links of a UnixFS node (`ipfs ls`): a directory's entries, or
// a chunked file's chunks.
func (d *Daemon) Ls(ctx context.Context, cid string) ([]Link, error) {
	// `ipfs ls` prints text whatever --enc says: "<cid> <size> <name>".
	out, err := d.run(ctx, nil, nil, "ls", "--", cid)
	if err != nil {
		return nil, err
	}
	var links []Link
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) < 2 {
			return nil, fmt.Errorf("ipfs ls %s: unexpected line %q", cid, line)
		}
		l := Link{CID: f[0]}
		if f[1] != "-" {
			if l.Size, err = strconv.ParseUint(f[1], 10, 64); err != nil {
				return nil, fmt.Errorf("ipfs ls %s: unexpected line %q", cid, line)
			}
		}
		if len(f) == 3 {
			l.Name = strings.TrimSpace(f[2])
		}
		links = append(links, l)
	}
	return links, nil
}

// Stop kills the daemon, waits for it and removes its repository. It may be
// called more than once.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() {
		if d.cmd != nil && d.cmd.Process != nil {
			select {
			case <-d.exited:
			default:
				d.cmd.Process.Kill()
			}
			<-d.exited
		}
		d.stopErr = os.RemoveAll(d.repo)
	})
	return d.stopErr
}

// run calls the CLI against the daemon's API. Stdout goes to stdout, or is
// returned when stdout is nil.
func (d *Daemon) run(ctx context.Context, stdin io.Reader, stdout io.Writer, args ...string) ([]byte, error) {
	if d.api == "" {
		return nil, errors.New("kubo daemon not started")
	}
	return d.exec(ctx, stdin, stdout, append([]string{"--api=" + d.api}, args...)...)
}

func (d *Daemon) runJSON(ctx context.Context, v any, args ...string) error {
	out, err := d.run(ctx, nil, nil, append([]string{"--enc=json"}, args...)...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("ipfs %s: output %q: %w", strings.Join(args, " "), out, err)
	}
	return nil
}

// runLocal calls the CLI on the repository itself (init, version).
func (d *Daemon) runLocal(ctx context.Context, args ...string) ([]byte, error) {
	return d.exec(ctx, nil, nil, args...)
}

func (d *Daemon) exec(ctx context.Context, stdin io.Reader, stdout io.Writer, args ...string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCallTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = d.env
	cmd.Dir = d.repo
	cmd.Stdin = stdin
	var out bytes.Buffer
	stderr := &tailBuffer{max: 16 << 10}
	if stdout == nil {
		stdout = &out
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return out.Bytes(), fmt.Errorf("ipfs %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
