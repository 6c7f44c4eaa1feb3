package ipfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	unixfsio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	pebbleds "github.com/ipfs/go-ds-pebble"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

// ErrNotFound is returned for content whose blocks are not in the store.
var ErrNotFound = errors.New("content not found")

// ErrCorruptBlock is returned when a block read from disk does not hash to its
// CID: the bytes are reported, never served.
var ErrCorruptBlock = errors.New("stored block does not match its content ID")

// cidBuilder is the one way this package addresses content: CIDv1, sha2-256.
var cidBuilder = cid.V1Builder{Codec: cid.DagProtobuf, MhType: mh.SHA2_256}

// Store is a persistent, local content store.
type Store struct {
	datastore  *pebbleds.Datastore
	blockstore blockstore.GCBlockstore
	blocks     blockservice.BlockService
	dag        ipld.DAGService
	pins       *pinSet
}

// OpenStore opens (creating if needed) the block store in dir, leaving
// DefaultMinFreeBytes of the disk free.
func OpenStore(dir string) (*Store, error) {
	return openStore(dir, DefaultMinFreeBytes)
}

func openStore(dir string, minFree uint64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create block store directory %s: %w", dir, err)
	}
	d, err := pebbleds.NewDatastore(dir, pebbleds.WithPebbleOpts(pebbleOptions()))
	if err != nil {
		return nil, fmt.Errorf("open block store %s: %w", dir, err)
	}
	// Ciphertext never repeats, so checking for a block before writing it
	// is wasted work: write through. Every read re-hashes the block; every
	// write is checked for size and hash function first.
	bs := blockstore.NewGCBlockstore(
		guardedBlockstore{
			Blockstore: &blockstore.ValidatingBlockstore{Blockstore: blockstore.NewBlockstore(d, blockstore.WriteThrough(true))},
			dir:        dir,
			minFree:    minFree,
			unflushed:  func() uint64 { return d.DB.Metrics().MemTable.Size },
		},
		blockstore.NewGCLocker())
	bsvc := blockservice.New(bs, nil, blockservice.WithAllowlist(allowlist))
	s := &Store{
		datastore:  d,
		blockstore: bs,
		blocks:     bsvc,
		dag:        merkledag.NewDAGService(bsvc),
	}
	pins, err := loadPins(context.Background(), d)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("open block store %s: %w", dir, err)
	}
	s.pins = pins
	return s, nil
}

// Blockstore exposes the underlying blockstore for the network layer.
func (s *Store) Blockstore() blockstore.Blockstore { return s.blockstore }

// Add chunks r into a balanced UnixFS DAG and returns its root CID. Blocks
// are written without fsync; call Sync before recording the CID anywhere
// durable.
func (s *Store) Add(ctx context.Context, r io.Reader) (cid.Cid, error) {
	return s.add(ctx, s.dag, r)
}

func (s *Store) add(ctx context.Context, dag ipld.DAGService, r io.Reader) (cid.Cid, error) {
	params := helpers.DagBuilderParams{
		Dagserv:    &contextDAG{ctx: ctx, DAGService: dag},
		Maxlinks:   MaxLinksPerNode,
		RawLeaves:  true,
		CidBuilder: cidBuilder,
	}
	db, err := params.New(chunker.NewSizeSplitter(r, ChunkSize))
	if err != nil {
		return cid.Undef, fmt.Errorf("add content: %w", err)
	}
	root, err := balanced.Layout(db)
	if err != nil {
		return cid.Undef, fmt.Errorf("add content: %w", err)
	}
	return root.Cid(), nil
}

// Get opens the content under root for reading. Every block is verified
// against its hash as it is read.
func (s *Store) Get(ctx context.Context, root cid.Cid) (Content, error) {
	return s.get(ctx, s.dag, root)
}

func (s *Store) get(ctx context.Context, dag ipld.NodeGetter, root cid.Cid) (Content, error) {
	nd, err := dag.Get(ctx, root)
	if err != nil {
		return nil, s.readError(root, err)
	}
	r, err := unixfsio.NewDagReader(ctx, nd, dag)
	if err != nil {
		return nil, fmt.Errorf("open content %s: %w", root, err)
	}
	return &content{DagReader: r, store: s, root: root, ctx: ctx}, nil
}

// Content is a readable, seekable stream of stored content.
type Content interface {
	io.ReadSeekCloser
	// Size is the content's length in bytes.
	Size() uint64
}

type content struct {
	unixfsio.DagReader
	store *Store
	root  cid.Cid
	ctx   context.Context
}

func (c *content) Read(p []byte) (int, error) {
	n, err := c.DagReader.Read(p)
	if err != nil && err != io.EOF {
		// The DAG reader's prefetch reports a bad or missing block only as
		// "failed to fetch all nodes"; find out which it was.
		if cause := c.store.check(c.ctx, c.root); cause != nil {
			err = cause
		}
		err = c.store.readError(c.root, err)
	}
	return n, err
}

// check reads every block of the DAG under root from the blockstore, which
// verifies each against its hash, and returns the first failure.
func (s *Store) check(ctx context.Context, root cid.Cid) error {
	return s.walk(ctx, root, true, func(cid.Cid, int, []byte) error { return nil })
}

func (s *Store) readError(root cid.Cid, err error) error {
	return fmt.Errorf("read %s: %w", root, classify(err))
}

// Has reports whether the root block of c is stored locally.
func (s *Store) Has(ctx context.Context, c cid.Cid) (bool, error) {
	return s.blockstore.Has(ctx, c)
}

// Remove deletes every block of the DAG under root. It exists to undo an Add
// whose record was never committed; blocks of committed records are released
// by unpinning and garbage collection instead.
func (s *Store) Remove(ctx context.Context, root cid.Cid) error {
	var walk func(c cid.Cid) error
	walk = func(c cid.Cid) error {
		if c.Type() == cid.DagProtobuf {
			nd, err := s.dag.Get(ctx, c)
			if err != nil && !ipld.IsNotFound(err) {
				return err
			}
			if nd != nil {
				for _, l := range nd.Links() {
					if err := walk(l.Cid); err != nil {
						return err
					}
				}
			}
		}
		return s.blockstore.DeleteBlock(ctx, c)
	}
	if err := walk(root); err != nil {
		return fmt.Errorf("remove %s: %w", root, err)
	}
	return nil
}

// Sync makes every block and pin written so far durable: one fsync of the
// write-ahead log. Writes before it are not synced, and nothing refers to a
// block (no pin, no catalog row) before a Sync, so a crash loses only
// unreferenced writes.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.datastore.Sync(ctx, blockstore.BlockPrefix); err != nil {
		return fmt.Errorf("sync block store: %w", err)
	}
	return nil
}

// Close flushes and closes the datastore.
func (s *Store) Close() error {
	if err := s.blocks.Close(); err != nil {
		return err
	}
	return s.datastore.Close()
}

// contextDAG passes the caller's context to a DAG service whose users (the
// UnixFS importer) do not take one.
type contextDAG struct {
	ctx context.Context
	ipld.DAGService
}

func (d *contextDAG) Add(_ context.Context, n ipld.Node) error {
	return d.DAGService.Add(d.ctx, n)
}

func (d *contextDAG) AddMany(_ context.Context, ns []ipld.Node) error {
	return d.DAGService.AddMany(d.ctx, ns)
}

// pebbleOptions tunes pebble for what it holds: values of up to 256 KiB of
// incompressible ciphertext, written once, read rarely.
func pebbleOptions() *pebble.Options {
	o := &pebble.Options{
		// Larger memtables flush less often: fewer, larger L0 files.
		MemTableSize:       64 << 20,
		FormatMajorVersion: pebble.FormatNewest,
	}
	// Ciphertext does not compress: spend no CPU trying.
	o.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	// Blocks go to blob files and stay there: compactions move keys and
	// small references, not the 256 KiB values (write amplification near 1).
	o.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{
			Enabled:               true,
			MinimumSize:           1024,
			MaxBlobReferenceDepth: 10,
			RewriteMinimumAge:     10 * time.Minute,
			TargetGarbageRatio:    0.2,
		}
	}
	return o
}
