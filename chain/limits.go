package chain

import "crypto/ed25519"

// Every size bound of the version 1 wire formats lives here. They are part of
// the formats: a version 1 decoder rejects anything outside them (ErrTooLarge),
// and changing one of them is a consensus change (every node must agree on
// what decodes), so it needs a new version or a coordinated upgrade.
const (
	// MaxTxSize bounds the whole encoding of a transaction: envelope, body
	// and signature.
	MaxTxSize = 16 << 10

	// MaxChainIDLen bounds a chain ID, in bytes (ASCII, see ValidChainID).
	MaxChainIDLen = 64

	// MaxRecordIDLen bounds a record ID, in bytes (ASCII). The wallet's IDs
	// are 24 characters.
	MaxRecordIDLen = 64

	// MaxCIDLen bounds a CID's binary length. The only CIDs version 1
	// accepts (CIDv1, sha2-256) are exactly CIDLen bytes; the bound is what a
	// decoder reads before checking the structure.
	MaxCIDLen = 64

	// MaxScopeEntries bounds the record IDs plus categories in one scope.
	MaxScopeEntries = 128

	// MaxNoteLen bounds an access request's note, in bytes of UTF-8.
	MaxNoteLen = 280

	// MaxAccessDuration bounds the duration an access request asks for, in
	// seconds: ten years of 365.25 days.
	MaxAccessDuration = 10 * 36525 * 24 * 3600 / 100

	// MaxAuthorityNameLen bounds a licensing authority's name, in bytes of
	// UTF-8.
	MaxAuthorityNameLen = 96

	// MaxDispenses bounds the dispenses one prescription allows (the first
	// and up to eleven refills).
	MaxDispenses = 12

	// MaxOrganisationNameLen bounds a supply-chain organisation's name, in
	// bytes of UTF-8 (as an authority's).
	MaxOrganisationNameLen = 96

	// MaxGS1FieldLen bounds a lot or serial number: the length GS1 allows
	// AI 10 and AI 21.
	MaxGS1FieldLen = 20

	// MaxBatchSerials bounds the packs of one commissioned batch (and so
	// the serial list a Merkle root stands for).
	MaxBatchSerials = 1_000_000

	// MaxShipmentSerials bounds the serials one Shipment or Recall lists
	// (about 8.4 KB at the longest serials, well inside MaxTxSize); more
	// packs go as the whole batch or in several transactions.
	MaxShipmentSerials = 400

	// MaxIdentityLen is the size of a clinician's public identity record
	// (wallet/identity Public.MarshalBinary, version 1): version byte,
	// Ed25519 key, 2-byte length and a 1216-byte MLKEM768-X25519 key, 2-byte
	// length and a 64-byte signature. A register body carries it or nothing.
	MaxIdentityLen = 1 + ed25519.PublicKeySize + 2 + identityKEMKeyLen + 2 + ed25519.SignatureSize

	// MaxSigners bounds the signer list of a checkpoint header, and so the
	// number of block signers (clinics) a chain can have. At most 127 so the
	// count is one varint byte (MaxHeaderSize relies on it).
	MaxSigners = 64

	// MaxHeaderSize is the size of the largest valid header: the longest
	// chain ID, a vote and a full checkpoint list cannot all appear together
	// (a checkpoint carries no vote), so this is a bound, not an exact size.
	MaxHeaderSize = 1 + // version
		1 + MaxChainIDLen + // chain ID
		HashSize + 8 + 8 + // parent, number, time
		HashSize + HashSize + // tx root, state root
		1 + // difficulty
		1 + PublicKeySize + 1 + // vote flag, target, authorize
		1 + MaxSigners*PublicKeySize + // checkpoint
		PublicKeySize + SignatureSize // signer, seal

	// MaxBlockTxs bounds the transactions in one block.
	MaxBlockTxs = 8192

	// MaxBlockSize bounds a block's whole encoding. Note that gossipsub's
	// default message limit is 1 MiB: a network layer that gossips whole
	// blocks must raise it to at least this.
	MaxBlockSize = 2 << 20
)

const identityKEMKeyLen = 1216 // MLKEM768-X25519 public key (wallet/identity.KEMPublicKeySize)

// Mempool bounds.
const (
	// MaxPoolTxs and MaxPoolBytes bound the whole pool.
	MaxPoolTxs   = 50_000
	MaxPoolBytes = 64 << 20
	// MaxPoolTxsPerAccount keeps one account from filling the pool.
	MaxPoolTxsPerAccount = 256
	// MaxPoolNonceGap is how far ahead of its account a nonce may be.
	MaxPoolNonceGap = 256
)
