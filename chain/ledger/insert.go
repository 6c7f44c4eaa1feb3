package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
)

// cliqueHeader is what the consensus rules see of a header.
func cliqueHeader(h *chain.Header, hash chain.Hash) clique.Header {
	ch := clique.Header{
		Number:     h.Number,
		Hash:       hash,
		ParentHash: h.ParentHash,
		Time:       h.Time,
		Difficulty: h.Difficulty,
		Signer:     clique.Signer(h.Signer),
	}
	if h.Vote != nil {
		ch.Vote = &clique.Proposal{Target: clique.Signer(h.Vote.Target), Authorize: h.Vote.Authorize}
	}
	for _, k := range h.Checkpoint {
		ch.Checkpoint = append(ch.Checkpoint, clique.Signer(k))
	}
	return ch
}

// InsertBlock verifies blk and adds it to the chain, moving the head if it
// is now the best block. It returns nil once the block is stored (and, if
// it is the head, applied): a node acknowledges a block only then.
func (l *Ledger) InsertBlock(ctx context.Context, blk *chain.Block) error {
	hash := blk.Hash()
	if err := l.precheck(ctx, blk, hash); err != nil {
		return err
	}
	if err := blk.Verify(l.chainID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidBlock, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.insertLocked(ctx, blk, hash)
}

// precheck refuses, without verifying signatures, a block that is known,
// known bad, the wrong chain's or a second genesis.
func (l *Ledger) precheck(ctx context.Context, blk *chain.Block, hash chain.Hash) error {
	if blk.Header.ChainID != l.chainID {
		return fmt.Errorf("%w: block %d of chain %q, not %q", ErrInvalidBlock, blk.Header.Number, blk.Header.ChainID, l.chainID)
	}
	if blk.Header.Number == 0 && hash != l.genesis {
		return fmt.Errorf("%w: another genesis block %s", ErrInvalidBlock, hash)
	}
	if ok, err := l.store.has(ctx, hash); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("block %d %s: %w", blk.Header.Number, hash, ErrKnownBlock)
	}
	if reason, bad, err := l.store.badReason(ctx, hash); err != nil {
		return err
	} else if bad {
		return fmt.Errorf("%w: block %d %s known bad: %s", ErrInvalidBlock, blk.Header.Number, hash, reason)
	}
	return nil
}

func (l *Ledger) insertLocked(ctx context.Context, blk *chain.Block, hash chain.Hash) error {
	h := &blk.Header
	if ok, err := l.store.has(ctx, hash); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("block %d %s: %w", h.Number, hash, ErrKnownBlock)
	}
	parent := l.head // the common case; the head is stored as it is in memory
	if h.ParentHash != parent.hash {
		var err error
		parent, err = l.store.get(ctx, h.ParentHash)
		if errors.Is(err, ErrUnknownBlock) {
			return fmt.Errorf("block %d %s: parent %s: %w", h.Number, hash, h.ParentHash, ErrUnknownParent)
		}
		if err != nil {
			return err
		}
	}
	s, signers, err := l.checkOnParent(parent, blk, hash)
	if err != nil {
		return err
	}

	if parent.hash == l.head.hash {
		// The common case: apply, then store, then move the head.
		if err := l.st.ApplyBlock(ctx, blk, signers); err != nil {
			if ctx.Err() != nil {
				return err
			}
			l.rememberBad(ctx, hash, err)
			return fmt.Errorf("%w: %w", ErrInvalidBlock, err)
		}
		if err := l.store.put(ctx, blk, hash, s.td, s.snap); err != nil {
			if rerr := l.st.RevertBlock(context.WithoutCancel(ctx), h.Number); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
		l.setHead(s, nil, []*chain.Block{blk})
		l.afterHead(ctx)
		return nil
	}
	if err := l.store.put(ctx, blk, hash, s.td, s.snap); err != nil {
		return err
	}
	if !clique.Better(s.tip(), l.head.tip()) {
		l.log.Debug("ledger: side block stored", "number", h.Number, "hash", hash)
		return nil
	}
	if err := l.settle(ctx); err != nil {
		return err
	}
	if reason, bad, _ := l.store.badReason(context.WithoutCancel(ctx), hash); bad {
		return fmt.Errorf("%w: block %d %s: %s", ErrInvalidBlock, h.Number, hash, reason)
	}
	return nil
}

// checkOnParent runs the checks a verified block must pass against its
// parent: its time, the consensus rules (clique.VerifyHeader) and its state
// root. It returns the block as it would be stored, and the signers in
// force for it.
func (l *Ledger) checkOnParent(parent *stored, blk *chain.Block, hash chain.Hash) (*stored, []chain.PublicKey, error) {
	h := &blk.Header
	if limit := l.cfg.Now().Add(l.cfg.MaxFutureDrift).Unix(); int64(h.Time) > limit || h.Time > 1<<62 {
		return nil, nil, fmt.Errorf("block %d time %d, clock says %d: %w", h.Number, h.Time, l.cfg.Now().Unix(), ErrFutureBlock)
	}
	ch := cliqueHeader(h, hash)
	if err := clique.VerifyHeader(parent.snap, ch, cliqueHeader(&parent.block.Header, parent.hash)); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidBlock, err)
	}
	signers := signerKeys(parent.snap)
	if want := StateRoot(parent.block.Header.StateRoot, h.Number, h.TxRoot, signers); h.StateRoot != want {
		return nil, nil, fmt.Errorf("%w: block %d state root %s, want %s", ErrInvalidBlock, h.Number, h.StateRoot, want)
	}
	snap, err := parent.snap.Apply([]clique.Header{ch})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidBlock, err)
	}
	return &stored{block: blk, hash: hash, td: parent.td + uint64(h.Difficulty), snap: snap}, signers, nil
}

func (l *Ledger) rememberBad(ctx context.Context, hash chain.Hash, why error) {
	if err := l.store.markBad(context.WithoutCancel(ctx), hash, why.Error()); err != nil {
		l.log.Warn("ledger: cannot record bad block", "hash", hash, "err", err)
	}
}

// settle moves the head to the best stored block, reorganising the state,
// until the best stored block is the head (a branch that fails to apply is
// deleted and the next best tried).
func (l *Ledger) settle(ctx context.Context) error {
	for {
		best, err := l.store.best(ctx)
		if err != nil {
			return err
		}
		if best.Hash == l.head.hash {
			return nil
		}
		if err := l.reorg(ctx, best.Hash); err != nil {
			if errors.Is(err, ErrReorgTooDeep) {
				l.log.Warn("ledger: ignoring a better branch", "err", err)
				l.rememberBad(ctx, best.Hash, err)
				continue
			}
			if errors.Is(err, ErrInvalidBlock) {
				continue // the branch was marked bad; try the next best
			}
			return err
		}
	}
}

// reorg makes the stored block target the head: it reverts the state to the
// common ancestor of target and the head and applies target's branch. If a
// block of the branch fails, that block and its descendants are marked bad,
// the old branch is restored, and ErrInvalidBlock is returned.
func (l *Ledger) reorg(ctx context.Context, target chain.Hash) error {
	// Walk target's branch back to the canonical chain.
	var branch []*stored
	for h := target; ; {
		s, err := l.store.get(ctx, h)
		if err != nil {
			return err
		}
		if c, err := l.st.HashAt(s.block.Header.Number); err == nil && c == h {
			if s.block.Header.Number+l.cfg.UndoDepth < l.head.block.Header.Number {
				return fmt.Errorf("%w: fork at block %d, head %d", ErrReorgTooDeep, s.block.Header.Number, l.head.block.Header.Number)
			}
			break
		}
		branch = append(branch, s)
		h = s.block.Header.ParentHash
	}
	if len(branch) == 0 {
		return nil
	}
	for i, j := 0, len(branch)-1; i < j; i, j = i+1, j-1 {
		branch[i], branch[j] = branch[j], branch[i]
	}
	ancestor := branch[0].block.Header.Number - 1
	// Unwind the old branch; keep its blocks to restore or to requeue.
	var dropped []*stored
	for n := l.head.block.Header.Number; n > ancestor; n-- {
		h, err := l.st.HashAt(n)
		if err != nil {
			return err
		}
		s, err := l.store.get(ctx, h)
		if err != nil {
			return err
		}
		if err := l.st.RevertBlock(ctx, n); err != nil {
			return err
		}
		dropped = append(dropped, s)
	}
	// Apply the new branch.
	for i, s := range branch {
		var parentSnap *clique.Snapshot
		if i > 0 {
			parentSnap = branch[i-1].snap
		} else {
			p, err := l.store.get(ctx, s.block.Header.ParentHash)
			if err != nil {
				return err
			}
			parentSnap = p.snap
		}
		if err := l.st.ApplyBlock(ctx, s.block, signerKeys(parentSnap)); err != nil {
			if ctx.Err() != nil {
				return err
			}
			l.rememberBad(ctx, s.hash, err)
			// Back out the part of the branch that applied, then restore.
			for k := i - 1; k >= 0; k-- {
				if rerr := l.st.RevertBlock(ctx, branch[k].block.Header.Number); rerr != nil {
					return errors.Join(err, rerr)
				}
			}
			for k := len(dropped) - 1; k >= 0; k-- {
				d := dropped[k]
				ps, perr := l.store.get(ctx, d.block.Header.ParentHash)
				if perr != nil {
					return errors.Join(err, perr)
				}
				if rerr := l.st.ApplyBlock(ctx, d.block, signerKeys(ps.snap)); rerr != nil {
					return errors.Join(err, rerr)
				}
			}
			return fmt.Errorf("%w: reorg to %s: block %d: %w", ErrInvalidBlock, target, s.block.Header.Number, err)
		}
	}
	var oldBlocks, newBlocks []*chain.Block
	for _, d := range dropped {
		oldBlocks = append(oldBlocks, d.block)
	}
	for _, s := range branch {
		newBlocks = append(newBlocks, s.block)
	}
	l.log.Info("ledger: reorg", "ancestor", ancestor, "dropped", len(dropped), "applied", len(branch), "head", branch[len(branch)-1].block.Header.Number)
	l.setHead(branch[len(branch)-1], oldBlocks, newBlocks)
	l.afterHead(ctx)
	return nil
}

// setHead moves the head and wakes waiters. Transactions of dropped blocks
// that the new blocks do not include go back to the mempool.
func (l *Ledger) setHead(s *stored, dropped, added []*chain.Block) {
	l.head = s
	close(l.changed)
	l.changed = make(chan struct{})
	if len(dropped) == 0 {
		return
	}
	included := map[chain.Hash]bool{}
	for _, b := range added {
		for _, tx := range b.Txs {
			included[tx.Hash()] = true
		}
	}
	nonce := l.st.NonceFunc()
	requeued := 0
	for i := len(dropped) - 1; i >= 0; i-- { // oldest first, so nonces follow
		for _, tx := range dropped[i].Txs {
			if !included[tx.Hash()] && l.pool.Add(tx, nonce) == nil {
				requeued++
			}
		}
	}
	if requeued > 0 {
		l.notifyPool()
	}
}

// afterHead prunes the mempool and, now and then, the undo data and side
// branches below the reorg window.
func (l *Ledger) afterHead(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	l.pool.Prune(l.st.NonceFunc(), DefaultPoolTTL, nil)
	n := l.head.block.Header.Number
	const every = 1024
	// Once each time the head passes a multiple of every (a batch may
	// jump past one).
	if n/every == l.prunedAt/every || n <= l.cfg.UndoDepth {
		return
	}
	l.prunedAt = n
	below := n - l.cfg.UndoDepth
	if err := l.st.PruneUndo(ctx, below); err != nil {
		l.log.Warn("ledger: prune undo", "err", err)
	}
	from := uint64(0)
	if below > 2*every {
		from = below - 2*every
	}
	if _, err := l.store.pruneSide(ctx, from, below, l.st.HashAt); err != nil {
		l.log.Warn("ledger: prune side branches", "err", err)
	}
}
