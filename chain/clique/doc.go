// Package clique holds the proof-of-authority rules of the consent chain:
// EIP-225 (Clique) as go-ethereum's consensus/clique implements it, on a
// minimal Header of its own so that it depends on no wire format.
//
// # What it owns
//
// Who may seal. The signers are a set of Ed25519 public keys, taken in
// ascending byte order. Block n is in turn for signer n mod N of that order
// and then carries difficulty 2 (DiffInTurn); any other authorized signer
// may seal it out of turn with difficulty 1 (DiffNoTurn), after a random
// delay (OutOfTurnDelay). A signer may seal at most one of any floor(N/2)+1
// consecutive blocks (Snapshot.Recents, Snapshot.CanSeal). Blocks are at
// least Config.Period apart.
//
// Votes. A block may carry one vote (Header.Vote) to add or drop a signer.
// A signer has one vote per target, its latest; a vote that would not
// change the target's status counts for nothing. A strict majority of the
// current signers (> N/2) enacts a vote: the target is added or dropped and
// all votes on it are discarded; a dropped signer's own votes are discarded
// and the recent-signer window shrinks with N. Changes never cascade: a
// tally that a drop turned into a majority is enacted only when a later
// block votes on that target. Every Config.Epoch blocks a checkpoint block
// carries no vote, lists the signers (Header.Checkpoint) and resets all
// votes; it does not reset the recent signers.
//
// Snapshot is the state these rules need after a block; Apply advances it
// over headers (copy on write) and VerifyHeader checks one header against
// its parent and the parent's snapshot. Errors are sentinels for errors.Is
// (ErrUnauthorizedSigner, ErrRecentlySigned, …).
//
// Fork choice. Better orders blocks by numbered rules (total difficulty,
// then number, then hash) into a strict total order, so the head does not
// depend on the order blocks arrive in; Head picks the best of a set.
//
// # What it does not own
//
// Encoding and hashing of headers, seal signatures (the caller verifies the
// seal and fills Header.Signer), storage of blocks and snapshots (a Snapshot
// marshals to JSON for the store), accumulating total difficulty, the
// clock (future blocks), transactions and state, and networking.
//
// Header.Time is in whole Unix seconds, as in EIP-225, so Config.Period is
// a whole number of seconds (Config.Validate).
package clique
