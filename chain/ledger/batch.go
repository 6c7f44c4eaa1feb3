package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/healthwallet/healthwallet/chain"
)

// syncGroup is how many blocks InsertBlocks verifies ahead and commits
// together: one state commit and one store commit (two fsyncs) per group
// instead of per block.
const syncGroup = 32

// InsertBlocks inserts blks in order, as calling InsertBlock on each in turn
// would, and returns how many were inserted before the first error (that
// error, for blks[n], is the one InsertBlock would have returned: it may be
// ErrKnownBlock, which a syncing caller skips by calling again with
// blks[n+1:]). It is the sync path:
//
//   - the context-free checks of the next group of blocks (chain.Block.Verify:
//     seal, root, every signature, on all cores) run while the previous
//     group is applied, so signature work overlaps the state's and the
//     store's;
//   - a run of blocks that extends the head is checked against consensus
//     and state roots block by block, then applied to the state in one
//     SQLite transaction and stored in one: the whole run is acknowledged
//     when InsertBlocks returns, not block by block. A run with a block
//     the state refuses is retried block by block, so exactly the blocks
//     before the bad one are inserted;
//   - a block off the head's branch goes through InsertBlock's path (side
//     branches, reorgs).
//
// Unlike InsertBlock it may verify up to a group of blocks past the one
// that stops the batch.
func (l *Ledger) InsertBlocks(ctx context.Context, blks []*chain.Block) (int, error) {
	if len(blks) == 0 {
		return 0, nil
	}
	type verified struct {
		hash chain.Hash
		err  error
	}
	results := make(chan verified, syncGroup)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Go(func() {
		for _, blk := range blks {
			v := verified{hash: blk.Hash(), err: blk.Verify(l.chainID)}
			select {
			case results <- v:
			case <-stop:
				return
			}
		}
	})
	done := 0
	for done < len(blks) {
		// Take the next group, waiting for its verification; meanwhile
		// the verifier goes on with the group after it.
		var group []*chain.Block
		var hashes []chain.Hash
		var stopErr error
		for len(group) < syncGroup && done+len(group) < len(blks) {
			var v verified
			select {
			case v = <-results:
			case <-ctx.Done():
				return done, ctx.Err()
			}
			blk := blks[done+len(group)]
			if err := l.precheck(ctx, blk, v.hash); err != nil {
				stopErr = err
				break
			}
			if v.err != nil {
				stopErr = fmt.Errorf("%w: %w", ErrInvalidBlock, v.err)
				break
			}
			group = append(group, blk)
			hashes = append(hashes, v.hash)
		}
		n, err := l.insertGroup(ctx, group, hashes)
		done += n
		if err != nil {
			return done, err
		}
		if stopErr != nil {
			return done, stopErr
		}
	}
	return done, nil
}

// insertGroup inserts verified blocks in order and returns how many went in.
func (l *Ledger) insertGroup(ctx context.Context, group []*chain.Block, hashes []chain.Hash) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	oneByOne := func(from int) (int, error) {
		for i := from; i < len(group); i++ {
			if err := l.insertLocked(ctx, group[i], hashes[i]); err != nil {
				return i, err
			}
		}
		return len(group), nil
	}
	if len(group) < 2 || group[0].Header.ParentHash != l.head.hash {
		return oneByOne(0)
	}
	// Time, consensus and state-root checks, block by block, in memory.
	items := make([]*stored, 0, len(group))
	signers := make([][]chain.PublicKey, 0, len(group))
	parent := l.head
	for i, blk := range group {
		if blk.Header.ParentHash != parent.hash {
			break // insertLocked reports it
		}
		s, keys, err := l.checkOnParent(parent, blk, hashes[i])
		if err != nil {
			break // insertLocked reports it
		}
		items = append(items, s)
		signers = append(signers, keys)
		parent = s
	}
	if len(items) < 2 {
		return oneByOne(0)
	}
	blocks := group[:len(items)]
	if err := l.st.ApplyBlocks(ctx, blocks, signers); err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return oneByOne(0) // finds, refuses and remembers the bad block
	}
	if err := l.store.putMany(ctx, items); err != nil {
		rctx := context.WithoutCancel(ctx)
		for i := len(items) - 1; i >= 0; i-- {
			if rerr := l.st.RevertBlock(rctx, items[i].block.Header.Number); rerr != nil {
				return 0, errors.Join(err, rerr)
			}
		}
		return 0, err
	}
	l.setHead(items[len(items)-1], nil, blocks)
	l.afterHead(ctx)
	if len(items) == len(group) {
		return len(group), nil
	}
	return oneByOne(len(items))
}
