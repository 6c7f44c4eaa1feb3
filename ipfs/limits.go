package ipfs

const (
	// ChunkSize is the UnixFS leaf size for added content. 256 KiB is kubo's
	// default, so `ipfs add --cid-version=1 --raw-leaves` on the same bytes
	// gives the same CID.
	ChunkSize = 256 << 10

	// MaxLinksPerNode is the balanced layout's fan-out, again kubo's default.
	MaxLinksPerNode = 174

	// MaxBlockSize is the largest block the store accepts, from a peer or a
	// CAR: what the bitswap spec promises to carry. Our own blocks are at
	// most ChunkSize plus a little.
	MaxBlockSize = 2 << 20

	// DefaultMinFreeBytes is the disk space the store leaves free: room for
	// the datastore's log rotation and compactions, which must never fail.
	DefaultMinFreeBytes = 128 << 20
)
