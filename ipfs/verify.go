package ipfs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/verifcid"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// ErrRefusedCID is returned for CIDs whose hash we do not accept: identity
// "hashes" (the data inline, nothing to verify) and weak or unknown ones.
var ErrRefusedCID = errors.New("content ID uses a hash this node does not accept")

// ErrBlockTooLarge is returned for a block over MaxBlockSize.
var ErrBlockTooLarge = errors.New("block too large")

// allowlist holds the cryptographic hashes standard IPFS peers use.
var allowlist = verifcid.NewAllowlist(map[uint64]bool{
	mh.SHA2_256:         true,
	mh.SHA2_512:         true,
	mh.SHA3_256:         true,
	mh.SHA3_512:         true,
	mh.BLAKE2B_MIN + 31: true, // blake2b-256
	mh.BLAKE3:           true,
})

func validateCID(c cid.Cid) error {
	if !c.Defined() {
		return fmt.Errorf("%w: empty content ID", ErrRefusedCID)
	}
	if err := verifcid.ValidateCid(allowlist, c); err != nil {
		return fmt.Errorf("%s: %w: %v", c, ErrRefusedCID, err)
	}
	return nil
}

// ErrDiskFull is returned when storing more would leave the disk too full
// for the datastore to keep working safely.
var ErrDiskFull = errors.New("not enough free disk space")

// guardedBlockstore refuses, before they reach disk, blocks that are too
// large or whose CID we do not accept, and any block at all when the disk is
// nearly full: pebble, like most LSM stores, crashes rather than returning
// an error when it cannot write its log, so we stop well before that.
// Reads are verified by the ValidatingBlockstore beneath.
type guardedBlockstore struct {
	blockstore.Blockstore
	dir     string
	minFree uint64
	// unflushed is what the datastore holds in memory, bound for the disk.
	unflushed func() uint64
}

// nearFull is how close to the reserve the check starts counting what is
// still in memory (asking the datastore costs more than a statfs).
const nearFull = 512 << 20

func (g guardedBlockstore) checkSpace(n int) error {
	free, err := freeBytes(g.dir)
	if err != nil {
		return nil // cannot tell: let the write decide
	}
	if free < g.minFree+uint64(n)+nearFull && g.unflushed != nil {
		if u := g.unflushed(); u < free {
			free -= u
		} else {
			free = 0
		}
	}
	if free < g.minFree+uint64(n) {
		return fmt.Errorf("%w in %s: %d MiB left, Health Wallet keeps %d MiB free", ErrDiskFull, g.dir, free>>20, g.minFree>>20)
	}
	return nil
}

func guardBlock(b blocks.Block) error {
	if err := validateCID(b.Cid()); err != nil {
		return err
	}
	if n := len(b.RawData()); n > MaxBlockSize {
		return fmt.Errorf("block %s is %d bytes: %w (limit %d)", b.Cid(), n, ErrBlockTooLarge, MaxBlockSize)
	}
	return nil
}

func (g guardedBlockstore) Put(ctx context.Context, b blocks.Block) error {
	if err := guardBlock(b); err != nil {
		return err
	}
	if err := g.checkSpace(len(b.RawData())); err != nil {
		return err
	}
	return g.Blockstore.Put(ctx, b)
}

func (g guardedBlockstore) PutMany(ctx context.Context, bs []blocks.Block) error {
	total := 0
	for _, b := range bs {
		if err := guardBlock(b); err != nil {
			return err
		}
		total += len(b.RawData())
	}
	if err := g.checkSpace(total); err != nil {
		return err
	}
	return g.Blockstore.PutMany(ctx, bs)
}
