package clique

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Signer identifies a block signer: its Ed25519 public key. Signers are
// ordered by bytes.Compare of the key; that order decides whose turn it is.
type Signer [32]byte

// Compare orders signers by their bytes (bytes.Compare).
func (s Signer) Compare(o Signer) int { return bytes.Compare(s[:], o[:]) }

// String is the key in lower-case hex.
func (s Signer) String() string { return hex.EncodeToString(s[:]) }

// MarshalText encodes the key as lower-case hex, so signers read well in JSON
// (also as map keys).
func (s Signer) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(s)))
	hex.Encode(out, s[:])
	return out, nil
}

// UnmarshalText decodes exactly 64 hex digits.
func (s *Signer) UnmarshalText(text []byte) error {
	if len(text) != hex.EncodedLen(len(s)) {
		return fmt.Errorf("clique: signer: want %d hex digits, have %d", hex.EncodedLen(len(s)), len(text))
	}
	var v Signer
	if _, err := hex.Decode(v[:], text); err != nil {
		return fmt.Errorf("clique: signer: %w", err)
	}
	*s = v
	return nil
}

// Difficulties a Clique block may carry (EIP-225 DIFF_INTURN, DIFF_NOTURN).
const (
	DiffNoTurn uint8 = 1 // sealed by a signer out of its turn
	DiffInTurn uint8 = 2 // sealed by the signer whose turn it is
)

// Defaults for a zero Config field.
const (
	DefaultPeriod = 2 * time.Second // block period for a clinic LAN
	DefaultEpoch  = 30000           // EIP-225 EPOCH_LENGTH
	// WiggleTime is the per-signer unit of the random delay an out-of-turn
	// signer waits before sealing (EIP-225 / go-ethereum wiggleTime).
	WiggleTime = 500 * time.Millisecond
)

// Config holds the consensus parameters fixed by the genesis file.
type Config struct {
	// Period is the minimum time between a block and its parent. Header
	// times are whole Unix seconds, so a period is rounded up to whole
	// seconds; 0 means DefaultPeriod.
	Period time.Duration `json:"period"`
	// Epoch is the number of blocks after which votes are reset and a
	// checkpoint lists the signers; 0 means DefaultEpoch.
	Epoch uint64 `json:"epoch"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Period == 0 {
		c.Period = DefaultPeriod
	}
	if c.Epoch == 0 {
		c.Epoch = DefaultEpoch
	}
	return c
}

// Validate reports a configuration no chain should be started with.
func (c Config) Validate() error {
	if c.Period < 0 {
		return fmt.Errorf("clique: negative period %v", c.Period)
	}
	if c.Period%time.Second != 0 {
		return fmt.Errorf("clique: period %v is not a whole number of seconds", c.Period)
	}
	return nil
}

// periodSeconds is the minimum gap between header times, in seconds.
func (c Config) periodSeconds() uint64 {
	c = c.WithDefaults()
	if c.Period < 0 {
		return 0
	}
	return uint64((c.Period + time.Second - 1) / time.Second)
}

// IsCheckpoint reports whether block number is an epoch checkpoint (block 0,
// the genesis, is one too).
func (c Config) IsCheckpoint(number uint64) bool {
	return number%c.WithDefaults().Epoch == 0
}

// Proposal is the optional vote a block's signer casts: add Target to the
// signers (Authorize) or drop it (!Authorize). EIP-225 carries it in the
// beneficiary and nonce fields.
type Proposal struct {
	Target    Signer `json:"target"`
	Authorize bool   `json:"authorize"`
}

// Header is what the Clique rules need of a block header. The caller decodes
// it from the wire format and has already verified the seal signature, so
// Signer is the key that signed it.
type Header struct {
	Number     uint64
	Hash       [32]byte
	ParentHash [32]byte
	Time       uint64 // Unix seconds
	Difficulty uint8  // DiffInTurn or DiffNoTurn
	Signer     Signer
	Vote       *Proposal // nil: no vote
	Checkpoint []Signer  // the signers, sorted; only on checkpoint blocks
}

// Errors callers branch on (errors.Is); returned errors wrap them with the
// block number and signer.
var (
	// ErrInvalidVotingChain: headers are not contiguous with each other or
	// with the snapshot (number or parent hash).
	ErrInvalidVotingChain = errors.New("invalid voting chain")
	// ErrUnauthorizedSigner: the block's signer is not in the signer set.
	ErrUnauthorizedSigner = errors.New("unauthorized signer")
	// ErrRecentlySigned: the signer sealed one of the last floor(N/2) blocks.
	ErrRecentlySigned = errors.New("recently signed")
	// ErrInvalidVote: a vote where none is allowed (a checkpoint block).
	ErrInvalidVote = errors.New("invalid vote")
	// ErrInvalidCheckpointSigners: a checkpoint whose signer list is not
	// the snapshot's, or a signer list on a non-checkpoint block.
	ErrInvalidCheckpointSigners = errors.New("invalid checkpoint signers")
	// ErrInvalidDifficulty: difficulty is not 2 for the in-turn signer and
	// 1 for any other.
	ErrInvalidDifficulty = errors.New("invalid difficulty")
	// ErrInvalidTimestamp: the block is less than one period after its parent.
	ErrInvalidTimestamp = errors.New("invalid timestamp")
	// ErrUnknownAncestor: the parent given is not the header's parent, or the
	// snapshot given is not the parent's.
	ErrUnknownAncestor = errors.New("unknown ancestor")
)
