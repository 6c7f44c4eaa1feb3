package ipfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/ipfs/boxo/blockstore"
	dshelp "github.com/ipfs/boxo/datastore/dshelp"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

func openTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func randomBytes(n int, seed uint64) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func TestAddGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	sizes := []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17, (MaxLinksPerNode + 2) * ChunkSize} // the last needs a second tree level
	for _, n := range sizes {
		data := randomBytes(n, uint64(n))
		c, err := s.Add(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Add(%d bytes): %v", n, err)
		}
		if c.Version() != 1 || c.Prefix().MhType != mh.SHA2_256 {
			t.Errorf("Add(%d bytes) = %s: want CIDv1 sha2-256", n, c)
		}
		wantCodec := uint64(cid.DagProtobuf)
		if n <= ChunkSize {
			wantCodec = cid.Raw // a single raw leaf
		}
		if c.Type() != wantCodec {
			t.Errorf("Add(%d bytes) codec %x, want %x", n, c.Type(), wantCodec)
		}
		r, err := s.Get(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != uint64(n) {
			t.Errorf("Size = %d, want %d", r.Size(), n)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get(%d bytes): %d bytes back, err %v", n, len(got), err)
		}
	}
}

// TestRawLeafCID pins the addressing: content of one chunk or less is a
// single raw block whose CID any IPFS implementation derives the same way.
func TestRawLeafCID(t *testing.T) {
	s, _ := openTestStore(t)
	data := []byte("hello health wallet")
	c, err := s.Add(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	digest, _ := mh.Encode(sum[:], mh.SHA2_256)
	if want := cid.NewCidV1(cid.Raw, digest); !c.Equals(want) {
		t.Fatalf("CID %s, want %s", c, want)
	}
	if got := c.String(); got[:4] != "bafk" {
		t.Errorf("CID %s is not a base32 raw CIDv1", got)
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(2*ChunkSize+5, 1)
	c, err := s.Add(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Get(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, data) {
		t.Fatal("content changed across reopen")
	}
}

// TestCorruptBlockNotServed flips a stored block's bytes on disk: reading it
// reports the corruption instead of returning the bytes.
func TestCorruptBlockNotServed(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	data := randomBytes(3*ChunkSize, 2)
	root, err := s.Add(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Corrupt one leaf: the second chunk.
	leaf, err := s.Add(ctx, bytes.NewReader(data[ChunkSize:2*ChunkSize]))
	if err != nil {
		t.Fatal(err)
	}
	key := blockstore.BlockPrefix.Child(dshelp.MultihashToDsKey(leaf.Hash()))
	bad := bytes.Clone(data[ChunkSize : 2*ChunkSize])
	bad[100] ^= 1
	if err := s.datastore.Put(ctx, key, bad); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrCorruptBlock) {
		t.Fatalf("read of a corrupt DAG: err %v, want ErrCorruptBlock", err)
	}
	if bytes.Contains(got, bad[:200]) {
		t.Fatal("corrupt bytes were served")
	}
	if _, err := s.Get(ctx, leaf); err == nil {
		t.Fatal("Get of the corrupt leaf succeeded")
	}
}

func TestRemoveAndNotFound(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	root, err := s.Add(ctx, bytes.NewReader(randomBytes(5*ChunkSize, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, root); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has(ctx, root); ok {
		t.Fatal("root still present after Remove")
	}
	n := 0
	ch, _ := s.Blockstore().AllKeysChan(ctx)
	for range ch {
		n++
	}
	if n != 0 {
		t.Fatalf("%d blocks left after Remove", n)
	}
	if _, err := s.Get(ctx, root); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Remove = %v, want ErrNotFound", err)
	}
}

func BenchmarkAdd(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			s, err := OpenStore(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := randomBytes(size, 9)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				data[0], data[1] = byte(i), byte(i>>8) // new content each time
				i++
				if _, err := s.Add(context.Background(), bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			ctx := context.Background()
			s, err := OpenStore(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c, err := s.Add(ctx, bytes.NewReader(randomBytes(size, 10)))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				r, err := s.Get(ctx, c)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}
