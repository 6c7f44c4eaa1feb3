// Package chain defines the wire formats of the Health Wallet consent chain:
// transactions, block headers and blocks, their canonical binary encoding,
// and their Ed25519 signatures.
//
// The chain is a small permissioned ledger among clinics. It holds no health
// data: only content IDs of ciphertext, public keys, signatures, coarse codes
// (categories, purposes of use, roles) and times. Everything in it is
// readable by every consortium member.
//
// The package owns:
//
//   - the encoding (codec.go): one canonical byte form per value. Decoders
//     bound every length before allocating (limits.go holds every bound),
//     copy what they keep, and reject anything that is not the unique
//     encoding of a valid value: non-minimal varints, trailing bytes, bool
//     bytes other than 0 and 1, out-of-range enums, unsorted or repeated set
//     members, unknown versions and types. decode(encode(x)) == x, and
//     encode(decode(b)) == b for every accepted b (fuzzed);
//   - transactions (tx.go): the signed envelope and the domain-separated
//     signing message (chain ID, type, body, nonce, sender), with one body
//     type per file (tx_*.go) behind a registry (RegisterBody), so a new
//     type is a new body and handler, never a change to the envelope or
//     block code;
//   - headers (header.go): EIP-225-style fields (difficulty, vote,
//     checkpoint signer list), the seal over a domain-separated message,
//     and the structural rules that need no chain state;
//   - blocks (block.go): header plus transactions, the RFC 6962 transaction
//     root (merkle.go), and Verify, which checks seal, root, sizes and every
//     signature in parallel;
//   - public key hygiene (keys.go): keys must be canonical encodings and not
//     of small order.
//
// It does not own, and its callers provide:
//
//   - state rules: who may send what (Body.Authority is only a hint), nonce
//     order, references between transactions (a revoke's grant, a
//     decision's request), grant expiry at a given time, the state root;
//   - consensus: which keys may seal, in-turn difficulty, recent signers,
//     vote tallies, epochs, fork choice, block times (package chain/clique);
//   - networking, storage, the mempool and sync.
//
// Test vectors for every type are in testdata/vectors.json (regenerate with
// go test -run TestVectors -update).
package chain
