package ipfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	unixfsio "github.com/ipfs/boxo/ipld/unixfs/io"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	mh "github.com/multiformats/go-multihash"

	"github.com/healthwallet/healthwallet/internal/kubo"
)

func newCARStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := OpenStore(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func carBytes(n int, seed uint64) []byte {
	var key [32]byte
	key[0], key[1], key[2] = byte(seed), byte(seed>>8), 0xca
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func mustAdd(tb testing.TB, s *Store, data []byte) cid.Cid {
	tb.Helper()
	c, err := s.Add(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// carBlocks parses a CAR with go-car, trusting nothing: its roots and its
// blocks in order.
func carBlocks(tb testing.TB, car []byte) ([]cid.Cid, []blocks.Block) {
	tb.Helper()
	br, err := carv2.NewBlockReader(bytes.NewReader(car))
	if err != nil {
		tb.Fatal(err)
	}
	if br.Version != 1 {
		tb.Fatalf("CAR version %d, want 1", br.Version)
	}
	var out []blocks.Block
	for {
		b, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return br.Roots, out
}

// carSectionEnds returns the offset of the end of the header and of each
// section: every place a CAR can be cut between blocks.
func carSectionEnds(tb testing.TB, car []byte) []int64 {
	tb.Helper()
	br, err := carv2.NewBlockReader(bytes.NewReader(car))
	if err != nil {
		tb.Fatal(err)
	}
	var ends []int64
	for {
		m, err := br.SkipNext()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		ends = append(ends, int64(m.SourceOffset)) // start of this section = end of the previous one
	}
	return append(ends, int64(len(car)))
}

// testDAG adds files of several sizes to s, in a directory with a nested
// one, and returns the root, the files by path and the directories.
func testDAG(tb testing.TB, s *Store) (root cid.Cid, files map[string][]byte, cids map[string]cid.Cid) {
	tb.Helper()
	ctx := context.Background()
	files = map[string][]byte{
		"empty":        {},
		"one":          {42},
		"chunk-plus-1": carBytes(ChunkSize+1, 1),
		"two-levels":   carBytes((MaxLinksPerNode+2)*ChunkSize, 2),
		"sub/small":    carBytes(1000, 3),
		"sub/three":    carBytes(3*ChunkSize, 4),
	}
	cids = map[string]cid.Cid{}
	top, sub := map[string]cid.Cid{}, map[string]cid.Cid{}
	for name, data := range files {
		c := mustAdd(tb, s, data)
		cids[name] = c
		if rest, ok := strings.CutPrefix(name, "sub/"); ok {
			sub[rest] = c
		} else {
			top[name] = c
		}
	}
	subDir, err := s.PutDirectory(ctx, sub)
	if err != nil {
		tb.Fatal(err)
	}
	cids["sub"] = subDir
	top["sub"] = subDir
	root, err = s.PutDirectory(ctx, top)
	if err != nil {
		tb.Fatal(err)
	}
	return root, files, cids
}

func writeCAR(tb testing.TB, s *Store, root cid.Cid) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := s.WriteCAR(context.Background(), &buf, root, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestCARRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newCARStore(t)
	root, files, cids := testDAG(t, src)

	// Each file alone, then the whole tree.
	roots := []cid.Cid{root}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		roots = append(roots, cids[name])
	}
	for _, r := range roots {
		var buf bytes.Buffer
		var reported int64
		if err := src.WriteCAR(ctx, &buf, r, func(n int64) { reported = n }); err != nil {
			t.Fatal(err)
		}
		car := buf.Bytes()
		gotRoots, blks := carBlocks(t, car)
		if !slices.Equal(gotRoots, []cid.Cid{r}) {
			t.Fatalf("CAR roots %v, want [%s]", gotRoots, r)
		}
		if !blks[0].Cid().Equals(r) {
			t.Errorf("first block %s, want the root %s", blks[0].Cid(), r)
		}
		seen := map[cid.Cid]bool{}
		for _, b := range blks {
			if seen[b.Cid()] {
				t.Errorf("block %s written twice", b.Cid())
			}
			seen[b.Cid()] = true
		}
		if reported != int64(len(blks)) {
			t.Errorf("progress reported %d blocks, CAR holds %d", reported, len(blks))
		}
		n, size, err := src.StatCAR(ctx, r)
		if err != nil || n != int64(len(blks)) || size != int64(len(car)) {
			t.Errorf("StatCAR = %d blocks, %d bytes, %v; CAR has %d blocks, %d bytes", n, size, err, len(blks), len(car))
		}
		if again := writeCAR(t, src, r); !bytes.Equal(again, car) {
			t.Errorf("second CAR of %s differs from the first", r)
		}

		dst := newCARStore(t)
		var read int64
		imported, err := dst.ReadCAR(ctx, bytes.NewReader(car), func(n int64) { read = n })
		if err != nil {
			t.Fatalf("ReadCAR of %s: %v", r, err)
		}
		if !slices.Equal(imported, []cid.Cid{r}) || read != int64(len(blks)) {
			t.Fatalf("ReadCAR = %v after %d blocks; want [%s] after %d", imported, read, r, len(blks))
		}
		if err := dst.CheckDAG(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.Equals(root) {
			for name, data := range files {
				got := carReadAll(t, dst, cids[name])
				if !bytes.Equal(got, data) {
					t.Errorf("%s: %d bytes back, want %d", name, len(got), len(data))
				}
			}
			entries, err := dst.ReadDirectory(ctx, root)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]cid.Cid{"empty": cids["empty"], "one": cids["one"], "chunk-plus-1": cids["chunk-plus-1"], "two-levels": cids["two-levels"], "sub": cids["sub"]}
			if len(entries) != len(want) {
				t.Fatalf("root directory %v, want %v", entries, want)
			}
			for k, v := range want {
				if !entries[k].Equals(v) {
					t.Errorf("root directory entry %q = %s, want %s", k, entries[k], v)
				}
			}
		}
	}
}

func carReadAll(tb testing.TB, s *Store, c cid.Cid) []byte {
	tb.Helper()
	r, err := s.Get(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestWriteCARMissingBlock(t *testing.T) {
	ctx := context.Background()
	s := newCARStore(t)
	data := carBytes(3*ChunkSize, 5)
	root := mustAdd(t, s, data)
	leaf := mustAdd(t, s, data[ChunkSize:2*ChunkSize])
	if err := s.blockstore.DeleteBlock(ctx, leaf); err != nil {
		t.Fatal(err)
	}
	err := s.WriteCAR(ctx, io.Discard, root, nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), leaf.String()) {
		t.Fatalf("WriteCAR with a missing block = %v, want ErrNotFound naming %s", err, leaf)
	}
	if err := s.CheckDAG(ctx, root); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CheckDAG with a missing block = %v", err)
	}
}

// TestReadCARTamperedBlock flips one bit of the second block's bytes.
func TestReadCARTamperedBlock(t *testing.T) {
	src := newCARStore(t)
	root := mustAdd(t, src, carBytes(3*ChunkSize, 6))
	car := writeCAR(t, src, root)
	_, blks := carBlocks(t, car)
	i := bytes.Index(car, blks[1].RawData())
	if i < 0 {
		t.Fatal("block bytes not found in the CAR")
	}
	bad := bytes.Clone(car)
	bad[i+len(blks[1].RawData())/2] ^= 1
	_, err := newCARStore(t).ReadCAR(context.Background(), bytes.NewReader(bad), nil)
	if !errors.Is(err, ErrBadCAR) || !strings.Contains(err.Error(), "block 2 ") || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("ReadCAR of a tampered CAR = %v, want ErrBadCAR naming block 2", err)
	}
}

// craftCAR writes a CARv1 of the given blocks as they are, CIDs unchecked.
func craftCAR(tb testing.TB, roots []cid.Cid, blks ...blocks.Block) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := storage.NewWritable(struct{ io.Writer }{&buf}, roots,
		carv2.WriteAsCarV1(true), carv2.AllowDuplicatePuts(true), carv2.StoreIdentityCIDs(true), carv2.MaxIndexCidSize(1<<20))
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range blks {
		if err := w.Put(context.Background(), b.Cid().KeyString(), b.RawData()); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

func blockWith(tb testing.TB, codec uint64, hash uint64, data []byte) blocks.Block {
	tb.Helper()
	c, err := cid.Prefix{Version: 1, Codec: codec, MhType: hash, MhLength: -1}.Sum(data)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := blocks.NewBlockWithCid(data, c)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestReadCARRefuses(t *testing.T) {
	good := blockWith(t, cid.Raw, mh.SHA2_256, []byte("fine"))
	other := blockWith(t, cid.Raw, mh.SHA2_256, []byte("other"))
	wrongHash, _ := blocks.NewBlockWithCid([]byte("not what the CID says"), other.Cid())
	sha512Block := blockWith(t, cid.Raw, mh.SHA2_512, []byte("a strong hash, but not ours"))
	identity := blockWith(t, cid.Raw, mh.IDENTITY, []byte("inline"))
	cbor := blockWith(t, cid.DagCBOR, mh.SHA2_256, []byte{0xa0})
	badPB := blockWith(t, cid.DagProtobuf, mh.SHA2_256, []byte{0xff, 0xff, 0xff})
	huge := blockWith(t, cid.Raw, mh.SHA2_256, carBytes(MaxBlockSize+1, 7))
	truncDigest, _ := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_256, MhLength: 20}.Sum([]byte("short digest"))
	shortBlock, _ := blocks.NewBlockWithCid([]byte("short digest"), truncDigest)
	manyRoots := make([]cid.Cid, 300)
	for i := range manyRoots {
		manyRoots[i] = good.Cid()
	}
	v1 := craftCAR(t, []cid.Cid{good.Cid()}, good)
	v2 := wrapV2(t, v1)

	tests := []struct {
		name string
		car  []byte
		want []string
	}{
		{"wrong hash", craftCAR(t, []cid.Cid{other.Cid()}, good, wrongHash), []string{"block 2 ", "does not match"}},
		{"sha2-512", craftCAR(t, []cid.Cid{good.Cid()}, good, sha512Block), []string{"block 2 ", "not sha2-256"}},
		{"identity block", craftCAR(t, []cid.Cid{good.Cid()}, identity, good), []string{"block 1 ", "not sha2-256"}},
		{"truncated digest", craftCAR(t, []cid.Cid{good.Cid()}, good, shortBlock), []string{"block 2 ", "not sha2-256"}},
		{"dag-cbor", craftCAR(t, []cid.Cid{good.Cid()}, good, cbor), []string{"block 2 ", "neither raw nor dag-pb"}},
		{"bad dag-pb", craftCAR(t, []cid.Cid{badPB.Cid()}, badPB), []string{"block 1 ", "dag-pb"}},
		{"too large", craftCAR(t, []cid.Cid{good.Cid()}, good, huge), []string{"block 2", "too large"}},
		{"identity root", craftCAR(t, []cid.Cid{identity.Cid()}, good), []string{"root 1"}},
		{"no root", craftCAR(t, nil, good), []string{"no root"}},
		{"root not in the CAR", craftCAR(t, []cid.Cid{other.Cid()}, good), []string{"incomplete", other.Cid().String()}},
		// Blocks are stored by multihash: raw bytes must not pass for a
		// dag-pb root of the same hash.
		{"raw bytes as a dag-pb root", craftCAR(t, []cid.Cid{cid.NewCidV1(cid.DagProtobuf, good.Cid().Hash())}, good), []string{"not a valid dag-pb node"}},
		{"header too large", craftCAR(t, manyRoots, good), []string{"header"}},
		{"CARv2", v2, []string{"version 2"}},
		{"empty", nil, []string{"header"}},
		{"garbage", []byte("this is not a CAR file at all, just some text"), []string{"header"}},
		{"zero-length section", append(bytes.Clone(v1), 0), []string{"block 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCARStore(t)
			roots, err := s.ReadCAR(context.Background(), bytes.NewReader(tt.car), nil)
			if !errors.Is(err, ErrBadCAR) {
				t.Fatalf("ReadCAR = %v, %v; want ErrBadCAR", roots, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func wrapV2(tb testing.TB, v1 []byte) []byte {
	tb.Helper()
	dir := tb.TempDir()
	src, dst := filepath.Join(dir, "v1.car"), filepath.Join(dir, "v2.car")
	if err := os.WriteFile(src, v1, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := carv2.WrapV1File(src, dst); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestReadCARTruncated cuts a CAR everywhere that matters: inside the
// header, at every block boundary (each a well-formed but incomplete CAR)
// and inside blocks.
func TestReadCARTruncated(t *testing.T) {
	ctx := context.Background()
	src := newCARStore(t)
	sub, err := src.PutDirectory(ctx, map[string]cid.Cid{"c": mustAdd(t, src, carBytes(2*ChunkSize, 20))})
	if err != nil {
		t.Fatal(err)
	}
	root, err := src.PutDirectory(ctx, map[string]cid.Cid{
		"a":   mustAdd(t, src, carBytes(3*ChunkSize+1, 21)),
		"b":   mustAdd(t, src, []byte("small")),
		"sub": sub,
	})
	if err != nil {
		t.Fatal(err)
	}
	car := writeCAR(t, src, root)
	ends := carSectionEnds(t, car)
	cuts := []int64{0, 1, ends[0] - 1}
	for i, e := range ends[:len(ends)-1] {
		// A boundary; inside the length, the CID, the data.
		cuts = append(cuts, e, e+1, e+20, (e+ends[i+1])/2)
	}
	cuts = append(cuts, int64(len(car))-1)
	for _, cut := range cuts {
		s := newCARStore(t)
		_, err := s.ReadCAR(ctx, bytes.NewReader(car[:cut]), nil)
		if !errors.Is(err, ErrBadCAR) {
			t.Fatalf("CAR cut at %d of %d: ReadCAR = %v, want ErrBadCAR", cut, len(car), err)
		}
	}
	t.Logf("%d cuts of a %d-byte CAR of %d blocks refused", len(cuts), len(car), len(ends)-1)
}

// TestPutDirectoryMatchesBoxo: PutDirectory gives the CID boxo's
// unixfs/io.NewDirectory gives for the same entries (block-size estimation,
// kubo's 256 KiB threshold and 256-way shards), as a single node and as a
// HAMT, and ReadDirectory gives the entries back.
func TestPutDirectoryMatchesBoxo(t *testing.T) {
	ctx := context.Background()
	s := newCARStore(t)
	for _, n := range []int{0, 3, 6000} {
		entries := map[string]cid.Cid{}
		for i := range n {
			data := fmt.Appendf(nil, "entry %d", i)
			if i%500 == 0 {
				data = carBytes(ChunkSize+i, uint64(i)) // a dag-pb file
			}
			entries[fmt.Sprintf("r%06x", i*7919)] = mustAdd(t, s, data)
		}
		got, err := s.PutDirectory(ctx, entries)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := unixfsio.NewDirectory(s.dag, unixfsio.WithCidBuilder(cidBuilder),
			unixfsio.WithSizeEstimationMode(unixfsio.SizeEstimationBlock), unixfsio.WithMaxHAMTFanout(256))
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range entries {
			nd, err := s.dag.Get(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if err := dir.AddChild(ctx, name, nd); err != nil {
				t.Fatal(err)
			}
		}
		nd, err := dir.GetNode()
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equals(nd.Cid()) {
			t.Errorf("%d entries: PutDirectory %s, boxo NewDirectory %s", n, got, nd.Cid())
		}
		fsn, err := unixfs.FSNodeFromBytes(nd.(*merkledag.ProtoNode).Data())
		if err != nil {
			t.Fatal(err)
		}
		if sharded := fsn.Type() == unixfs.THAMTShard; sharded != (n > 5000) {
			t.Errorf("%d entries: sharded = %v", n, sharded)
		}
		back, err := s.ReadDirectory(ctx, got)
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != len(entries) {
			t.Fatalf("ReadDirectory: %d entries, want %d", len(back), len(entries))
		}
		for name, c := range entries {
			if !back[name].Equals(c) {
				t.Fatalf("ReadDirectory[%q] = %s, want %s", name, back[name], c)
			}
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "nul\x00", strings.Repeat("x", MaxEntryNameSize+1), "\xff"} {
		if _, err := s.PutDirectory(ctx, map[string]cid.Cid{bad: mustAdd(t, s, []byte("x"))}); err == nil {
			t.Errorf("PutDirectory accepted the name %q", bad)
		}
	}
	missing := blockWith(t, cid.Raw, mh.SHA2_256, []byte("never stored")).Cid()
	if _, err := s.PutDirectory(ctx, map[string]cid.Cid{"gone": missing}); !errors.Is(err, ErrNotFound) {
		t.Errorf("PutDirectory of a missing entry = %v, want ErrNotFound", err)
	}
	if _, err := s.ReadDirectory(ctx, mustAdd(t, s, carBytes(2*ChunkSize, 9))); err == nil {
		t.Error("ReadDirectory of a file succeeded")
	}
}

// TestCARLargeDirectory: 12,000 entries become a HAMT whose blocks all stay
// well under 1 MiB, and the CAR carries it whole.
func TestCARLargeDirectory(t *testing.T) {
	ctx := context.Background()
	src := newCARStore(t)
	const n = 12000
	entries := make(map[string]cid.Cid, n)
	for i := range n {
		entries[fmt.Sprintf("%024x", sha256.Sum256(fmt.Append(nil, i)))[:24]] = mustAdd(t, src, fmt.Appendf(nil, "ciphertext %d", i))
	}
	records, err := src.PutDirectory(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	root, err := src.PutDirectory(ctx, map[string]cid.Cid{"records": records, "README.txt": mustAdd(t, src, []byte("hello\n"))})
	if err != nil {
		t.Fatal(err)
	}
	car := writeCAR(t, src, root)
	_, blks := carBlocks(t, car)
	largest := 0
	for _, b := range blks {
		largest = max(largest, len(b.RawData()))
	}
	if largest >= 1<<20 {
		t.Errorf("largest block %d bytes, want < 1 MiB", largest)
	}
	if len(blks) < n+3 {
		t.Errorf("%d blocks, want at least %d", len(blks), n+3)
	}
	dst := newCARStore(t)
	if _, err := dst.ReadCAR(ctx, bytes.NewReader(car), nil); err != nil {
		t.Fatal(err)
	}
	back, err := dst.ReadDirectory(ctx, records)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != n {
		t.Fatalf("%d entries back, want %d", len(back), n)
	}
	t.Logf("%d entries: CAR of %d bytes, %d blocks, largest %d bytes", n, len(car), len(blks), largest)
}

// TestCARKuboImport: kubo imports our CAR (`ipfs dag import`) with the same
// root and lists the directories (`ipfs ls`), sharded or not, and serves a
// file from it. It skips without a kubo binary (`make kubo`).
func TestCARKuboImport(t *testing.T) {
	bin, err := kubo.Find()
	if errors.Is(err, kubo.ErrNoKubo) {
		t.Skipf("kubo not found (%v): `make kubo` builds it", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	s := newCARStore(t)
	file := carBytes(3*ChunkSize+5, 11)
	fileCID := mustAdd(t, s, file)
	entries := map[string]cid.Cid{}
	for i := range 5000 {
		entries[fmt.Sprintf("rec%05d", i)] = mustAdd(t, s, fmt.Appendf(nil, "record %d", i))
	}
	records, err := s.PutDirectory(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	readme := mustAdd(t, s, []byte("read me\n"))
	root, err := s.PutDirectory(ctx, map[string]cid.Cid{"README.txt": readme, "file.bin": fileCID, "records": records})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dag.car")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteCAR(ctx, f, root, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	k := kubo.StartT(t, kubo.Options{Binary: bin})
	roots, err := k.DagImport(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(roots, []string{root.String()}) {
		t.Fatalf("kubo dag import roots %q, want [%s]", roots, root)
	}
	top, err := k.Ls(ctx, root.String())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range top {
		names = append(names, strings.TrimSuffix(l.Name, "/")) // kubo marks directories
	}
	if !slices.Equal(names, []string{"README.txt", "file.bin", "records"}) {
		t.Fatalf("kubo ls %s: %v", root, top)
	}
	recs, err := k.Ls(ctx, records.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(entries) {
		t.Fatalf("kubo ls of the sharded records directory: %d entries, want %d", len(recs), len(entries))
	}
	for _, l := range recs {
		if c, ok := entries[l.Name]; !ok || c.String() != l.CID {
			t.Fatalf("kubo ls entry %+v: want %s", l, c)
		}
	}
	got, err := k.Cat(ctx, root.String()+"/file.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, file) {
		t.Fatalf("kubo cat: %d bytes, want %d", len(got), len(file))
	}
}

// FuzzReadCAR: no input makes ReadCAR panic or allocate without bound, and
// whatever it accepts is complete in the store.
func FuzzReadCAR(f *testing.F) {
	seed := newCARStore(f)
	root := mustAdd(f, seed, carBytes(2*ChunkSize+3, 12))
	dir, err := seed.PutDirectory(context.Background(), map[string]cid.Cid{"a": root, "b": mustAdd(f, seed, []byte("b"))})
	if err != nil {
		f.Fatal(err)
	}
	car := writeCAR(f, seed, dir)
	f.Add(car)
	f.Add(car[:len(car)/2])
	f.Add(writeCAR(f, seed, mustAdd(f, seed, []byte("tiny"))))
	good := blockWith(f, cid.Raw, mh.SHA2_256, []byte("x"))
	f.Add(craftCAR(f, []cid.Cid{good.Cid()}, good, blockWith(f, cid.Raw, mh.IDENTITY, []byte("id"))))
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x01})

	s := newCARStore(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		roots, err := s.ReadCAR(ctx, bytes.NewReader(data), nil)
		if err != nil {
			if !errors.Is(err, ErrBadCAR) {
				t.Fatalf("error not ErrBadCAR: %v", err)
			}
			return
		}
		if len(roots) == 0 {
			t.Fatal("accepted a CAR without roots")
		}
		for _, r := range roots {
			if err := s.CheckDAG(ctx, r); err != nil {
				t.Fatalf("accepted CAR's root %s is incomplete: %v", r, err)
			}
		}
	})
}

func BenchmarkWriteCAR(b *testing.B) {
	ctx := context.Background()
	s := newCARStore(b)
	root := mustAdd(b, s, carBytes(64<<20, 13))
	_, size, err := s.StatCAR(ctx, root)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		if err := s.WriteCAR(ctx, io.Discard, root, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCAR(b *testing.B) {
	ctx := context.Background()
	src := newCARStore(b)
	car := writeCAR(b, src, mustAdd(b, src, carBytes(64<<20, 14)))
	dst := newCARStore(b)
	b.SetBytes(int64(len(car)))
	for b.Loop() {
		if _, err := dst.ReadCAR(ctx, bytes.NewReader(car), nil); err != nil {
			b.Fatal(err)
		}
	}
}
