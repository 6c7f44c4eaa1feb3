package chain

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// BlockVersion is the block format version this package writes and reads.
const BlockVersion = 1

// Block is a header and its transactions. Its wire form (version 1):
//
//	version   u8      1
//	header    bytes   the header's encoding (at most MaxHeaderSize)
//	txs       uvarint count (0..MaxBlockTxs), then each transaction's
//	          encoding as bytes (at most MaxTxSize each)
//
// at most MaxBlockSize bytes in all. A block's identity is its header's hash.
type Block struct {
	Header Header
	Txs    []*Tx
}

// NewBlock returns a block of txs under h with h.TxRoot set to match.
func NewBlock(h Header, txs []*Tx) *Block {
	h.TxRoot = TxRoot(txs)
	return &Block{Header: h, Txs: txs}
}

// Hash returns the header's hash.
func (b *Block) Hash() Hash { return b.Header.Hash() }

// Encode returns the canonical encoding.
func (b *Block) Encode() []byte {
	hdr := b.Header.Encode()
	size := 1 + 3 + len(hdr) + 3
	for _, tx := range b.Txs {
		size += 3 + tx.Size()
	}
	e := NewEncoder(make([]byte, 0, size))
	e.Uint8(BlockVersion)
	e.Bytes(hdr)
	e.Uvarint(uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		e.Bytes(tx.enc)
	}
	return e.Out()
}

// Size returns the length of the encoding, without encoding.
func (b *Block) Size() int {
	hdr := len(b.Header.Encode())
	n := 1 + uvarintLen(uint64(hdr)) + hdr + uvarintLen(uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		n += uvarintLen(uint64(tx.Size())) + tx.Size()
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// DecodeBlock parses a block's canonical encoding: the header (DecodeHeader)
// and every transaction (Decode). It checks no signature, seal or root;
// Verify does.
func DecodeBlock(b []byte) (*Block, error) {
	blk, err := decodeBlock(b)
	if err != nil {
		return nil, fmt.Errorf("chain: block: %w", err)
	}
	return blk, nil
}

func decodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxBlockSize {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(b), MaxBlockSize, ErrTooLarge)
	}
	d := NewDecoder(b)
	if v := d.Uint8("version"); d.err == nil && v != BlockVersion {
		return nil, fmt.Errorf("version %d: %w", v, ErrUnknownVersion)
	}
	hb := d.take("header", d.Len("header", MaxHeaderSize))
	if d.err != nil {
		return nil, d.err
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	blk := &Block{Header: *h}
	n := d.Len("tx count", MaxBlockTxs)
	if d.err != nil {
		return nil, d.err
	}
	// Each transaction takes more than 64 bytes: a count the input cannot
	// hold fails before anything is allocated for it.
	if n > d.Remaining()/64 {
		return nil, fmt.Errorf("tx count %d in %d bytes: %w", n, d.Remaining(), ErrTruncated)
	}
	if n > 0 {
		blk.Txs = make([]*Tx, n)
	}
	for i := range blk.Txs {
		tb := d.take("tx", d.Len("tx", MaxTxSize))
		if d.err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, d.err)
		}
		tx, err := decodeTx(tb)
		if err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, err)
		}
		blk.Txs[i] = tx
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return blk, nil
}

// Verify checks everything about the block that needs no chain state: the
// header's structure, chain ID and seal (not whether its signer may seal:
// that is the consensus engine's), the size bounds, the transaction root,
// that no transaction appears twice, and every transaction's chain ID and
// signature (in parallel on all cores). It does not check any transaction
// against the state (authority, nonces, references), the parent or the
// state root. The genesis block (number 0) is unsealed and must be empty.
func (b *Block) Verify(chainID string) error {
	h := &b.Header
	if h.ChainID != chainID {
		return fmt.Errorf("chain: block %d: chain %q, not %q: %w", h.Number, h.ChainID, chainID, ErrWrongChain)
	}
	if h.Number == 0 {
		if err := h.Validate(); err != nil {
			return fmt.Errorf("chain: block 0: %w", err)
		}
		if len(b.Txs) != 0 {
			return fmt.Errorf("chain: block 0: genesis with transactions: %w", ErrInvalid)
		}
	} else if err := h.VerifySeal(); err != nil {
		return err
	}
	if len(b.Txs) > MaxBlockTxs {
		return fmt.Errorf("chain: block %d: %d transactions, limit %d: %w", h.Number, len(b.Txs), MaxBlockTxs, ErrTooLarge)
	}
	if size := b.Size(); size > MaxBlockSize {
		return fmt.Errorf("chain: block %d: %d bytes, limit %d: %w", h.Number, size, MaxBlockSize, ErrTooLarge)
	}
	hashes := make([]Hash, len(b.Txs))
	seen := make(map[Hash]int, len(b.Txs))
	for i, tx := range b.Txs {
		hashes[i] = tx.Hash()
		if j, dup := seen[hashes[i]]; dup {
			return fmt.Errorf("chain: block %d: txs %d and %d are %s: %w", h.Number, j, i, hashes[i], ErrDuplicateTx)
		}
		seen[hashes[i]] = i
	}
	if root := MerkleRoot(hashes); root != h.TxRoot {
		return fmt.Errorf("chain: block %d: tx root %s, header says %s: %w", h.Number, root, h.TxRoot, ErrBadTxRoot)
	}
	if err := VerifyTxs(b.Txs, chainID); err != nil {
		return fmt.Errorf("chain: block %d: %w", h.Number, err)
	}
	return nil
}

// parallelMin is the batch size below which VerifyTxs stays on one core.
const parallelMin = 8

// VerifyTxs verifies every transaction's chain ID and signature, spreading
// the work over GOMAXPROCS goroutines. On failure it returns the error of the
// lowest-indexed bad transaction (the same error whatever the scheduling).
func VerifyTxs(txs []*Tx, chainID string) error {
	workers := min(runtime.GOMAXPROCS(0), len(txs)/parallelMin)
	if workers <= 1 {
		for i, tx := range txs {
			if err := tx.Verify(chainID); err != nil {
				return fmt.Errorf("tx %d: %w", i, err)
			}
		}
		return nil
	}
	errs := make([]error, len(txs))
	var next atomic.Int64
	var failed atomic.Int64 // lowest failing index + 1, 0 if none yet
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(txs) {
					return
				}
				// Past a known failure nothing can change the answer.
				if f := failed.Load(); f != 0 && int64(i) >= f-1 {
					return
				}
				if errs[i] = txs[i].Verify(chainID); errs[i] != nil {
					for {
						f := failed.Load()
						if f != 0 && f-1 <= int64(i) || failed.CompareAndSwap(f, int64(i)+1) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("tx %d: %w", i, err)
		}
	}
	return nil
}
