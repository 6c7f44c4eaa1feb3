package clique

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// VerifyHeader checks header against its parent and the snapshot taken after
// the parent, without touching any other block (go-ethereum's verifyHeader,
// verifyCascadingFields and verifySeal, less what belongs to the wire format
// and the seal signature, which the caller has verified):
//
//   - header is parent's child (number, parent hash) and snap is the
//     snapshot after parent (ErrUnknownAncestor);
//   - difficulty is 1 or 2, and 2 exactly when the signer is in turn
//     (ErrInvalidDifficulty);
//   - header.Time >= parent.Time + Period (ErrInvalidTimestamp);
//   - a checkpoint carries no vote (ErrInvalidVote) and exactly the sorted
//     signer list, another block no list (ErrInvalidCheckpointSigners);
//   - the signer is authorized (ErrUnauthorizedSigner) and sealed none of
//     the last floor(N/2) blocks (ErrRecentlySigned).
//
// A header that passes is accepted by snap.Apply. Whether header.Time is in
// the future is for the caller, which owns the clock.
func VerifyHeader(snap *Snapshot, header, parent Header) error {
	if err := verifyHeader(snap, &header, &parent); err != nil {
		return fmt.Errorf("clique: block %d by %s: %w", header.Number, short(header.Signer), err)
	}
	return nil
}

func verifyHeader(snap *Snapshot, h, parent *Header) error {
	if parent.Number == math.MaxUint64 || h.Number != parent.Number+1 || h.ParentHash != parent.Hash {
		return fmt.Errorf("%w: header does not follow block %d", ErrUnknownAncestor, parent.Number)
	}
	if snap.Number != parent.Number || snap.Hash != parent.Hash {
		return fmt.Errorf("%w: snapshot is at block %d, not the parent", ErrUnknownAncestor, snap.Number)
	}
	if err := snap.checkStructure(h); err != nil {
		return err
	}
	gap := snap.Config.periodSeconds()
	if parent.Time > math.MaxUint64-gap || h.Time < parent.Time+gap {
		return fmt.Errorf("%w: time %d, parent %d, period %v", ErrInvalidTimestamp, h.Time, parent.Time, snap.Config.WithDefaults().Period)
	}
	if err := snap.CanSeal(h.Number, h.Signer); err != nil {
		return err
	}
	if h.Difficulty != snap.Difficulty(h.Number, h.Signer) {
		return ErrInvalidDifficulty
	}
	return nil
}

// OutOfTurnDelay is the random delay an out-of-turn signer adds before
// sealing, so that the in-turn signer's block usually arrives first and
// out-of-turn signers rarely collide: uniform in [0, (floor(n/2)+1) *
// WiggleTime), as go-ethereum's Clique sealer draws it, for n signers. With
// rng nil it draws from the global source. It is 0 for n <= 0.
func OutOfTurnDelay(rng *rand.Rand, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	wiggle := int64(n/2+1) * int64(WiggleTime)
	if rng == nil {
		return time.Duration(rand.Int64N(wiggle))
	}
	return time.Duration(rng.Int64N(wiggle))
}
