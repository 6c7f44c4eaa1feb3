package ipfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
	"go.uber.org/goleak"
)

var loopback = []string{"/ip4/127.0.0.1/tcp/0"}

func startNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.ListenAddrs == nil && !cfg.Offline {
		cfg.ListenAddrs = loopback
	}
	n, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func connect(t *testing.T, from, to *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := from.Connect(ctx, to.Addrs()[0].String()); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, ctx context.Context, n *Node, c cid.Cid) []byte {
	t.Helper()
	r, err := n.Get(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTwoNodesFetch: content added on one node is fetched by another over
// loopback, byte for byte, on a private network and on an open one (QUIC).
func TestTwoNodesFetch(t *testing.T) {
	key, err := GenerateSwarmKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		key    []byte
		listen []string
	}{
		{"private network over TCP", key, loopback},
		{"open network over QUIC", nil, []string{"/ip4/127.0.0.1/udp/0/quic-v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startNode(t, Config{SwarmKey: tt.key, ListenAddrs: tt.listen})
			b := startNode(t, Config{SwarmKey: tt.key, ListenAddrs: tt.listen})
			connect(t, b, a)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for _, size := range []int{1 << 20, 5<<20 + 123} {
				data := randomBytes(size, uint64(size))
				c, err := a.Add(ctx, bytes.NewReader(data), nil)
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := b.Has(ctx, c); ok {
					t.Fatal("b has the content before fetching it")
				}
				var seen int64
				r, err := b.Get(ctx, c, func(n int64) { seen = n })
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("fetched %d bytes (err %v), want the %d added", len(got), err, size)
				}
				if seen != int64(size) {
					t.Errorf("progress ended at %d, want %d", seen, size)
				}
				if ok, _ := b.Has(ctx, c); !ok {
					t.Error("fetched content not kept")
				}
			}
		})
	}
}

// TestPrivateNetworkKeepsOutsidersOut: a node without the consortium's key,
// or with another key, cannot even connect.
func TestPrivateNetworkKeepsOutsidersOut(t *testing.T) {
	key, _ := GenerateSwarmKey()
	other, _ := GenerateSwarmKey()
	member := startNode(t, Config{SwarmKey: key})
	for name, k := range map[string][]byte{"no key": nil, "another key": other} {
		t.Run(name, func(t *testing.T) {
			outsider := startNode(t, Config{SwarmKey: k})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := outsider.Connect(ctx, member.Addrs()[0].String()); err == nil {
				t.Fatal("an outsider connected to the private network")
			}
		})
	}
	if _, err := New(context.Background(), Config{DataDir: t.TempDir(), SwarmKey: key,
		ListenAddrs: []string{"/ip4/127.0.0.1/udp/0/quic-v1"}}); err == nil {
		t.Fatal("a keyed node listened on QUIC")
	}
	if _, err := ParseSwarmKey([]byte("not a key")); !errors.Is(err, ErrBadSwarmKey) {
		t.Fatalf("ParseSwarmKey(garbage) = %v", err)
	}
}

func TestGetUnavailableEndsAtDeadline(t *testing.T) {
	a := startNode(t, Config{})
	b := startNode(t, Config{})
	connect(t, b, a)
	missing, err := cid.V1Builder{Codec: cid.Raw, MhType: mh.SHA2_256}.Sum([]byte("nobody has this"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err = b.Get(ctx, missing, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get of content nobody has = %v, want ErrUnavailable", err)
	}
}

func TestRefusesBadCIDsAndBlocks(t *testing.T) {
	n := startNode(t, Config{Offline: true})
	ctx := context.Background()
	ident, _ := cid.V1Builder{Codec: cid.Raw, MhType: mh.IDENTITY}.Sum([]byte("inline data"))
	if _, err := n.Get(ctx, ident, nil); !errors.Is(err, ErrRefusedCID) {
		t.Errorf("Get(identity CID) = %v, want ErrRefusedCID", err)
	}
	weak, _ := cid.V1Builder{Codec: cid.Raw, MhType: mh.SHA1}.Sum([]byte("sha1"))
	if _, err := n.Get(ctx, weak, nil); !errors.Is(err, ErrRefusedCID) {
		t.Errorf("Get(sha1 CID) = %v, want ErrRefusedCID", err)
	}
	big := make([]byte, MaxBlockSize+1)
	c, _ := cid.V1Builder{Codec: cid.Raw, MhType: mh.SHA2_256}.Sum(big)
	blk, _ := blocks.NewBlockWithCid(big, c)
	if err := n.blockstore.Put(ctx, blk); !errors.Is(err, ErrBlockTooLarge) {
		t.Errorf("Put of an oversized block = %v, want ErrBlockTooLarge", err)
	}
}

// TestPinsGCAndRestart: pins survive a restart, GC removes only what no pin
// reaches, and a peer can pin content it fetches (a clinic node holding a
// patient's records).
func TestPinsGCAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := New(ctx, Config{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	kept := randomBytes(3*ChunkSize, 1)
	dropped := randomBytes(3*ChunkSize, 2)
	ck, _ := n.Add(ctx, bytes.NewReader(kept), nil)
	cd, _ := n.Add(ctx, bytes.NewReader(dropped), nil)
	if err := n.Pin(ctx, ck, "record:kept"); err != nil {
		t.Fatal(err)
	}
	if err := n.Pin(ctx, cd, "record:dropped"); err != nil {
		t.Fatal(err)
	}
	if err := n.Unpin(ctx, cd); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n, err = New(ctx, Config{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if pins := n.Pins(); len(pins) != 1 || pins[ck] != "record:kept" {
		t.Fatalf("pins after restart = %v", pins)
	}
	before, _ := n.Stat(ctx)
	res, err := n.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocks != 4 { // three leaves and a root
		t.Errorf("GC removed %d blocks, want 4", res.Blocks)
	}
	after, _ := n.Stat(ctx)
	if after.Blocks != before.Blocks-4 || after.BlockBytes >= before.BlockBytes {
		t.Errorf("stat before %+v after %+v", before, after)
	}
	if got := readAll(t, ctx, n, ck); !bytes.Equal(got, kept) {
		t.Error("pinned content damaged by GC")
	}
	if _, err := n.Get(ctx, cd, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unpinned content after GC: %v", err)
	}

	// A clinic node pins what a patient's node holds.
	patient := startNode(t, Config{})
	clinic := startNode(t, Config{})
	connect(t, clinic, patient)
	data := randomBytes(2*ChunkSize+9, 3)
	c, _ := patient.Add(ctx, bytes.NewReader(data), nil)
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := clinic.Pin(pctx, c, "patient:x"); err != nil {
		t.Fatal(err)
	}
	if _, err := clinic.GC(ctx); err != nil {
		t.Fatal(err)
	}
	patient.Close() // the patient's laptop goes off
	if got := readAll(t, ctx, clinic, c); !bytes.Equal(got, data) {
		t.Error("clinic lost the pinned content")
	}
}

func TestSecondInstanceRefused(t *testing.T) {
	dir := t.TempDir()
	startNode(t, Config{DataDir: dir, Offline: true})
	if _, err := New(context.Background(), Config{DataDir: dir, Offline: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second New on the same directory = %v, want ErrLocked", err)
	}
}

func TestDeviceKeyIsStable(t *testing.T) {
	dir := t.TempDir()
	a, err := New(context.Background(), Config{DataDir: dir, ListenAddrs: loopback})
	if err != nil {
		t.Fatal(err)
	}
	id := a.PeerID()
	a.Close()
	b := startNode(t, Config{DataDir: dir})
	if b.PeerID() != id {
		t.Fatalf("peer ID changed across restart: %s then %s", id, b.PeerID())
	}
}

// TestCloseLeavesNoGoroutine runs two online nodes through a fetch and
// closes them: nothing they started may still run.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx := context.Background()
	key, _ := GenerateSwarmKey()
	a, err := New(ctx, Config{DataDir: t.TempDir(), ListenAddrs: loopback, SwarmKey: key})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, Config{DataDir: t.TempDir(), ListenAddrs: loopback, SwarmKey: key, Peers: []string{a.Addrs()[0].String()}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := a.Add(ctx, bytes.NewReader(randomBytes(ChunkSize*2, 4)), nil)
	gctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r, err := b.Get(gctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r)
	r.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
}

var benchSizes = []int{1 << 20, 100 << 20}

// BenchmarkNodeAdd adds fresh content to an online node.
func BenchmarkNodeAdd(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(byteSize(size), func(b *testing.B) {
			n, err := New(context.Background(), Config{DataDir: b.TempDir(), ListenAddrs: loopback})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			data := randomBytes(size, 1)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				i++
				freshen(data, i)
				if _, err := n.Add(context.Background(), bytes.NewReader(data), nil); err != nil {
					b.Fatal(err)
				}
				// Durable, as kubo's add (flatfs syncs every block) is.
				if err := n.Sync(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNodeFetch fetches fresh content from one node to another over
// loopback TCP (the private-network transport).
func BenchmarkNodeFetch(b *testing.B) {
	key, _ := GenerateSwarmKey()
	for _, size := range benchSizes {
		b.Run(byteSize(size), func(b *testing.B) {
			ctx := context.Background()
			src, err := New(ctx, Config{DataDir: b.TempDir(), ListenAddrs: loopback, SwarmKey: key})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			dst, err := New(ctx, Config{DataDir: b.TempDir(), ListenAddrs: loopback, SwarmKey: key})
			if err != nil {
				b.Fatal(err)
			}
			defer dst.Close()
			if err := dst.Connect(ctx, src.Addrs()[0].String()); err != nil {
				b.Fatal(err)
			}
			data := randomBytes(size, 2)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				freshen(data, i)
				c, err := src.Add(ctx, bytes.NewReader(data), nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				r, err := dst.Get(ctx, c, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}

// freshen writes the iteration number into every chunk, so no block of one
// iteration's content was seen in an earlier one.
func freshen(data []byte, i int) {
	for off := 0; off < len(data); off += ChunkSize {
		data[off], data[off+1], data[off+2] = byte(i), byte(i>>8), byte(i>>16)
	}
}
