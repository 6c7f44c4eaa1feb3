package ledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
)

// RunSealer seals blocks with key until ctx ends, calling publish with each
// block it seals (after inserting it). It seals only when transactions are
// pending or a vote is due, at the parent's time plus the period when this
// signer is in turn, and after clique.OutOfTurnDelay more when it is not;
// a new head restarts the wait. It returns ctx's error.
func (l *Ledger) RunSealer(ctx context.Context, key ed25519.PrivateKey, publish func(*chain.Block)) error {
	me := clique.Signer(chain.PublicKeyOf(key))
	var seed [32]byte
	copy(seed[:], key.Seed())
	rng := rand.New(rand.NewChaCha8(seed))
	for {
		l.mu.Lock()
		head, headCh := l.head, l.changed
		l.mu.Unlock()
		poolCh := l.PoolChanged()
		number := head.block.Header.Number + 1
		due := l.pool.Len() > 0 || l.pickVote(head.snap) != nil
		if !due || head.snap.CanSeal(number, me) != nil {
			// Not our turn to act: wait for something to change.
			select {
			case <-headCh:
			case <-poolCh:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		at := time.Unix(int64(head.block.Header.Time), 0).Add(l.clique.WithDefaults().Period)
		if now := l.cfg.Now(); now.After(at) {
			at = now
		}
		wait := at.Sub(l.cfg.Now())
		if !head.snap.InTurn(number, me) {
			wait += clique.OutOfTurnDelay(rng, len(head.snap.SignerSet))
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-headCh:
			timer.Stop()
			continue
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
		blk, err := l.sealOn(ctx, key, head.hash, uint64(at.Unix()))
		switch {
		case err == nil && blk != nil:
			publish(blk)
		case err != nil:
			if !errors.Is(err, ErrNothingToSeal) && ctx.Err() == nil {
				l.log.Warn("ledger: sealing failed", "number", number, "err", err)
			}
			// Pending transactions cannot go in yet (a nonce gap), or
			// sealing failed: wait for a new transaction or a new head.
			retry := time.NewTimer(l.clique.WithDefaults().Period)
			select {
			case <-headCh:
			case <-poolCh:
			case <-retry.C:
			case <-ctx.Done():
				retry.Stop()
				return ctx.Err()
			}
			retry.Stop()
		}
	}
}

// sealOn seals on the head only if it is still parent.
func (l *Ledger) sealOn(ctx context.Context, key ed25519.PrivateKey, parent chain.Hash, at uint64) (*chain.Block, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head.hash != parent {
		return nil, nil
	}
	return l.sealLocked(ctx, key, at, false)
}
