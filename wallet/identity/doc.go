// Package identity derives a Health Wallet user's long-term keys from a
// 24-word recovery phrase and defines the public forms of those keys: the
// Public key bundle that travels on the wire and the ID string a person
// copies, reads out or shows as a QR code.
//
// # Recovery phrase
//
// The root secret of a wallet is 32 bytes of entropy from crypto/rand,
// written down by the user as a standard BIP39 English mnemonic of 24 words
// (NewMnemonic, ParseMnemonic). Every key below is a deterministic function
// of those 32 bytes, so the phrase alone restores the whole identity on a new
// machine. The phrase (or the entropy) is kept on disk only inside the
// passphrase-sealed keystore (package wallet/keystore).
//
// # Derivation
//
//	seed = BIP39 seed of the phrase, empty BIP39 passphrase (64 bytes,
//	       PBKDF2-HMAC-SHA512, 2048 iterations)
//	prk  = HKDF-Extract(SHA-256, salt = "healthwallet identity v1", seed)
//	signing key = Ed25519 key from seed
//	              HKDF-Expand(prk, "healthwallet/v1/ed25519-signing", 32)
//	KEM key     = HPKE MLKEM768-X25519 DeriveKeyPair(
//	              HKDF-Expand(prk, "healthwallet/v1/hpke-mlkem768x25519", 32))
//	other keys  = HKDF-Expand(prk, caller's label, n)  (Identity.DeriveKey)
//
// Using the standard BIP39 seed means the phrase is an ordinary BIP39 phrase
// that other tools can check; HKDF with distinct info labels makes the keys
// independent of one another, so using one key can never reveal another. The
// 32-byte DeriveKeyPair input equals the KEM's private-key size (Nsk) and
// carries the full 256 bits of the entropy.
//
// # Public identity
//
// An ID is "hw1" followed by lowercase unpadded base32 (RFC 4648) of
//
//	version (0x01) || Ed25519 public key (32 bytes) || checksum (4 bytes)
//
// where the checksum is the first 4 bytes of SHA-256("healthwallet id
// checksum v1" || version || key): 63 characters in all. For example, the
// identity of the BIP39 test phrase "abandon abandon ... abandon art" is
//
//	hw1afizn5aaoscx2oi7w6zfhpxmwdkr66irzvoh3wrq4bplwhggqqjoiqec3gcq
//
// The ID contains the signing key itself rather than a hash of it, so anyone
// holding only an ID can check a signature by that person offline, with no
// directory, server or extra lookup, and nobody can present a different key
// for the same ID. The 60 characters are the price; an ID is meant to be
// copied or scanned, not memorised.
//
// The checksum exists only to catch typing and transcription mistakes: it is
// not a security mechanism (the key is the identity). A random error slips
// past a 32-bit checksum with probability 2^-32; every single-character
// substitution of the test vectors' IDs is checked to be caught. ParseID
// tolerates surrounding whitespace, upper case and the spaces or dashes a
// person types between groups, and reports what is wrong (prefix, character
// and position, length, version, checksum) so a user can fix it.
//
// The encryption (KEM) key is not in the ID: an HPKE MLKEM768-X25519 public
// key is 1216 bytes, far too long for something people copy. Instead it
// travels in a Public bundle, bound to the identity by an Ed25519 signature
// of the signing key over "healthwallet kem-key v1" || KEM public key. Given
// an ID and a Public received from anywhere (even an untrusted relay), a
// sender checks that the bundle's signing key matches the ID and that the
// signature verifies (Public.KEM does the latter) before encrypting to it.
// The hybrid post-quantum KEM protects records encrypted today against a
// future quantum adversary; the X25519 half keeps classical security if
// ML-KEM were ever broken.
package identity
