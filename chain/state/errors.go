package state

import "errors"

// Errors callers branch on. Errors from ApplyBlock wrap one of them (or a
// chain sentinel such as chain.ErrInvalid) and name the transaction.
var (
	// ErrBadNonce: a transaction's nonce is not its sender's next nonce.
	ErrBadNonce = errors.New("state: bad nonce")
	// ErrUnauthorized: the sender may not send this transaction.
	ErrUnauthorized = errors.New("state: sender not authorized")
	// ErrNotFound: a referenced grant, request or clinician does not exist.
	ErrNotFound = errors.New("state: not found")
	// ErrConflict: the transaction contradicts the state: a grant already
	// revoked, a request already decided, a key already registered, a block
	// that does not extend the head.
	ErrConflict = errors.New("state: conflict")
)
