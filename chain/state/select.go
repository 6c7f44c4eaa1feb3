package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
)

// CheckTx reports whether tx would apply on top of the head state in a block
// with context bc: the sender's next nonce and the type's rules. It writes
// nothing. Admission to the mempool uses it for transactions that are next
// in their account's order (a later one may depend on an earlier pending
// one, which only Select can see).
func (s *State) CheckTx(ctx context.Context, tx *chain.Tx, bc BlockContext) (err error) {
	t, err := s.beginRead(ctx)
	if err != nil {
		return fmt.Errorf("state: check tx: %w", err)
	}
	defer func() {
		t.close()
		t.tx.Rollback()
	}()
	h := handlerFor(tx.Type())
	if h == nil {
		return fmt.Errorf("state: tx %s: no state handler: %w", tx.Hash(), chain.ErrUnknownType)
	}
	e, err := t.nonce(tx.Sender())
	if err != nil {
		return fmt.Errorf("state: tx %s: %w", tx.Hash(), err)
	}
	if tx.Nonce() != e.next {
		return fmt.Errorf("state: tx %s: nonce %d, account's next is %d: %w", tx.Hash(), tx.Nonce(), e.next, ErrBadNonce)
	}
	if err := h.Check(t, tx, bc); err != nil {
		return fmt.Errorf("state: tx %s (%v): %w", tx.Hash(), tx.Type(), err)
	}
	return nil
}

// Rejected is a candidate Select left out, and why.
type Rejected struct {
	Tx  *chain.Tx
	Err error
}

// Select builds a block's transaction list: it applies candidates in order
// on top of the head state, as a block with context bc would, keeping each
// one that applies and skipping each one that does not, then rolls
// everything back. A block of the kept transactions, in that order, applies
// (ApplyBlock) on the same head. A candidate whose sender had an earlier
// candidate skipped is skipped too (its nonce no longer follows).
func (s *State) Select(ctx context.Context, candidates []*chain.Tx, bc BlockContext) (kept []*chain.Tx, rejected []Rejected, err error) {
	t, err := s.beginRead(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("state: select: %w", err)
	}
	defer func() {
		t.close()
		t.tx.Rollback()
	}()
	// Rows a block creates reference its row in blocks; the trial block's
	// row goes with the rollback.
	if _, err := t.Exec(`INSERT INTO blocks(number, hash, time) VALUES (?, ?, ?)`, sq(bc.Number), trialHash[:], sq(bc.Time)); err != nil {
		return nil, nil, fmt.Errorf("state: select for block %d: %w", bc.Number, err)
	}
	for i, tx := range candidates {
		bc.Pos = len(kept)
		if _, err := t.tx.ExecContext(ctx, `SAVEPOINT candidate`); err != nil {
			return nil, nil, fmt.Errorf("state: select: %w", err)
		}
		if aerr := t.applyTx(tx, bc); aerr != nil {
			if _, err := t.tx.ExecContext(ctx, `ROLLBACK TO candidate`); err != nil {
				return nil, nil, fmt.Errorf("state: select: %w", err)
			}
			rejected = append(rejected, Rejected{Tx: tx, Err: fmt.Errorf("candidate %d (%v %s): %w", i, tx.Type(), tx.Hash(), aerr)})
		} else {
			kept = append(kept, tx)
		}
		if _, err := t.tx.ExecContext(ctx, `RELEASE candidate`); err != nil {
			return nil, nil, fmt.Errorf("state: select: %w", err)
		}
	}
	return kept, rejected, nil
}

// trialHash stands for the hash of a block being built.
var trialHash = chain.Hash{0: 0xff, 31: 0xff}

// beginRead starts a transaction that will be rolled back. It is a write
// transaction all the same (the database opens them immediate), so it
// waits for, and holds off, block application.
func (s *State) beginRead(ctx context.Context) (*Tx, error) { return s.begin(ctx) }

// HashAt returns the hash of the applied block at number (ErrNotFound
// above the head).
func (s *State) HashAt(number uint64) (chain.Hash, error) {
	var h []byte
	err := s.db.QueryRow(`SELECT hash FROM blocks WHERE number = ?`, sq(number)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return chain.Hash{}, fmt.Errorf("state: block %d: %w", number, ErrNotFound)
	}
	if err != nil {
		return chain.Hash{}, fmt.Errorf("state: block %d: %w", number, err)
	}
	return chain.Hash(h), nil
}
