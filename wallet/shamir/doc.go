// Package shamir splits a secret, such as a record's 32-byte data key, into n
// shares of which any k recombine it and any k-1 reveal nothing about it. The
// wallet uses it for break-glass access: a record data key is split k-of-n
// among clinic nodes so that no fewer than k of them together can recover it.
//
// This is the standard Shamir scheme applied byte by byte over GF(2^8) with
// the AES reduction polynomial x^8+x^4+x^3+x+1 (0x11B), the same field as
// HashiCorp Vault's shamir package and SLIP-0039. Each secret byte is the
// constant term of its own random polynomial of degree k-1; share i (X = i,
// for i = 1..n) holds that polynomial's value at x = i for every byte, and
// Combine recovers the constant terms by Lagrange interpolation at x = 0.
//
// The package owns splitting a secret, recombining shares, and the share
// encoding. It does not own, and callers must provide:
//   - sealing shares to their holders. A share in the clear is a piece of the
//     key; encrypt each one to its clinic node (for example with the envelope
//     package) before it leaves the wallet;
//   - deciding who holds shares, and the choice of n and k;
//   - integrity. Shares are not authenticated: a wrong, tampered or foreign
//     share (from another split with the same threshold and length)
//     recombines to a wrong secret without any error. Verify the result, for
//     instance by opening the record with it, whose header MAC fails under a
//     wrong key.
//
// Combine validates every share it is given (encoding bounds, one threshold
// and one length for all, no conflicting duplicates) but interpolates over
// only the first Threshold distinct shares in argument order: k points fix a
// polynomial of degree k-1, so further honest shares add nothing, and without
// authentication a disagreeing extra share could not say which one is wrong.
//
// Threshold 1 is allowed, because 1-of-n ("any one clinic") is a legitimate
// policy, but it offers no protection: every share is the secret itself.
//
// Side channels: field multiplication is shift-and-add with masks over eight
// fixed rounds, never log/exp tables indexed by secret data, whose cache
// footprint would reveal the index. Inversion is a^254 through a fixed chain
// of multiplications. Branches and loop bounds depend only on public values:
// n, k, lengths and share X coordinates.
//
// Randomness: Split reads len(secret)*(k-1) bytes from crypto/rand, the
// coefficients of x^1..x^(k-1) for secret byte 0, then byte 1, and so on. All
// coefficients are uniform including zero; forcing a non-zero leading
// coefficient would exclude values of y and so leak information from fewer
// than k shares (for k = 2 a single share would prove the secret is not y).
//
// Share wire format, version 1 (MarshalBinary, UnmarshalBinary), 3+len(Y)
// bytes:
//
//	offset 0  version    1 byte, 0x01
//	offset 1  threshold  1 byte, k, 1..255
//	offset 2  x          1 byte, 1..255
//	offset 3  y          1..1024 bytes, as long as the secret
//
// The encoding carries the threshold so that Combine can report too few
// shares instead of returning a wrong secret; it does not hide the secret's
// length. testdata/vectors.json pins the encoding and the use of randomness.
package shamir
