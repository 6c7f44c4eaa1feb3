package envelope

import "errors"

// Sentinel errors. Returned errors wrap them (test with errors.Is) and add
// context such as the chunk index.
//
// One case is ambiguous by construction: when the stream ends inside a chunk
// (or with a short chunk that does not authenticate as the final one) the
// reader cannot tell a cut from a modification or from bytes appended after a
// short final chunk, because STREAM has no framing beyond the chunk size. That
// error matches both ErrTruncated and ErrChunkTampered.
var (
	// ErrUnknownVersion: the magic is right but the version byte is not one
	// this package reads.
	ErrUnknownVersion = errors.New("envelope: unknown format version")

	// ErrMalformedHeader: bad magic, a bound from limits.go exceeded, or a
	// header cut short (which also matches ErrTruncated).
	ErrMalformedHeader = errors.New("envelope: malformed header")

	// ErrNoMatchingRecipient: no stanza opens with the given private key,
	// i.e. the file is not encrypted to this key. A corrupted stanza addressed
	// to this key looks the same, since stanzas are anonymous.
	ErrNoMatchingRecipient = errors.New("envelope: not encrypted to this key")

	// ErrHeaderTampered: the header MAC does not verify under the data key.
	ErrHeaderTampered = errors.New("envelope: header authentication failed")

	// ErrChunkTampered: a payload chunk failed authentication (modified,
	// reordered, or from another file).
	ErrChunkTampered = errors.New("envelope: payload chunk authentication failed")

	// ErrTruncated: the stream ended before the final chunk.
	ErrTruncated = errors.New("envelope: truncated")

	// ErrTrailingData: bytes follow an authenticated final chunk.
	ErrTrailingData = errors.New("envelope: trailing data after final chunk")
)

// errWriterClosed is returned by Write on a closed Writer.
var errWriterClosed = errors.New("envelope: write to closed Writer")
