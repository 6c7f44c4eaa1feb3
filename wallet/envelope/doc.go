// Package envelope implements the Health Wallet encrypted record format,
// version 1: one record (a FHIR JSON resource, a PDF, an image of any size)
// encrypted under its own random 256-bit data key, in constant memory.
//
// A file is a header followed by a payload. The header wraps the data key to
// each recipient with HPKE (RFC 9180) using MLKEM768-X25519 (X-Wing, hybrid
// post-quantum), HKDF-SHA256 and ChaCha20-Poly1305, in anonymous stanzas that
// a reader tries in turn, and ends with an HMAC-SHA256 under a key derived
// from the data key, so the whole header is authenticated by anyone who holds
// the data key. The payload is the STREAM construction over
// XChaCha20-Poly1305 in 64 KiB chunks, which detects modified, reordered,
// truncated and appended chunks. The design follows age (filippo.io/age) and
// composes standard primitives only. FORMAT.md specifies the bytes; the files
// in testdata/vectors pin them.
//
// The package owns: the byte format and its versioning, data key generation,
// wrapping the data key to recipients' public keys and unwrapping it with a
// private key, and the streaming payload encryption.
//
// It does not own, and callers must provide where needed:
//   - private key storage and identity (the wallet's keystore and identity
//     packages); this package takes hpke.PublicKey and hpke.PrivateKey values;
//   - grants: re-wrapping a data key to a grantee after the fact happens
//     outside the file (capsules); NewReaderWithKey and Header.Verify serve the
//     grantee who holds the key;
//   - sender authentication. Stanzas are anonymous and unsigned: anyone can
//     encrypt a file to a public key, and anyone who holds a file's data key
//     (every recipient and grantee) can produce a different valid file under
//     the same key. Bind a record to its origin and content outside this
//     package (a signature, or the content address of the ciphertext);
//   - length hiding: the ciphertext size reveals the plaintext size (see
//     Overhead and HeaderSize). There is no padding and no compression;
//   - record metadata, naming and storage.
//
// Streaming readers return plaintext only from authenticated chunks, but a
// stream can still fail after some chunks have been returned; the bytes are
// authentic but incomplete until Read returns io.EOF. Use DecryptAll for
// all-or-nothing.
package envelope
