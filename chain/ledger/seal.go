package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sort"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
	"github.com/healthwallet/healthwallet/chain/state"
)

// ErrNothingToSeal: no transaction can be included and no vote is due.
var ErrNothingToSeal = errors.New("ledger: nothing to seal")

// headerRoom is what a block's framing and header may take of MaxBlockSize.
const headerRoom = chain.MaxHeaderSize + 16

// Seal builds a block on the head from the mempool, seals it with key at
// time at (Unix seconds, raised to the parent's time plus the period), and
// inserts it. It returns ErrNothingToSeal rather than an empty block unless
// allowEmpty. The caller publishes the block.
func (l *Ledger) Seal(ctx context.Context, key ed25519.PrivateKey, at uint64, allowEmpty bool) (*chain.Block, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sealLocked(ctx, key, at, allowEmpty)
}

func (l *Ledger) sealLocked(ctx context.Context, key ed25519.PrivateKey, at uint64, allowEmpty bool) (*chain.Block, error) {
	me := chain.PublicKeyOf(key)
	parent := l.head
	ph := &parent.block.Header
	number := ph.Number + 1
	snap := parent.snap
	if err := snap.CanSeal(number, clique.Signer(me)); err != nil {
		return nil, fmt.Errorf("ledger: seal block %d: %w", number, err)
	}
	at = max(at, ph.Time+uint64(l.clique.WithDefaults().Period.Seconds()))
	signers := signerKeys(snap)
	bc := state.NewBlockContext(number, at, signers)
	nonce := l.st.NonceFunc()
	pending := l.pool.Pending(nonce, chain.MaxBlockTxs, chain.MaxBlockSize-headerRoom-3*chain.MaxBlockTxs)
	txs, rejected, err := l.st.Select(ctx, pending, bc)
	if err != nil {
		return nil, fmt.Errorf("ledger: seal block %d: %w", number, err)
	}
	var drop []chain.Hash
	for _, r := range rejected {
		if !errors.Is(r.Err, state.ErrBadNonce) {
			l.log.Warn("ledger: dropping a transaction from the pool", "tx", r.Tx.Hash(), "err", r.Err)
			drop = append(drop, r.Tx.Hash())
		}
	}
	l.pool.Remove(drop...)

	h := chain.Header{
		ChainID:    l.chainID,
		ParentHash: parent.hash,
		Number:     number,
		Time:       at,
		Difficulty: snap.Difficulty(number, clique.Signer(me)),
	}
	if l.clique.IsCheckpoint(number) {
		h.Checkpoint = signers // sorted
	} else {
		h.Vote = l.pickVote(snap)
	}
	if len(txs) == 0 && h.Vote == nil && !allowEmpty {
		return nil, ErrNothingToSeal
	}
	blk := chain.NewBlock(h, txs)
	blk.Header.StateRoot = StateRoot(ph.StateRoot, number, blk.Header.TxRoot, signers)
	if err := blk.Header.Seal(key); err != nil {
		return nil, err
	}
	if err := l.insertLocked(ctx, blk, blk.Hash()); err != nil {
		return nil, fmt.Errorf("ledger: insert own block %d: %w", number, err)
	}
	return blk, nil
}

// pickVote returns the first proposal, in key order, that would change the
// signer set (EIP-225 leaves the choice to the sealer; a fixed order makes
// a node's votes predictable to its operator).
func (l *Ledger) pickVote(snap *clique.Snapshot) *chain.Vote {
	l.propMu.Lock()
	defer l.propMu.Unlock()
	var keys []chain.PublicKey
	for k, auth := range l.proposals {
		if auth != snap.IsSigner(clique.Signer(k)) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	return &chain.Vote{Target: keys[0], Authorize: l.proposals[keys[0]]}
}
