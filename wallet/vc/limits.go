package vc

// Limits on what Verify accepts. A clinician credential is a few hundred
// bytes; anything far larger is refused before it is parsed.
const (
	// MaxDocumentSize is the largest document, in bytes, Verify will parse.
	MaxDocumentSize = 16 << 10

	// MaxFieldLength is the longest string, in bytes, accepted for a
	// credential's free-text fields (kind, licence number, jurisdiction,
	// specialty).
	MaxFieldLength = 256

	// maxDIDLength bounds a did:key string (an Ed25519 did:key is 56 bytes).
	maxDIDLength = 128

	// maxProofValueLength bounds the multibase proofValue (a base58btc
	// Ed25519 signature is at most 89 characters with its "z").
	maxProofValueLength = 128

	// maxContexts bounds the number of @context entries.
	maxContexts = 8
)
