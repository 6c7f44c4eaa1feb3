package state

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/chain/clique"
)

// StoreSnapshot stores a clique signer snapshot under its block hash, as
// JSON (the consensus engine's checkpoints, so a restart need not replay
// headers from genesis).
func (s *State) StoreSnapshot(ctx context.Context, snap *clique.Snapshot) error {
	data, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("state: store snapshot %d: %w", snap.Number, err)
	}
	return s.PutSnapshot(ctx, chain.Hash(snap.Hash), snap.Number, data)
}

// LoadSnapshot returns the clique snapshot stored for a block hash
// (ErrNotFound).
func (s *State) LoadSnapshot(ctx context.Context, hash chain.Hash) (*clique.Snapshot, error) {
	data, err := s.Snapshot(ctx, hash)
	if err != nil {
		return nil, err
	}
	var snap clique.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("state: snapshot %s: %w", hash, err)
	}
	return &snap, nil
}
