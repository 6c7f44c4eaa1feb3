package chain

import "errors"

// Sentinel errors. Returned errors wrap exactly one of them (test with
// errors.Is) and add the field at fault, e.g.
// "chain: tx: body: scope: record IDs: entry 2 not after entry 1: chain: non-canonical encoding".
var (
	// ErrTruncated: the input ends inside a field.
	ErrTruncated = errors.New("chain: truncated")

	// ErrNonCanonical: the input is not the one byte form of its value: a
	// varint with redundant bytes, bytes after the end, a bool byte other
	// than 0 or 1, set members out of order or repeated, an optional field
	// present but empty.
	ErrNonCanonical = errors.New("chain: non-canonical encoding")

	// ErrTooLarge: a length, count or whole encoding exceeds a bound in
	// limits.go.
	ErrTooLarge = errors.New("chain: over a size limit")

	// ErrUnknownVersion: a format version this package does not read.
	ErrUnknownVersion = errors.New("chain: unknown format version")

	// ErrUnknownType: a transaction type with no registered body.
	ErrUnknownType = errors.New("chain: unknown transaction type")

	// ErrInvalid: a field is structurally well formed but its value is not
	// allowed: an enum out of range, a malformed CID, a bad character in an
	// ID, an empty scope, an expiry before the start, ...
	ErrInvalid = errors.New("chain: invalid field")

	// ErrBadKey: a 32-byte Ed25519 public key that is a non-canonical
	// encoding or a point of small order (see PublicKey.Check).
	ErrBadKey = errors.New("chain: bad public key")

	// ErrBadSignature: a transaction signature or header seal does not
	// verify.
	ErrBadSignature = errors.New("chain: bad signature")

	// ErrWrongChain: signed for, or sealed on, another chain ID.
	ErrWrongChain = errors.New("chain: wrong chain ID")

	// ErrBadTxRoot: a header's transaction root does not match its block's
	// transactions.
	ErrBadTxRoot = errors.New("chain: transaction root mismatch")

	// ErrDuplicateTx: the same transaction twice in one block.
	ErrDuplicateTx = errors.New("chain: duplicate transaction in block")
)
