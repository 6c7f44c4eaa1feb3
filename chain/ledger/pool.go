package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/state"
)

// AddTx admits a transaction to the mempool: its chain ID and signature must
// verify, its nonce must be the sender's next or queued behind pending ones,
// and if it is next in its account's order it must pass its type's rules
// against the head state (a grant signed by anyone but the patient, a revoke
// by anyone but the granter, …). Later ones are checked when a block is
// built (the state they depend on is still pending).
func (l *Ledger) AddTx(ctx context.Context, tx *chain.Tx) error {
	if err := tx.Verify(l.chainID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidTx, err)
	}
	if l.pool.Has(tx.Hash()) {
		return fmt.Errorf("tx %s: %w", tx.Hash(), chain.ErrKnownTx)
	}
	// The head must not move between reading the nonce, checking and
	// pooling.
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := l.st.Nonce(tx.Sender())
	if err != nil {
		return fmt.Errorf("ledger: tx %s: %w", tx.Hash(), err)
	}
	if tx.Nonce() == next {
		bc := state.NewBlockContext(l.head.block.Header.Number+1, max(uint64(l.cfg.Now().Unix()), l.head.block.Header.Time), signerKeys(l.head.snap))
		if err := l.st.CheckTx(ctx, tx, bc); err != nil {
			if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrUnauthorized) || errors.Is(err, state.ErrConflict) {
				return fmt.Errorf("%w: %w", ErrRefusedTx, err)
			}
			return fmt.Errorf("%w: %w", ErrInvalidTx, err)
		}
	}
	if err := l.pool.Add(tx, func(chain.PublicKey) uint64 { return next }); err != nil {
		return fmt.Errorf("ledger: tx %s: %w", tx.Hash(), err)
	}
	l.notifyPool()
	return nil
}

// PoolChanged returns a channel closed the next time a transaction enters
// the mempool or the operator proposes or withdraws a signer vote: the
// sealer's reasons to look again.
func (l *Ledger) PoolChanged() <-chan struct{} {
	l.poolMu.Lock()
	defer l.poolMu.Unlock()
	return l.poolChanged
}

func (l *Ledger) notifyPool() {
	l.poolMu.Lock()
	defer l.poolMu.Unlock()
	close(l.poolChanged)
	l.poolChanged = make(chan struct{})
}
