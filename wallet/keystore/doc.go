// Package keystore keeps a wallet's root secret (the 32-byte entropy of its
// recovery phrase) in one file, sealed under the user's passphrase.
//
// # Construction
//
// The passphrase is stretched with Argon2id (RFC 9106) into a 32-byte key
// using a fresh random 16-byte salt, and the secret is encrypted with
// XChaCha20-Poly1305 under a fresh random 24-byte nonce. The whole header,
// including the Argon2id parameters, salt and nonce, is the AEAD's
// additional data, so none of it can be changed without detection. Both the
// salt and nonce are renewed on every write, including ChangePassphrase.
//
// # File format, version 1
//
// All integers are big-endian.
//
//	offset size
//	0      4    magic "HWKS"
//	4      1    format version, 1
//	5      1    KDF id, 1 = Argon2id
//	6      4    Argon2id time (passes)
//	10     4    Argon2id memory, KiB
//	14     1    Argon2id threads
//	15     16   salt
//	31     24   XChaCha20-Poly1305 nonce
//	55     4    ciphertext length n (payload + 16-byte tag)
//	59     n    ciphertext
//	59+n   32   SHA-256 of bytes [0, 59+n)
//
// The plaintext payload is a sequence of records, each a kind byte, a 2-byte
// length and that many bytes. Version 1 writes one record, kind 1, the root
// secret. Readers skip records of unknown kinds, and ChangePassphrase
// re-seals the payload as it is, so a later version can store more without
// an older one destroying it.
//
// # Errors: damage versus a wrong passphrase
//
// The trailing SHA-256 is not a security mechanism (the AEAD is): it lets
// Unseal tell accidental damage, such as a truncated file or a flipped bit,
// reported as ErrCorrupt, apart from a wrong passphrase, reported as
// ErrWrongPassphrase, which is what an AEAD failure on an intact file means.
// Someone who deliberately edits the file and recomputes the checksum gets
// ErrWrongPassphrase, and learns nothing.
//
// Unseal checks the format version (ErrUnsupportedVersion), the checksum
// and the Argon2id parameters against the bounds in limits.go
// (ErrParamsOutOfBounds) before running Argon2id, so a hostile file costs at
// most those bounds in memory and time.
//
// # Files
//
// Save, Load and ChangePassphrase work on a file path. Writes are atomic
// (package internal/atomicfile): after a crash at any moment the file holds
// either the complete old keystore or the complete new one, never a mixture.
// Writes from one process are serialised; the application must ensure that
// only one process writes a given keystore. The file is created with mode
// 0600.
//
// The passphrase is used as the bytes given. Callers should normalise text
// passphrases (Unicode NFC) before calling, so that the same passphrase
// typed on different systems gives the same bytes.
package keystore
