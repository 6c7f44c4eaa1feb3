package ledger

import (
	"context"
	"fmt"
	"sync"

	"github.com/healthwallet/healthwallet/chain"
)

// verifyAhead is how many blocks InsertBlocks verifies (or is verifying)
// ahead of the one it is applying. Applying is the critical path, and a
// verifier further ahead only competes with it for the cores (on two cores
// 1, 2 and 3 measure the same; 16 is slower).
const verifyAhead = 2

// InsertBlocks inserts blks in order, as calling InsertBlock on each in turn
// would, and returns how many were inserted before the first error (that
// error, for blks[n], is the one InsertBlock would have returned: it may be
// ErrKnownBlock, which a syncing caller skips by calling again with
// blks[n+1:]). It is the sync path: the context-free checks of the next
// blocks (chain.Block.Verify: seal, root, every signature, on all cores)
// run while the previous block is applied and committed, so the signature
// work overlaps the state's and the store's. Each block is still stored
// (and acknowledged) on its own, exactly as InsertBlock does. Unlike
// InsertBlock it may verify a known or bad block before noticing (at most
// verifyAhead blocks past the one that stops the batch).
func (l *Ledger) InsertBlocks(ctx context.Context, blks []*chain.Block) (int, error) {
	if len(blks) == 0 {
		return 0, nil
	}
	type verified struct {
		hash chain.Hash
		err  error
	}
	// The verifier sends each block's result in order; it blocks once
	// verifyAhead results are waiting or under way.
	results := make(chan verified, verifyAhead-1)
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
	for i, blk := range blks {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		var v verified
		select {
		case v = <-results:
		case <-ctx.Done():
			return i, ctx.Err()
		}
		// The same checks, in the same order, as InsertBlock.
		if err := l.precheck(ctx, blk, v.hash); err != nil {
			return i, err
		}
		if v.err != nil {
			return i, fmt.Errorf("%w: %w", ErrInvalidBlock, v.err)
		}
		if err := l.insertVerified(ctx, blk, v.hash); err != nil {
			return i, err
		}
	}
	return len(blks), nil
}

// insertVerified is InsertBlock after Verify.
func (l *Ledger) insertVerified(ctx context.Context, blk *chain.Block, hash chain.Hash) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.insertLocked(ctx, blk, hash)
}
