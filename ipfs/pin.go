package ipfs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	ipld "github.com/ipfs/go-ipld-format"
)

// Pins are recursive: a pinned root keeps every block reachable from it.
// They live in the datastore beside the blocks, under /pins/<cid>, the
// value a label saying who pinned it (a wallet record, a clinic's quota).
var pinPrefix = datastore.NewKey("/pins")

type pinSet struct {
	mu   sync.Mutex
	ds   datastore.Datastore
	pins map[cid.Cid]string
}

func loadPins(ctx context.Context, ds datastore.Datastore) (*pinSet, error) {
	res, err := ds.Query(ctx, query.Query{Prefix: pinPrefix.String()})
	if err != nil {
		return nil, fmt.Errorf("read pins: %w", err)
	}
	defer res.Close()
	p := &pinSet{ds: ds, pins: map[cid.Cid]string{}}
	for r := range res.Next() {
		if r.Error != nil {
			return nil, fmt.Errorf("read pins: %w", r.Error)
		}
		c, err := cid.Decode(datastore.NewKey(r.Key).BaseNamespace())
		if err != nil {
			return nil, fmt.Errorf("read pins: bad key %q: %w", r.Key, err)
		}
		p.pins[c] = string(r.Value)
	}
	return p, nil
}

// PinLock keeps GC from running until the returned unlocker is called:
// hold it from an Add until the content is pinned.
func (s *Store) PinLock(ctx context.Context) blockstore.Unlocker {
	return s.blockstore.PinLock(ctx)
}

// Pin keeps the content under c, and everything it links to, through GC
// and restarts. Every block must be local; Node.Pin fetches missing ones.
func (s *Store) Pin(ctx context.Context, c cid.Cid, label string) error {
	return s.pin(ctx, s.dag, c, label)
}

func (s *Store) pin(ctx context.Context, dag ipld.DAGService, c cid.Cid, label string) error {
	if err := validateCID(c); err != nil {
		return err
	}
	if err := merkledag.FetchGraph(ctx, c, dag); err != nil {
		return fmt.Errorf("pin %s: %w", c, s.readError(c, err))
	}
	s.pins.mu.Lock()
	defer s.pins.mu.Unlock()
	if err := s.pins.ds.Put(ctx, pinPrefix.ChildString(c.String()), []byte(label)); err != nil {
		return fmt.Errorf("pin %s: %w", c, err)
	}
	s.pins.pins[c] = label
	return nil
}

// Pin fetches whatever blocks of c are missing from peers, then pins it.
func (n *Node) Pin(ctx context.Context, c cid.Cid, label string) error {
	return n.Store.pin(ctx, n.dag, c, label)
}

// Unpin releases c; its blocks go at the next GC unless pinned otherwise.
func (s *Store) Unpin(ctx context.Context, c cid.Cid) error {
	s.pins.mu.Lock()
	defer s.pins.mu.Unlock()
	if _, ok := s.pins.pins[c]; !ok {
		return nil
	}
	if err := s.pins.ds.Delete(ctx, pinPrefix.ChildString(c.String())); err != nil {
		return fmt.Errorf("unpin %s: %w", c, err)
	}
	delete(s.pins.pins, c)
	return nil
}

// Pins returns the pinned roots and their labels.
func (s *Store) Pins() map[cid.Cid]string {
	s.pins.mu.Lock()
	defer s.pins.mu.Unlock()
	out := make(map[cid.Cid]string, len(s.pins.pins))
	for c, l := range s.pins.pins {
		out[c] = l
	}
	return out
}

// GCResult says what a collection freed.
type GCResult struct {
	Blocks int   // blocks removed
	Bytes  int64 // their size
}

// GC removes every block not reachable from a pin. It waits for pin locks
// held by adds in progress. A pinned DAG with a missing or corrupt block is
// reported and nothing is removed, since what it links to cannot be known.
func (s *Store) GC(ctx context.Context) (GCResult, error) {
	unlock := s.blockstore.GCLock(ctx)
	defer unlock.Unlock(context.WithoutCancel(ctx))

	live := cid.NewSet()
	for c := range s.Pins() {
		if err := s.markLive(ctx, c, live); err != nil {
			return GCResult{}, fmt.Errorf("gc: pinned %s: %w", c, err)
		}
	}
	keys, err := s.blockstore.AllKeysChan(ctx)
	if err != nil {
		return GCResult{}, fmt.Errorf("gc: %w", err)
	}
	var res GCResult
	var dead []cid.Cid
	for k := range keys {
		if !live.Has(k) {
			dead = append(dead, k)
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	for _, k := range dead {
		size, err := s.blockstore.GetSize(ctx, k)
		if err != nil && !ipld.IsNotFound(err) {
			return res, fmt.Errorf("gc: %w", err)
		}
		if err := s.blockstore.DeleteBlock(ctx, k); err != nil {
			return res, fmt.Errorf("gc: delete %s: %w", k, err)
		}
		res.Blocks++
		res.Bytes += int64(size)
	}
	return res, s.Sync(ctx)
}

// markLive adds c and everything below it to live. Blocks are addressed by
// multihash in the store, so a raw leaf and a dag-pb node of the same bytes
// are one block; the set is keyed by CID, and AllKeysChan returns raw CIDs.
func (s *Store) markLive(ctx context.Context, c cid.Cid, live *cid.Set) error {
	if !live.Visit(cid.NewCidV1(cid.Raw, c.Hash())) {
		return nil
	}
	if c.Type() != cid.DagProtobuf {
		return nil
	}
	blk, err := s.blockstore.Get(ctx, c)
	if err != nil {
		if errors.Is(err, blockstore.ErrHashMismatch) {
			return ErrCorruptBlock
		}
		return err
	}
	nd, err := merkledag.DecodeProtobufBlock(blk)
	if err != nil {
		return err
	}
	for _, l := range nd.Links() {
		if err := s.markLive(ctx, l.Cid, live); err != nil {
			return err
		}
	}
	return nil
}

// Stat describes the store.
type Stat struct {
	RepoBytes  uint64 // on disk, as the datastore reports it
	Blocks     int
	BlockBytes int64 // sum of block sizes
	Pins       int
	Peers      int
}

// Stat counts the store's blocks and their size.
func (s *Store) Stat(ctx context.Context) (Stat, error) {
	var st Stat
	keys, err := s.blockstore.AllKeysChan(ctx)
	if err != nil {
		return st, err
	}
	for k := range keys {
		size, err := s.blockstore.GetSize(ctx, k)
		if err != nil {
			continue
		}
		st.Blocks++
		st.BlockBytes += int64(size)
	}
	if st.RepoBytes, err = s.datastore.DiskUsage(ctx); err != nil {
		return st, err
	}
	st.Pins = len(s.Pins())
	return st, ctx.Err()
}

// Stat adds the number of connected peers to the store's figures.
func (n *Node) Stat(ctx context.Context) (Stat, error) {
	st, err := n.Store.Stat(ctx)
	if n.host != nil {
		st.Peers = len(n.host.Network().Peers())
	}
	return st, err
}
