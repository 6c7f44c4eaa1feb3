package chain

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Mempool errors callers branch on (a peer that sends them repeatedly is
// penalised by the network layer).
var (
	ErrKnownTx      = errors.New("transaction already pending")
	ErrNonceTooLow  = errors.New("nonce already used")
	ErrNonceTaken   = errors.New("another transaction pending with this nonce")
	ErrNonceGap     = errors.New("nonce too far ahead of the account")
	ErrPoolFull     = errors.New("transaction pool full")
	ErrAccountLimit = errors.New("too many pending transactions for this account")
)

// NonceFunc returns the next nonce the chain state expects from an account.
type NonceFunc func(PublicKey) uint64

// Mempool holds transactions waiting for a block, per account in nonce
// order. It knows nothing of transaction rules beyond nonces: the state
// layer validates before Add and prunes with Prune.
//
// Ordering is first seen wins: a second transaction with a taken nonce is
// refused, never swapped in, since there are no fees to outbid with.
type Mempool struct {
	mu       sync.Mutex
	byHash   map[Hash]*pooled
	accounts map[PublicKey]map[uint64]*pooled
	bytes    int
	now      func() time.Time
}

type pooled struct {
	tx    *Tx
	added time.Time
}

// NewMempool returns an empty pool; now is its clock (nil: time.Now).
func NewMempool(now func() time.Time) *Mempool {
	if now == nil {
		now = time.Now
	}
	return &Mempool{byHash: map[Hash]*pooled{}, accounts: map[PublicKey]map[uint64]*pooled{}, now: now}
}

// Add queues tx. next is the account's next nonce by the current state.
func (m *Mempool) Add(tx *Tx, next NonceFunc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byHash[tx.Hash()]; ok {
		return ErrKnownTx
	}
	sender, nonce := tx.Sender(), tx.Nonce()
	want := next(sender)
	switch {
	case nonce < want:
		return fmt.Errorf("nonce %d, account is at %d: %w", nonce, want, ErrNonceTooLow)
	case nonce >= want+MaxPoolNonceGap:
		return fmt.Errorf("nonce %d, account is at %d: %w", nonce, want, ErrNonceGap)
	}
	acct := m.accounts[sender]
	if _, taken := acct[nonce]; taken {
		return fmt.Errorf("nonce %d: %w", nonce, ErrNonceTaken)
	}
	if len(acct) >= MaxPoolTxsPerAccount {
		return ErrAccountLimit
	}
	if len(m.byHash) >= MaxPoolTxs || m.bytes+tx.Size() > MaxPoolBytes {
		return ErrPoolFull
	}
	if acct == nil {
		acct = map[uint64]*pooled{}
		m.accounts[sender] = acct
	}
	p := &pooled{tx: tx, added: m.now()}
	acct[nonce] = p
	m.byHash[tx.Hash()] = p
	m.bytes += tx.Size()
	return nil
}

// Has reports whether a transaction is pending.
func (m *Mempool) Has(h Hash) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byHash[h]
	return ok
}

// Len is the number of pending transactions.
func (m *Mempool) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byHash)
}

// Pending returns transactions a block can include now: for each account
// the run of consecutive nonces starting at its state nonce, taken round
// robin across accounts (in key order, so every sealer builds the same
// block from the same pool) until maxTxs or maxBytes.
func (m *Mempool) Pending(next NonceFunc, maxTxs, maxBytes int) []*Tx {
	m.mu.Lock()
	defer m.mu.Unlock()
	senders := m.sortedSenders()
	cursor := make(map[PublicKey]uint64, len(senders))
	for _, s := range senders {
		cursor[s] = next(s)
	}
	var out []*Tx
	size := 0
	for progress := true; progress; {
		progress = false
		for _, s := range senders {
			p, ok := m.accounts[s][cursor[s]]
			if !ok {
				continue
			}
			if len(out) >= maxTxs || size+p.tx.Size() > maxBytes {
				return out
			}
			out = append(out, p.tx)
			size += p.tx.Size()
			cursor[s]++
			progress = true
		}
	}
	return out
}

// Prune drops what can no longer be included: transactions whose nonce the
// state has passed (they are in a block, or replaced by one that is), those
// older than ttl, and those keep rejects (invalid against the new state). It
// returns how many were dropped.
func (m *Mempool) Prune(next NonceFunc, ttl time.Duration, keep func(*Tx) error) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	dropped := 0
	for sender, acct := range m.accounts {
		want := next(sender)
		for nonce, p := range acct {
			stale := nonce < want || now.Sub(p.added) > ttl
			if !stale && keep != nil && keep(p.tx) != nil {
				stale = true
			}
			if stale {
				delete(acct, nonce)
				delete(m.byHash, p.tx.Hash())
				m.bytes -= p.tx.Size()
				dropped++
			}
		}
		if len(acct) == 0 {
			delete(m.accounts, sender)
		}
	}
	return dropped
}

// Remove drops the given transactions (those a block builder found
// invalid) and returns how many were pending.
func (m *Mempool) Remove(hashes ...Hash) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, h := range hashes {
		p, ok := m.byHash[h]
		if !ok {
			continue
		}
		sender := p.tx.Sender()
		delete(m.accounts[sender], p.tx.Nonce())
		if len(m.accounts[sender]) == 0 {
			delete(m.accounts, sender)
		}
		delete(m.byHash, h)
		m.bytes -= p.tx.Size()
		n++
	}
	return n
}

// Txs returns up to maxTxs pending transactions (maxBytes in all), each
// account's in nonce order, accounts in key order: what a peer that
// connects asks for, so that transactions gossiped before it joined reach
// it.
func (m *Mempool) Txs(maxTxs, maxBytes int) []*Tx {
	m.mu.Lock()
	defer m.mu.Unlock()
	senders := m.sortedSenders()
	var out []*Tx
	size := 0
	for _, s := range senders {
		nonces := make([]uint64, 0, len(m.accounts[s]))
		for n := range m.accounts[s] {
			nonces = append(nonces, n)
		}
		sort.Slice(nonces, func(i, j int) bool { return nonces[i] < nonces[j] })
		for _, n := range nonces {
			tx := m.accounts[s][n].tx
			if len(out) >= maxTxs || size+tx.Size() > maxBytes {
				return out
			}
			out = append(out, tx)
			size += tx.Size()
		}
	}
	return out
}

// sortedSenders returns the pending accounts in key order; m.mu is held.
func (m *Mempool) sortedSenders() []PublicKey {
	senders := make([]PublicKey, 0, len(m.accounts))
	for s := range m.accounts {
		senders = append(senders, s)
	}
	sort.Slice(senders, func(i, j int) bool { return bytes.Compare(senders[i][:], senders[j][:]) < 0 })
	return senders
}

// NextNonce returns the nonce a new transaction from sender should carry:
// the first at or after stateNext that no pending transaction of sender's
// holds.
func (m *Mempool) NextNonce(sender PublicKey, stateNext uint64) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := stateNext
	for {
		if _, taken := m.accounts[sender][n]; !taken {
			return n
		}
		n++
	}
}
