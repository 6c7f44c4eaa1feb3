// Package serials defines a manufacturer's signed serial list: the serial
// numbers (GS1 AI 21) of one batch of one product (GTIN, lot, expiry), as
// the manufacturer puts it in IPFS when commissioning the batch, and the
// Merkle root and membership proofs that let the chain hold one hash for a
// batch of up to a million packs.
//
// It owns the list's binary format (version 1), its signature, the leaf
// hash of a serial and the proofs. It does not own the chain (the
// BatchCommission transaction carrying the root and the list's CID is
// chain's), IPFS, keys, or the parsing of scanned GS1 element strings
// (wallet/gs1); it checks the GS1 rules its own fields need. It does no I/O.
//
// # Format
//
//	"HWSL" | u8 version 1 | text GTIN | text lot | text expiry YYMMDD |
//	uvarint count | count × text serial (strictly increasing bytewise) |
//	fixed 64 signature | fixed 32 manufacturer key
//
// in chain's canonical encoding (chain.Encoder). The signature is Ed25519
// by the manufacturer key over "healthwallet-serials-v1\x00" followed by
// every byte before the signature. The Merkle root is chain.MerkleRoot over
// LeafHash of each serial in list order, so a proof is an RFC 6962 audit
// path and the position of a serial is its rank in the sorted list.
package serials
