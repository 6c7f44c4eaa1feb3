// Package ledger is a node's copy of the consent chain: it ties the wire
// formats (package chain), the consensus rules (chain/clique) and the
// verified state (chain/state) into one chain that only ever moves to a
// block that passed every check.
//
// It owns:
//
//   - the block store (store.go): every verified block, canonical or on a
//     side branch, with its total difficulty and the clique snapshot after
//     it, written in one SQLite transaction (same durability rules as the
//     state);
//   - insertion (insert.go): a block is stored only after the checks that
//     need no state (chain.Block.Verify: seal, tx root, every signature,
//     sizes), the consensus checks against its parent (clique.VerifyHeader:
//     signer, turn, recent signers, period, checkpoints, votes), its time
//     (no more than MaxFutureDrift ahead of the clock) and its state root.
//     A block that extends the head is then applied to the state
//     (every transaction's rules) before it is stored; a block on a side
//     branch is applied when its branch becomes the best, and a block that
//     fails then is deleted with its descendants and remembered as bad;
//   - fork choice and reorgs: the head is the best stored block by
//     clique.Better (rules numbered there: total difficulty, then lower
//     number, then lower hash), so the same blocks give the same head
//     whatever order they arrive in. A reorg reverts the state to the
//     common ancestor and applies the new branch; transactions of the
//     dropped blocks that the new branch lacks go back to the mempool;
//   - the mempool admission rules (pool.go) and block building and sealing
//     (seal.go, sealer.go): the sealer loop seals a block when transactions
//     are pending and it is this signer's turn (in turn at the period, out of
//     turn after clique.OutOfTurnDelay), and votes on signers proposed to it;
//   - the state root (root.go);
//   - the sync path (batch.go): InsertBlocks verifies the signatures of the
//     next group of blocks while the previous group is applied, and commits
//     a run of blocks that extends the head in one state transaction and
//     one store transaction.
//
// Crash safety: each block (or InsertBlocks group) is committed to the state
// and then to the store, each with synchronous=FULL, and Open repairs the one gap a kill can leave
// (a state head the store lacks is reverted; a stored block better than the
// state head is applied), so a node restarts at its last acknowledged head.
//
// It does not own networking (package chain/p2p gossips and syncs blocks
// into InsertBlock and transactions into AddTx), keys (the caller passes
// the sealing key), or the queries on the state (Ledger.State).
package ledger
