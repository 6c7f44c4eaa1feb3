package ipfs_test

// Interoperability with kubo, the reference IPFS implementation, on loopback
// only. Every test and benchmark here skips unless a kubo binary is found:
// `make kubo` builds one, `make interop` builds it and runs these tests.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/internal/kubo"
	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/ipfs/go-cid"
)

// interopTimeout bounds each test's network steps; everything is on
// loopback, so reaching it means something is stuck.
const interopTimeout = 2 * time.Minute

// kuboOrSkip returns the kubo binary, or skips the test saying how to get one.
func kuboOrSkip(tb testing.TB) string {
	tb.Helper()
	bin, err := kubo.Find()
	if errors.Is(err, kubo.ErrNoKubo) {
		tb.Skipf("interop with kubo skipped: %v (`make kubo` builds kubo %s; `make interop` runs these tests)", err, kubo.Version)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// interopNode starts one of our nodes listening on loopback TCP only.
func interopNode(tb testing.TB, swarmKey []byte) *ipfs.Node {
	tb.Helper()
	n, err := ipfs.New(tb.Context(), ipfs.Config{
		DataDir:     tb.TempDir(),
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"},
		SwarmKey:    swarmKey,
	})
	if err != nil {
		tb.Fatalf("start our node: %v", err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("close our node: %v", err)
		}
	})
	return n
}

// loopbackAddr is the node's 127.0.0.1 TCP address with /p2p/<id>.
func loopbackAddr(tb testing.TB, n *ipfs.Node) string {
	tb.Helper()
	for _, a := range n.Addrs() {
		if s := a.String(); strings.HasPrefix(s, "/ip4/127.0.0.1/tcp/") {
			return s
		}
	}
	tb.Fatalf("our node has no loopback TCP address: %v", n.Addrs())
	return ""
}

func interopSwarmKey(tb testing.TB) []byte {
	tb.Helper()
	key, err := ipfs.GenerateSwarmKey()
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// interopRandom is n fresh random bytes: nothing any node has seen.
func interopRandom(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// interopSizes are the contents sent across: exactly 1 MiB (four full
// chunks) and about 5 MiB (a short last chunk).
var interopSizes = []int{1 << 20, 5<<20 + 12345}

func sizeName(n int) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	default:
		return strconv.Itoa(n) + "B"
	}
}

// sameBytes fails the test unless got is want, byte for byte, saying how
// they differ without printing megabytes.
func sameBytes(tb testing.TB, what string, got, want []byte) {
	tb.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	tb.Fatalf("%s: got %d bytes (sha256 %x), want %d (sha256 %x); first difference at byte %d",
		what, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want), i)
}

func ourGet(ctx context.Context, tb testing.TB, n *ipfs.Node, c cid.Cid) []byte {
	tb.Helper()
	content, err := n.Get(ctx, c, nil)
	if err != nil {
		tb.Fatalf("our Get %s: %v", c, err)
	}
	defer content.Close()
	got, err := io.ReadAll(content)
	if err != nil {
		tb.Fatalf("our Get %s: read: %v", c, err)
	}
	if content.Size() != uint64(len(got)) {
		tb.Errorf("our Get %s: Size() = %d, read %d bytes", c, content.Size(), len(got))
	}
	return got
}

// (a) Content our node adds, kubo fetches over bitswap, both on one private
// network; our node dials kubo.
func TestInteropKuboFetchesFromUs(t *testing.T) {
	bin := kuboOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	key := interopSwarmKey(t)
	k := kubo.StartT(t, kubo.Options{Binary: bin, SwarmKey: key})
	n := interopNode(t, key)
	if err := n.Connect(ctx, k.Addrs()[0]); err != nil {
		t.Fatalf("our node dials kubo: %v\nkubo log:\n%s", err, k.Log())
	}
	for _, size := range interopSizes {
		t.Run(sizeName(size), func(t *testing.T) {
			data := interopRandom(size)
			c, err := n.Add(ctx, bytes.NewReader(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.Cat(ctx, c.String())
			if err != nil {
				t.Fatalf("kubo cat %s: %v", c, err)
			}
			sameBytes(t, "kubo cat of our content", got, data)
		})
	}
}

// (b) Content kubo adds, our node fetches over bitswap, both on one private
// network; kubo dials our node.
func TestInteropWeFetchFromKubo(t *testing.T) {
	bin := kuboOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	key := interopSwarmKey(t)
	k := kubo.StartT(t, kubo.Options{Binary: bin, SwarmKey: key})
	n := interopNode(t, key)
	if err := k.Connect(ctx, loopbackAddr(t, n)); err != nil {
		t.Fatalf("kubo dials our node: %v", err)
	}
	for _, size := range interopSizes {
		t.Run(sizeName(size), func(t *testing.T) {
			data := interopRandom(size)
			s, err := k.AddReader(ctx, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			c, err := cid.Decode(s)
			if err != nil {
				t.Fatalf("kubo's CID %q: %v", s, err)
			}
			sameBytes(t, "our Get of kubo's content", ourGet(ctx, t, n, c), data)
		})
	}
}

// (c) The same bytes get the same CID from kubo's `ipfs add --cid-version=1
// --raw-leaves` (256 KiB chunks) as from our Add: one raw leaf, chunk
// boundaries, a short last chunk, and more than one tree level (over 174
// chunks).
func TestInteropSameCID(t *testing.T) {
	bin := kuboOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	k := kubo.StartT(t, kubo.Options{Binary: bin})
	n, err := ipfs.New(ctx, ipfs.Config{DataDir: t.TempDir(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })

	const chunk = ipfs.ChunkSize
	sizes := []int{1, chunk - 1, chunk, chunk + 1, 1 << 20, 5<<20 + 12345,
		ipfs.MaxLinksPerNode * chunk, ipfs.MaxLinksPerNode*chunk + 1}
	for _, size := range sizes {
		t.Run(sizeName(size), func(t *testing.T) {
			data := interopRandom(size)
			ours, err := n.Add(ctx, bytes.NewReader(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "data")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			theirs, err := k.Add(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if theirs != ours.String() {
				t.Fatalf("%d bytes: kubo add gives %s, our Add %s", size, theirs, ours)
			}
		})
	}
}

// (d) The private network holds: a node without the swarm key, or with
// another one, cannot connect to kubo with it, either way round; one with
// it can.
func TestInteropPrivateNetwork(t *testing.T) {
	bin := kuboOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	key := interopSwarmKey(t)
	k := kubo.StartT(t, kubo.Options{Binary: bin, SwarmKey: key})

	refused := func(t *testing.T, n *ipfs.Node) {
		t.Helper()
		dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
		defer dcancel()
		if err := n.Connect(dctx, k.Addrs()[0]); err == nil {
			t.Fatal("our node connected to kubo's private network")
		} else {
			t.Logf("our node dials kubo: %v", err)
		}
		if err := k.Connect(dctx, loopbackAddr(t, n)); err == nil {
			t.Fatal("kubo on the private network connected to our node")
		} else {
			t.Logf("kubo dials our node: %v", err)
		}
		peers, err := k.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(peers, n.PeerID().String()) {
			t.Fatalf("kubo lists our node %s among its peers", n.PeerID())
		}
	}
	t.Run("no key", func(t *testing.T) { refused(t, interopNode(t, nil)) })
	t.Run("other key", func(t *testing.T) { refused(t, interopNode(t, interopSwarmKey(t))) })
	t.Run("same key", func(t *testing.T) {
		n := interopNode(t, key)
		if err := n.Connect(ctx, k.Addrs()[0]); err != nil {
			t.Fatalf("our node with the key dials kubo: %v", err)
		}
		peers, err := k.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(peers, n.PeerID().String()) {
			t.Fatalf("kubo's peers %q lack our node %s", peers, n.PeerID())
		}
	})
}

// (e) CAR files both ways: one our node writes (WriteCAR) imports into kubo
// (`ipfs dag import`) with the same root, and kubo, connected to no one,
// lists (`ipfs ls`) and serves the content from it; one kubo writes (`ipfs
// dag export`) imports into our store (ReadCAR) with the same root and the
// same bytes.
func TestInteropCAR(t *testing.T) {
	bin := kuboOrSkip(t)
	ctx, cancel := context.WithTimeout(t.Context(), interopTimeout)
	defer cancel()
	k := kubo.StartT(t, kubo.Options{Binary: bin})
	newStore := func(t *testing.T) *ipfs.Node {
		n, err := ipfs.New(ctx, ipfs.Config{DataDir: t.TempDir(), Offline: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}

	t.Run("ours into kubo", func(t *testing.T) {
		n := newStore(t)
		data := interopRandom(5<<20 + 12345)
		root, err := n.Add(ctx, bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "ours.car")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.WriteCAR(ctx, f, root, nil); err != nil {
			f.Close()
			t.Fatalf("WriteCAR: %v", err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		roots, err := k.DagImport(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(roots, []string{root.String()}) {
			t.Fatalf("kubo dag import roots %q, want [%s]", roots, root)
		}
		links, err := k.Ls(ctx, root.String())
		if err != nil {
			t.Fatal(err)
		}
		var total uint64
		for _, l := range links {
			total += l.Size
		}
		if want := (len(data) + ipfs.ChunkSize - 1) / ipfs.ChunkSize; len(links) != want || total != uint64(len(data)) {
			t.Fatalf("kubo ls %s: %d chunks, %d bytes; want %d chunks, %d bytes", root, len(links), total, want, len(data))
		}
		got, err := k.Cat(ctx, root.String())
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "kubo cat of the imported CAR", got, data)
	})

	t.Run("kubo into ours", func(t *testing.T) {
		n := newStore(t)
		data := interopRandom(5<<20 + 12345)
		s, err := k.AddReader(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var car bytes.Buffer
		if err := k.DagExport(ctx, s, &car); err != nil {
			t.Fatal(err)
		}
		roots, err := n.ReadCAR(ctx, &car, nil)
		if err != nil {
			t.Fatalf("ReadCAR of kubo's dag export: %v", err)
		}
		if len(roots) != 1 || roots[0].String() != s {
			t.Fatalf("ReadCAR roots %v, want [%s]", roots, s)
		}
		sameBytes(t, "our Get of kubo's CAR", ourGet(ctx, t, n, roots[0]), data)
	})
}

// kuboBenchSizes are the kubo benchmarks' contents.
var kuboBenchSizes = []int{1 << 20, 100 << 20}

// freshContent makes data new content: a counter at the start of every
// chunk changes every block, so no node has any of them.
func freshContent(data []byte, i uint64) {
	for off := 0; off < len(data); off += ipfs.ChunkSize {
		binary.LittleEndian.PutUint64(data[off:], i)
	}
}

// BenchmarkKuboAdd is kubo's add with our DAG parameters, for comparison
// with BenchmarkAdd: "cli" is `ipfs add` (a process per call, content piped
// to it, as a user would run it), "http" is the daemon's /api/v0/add.
func BenchmarkKuboAdd(b *testing.B) {
	bin := kuboOrSkip(b)
	for _, via := range []string{"cli", "http"} {
		for _, size := range kuboBenchSizes {
			b.Run(via+"/"+sizeName(size), func(b *testing.B) {
				k := kubo.StartT(b, kubo.Options{Binary: bin})
				ctx := b.Context()
				add := k.AddReader
				if via == "http" {
					add = k.AddHTTP
				}
				data := interopRandom(size)
				b.SetBytes(int64(size))
				var i uint64
				for b.Loop() {
					b.StopTimer()
					i++
					freshContent(data, i)
					b.StartTimer()
					if _, err := add(ctx, bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkKuboFetch is a kubo-to-kubo fetch over bitswap on loopback, for
// comparison with our node-to-node fetch: two connected daemons on one
// private network (as our nodes run), fresh content added to the first
// (untimed), fetched by the second with `ipfs cat` ("cli") or /api/v0/cat
// ("http").
func BenchmarkKuboFetch(b *testing.B) {
	bin := kuboOrSkip(b)
	key := interopSwarmKey(b)
	for _, via := range []string{"cli", "http"} {
		for _, size := range kuboBenchSizes {
			b.Run(via+"/"+sizeName(size), func(b *testing.B) {
				ctx := b.Context()
				src := kubo.StartT(b, kubo.Options{Binary: bin, SwarmKey: key})
				dst := kubo.StartT(b, kubo.Options{Binary: bin, SwarmKey: key})
				if err := dst.Connect(ctx, src.Addrs()[0]); err != nil {
					b.Fatal(err)
				}
				cat := dst.CatTo
				if via == "http" {
					cat = dst.CatHTTP
				}
				data := interopRandom(size)
				var got countingWriter
				b.SetBytes(int64(size))
				var i uint64
				for b.Loop() {
					b.StopTimer()
					i++
					freshContent(data, i)
					c, err := src.AddHTTP(ctx, bytes.NewReader(data))
					if err != nil {
						b.Fatal(err)
					}
					got = 0
					b.StartTimer()
					if err := cat(ctx, c, &got); err != nil {
						b.Fatal(err)
					}
					if int(got) != size {
						b.Fatalf("fetched %d bytes, want %d", got, size)
					}
				}
			})
		}
	}
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// BenchmarkInteropFetch is a bitswap fetch over loopback on one private
// network between each pairing of our node and kubo, every block fresh each
// iteration (a counter in every chunk), so nothing is fetched from a cache:
// "ours-ours" is the like-for-like figure for BenchmarkKuboFetch/http,
// "kubo-ours" our node fetching from kubo, "ours-kubo" kubo fetching from
// our node (through its HTTP API, as BenchmarkKuboFetch/http).
func BenchmarkInteropFetch(b *testing.B) {
	bin := kuboOrSkip(b)
	key := interopSwarmKey(b)
	type peer struct {
		add     func(context.Context, []byte) (string, error)
		fetch   func(context.Context, string) (int64, error)
		connect func(context.Context, string) error
		addr    string
	}
	ours := func(b *testing.B) peer {
		n := interopNode(b, key)
		return peer{
			add: func(ctx context.Context, data []byte) (string, error) {
				c, err := n.Add(ctx, bytes.NewReader(data), nil)
				return c.String(), err
			},
			fetch: func(ctx context.Context, s string) (int64, error) {
				c, err := cid.Decode(s)
				if err != nil {
					return 0, err
				}
				r, err := n.Get(ctx, c, nil)
				if err != nil {
					return 0, err
				}
				defer r.Close()
				return io.Copy(io.Discard, r)
			},
			connect: n.Connect,
			addr:    loopbackAddr(b, n),
		}
	}
	theirs := func(b *testing.B) peer {
		k := kubo.StartT(b, kubo.Options{Binary: bin, SwarmKey: key})
		return peer{
			add: func(ctx context.Context, data []byte) (string, error) {
				return k.AddHTTP(ctx, bytes.NewReader(data))
			},
			fetch: func(ctx context.Context, s string) (int64, error) {
				var w countingWriter
				err := k.CatHTTP(ctx, s, &w)
				return int64(w), err
			},
			connect: k.Connect,
			addr:    k.Addrs()[0],
		}
	}
	pairs := []struct {
		name     string
		src, dst func(*testing.B) peer
	}{
		{"ours-ours", ours, ours},
		{"kubo-ours", theirs, ours},
		{"ours-kubo", ours, theirs},
	}
	for _, p := range pairs {
		for _, size := range kuboBenchSizes {
			b.Run(p.name+"/"+sizeName(size), func(b *testing.B) {
				ctx := b.Context()
				src, dst := p.src(b), p.dst(b)
				if err := dst.connect(ctx, src.addr); err != nil {
					b.Fatal(err)
				}
				data := interopRandom(size)
				b.SetBytes(int64(size))
				var i uint64
				for b.Loop() {
					b.StopTimer()
					i++
					freshContent(data, i)
					c, err := src.add(ctx, data)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					n, err := dst.fetch(ctx, c)
					if err != nil {
						b.Fatal(err)
					}
					if n != int64(size) {
						b.Fatalf("fetched %d bytes, want %d", n, size)
					}
				}
			})
		}
	}
}
