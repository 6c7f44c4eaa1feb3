package envelope

// Every size bound of format version 1 lives here. They are part of the
// format: a version 1 reader rejects anything outside them, and changing any of
// them means a new Version (see FORMAT.md).
const (
	// ChunkSize is the plaintext size of every payload chunk except the
	// final one, which holds 0 to ChunkSize bytes. Fixed by Version 1.
	ChunkSize = 64 << 10

	// MaxRecipients bounds the recipient count in a header, and so both the
	// header size and the number of HPKE decapsulations a reader attempts.
	MaxRecipients = 256

	// MaxHeaderSize is the size of a header with MaxRecipients stanzas, the
	// most a reader ever buffers for a header.
	MaxHeaderSize = preambleSize + MaxRecipients*stanzaSize + macSize
)

const (
	magic = "HWENC"

	tagSize            = 16 // Poly1305 tag appended to every chunk
	encryptedChunkSize = ChunkSize + tagSize

	saltSize     = 16 // payload salt (HKDF salt of the payload key)
	countSize    = 2  // recipient count, big-endian uint16
	macSize      = 32 // HMAC-SHA256
	preambleSize = len(magic) + 1 + saltSize + countSize

	// Stanzas have a fixed size because Version 1 fixes the HPKE suite:
	// MLKEM768-X25519 enc is an ML-KEM-768 ciphertext (1088 bytes) followed by
	// an X25519 share (32 bytes); the wrapped key is the 32-byte data key
	// sealed with ChaCha20-Poly1305.
	encSize        = 1088 + 32
	wrappedKeySize = len(DataKey{}) + 16
	stanzaSize     = encSize + wrappedKeySize

	// nonce layout: 15 zero bytes, 8-byte big-endian chunk counter, final flag.
	nonceSize       = 24
	nonceCounterOff = 15
	nonceFlagOff    = 23
)

// HeaderSize returns the exact size in bytes of a header with the given number
// of recipients, or -1 if that number is out of range (0 to MaxRecipients).
func HeaderSize(recipients int) int64 {
	if recipients < 0 || recipients > MaxRecipients {
		return -1
	}
	return int64(preambleSize + recipients*stanzaSize + macSize)
}

// Overhead returns the number of bytes the payload encoding adds to a
// plaintext of plaintextLen bytes: one 16-byte tag per chunk. The exact
// encrypted size is HeaderSize(recipients) + plaintextLen + Overhead(plaintextLen).
// It returns -1 for a negative length.
func Overhead(plaintextLen int64) int64 {
	if plaintextLen < 0 {
		return -1
	}
	chunks := plaintextLen / ChunkSize
	if plaintextLen%ChunkSize != 0 || plaintextLen == 0 {
		chunks++
	}
	return chunks * tagSize
}
