package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
	"github.com/healthwallet/healthwallet/chain/state"
)

// Errors callers branch on. The network layer penalises a peer for
// ErrInvalidBlock and ErrInvalidTx, never for the others (ErrRefusedTx
// included: transactions race blocks across the network).
var (
	// ErrInvalidBlock: the block breaks a rule (format, seal, signatures,
	// consensus, state root, a transaction's state rule). It is never
	// stored.
	ErrInvalidBlock = errors.New("ledger: invalid block")
	// ErrInvalidTx: the transaction's signature fails, or it breaks a rule
	// no chain can make it pass (a grant to oneself, an emergency access
	// for a purpose other than ETREAT or BTG).
	ErrInvalidTx = errors.New("ledger: invalid transaction")
	// ErrRefusedTx: the transaction breaks a state rule at this node's head
	// — it names something this node has not seen, its sender is not (yet)
	// authorised, or it conflicts with what the head holds. A peer ahead of
	// this node may rightly hold it valid, so it is refused without blame.
	ErrRefusedTx = errors.New("ledger: transaction refused at this head")
	// ErrKnownBlock: the block is already stored.
	ErrKnownBlock = errors.New("ledger: block already known")
	// ErrUnknownParent: the block's parent is not stored (sync from the
	// peer that sent it).
	ErrUnknownParent = errors.New("ledger: unknown parent")
	// ErrFutureBlock: the block's time is too far ahead of this node's
	// clock; it may be offered again later.
	ErrFutureBlock = errors.New("ledger: block from the future")
	// ErrUnknownBlock: no such block is stored.
	ErrUnknownBlock = errors.New("ledger: unknown block")
	// ErrGenesisMismatch: the data directory holds another chain.
	ErrGenesisMismatch = errors.New("ledger: data directory holds a different chain")
	// ErrCorruptStore: a stored block does not decode or hash to its key.
	ErrCorruptStore = errors.New("ledger: block store corrupt")
	// ErrReorgTooDeep: a better branch forks below the depth the state can
	// revert.
	ErrReorgTooDeep = errors.New("ledger: reorg deeper than the undo window")
)

// Defaults.
const (
	DefaultMaxFutureDrift = 15 * time.Second
	// DefaultUndoDepth is how many blocks below the head a reorg may reach.
	// Clique with N signers reorgs only while out-of-turn blocks race, a
	// few blocks deep; the window is far wider so that a partition of a
	// day at a 2 s period (43,200 blocks) still heals.
	DefaultUndoDepth = 65536
	// DefaultPoolTTL is how long a transaction may wait for a block.
	DefaultPoolTTL = 3 * time.Hour
)

// Config configures Open.
type Config struct {
	// Dir holds the ledger's databases (state.db and blocks.db).
	Dir     string
	Genesis *chain.Genesis
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// MaxFutureDrift bounds how far a block's time may be ahead of Now.
	MaxFutureDrift time.Duration
	// UndoDepth: see DefaultUndoDepth.
	UndoDepth uint64
	Logger    *slog.Logger
}

// Tip is the head as callers see it.
type Tip struct {
	Hash            chain.Hash
	Number          uint64
	TotalDifficulty uint64
	Time            uint64
}

// Ledger is an open chain. Its methods are safe for concurrent use.
type Ledger struct {
	cfg     Config
	chainID string
	clique  clique.Config
	genesis chain.Hash
	st      *state.State
	store   *store
	pool    *chain.Mempool
	log     *slog.Logger

	mu       sync.Mutex // serialises insertion, head changes and sealing
	head     *stored
	changed  chan struct{} // closed and replaced when the head moves
	prunedAt uint64        // head number at the last undo pruning

	poolMu      sync.Mutex
	poolChanged chan struct{} // closed and replaced when a tx enters the pool or a vote is proposed

	propMu    sync.Mutex
	proposals map[chain.PublicKey]bool // signer votes to cast when sealing
}

// Open opens or creates the ledger in cfg.Dir for cfg.Genesis. A directory
// created for another genesis is refused (ErrGenesisMismatch).
func Open(ctx context.Context, cfg Config) (*Ledger, error) {
	if cfg.Genesis == nil {
		return nil, errors.New("ledger: no genesis")
	}
	if err := cfg.Genesis.Validate(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFutureDrift == 0 {
		cfg.MaxFutureDrift = DefaultMaxFutureDrift
	}
	if cfg.UndoDepth == 0 {
		cfg.UndoDepth = DefaultUndoDepth
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	gh, err := cfg.Genesis.Header()
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l := &Ledger{
		cfg:         cfg,
		chainID:     cfg.Genesis.ChainID,
		clique:      clique.Config{Period: time.Duration(cfg.Genesis.Period) * time.Second, Epoch: cfg.Genesis.Epoch},
		genesis:     gh.Hash(),
		log:         cfg.Logger,
		changed:     make(chan struct{}),
		poolChanged: make(chan struct{}),
		proposals:   map[chain.PublicKey]bool{},
	}
	l.pool = chain.NewMempool(cfg.Now)
	if l.store, err = openStore(filepath.Join(cfg.Dir, "blocks.db")); err != nil {
		return nil, err
	}
	if l.st, err = state.Open(filepath.Join(cfg.Dir, "state.db")); err != nil {
		l.store.close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := l.init(ctx, gh); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// init stores and applies the genesis on a new directory, checks it on an
// old one, and repairs what a kill between the state and store commits
// left behind.
func (l *Ledger) init(ctx context.Context, gh *chain.Header) error {
	genesis := &chain.Block{Header: *gh}
	ok, err := l.store.has(ctx, l.genesis)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := l.store.best(ctx); err == nil {
			return fmt.Errorf("ledger: %s: genesis %s not in the block store: %w", l.cfg.Dir, l.genesis, ErrGenesisMismatch)
		}
		signers := make([]clique.Signer, len(gh.Checkpoint))
		for i, k := range gh.Checkpoint {
			signers[i] = clique.Signer(k)
		}
		snap := clique.NewSnapshot(l.clique, 0, l.genesis, signers)
		if err := l.store.put(ctx, genesis, l.genesis, uint64(gh.Difficulty), snap); err != nil {
			return err
		}
	}
	if h0, err := l.st.HashAt(0); err == nil {
		if h0 != l.genesis {
			return fmt.Errorf("ledger: %s: state genesis %s, want %s: %w", l.cfg.Dir, h0, l.genesis, ErrGenesisMismatch)
		}
	} else if !errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("ledger: %w", err)
	} else if err := l.st.ApplyBlock(ctx, genesis, gh.Checkpoint); err != nil {
		return fmt.Errorf("ledger: apply genesis: %w", err)
	}
	// A state head the store lacks was applied but never acknowledged.
	for {
		number, hash, _, err := l.st.Head()
		if err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		ok, err := l.store.has(ctx, hash)
		if err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if ok {
			if l.head, err = l.store.get(ctx, hash); err != nil {
				return err
			}
			break
		}
		l.log.Warn("ledger: reverting a block the store lacks (killed mid-insert)", "number", number, "hash", hash)
		if err := l.st.RevertBlock(ctx, number); err != nil {
			return fmt.Errorf("ledger: repair: %w", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.settle(ctx)
}

// Close closes the databases.
func (l *Ledger) Close() error {
	return errors.Join(l.st.Close(), l.store.close())
}

// ChainID is the chain's ID from the genesis.
func (l *Ledger) ChainID() string { return l.chainID }

// GenesisHash is the hash of the genesis block, the chain's identity.
func (l *Ledger) GenesisHash() chain.Hash { return l.genesis }

// Period is the block period.
func (l *Ledger) Period() time.Duration { return l.clique.Period }

// State is the verified state at the head, for queries.
func (l *Ledger) State() *state.State { return l.st }

// Pool is the mempool.
func (l *Ledger) Pool() *chain.Mempool { return l.pool }

// Head returns the current head.
func (l *Ledger) Head() Tip {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tipLocked()
}

func (l *Ledger) tipLocked() Tip {
	h := l.head
	return Tip{Hash: h.hash, Number: h.block.Header.Number, TotalDifficulty: h.td, Time: h.block.Header.Time}
}

// HeadHeader returns a copy of the head block's header.
func (l *Ledger) HeadHeader() chain.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head.block.Header
}

// Changed returns a channel that is closed the next time the head moves.
func (l *Ledger) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// WaitFor blocks until cond holds for the head or ctx ends.
func (l *Ledger) WaitFor(ctx context.Context, cond func(Tip) bool) error {
	for {
		l.mu.Lock()
		tip, ch := l.tipLocked(), l.changed
		l.mu.Unlock()
		if cond(tip) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("ledger: waiting at head %d: %w", tip.Number, ctx.Err())
		}
	}
}

// Signers returns the signers in force for the block after the head.
func (l *Ledger) Signers() []chain.PublicKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	return signerKeys(l.head.snap)
}

func signerKeys(s *clique.Snapshot) []chain.PublicKey {
	ss := s.Signers()
	keys := make([]chain.PublicKey, len(ss))
	for i, k := range ss {
		keys[i] = chain.PublicKey(k)
	}
	return keys
}

// Block returns a stored block by hash (ErrUnknownBlock).
func (l *Ledger) Block(ctx context.Context, hash chain.Hash) (*chain.Block, error) {
	s, err := l.store.get(ctx, hash)
	if err != nil {
		return nil, err
	}
	return s.block, nil
}

// HasBlock reports whether a block is stored.
func (l *Ledger) HasBlock(ctx context.Context, hash chain.Hash) (bool, error) {
	return l.store.has(ctx, hash)
}

// CanonicalHash returns the hash of the canonical block at number
// (ErrUnknownBlock above the head).
func (l *Ledger) CanonicalHash(number uint64) (chain.Hash, error) {
	h, err := l.st.HashAt(number)
	if errors.Is(err, state.ErrNotFound) {
		return chain.Hash{}, fmt.Errorf("ledger: canonical block %d: %w", number, ErrUnknownBlock)
	}
	return h, err
}

// CanonicalRange returns the encodings of up to max canonical blocks from
// number from, stopping before maxBytes would be exceeded (at least one
// block is returned if any exists).
func (l *Ledger) CanonicalRange(ctx context.Context, from uint64, max, maxBytes int) ([][]byte, error) {
	var out [][]byte
	size := 0
	for n := from; len(out) < max; n++ {
		h, err := l.st.HashAt(n)
		if errors.Is(err, state.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		raw, err := l.store.raw(ctx, h)
		if err != nil {
			// Moved by a reorg between the two reads: the caller asks again.
			break
		}
		if len(out) > 0 && size+len(raw) > maxBytes {
			break
		}
		out = append(out, raw)
		size += len(raw)
	}
	return out, nil
}

// IntegrityCheck runs SQLite's integrity check on both databases.
func (l *Ledger) IntegrityCheck(ctx context.Context) error {
	return errors.Join(l.st.IntegrityCheck(ctx), l.store.integrityCheck())
}

// Propose makes this node's sealer vote to add (authorize) or drop a signer
// in the blocks it seals, until the vote is enacted or Discard is called.
func (l *Ledger) Propose(target chain.PublicKey, authorize bool) {
	l.propMu.Lock()
	l.proposals[target] = authorize
	l.propMu.Unlock()
	l.notifyPool() // a vote alone is reason to seal: wake the sealer
}

// Discard withdraws a proposal.
func (l *Ledger) Discard(target chain.PublicKey) {
	l.propMu.Lock()
	delete(l.proposals, target)
	l.propMu.Unlock()
	l.notifyPool()
}
