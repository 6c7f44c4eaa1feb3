package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/healthwallet/healthwallet/chain"
)

// BlockContext is what a handler knows of the block it runs in.
type BlockContext struct {
	Number  uint64
	Time    uint64
	Signers map[chain.PublicKey]struct{} // the clique signers in force for this block
	Pos     int                          // the transaction's index in the block
}

// NewBlockContext is the context of block number at time under signers.
func NewBlockContext(number, time uint64, signers []chain.PublicKey) BlockContext {
	bc := BlockContext{Number: number, Time: time, Signers: make(map[chain.PublicKey]struct{}, len(signers))}
	for _, k := range signers {
		bc.Signers[k] = struct{}{}
	}
	return bc
}

// IsSigner reports whether k is a current block signer (a clinic).
func (b BlockContext) IsSigner(k chain.PublicKey) bool { _, ok := b.Signers[k]; return ok }

// Handler enforces one transaction type's rules against the state. Check
// only reads; Apply writes (it runs only after Check passed). The sender's
// nonce is checked and advanced by ApplyBlock, not by handlers. Rows a
// handler creates must carry the block number, so that Revert can remove
// them.
type Handler interface {
	Check(st *Tx, tx *chain.Tx, blk BlockContext) error
	Apply(st *Tx, tx *chain.Tx, blk BlockContext) error
}

// Reverter is implemented by handlers that keep their own tables: Revert
// undoes everything block number did to them. It is called, for every
// registered handler that implements it, when that block is reverted.
type Reverter interface {
	Revert(st *Tx, number uint64) error
}

// deleteBlockRows is the Revert of a handler whose tables' rows each carry
// the block that created them and are never updated: it deletes block
// number's rows from each table, in the order given (children first).
func deleteBlockRows(st *Tx, number uint64, tables ...string) error {
	for _, t := range tables {
		if _, err := st.Exec(`DELETE FROM `+t+` WHERE block = ?`, int64(number)); err != nil {
			return err
		}
	}
	return nil
}

var handlers struct {
	sync.RWMutex
	m [256]Handler
}

// Register installs the handler for type t. It panics if t is zero or
// already has one; call it from an init function.
func Register(t chain.TxType, h Handler) {
	if t == 0 || h == nil {
		panic("state: Register: zero type or nil handler")
	}
	handlers.Lock()
	defer handlers.Unlock()
	if handlers.m[t] != nil {
		panic(fmt.Sprintf("state: Register: type %v registered twice", t))
	}
	handlers.m[t] = h
}

func handlerFor(t chain.TxType) Handler {
	handlers.RLock()
	defer handlers.RUnlock()
	return handlers.m[t]
}

// Tx is the SQLite transaction a block is applied in, handed to handlers.
type Tx struct {
	st     *State
	tx     *sql.Tx
	ctx    context.Context
	stmts  map[string]*sql.Stmt
	nonces map[chain.PublicKey]*nonceEntry
}

type nonceEntry struct {
	prev    uint64
	existed bool
	next    uint64
}

// Exec runs a statement (prepared once per block) in the transaction.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

// QueryRow runs a query (prepared once per block) in the transaction.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil {
		return t.tx.QueryRowContext(t.ctx, query, args...) // reports err on Scan
	}
	return st.QueryRowContext(t.ctx, args...)
}

// Query runs a query (prepared once per block) in the transaction.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

func (t *Tx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if dbst, err := t.st.prepared(t.ctx, query); err == nil {
		st = t.tx.StmtContext(t.ctx, dbst)
	} else {
		// E.g. a table this transaction created: prepare inside it.
		if st, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
	}
	t.stmts[query] = st
	return st, nil
}

func (t *Tx) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}

// nonce returns the account's next nonce as of this point in the block.
func (t *Tx) nonce(k chain.PublicKey) (*nonceEntry, error) {
	if e, ok := t.nonces[k]; ok {
		return e, nil
	}
	e := &nonceEntry{}
	err := t.QueryRow(`SELECT nonce FROM accounts WHERE key = ?`, k[:]).Scan(&e.prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		e.existed = true
	}
	e.next = e.prev
	t.nonces[k] = e
	return e, nil
}

func (s *State) begin(ctx context.Context) (*Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{st: s, tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}, nonces: map[chain.PublicKey]*nonceEntry{}}, nil
}

// ApplyBlock checks and applies every transaction of blk in order, in one
// SQLite transaction, with signers the clique signer set in force for blk.
// The block must extend the head (number head+1, parent the head's hash);
// an empty state takes any first block. Any refused transaction refuses the
// whole block and leaves the state unchanged. blk must already be verified
// (chain.Block.Verify: signatures, root, sizes).
func (s *State) ApplyBlock(ctx context.Context, blk *chain.Block, signers []chain.PublicKey) error {
	return s.ApplyBlocks(ctx, []*chain.Block{blk}, [][]chain.PublicKey{signers})
}

// ApplyBlocks applies consecutive blocks as ApplyBlock would, each under
// its own signer set, in one SQLite transaction: all of them or none. It
// is for sync, where one commit (one fsync) per batch instead of per block
// is most of the speed; each block keeps its own undo data.
func (s *State) ApplyBlocks(ctx context.Context, blks []*chain.Block, signers [][]chain.PublicKey) (err error) {
	if len(blks) == 0 {
		return nil
	}
	if len(signers) != len(blks) {
		return fmt.Errorf("state: apply %d blocks with %d signer sets", len(blks), len(signers))
	}
	t, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("state: apply block %d: %w", blks[0].Header.Number, err)
	}
	defer func() {
		t.close()
		if err != nil {
			t.tx.Rollback()
		}
	}()
	for i, blk := range blks {
		if err := t.applyBlock(blk, signers[i]); err != nil {
			return err
		}
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("state: apply block %d: commit: %w", blks[len(blks)-1].Header.Number, err)
	}
	return nil
}

func (t *Tx) applyBlock(blk *chain.Block, signers []chain.PublicKey) error {
	h := &blk.Header
	hash := blk.Hash()
	t.nonces = map[chain.PublicKey]*nonceEntry{} // nonce undo is per block
	var headNum uint64
	var headHash []byte
	switch e := t.QueryRow(`SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1`).Scan(&headNum, &headHash); {
	case errors.Is(e, sql.ErrNoRows):
	case e != nil:
		return fmt.Errorf("state: apply block %d: %w", h.Number, e)
	case h.Number != headNum+1 || string(h.ParentHash[:]) != string(headHash):
		return fmt.Errorf("state: apply block %d (parent %s): head is %d (%x): %w", h.Number, h.ParentHash, headNum, headHash, ErrConflict)
	}
	if _, err := t.Exec(`INSERT INTO blocks(number, hash, time) VALUES (?, ?, ?)`, sq(h.Number), hash[:], sq(h.Time)); err != nil {
		return fmt.Errorf("state: apply block %d: %w", h.Number, err)
	}
	bc := NewBlockContext(h.Number, h.Time, signers)
	for i, tx := range blk.Txs {
		bc.Pos = i
		if err := t.applyTx(tx, bc); err != nil {
			return fmt.Errorf("state: block %d: tx %d (%v %s): %w", h.Number, i, tx.Type(), tx.Hash(), err)
		}
	}
	for k, e := range t.nonces {
		if e.next == e.prev && e.existed {
			continue
		}
		var prev any
		if e.existed {
			prev = int64(e.prev)
		}
		if _, err := t.Exec(`INSERT INTO undo_accounts(block, key, prev) VALUES (?, ?, ?)`, h.Number, k[:], prev); err != nil {
			return fmt.Errorf("state: apply block %d: %w", h.Number, err)
		}
		if _, err := t.Exec(`INSERT INTO accounts(key, nonce) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET nonce = excluded.nonce`, k[:], int64(e.next)); err != nil {
			return fmt.Errorf("state: apply block %d: %w", h.Number, err)
		}
	}
	return nil
}

func (t *Tx) applyTx(tx *chain.Tx, bc BlockContext) error {
	h := handlerFor(tx.Type())
	if h == nil {
		return fmt.Errorf("no state handler: %w", chain.ErrUnknownType)
	}
	e, err := t.nonce(tx.Sender())
	if err != nil {
		return err
	}
	if tx.Nonce() != e.next {
		return fmt.Errorf("nonce %d, account's next is %d: %w", tx.Nonce(), e.next, ErrBadNonce)
	}
	if err := h.Check(t, tx, bc); err != nil {
		return err
	}
	if err := h.Apply(t, tx, bc); err != nil {
		return err
	}
	e.next++
	return nil
}

// RevertBlock rolls back block number, which must be the head, exactly: the
// state afterwards is the state before ApplyBlock applied it.
func (s *State) RevertBlock(ctx context.Context, number uint64) (err error) {
	t, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("state: revert block %d: %w", number, err)
	}
	defer func() {
		t.close()
		if err != nil {
			t.tx.Rollback()
		}
	}()
	var head uint64
	switch e := t.QueryRow(`SELECT number FROM blocks ORDER BY number DESC LIMIT 1`).Scan(&head); {
	case errors.Is(e, sql.ErrNoRows):
		return fmt.Errorf("state: revert block %d: no blocks: %w", number, ErrNotFound)
	case e != nil:
		return fmt.Errorf("state: revert block %d: %w", number, e)
	case head != number:
		return fmt.Errorf("state: revert block %d: head is %d: %w", number, head, ErrConflict)
	}
	var floor uint64
	switch e := t.QueryRow(`SELECT v FROM meta WHERE k = 'undo_floor'`).Scan(&floor); {
	case errors.Is(e, sql.ErrNoRows):
	case e != nil:
		return fmt.Errorf("state: revert block %d: %w", number, e)
	case number < floor:
		return fmt.Errorf("state: revert block %d: undo data pruned below block %d: %w", number, floor, ErrConflict)
	}
	handlers.RLock()
	hs := handlers.m
	handlers.RUnlock()
	for _, h := range hs {
		if r, ok := h.(Reverter); ok {
			if err := r.Revert(t, number); err != nil {
				return fmt.Errorf("state: revert block %d: %w", number, err)
			}
		}
	}
	for _, q := range revertBuiltin {
		if _, err := t.Exec(q, number); err != nil {
			return fmt.Errorf("state: revert block %d: %w", number, err)
		}
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("state: revert block %d: commit: %w", number, err)
	}
	return nil
}

// revertBuiltin undoes a block's effects on the built-in tables; each
// statement takes the block number.
var revertBuiltin = []string{
	`DELETE FROM anchors WHERE block = ?1`,
	`DELETE FROM grant_capsules WHERE block = ?1`,
	`DELETE FROM clinic_keys WHERE block = ?1`,
	`DELETE FROM emergency_releases WHERE block = ?1`,
	`DELETE FROM emergency_accesses WHERE block = ?1`,
	`UPDATE emergency_auths SET revoked_block = NULL, revoked_pos = NULL WHERE revoked_block = ?1`,
	`DELETE FROM emergency_auths WHERE block = ?1`,
	`UPDATE grants SET revoked_block = NULL, revoked_pos = NULL WHERE revoked_block = ?1`,
	`DELETE FROM grants WHERE block = ?1`,
	`UPDATE requests SET decision = NULL, decided_block = NULL, decided_pos = NULL WHERE decided_block = ?1`,
	`DELETE FROM requests WHERE block = ?1`,
	`UPDATE clinicians SET revoked_block = NULL WHERE revoked_block = ?1`,
	`DELETE FROM clinicians WHERE registered_block = ?1`,
	`DELETE FROM accounts WHERE key IN (SELECT key FROM undo_accounts WHERE block = ?1 AND prev IS NULL)`,
	`UPDATE accounts SET nonce = (SELECT prev FROM undo_accounts u WHERE u.block = ?1 AND u.key = accounts.key)
		WHERE key IN (SELECT key FROM undo_accounts WHERE block = ?1 AND prev IS NOT NULL)`,
	`DELETE FROM undo_accounts WHERE block = ?1`,
	`DELETE FROM blocks WHERE number = ?1`,
}

// PruneUndo drops the undo data of blocks below number, which can then no
// longer be reverted (RevertBlock refuses them with ErrConflict). Call it for
// blocks deeper than any reorg the consensus can make (with Clique, a
// generous multiple of the signer count).
func (s *State) PruneUndo(ctx context.Context, below uint64) (err error) {
	t, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("state: prune undo: %w", err)
	}
	defer func() {
		t.close()
		if err != nil {
			t.tx.Rollback()
		}
	}()
	if _, err := t.Exec(`DELETE FROM undo_accounts WHERE block < ?`, sq(below)); err != nil {
		return fmt.Errorf("state: prune undo: %w", err)
	}
	if _, err := t.Exec(`INSERT INTO meta(k, v) VALUES ('undo_floor', ?1) ON CONFLICT(k) DO UPDATE SET v = max(v, ?1)`, sq(below)); err != nil {
		return fmt.Errorf("state: prune undo: %w", err)
	}
	return t.tx.Commit()
}
