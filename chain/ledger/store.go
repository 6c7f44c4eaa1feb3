package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
	"github.com/healthwallet/healthwallet/internal/sqlitedb"
)

// storeMigrations[v] takes the block store from version v to v+1.
var storeMigrations = []string{`
CREATE TABLE blocks (
	hash     BLOB NOT NULL UNIQUE,
	parent   BLOB NOT NULL,
	number   INTEGER NOT NULL,
	td       INTEGER NOT NULL, -- total difficulty from genesis
	block    BLOB NOT NULL,    -- chain.Block encoding
	snapshot BLOB NOT NULL     -- clique.Snapshot after the block, JSON
);
CREATE INDEX blocks_parent ON blocks(parent);
CREATE INDEX blocks_best ON blocks(td DESC, number ASC, hash ASC);
CREATE TABLE bad_blocks (
	hash   BLOB PRIMARY KEY,
	reason TEXT NOT NULL
) WITHOUT ROWID;
`}

// store is the block store: verified blocks by hash.
type store struct {
	db *sql.DB
}

func openStore(path string) (*store, error) {
	db, err := sqlitedb.Open(path, storeMigrations)
	if err != nil {
		return nil, fmt.Errorf("ledger: block store: %w", err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// stored is a block's row, decoded.
type stored struct {
	block *chain.Block
	hash  chain.Hash
	td    uint64
	snap  *clique.Snapshot
}

func (s *stored) tip() clique.ChainTip {
	return clique.ChainTip{Hash: s.hash, Number: s.block.Header.Number, TotalDifficulty: s.td}
}

func (s *store) put(ctx context.Context, blk *chain.Block, hash chain.Hash, td uint64, snap *clique.Snapshot) error {
	return s.putMany(ctx, []*stored{{block: blk, hash: hash, td: td, snap: snap}})
}

// putMany stores blocks in one transaction.
func (s *store) putMany(ctx context.Context, items []*stored) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: store blocks: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO blocks(hash, parent, number, td, block, snapshot) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(hash) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("ledger: store blocks: %w", err)
	}
	defer st.Close()
	for _, it := range items {
		sj, err := json.Marshal(it.snap)
		if err != nil {
			return fmt.Errorf("ledger: store block %d: snapshot: %w", it.block.Header.Number, err)
		}
		h := &it.block.Header
		if _, err := st.ExecContext(ctx, it.hash[:], h.ParentHash[:], int64(h.Number), int64(it.td), it.block.Encode(), sj); err != nil {
			return fmt.Errorf("ledger: store block %d %s: %w", h.Number, it.hash, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: store blocks: commit: %w", err)
	}
	return nil
}

func (s *store) has(ctx context.Context, hash chain.Hash) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM blocks WHERE hash = ?`, hash[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *store) badReason(ctx context.Context, hash chain.Hash) (string, bool, error) {
	var reason string
	err := s.db.QueryRowContext(ctx, `SELECT reason FROM bad_blocks WHERE hash = ?`, hash[:]).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return reason, err == nil, err
}

// get loads a block; ErrUnknownBlock if it is not stored.
func (s *store) get(ctx context.Context, hash chain.Hash) (*stored, error) {
	var raw, sj []byte
	var td int64
	err := s.db.QueryRowContext(ctx, `SELECT block, td, snapshot FROM blocks WHERE hash = ?`, hash[:]).Scan(&raw, &td, &sj)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger: block %s: %w", hash, ErrUnknownBlock)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: block %s: %w", hash, err)
	}
	return decodeStored(hash, raw, td, sj)
}

// raw returns a block's stored encoding.
func (s *store) raw(ctx context.Context, hash chain.Hash) ([]byte, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT block FROM blocks WHERE hash = ?`, hash[:]).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger: block %s: %w", hash, ErrUnknownBlock)
	}
	return raw, err
}

func decodeStored(hash chain.Hash, raw []byte, td int64, sj []byte) (*stored, error) {
	blk, err := chain.DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: stored block %s: %w", hash, err)
	}
	if blk.Hash() != hash {
		return nil, fmt.Errorf("ledger: stored block %s hashes to %s: %w", hash, blk.Hash(), ErrCorruptStore)
	}
	var snap clique.Snapshot
	if err := json.Unmarshal(sj, &snap); err != nil {
		return nil, fmt.Errorf("ledger: stored block %s: snapshot: %w: %v", hash, ErrCorruptStore, err)
	}
	return &stored{block: blk, hash: hash, td: uint64(td), snap: &snap}, nil
}

// best returns the best stored block by clique.Better; the index orders
// rows exactly as Better does.
func (s *store) best(ctx context.Context) (clique.ChainTip, error) {
	var h []byte
	var number, td int64
	err := s.db.QueryRowContext(ctx, `SELECT hash, number, td FROM blocks ORDER BY td DESC, number ASC, hash ASC LIMIT 1`).Scan(&h, &number, &td)
	if err != nil {
		return clique.ChainTip{}, fmt.Errorf("ledger: best block: %w", err)
	}
	return clique.ChainTip{Hash: chain.Hash(h), Number: uint64(number), TotalDifficulty: uint64(td)}, nil
}

// markBad deletes a block and all its stored descendants and remembers
// them as bad, so that they are refused if offered again.
func (s *store) markBad(ctx context.Context, hash chain.Hash, reason string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	queue := []chain.Hash{hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		rows, err := tx.QueryContext(ctx, `SELECT hash FROM blocks WHERE parent = ?`, h[:])
		if err != nil {
			return err
		}
		for rows.Next() {
			var c []byte
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			queue = append(queue, chain.Hash(c))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		why := reason
		if h != hash {
			why = "descends from bad block " + hash.String()
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks WHERE hash = ?`, h[:]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bad_blocks(hash, reason) VALUES (?, ?) ON CONFLICT(hash) DO NOTHING`, h[:], why); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// pruneSide deletes the side-branch blocks numbered from to below-1: once
// the state can no longer revert that deep they can never become canonical.
func (s *store) pruneSide(ctx context.Context, from, below uint64, canonical func(number uint64) (chain.Hash, error)) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hash, number FROM blocks WHERE number >= ? AND number < ?`, int64(from), int64(below))
	if err != nil {
		return 0, err
	}
	var drop [][]byte
	for rows.Next() {
		var h []byte
		var n int64
		if err := rows.Scan(&h, &n); err != nil {
			rows.Close()
			return 0, err
		}
		c, err := canonical(uint64(n))
		if err != nil || c != chain.Hash(h) {
			drop = append(drop, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, h := range drop {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM blocks WHERE hash = ?`, h); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

func (s *store) integrityCheck() error {
	if err := sqlitedb.IntegrityCheck(s.db); err != nil {
		return fmt.Errorf("ledger: block store: %w", err)
	}
	return nil
}
