package ipfs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/ipld/unixfs/hamt"
	unixfsio "github.com/ipfs/boxo/ipld/unixfs/io"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	mh "github.com/multiformats/go-multihash"
)

// CAR files (https://ipld.io/specs/transport/car/carv1/) carry whole DAGs
// between stores: WriteCAR streams the DAG under one root as a CARv1 that
// `ipfs dag import` takes as it is, and ReadCAR imports one, checking every
// block against its CID. Directories (PutDirectory, ReadDirectory) are plain
// UnixFS, so `ipfs ls` lists what a CAR's root holds.
//
// Bounds on CAR input, besides MaxBlockSize. They are this package's, not
// the CAR format's: a reader refuses anything outside them before allocating
// for it.
const (
	// MaxCARHeaderSize bounds a CAR header (its roots, in DAG-CBOR). One
	// root takes about 40 bytes.
	MaxCARHeaderSize = 8 << 10

	// maxCIDSize bounds a block's CID in a CAR section; a CIDv1 sha2-256 is
	// 36 bytes.
	maxCIDSize = 64

	// MaxDirectoryEntries bounds the entries ReadDirectory returns.
	MaxDirectoryEntries = 1 << 20

	// MaxEntryNameSize bounds a directory entry's name, as file systems do.
	MaxEntryNameSize = 255

	// dirShardingSize and dirShardWidth are kubo's defaults: a directory
	// whose dag-pb block would exceed 256 KiB becomes a HAMT of 256-way
	// shards. Fixed here, not read from boxo's globals, so a directory's
	// CID never depends on another package's settings.
	dirShardingSize = 256 << 10
	dirShardWidth   = 256

	// carBatchBlocks and carBatchBytes bound the blocks ReadCAR holds in
	// memory before writing them to the blockstore.
	carBatchBlocks = 256
	carBatchBytes  = 8 << 20
)

// ErrBadCAR is returned by ReadCAR for input that is not an acceptable CAR:
// malformed, truncated, with a block that does not match its CID, or outside
// the bounds above.
var ErrBadCAR = errors.New("invalid CAR file")

// WriteCAR writes the DAG under root to w as a CARv1 with root as its single
// root. Every block appears once, parents before children, children in link
// order (depth first), so the same DAG always gives the same bytes. Blocks
// are streamed from the store as they are written: memory holds the CIDs
// seen so far, not the blocks. progress, if not nil, is called after each
// block with the number written.
//
// Every block is verified against its CID as it is read; a missing or corrupt
// block fails the write (ErrNotFound, ErrCorruptBlock), and what was written
// to w by then must be discarded.
func (s *Store) WriteCAR(ctx context.Context, w io.Writer, root cid.Cid, progress func(blocks int64)) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	// bufio.Writer is no io.WriterAt, so go-car streams rather than seeks.
	car, err := storage.NewWritable(bw, []cid.Cid{root}, carv2.WriteAsCarV1(true), carv2.UseWholeCIDs(true))
	if err != nil {
		return fmt.Errorf("write CAR: %w", err)
	}
	var n int64
	err = s.walk(ctx, root, true, func(c cid.Cid, _ int, data []byte) error {
		if err := car.Put(ctx, c.KeyString(), data); err != nil {
			return err
		}
		n++
		if progress != nil {
			progress(n)
		}
		return nil
	})
	if err == nil {
		err = car.Finalize()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("write CAR of %s: %w", root, err)
	}
	return nil
}

// StatCAR returns the number of blocks WriteCAR would write for root and the
// exact size in bytes of the CAR. It reads the DAG's inner nodes, not its
// leaves.
func (s *Store) StatCAR(ctx context.Context, root cid.Cid) (blocks, size int64, err error) {
	var header countingWriter
	if _, err := storage.NewWritable(&header, []cid.Cid{root}, carv2.WriteAsCarV1(true)); err != nil {
		return 0, 0, fmt.Errorf("size CAR: %w", err)
	}
	size = header.n
	err = s.walk(ctx, root, false, func(c cid.Cid, n int, _ []byte) error {
		section := uint64(c.ByteLen() + n)
		size += int64(uvarintSize(section) + section)
		blocks++
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("size CAR of %s: %w", root, err)
	}
	return blocks, size, nil
}

// CheckDAG reports whether every block of the DAG under root is in the
// store, verifying the inner nodes' hashes on the way. A missing block gives
// an error wrapping ErrNotFound that names it.
func (s *Store) CheckDAG(ctx context.Context, root cid.Cid) error {
	err := s.walk(ctx, root, false, func(cid.Cid, int, []byte) error { return nil })
	if err != nil {
		return fmt.Errorf("check %s: %w", root, err)
	}
	return nil
}

// walk visits every block of the DAG under root once, depth first: a node
// before its children, children in link order. With rawData false, raw
// leaves are not read: visit gets their size and nil data.
func (s *Store) walk(ctx context.Context, root cid.Cid, rawData bool, visit func(c cid.Cid, size int, data []byte) error) error {
	seen := make(map[string]struct{})
	stack := []cid.Cid{root}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := seen[c.KeyString()]; ok {
			continue
		}
		seen[c.KeyString()] = struct{}{}
		switch c.Type() {
		case cid.Raw:
			if !rawData {
				n, err := s.blockstore.GetSize(ctx, c)
				if err != nil {
					return blockError(c, err)
				}
				if err := visit(c, n, nil); err != nil {
					return err
				}
				continue
			}
			blk, err := s.blockstore.Get(ctx, c)
			if err != nil {
				return blockError(c, err)
			}
			if err := visit(c, len(blk.RawData()), blk.RawData()); err != nil {
				return err
			}
		case cid.DagProtobuf:
			blk, err := s.blockstore.Get(ctx, c)
			if err != nil {
				return blockError(c, err)
			}
			nd, err := merkledag.DecodeProtobuf(blk.RawData())
			if err != nil {
				// Blocks are stored by multihash: a raw block's bytes can
				// answer for a dag-pb CID with the same hash.
				return fmt.Errorf("block %s: %w: %v", c, errMalformedNode, err)
			}
			if err := visit(c, len(blk.RawData()), blk.RawData()); err != nil {
				return err
			}
			links := nd.Links()
			for i := len(links) - 1; i >= 0; i-- {
				stack = append(stack, links[i].Cid)
			}
		default:
			return fmt.Errorf("block %s: codec 0x%x is neither raw nor dag-pb", c, c.Type())
		}
	}
	return nil
}

// errMalformedNode is returned by walk for a dag-pb block that does not
// decode.
var errMalformedNode = errors.New("not a valid dag-pb node")

func blockError(c cid.Cid, err error) error {
	return fmt.Errorf("block %s: %w", c, classify(err))
}

// classify names a block-level failure by the sentinel callers branch on.
func classify(err error) error {
	switch {
	case errors.Is(err, blockstore.ErrHashMismatch):
		return ErrCorruptBlock
	case ipld.IsNotFound(err):
		return ErrNotFound
	default:
		return err
	}
}

// ReadCAR imports every block of a CARv1 into the store and returns its
// roots. Each block is checked before it is stored: its CID must be CIDv0
// or CIDv1, raw or dag-pb, sha2-256 (identity and other hashes are
// refused), its bytes must hash to the CID, dag-pb blocks must decode, and
// none may exceed MaxBlockSize. The CAR must name at least one root and
// hold, with what the store already has, the whole DAG under every root: a
// CAR cut short at a block boundary is refused too. Errors wrap ErrBadCAR
// and name the block by its position in the file, counting from 1.
//
// Memory stays bounded whatever the input: the header is read only up to
// MaxCARHeaderSize, and a section is allocated only once its length is known
// to be within bounds. progress, if not nil, is called after each block with
// the number read.
//
// Like Add, blocks are written without fsync and unpinned: hold PinLock from
// ReadCAR until the roots are pinned, and call Sync before recording them
// anywhere durable. On error the blocks already written stay in the store
// unreferenced (nothing pins or names them) until the next GC removes them;
// callers must record nothing about the CAR's roots then.
func (s *Store) ReadCAR(ctx context.Context, r io.Reader, progress func(blocks int64)) (roots []cid.Cid, err error) {
	in := bufio.NewReaderSize(r, 64<<10)
	maxSection := uint64(maxCIDSize + MaxBlockSize)
	br, err := carv2.NewBlockReader(in,
		carv2.MaxAllowedHeaderSize(MaxCARHeaderSize),
		carv2.MaxAllowedSectionSize(maxSection),
		carv2.WithTrustedCAR(true)) // hashes are checked below, with the CID checks
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: header: %w", ErrBadCAR, err)
	}
	if br.Version != 1 {
		return nil, fmt.Errorf("%w: CAR version %d, want 1", ErrBadCAR, br.Version)
	}
	if len(br.Roots) == 0 {
		return nil, fmt.Errorf("%w: the header names no root", ErrBadCAR)
	}
	for i, root := range br.Roots {
		if err := acceptCARCID(root); err != nil {
			return nil, fmt.Errorf("%w: root %d (%s): %w", ErrBadCAR, i+1, root, err)
		}
	}

	batch := make([]blocks.Block, 0, carBatchBlocks)
	batchBytes := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.blockstore.PutMany(ctx, batch); err != nil {
			return fmt.Errorf("import CAR: %w", err)
		}
		clear(batch)
		batch, batchBytes = batch[:0], 0
		return nil
	}
	var n int64
	for i := int64(1); ; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Say plainly when a section is too large, before go-car refuses it.
		if head, _ := in.Peek(binary.MaxVarintLen64); len(head) > 0 {
			if size, k := binary.Uvarint(head); k > 0 && size > maxSection {
				return nil, fmt.Errorf("%w: block %d: section of %d bytes: %w (limit %d)", ErrBadCAR, i, size, ErrBlockTooLarge, MaxBlockSize)
			}
		}
		blk, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %w", ErrBadCAR, i, err)
		}
		if err := verifyCARBlock(blk); err != nil {
			return nil, fmt.Errorf("%w: block %d (%s): %w", ErrBadCAR, i, blk.Cid(), err)
		}
		batch = append(batch, blk)
		batchBytes += len(blk.RawData())
		if len(batch) >= carBatchBlocks || batchBytes >= carBatchBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		n = i
		if progress != nil {
			progress(n)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for _, root := range br.Roots {
		if err := s.CheckDAG(ctx, root); err != nil {
			switch {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case errors.Is(err, ErrNotFound):
				return nil, fmt.Errorf("%w: incomplete after %d blocks (truncated?): %w", ErrBadCAR, n, err)
			case errors.Is(err, errMalformedNode), errors.Is(err, ErrCorruptBlock):
				return nil, fmt.Errorf("%w: %w", ErrBadCAR, err)
			}
			return nil, fmt.Errorf("import CAR: %w", err)
		}
	}
	return br.Roots, nil
}

// acceptCARCID admits the CIDs this store addresses content by.
func acceptCARCID(c cid.Cid) error {
	p := c.Prefix()
	if p.Version != 0 && p.Version != 1 {
		return fmt.Errorf("%w: CID version %d", ErrRefusedCID, p.Version)
	}
	if p.Codec != cid.Raw && p.Codec != cid.DagProtobuf {
		return fmt.Errorf("%w: codec 0x%x is neither raw nor dag-pb", ErrRefusedCID, p.Codec)
	}
	if p.MhType != mh.SHA2_256 || p.MhLength != sha256.Size {
		return fmt.Errorf("%w: hash 0x%x (%d bytes) is not sha2-256", ErrRefusedCID, p.MhType, p.MhLength)
	}
	return nil
}

// verifyCARBlock verifies a block read from a CAR.
func verifyCARBlock(blk blocks.Block) error {
	c, data := blk.Cid(), blk.RawData()
	if err := acceptCARCID(c); err != nil {
		return err
	}
	if len(data) > MaxBlockSize {
		return fmt.Errorf("%w: %d bytes, over the limit of %d", ErrBlockTooLarge, len(data), MaxBlockSize)
	}
	sum := sha256.Sum256(data)
	if h := c.Hash(); !bytes.Equal(h[len(h)-sha256.Size:], sum[:]) {
		return errors.New("content does not match its CID")
	}
	if c.Type() == cid.DagProtobuf {
		if _, err := merkledag.DecodeProtobuf(data); err != nil {
			return fmt.Errorf("not valid dag-pb: %w", err)
		}
	}
	return nil
}

// PutDirectory stores a UnixFS directory whose entries link, by name, to
// content already in the store (files from Add, directories from
// PutDirectory), and returns its CID. The directory is one dag-pb node while
// that node stays within 256 KiB, and a HAMT of 256-way shards beyond, as
// kubo makes them (boxo's unixfs/io NewDirectory with block-size
// estimation); no block of it exceeds 1 MiB. Links carry the linked DAG's
// cumulative size. The same entries always give the same CID.
//
// Names must be non-empty UTF-8 of at most MaxEntryNameSize bytes, without
// '/' or NUL, and not "." or "..". Like Add, blocks are written without
// fsync and unpinned.
func (s *Store) PutDirectory(ctx context.Context, entries map[string]cid.Cid) (cid.Cid, error) {
	names := make([]string, 0, len(entries))
	for name := range entries {
		if err := checkEntryName(name); err != nil {
			return cid.Undef, fmt.Errorf("directory entry %q: %w", name, err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	links := make([]*ipld.Link, len(names))
	for i, name := range names {
		if err := ctx.Err(); err != nil {
			return cid.Undef, err
		}
		l, err := s.linkTo(ctx, name, entries[name])
		if err != nil {
			return cid.Undef, fmt.Errorf("directory entry %q: %w", name, err)
		}
		links[i] = l
	}

	dag := &contextDAG{ctx: ctx, DAGService: s.dag}
	dir := unixfs.EmptyDirNode()
	if err := dir.SetCidBuilder(cidBuilder); err != nil {
		return cid.Undef, err
	}
	for _, l := range links {
		if err := dir.AddRawLink(l.Name, l); err != nil {
			return cid.Undef, err
		}
	}
	encoded, err := dir.EncodeProtobuf(false)
	if err != nil {
		return cid.Undef, err
	}
	if len(encoded) <= dirShardingSize {
		if err := dag.Add(ctx, dir); err != nil {
			return cid.Undef, fmt.Errorf("store directory: %w", err)
		}
		return dir.Cid(), nil
	}
	shard, err := hamt.NewShard(dag, dirShardWidth)
	if err != nil {
		return cid.Undef, err
	}
	shard.SetCidBuilder(cidBuilder)
	for _, l := range links {
		if err := shard.SetLink(ctx, l.Name, l); err != nil {
			return cid.Undef, fmt.Errorf("directory entry %q: %w", l.Name, err)
		}
	}
	nd, err := shard.Node() // stores every shard
	if err != nil {
		return cid.Undef, fmt.Errorf("store directory: %w", err)
	}
	return nd.Cid(), nil
}

// linkTo makes a directory link to stored content, with its cumulative size.
func (s *Store) linkTo(ctx context.Context, name string, c cid.Cid) (*ipld.Link, error) {
	if err := acceptCARCID(c); err != nil {
		return nil, err
	}
	var size uint64
	switch c.Type() {
	case cid.Raw:
		n, err := s.blockstore.GetSize(ctx, c)
		if err != nil {
			return nil, blockError(c, err)
		}
		size = uint64(n)
	default:
		nd, err := s.dag.Get(ctx, c)
		if err != nil {
			return nil, blockError(c, err)
		}
		if size, err = nd.Size(); err != nil {
			return nil, err
		}
	}
	return &ipld.Link{Name: name, Cid: c, Size: size}, nil
}

func checkEntryName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return errors.New("not a valid name")
	case len(name) > MaxEntryNameSize:
		return fmt.Errorf("name longer than %d bytes", MaxEntryNameSize)
	case strings.ContainsAny(name, "/\x00"):
		return errors.New("name contains '/' or NUL")
	case !utf8.ValidString(name):
		return errors.New("name is not UTF-8")
	}
	return nil
}

// ReadDirectory returns the entries of the UnixFS directory dir (a single
// node or a HAMT), name → CID. It refuses anything that is not a directory
// and directories of more than MaxDirectoryEntries entries.
func (s *Store) ReadDirectory(ctx context.Context, dir cid.Cid) (map[string]cid.Cid, error) {
	if dir.Type() != cid.DagProtobuf {
		return nil, fmt.Errorf("read directory %s: not a directory", dir)
	}
	nd, err := s.dag.Get(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", dir, blockError(dir, err))
	}
	d, err := unixfsio.NewDirectoryFromNode(s.dag, nd)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", dir, err)
	}
	out := make(map[string]cid.Cid)
	err = d.ForEachLink(ctx, func(l *ipld.Link) error {
		if len(out) >= MaxDirectoryEntries {
			return fmt.Errorf("more than %d entries", MaxDirectoryEntries)
		}
		if _, dup := out[l.Name]; dup {
			return fmt.Errorf("entry %q appears twice", l.Name)
		}
		out[l.Name] = l.Cid
		return nil
	})
	if err != nil {
		if ipld.IsNotFound(err) {
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, fmt.Errorf("read directory %s: %w", dir, err)
	}
	return out, nil
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func uvarintSize(x uint64) uint64 {
	n := uint64(1)
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
