package p2p

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/healthwallet/healthwallet/chain"
)

// ProtocolID is the sync protocol. Its messages (version 1) are frames of
// a uvarint length and a body in the chain package's canonical encoding:
//
//	request   version u8 (1), kind u8:
//	            1 status
//	            2 blocks: from u64, max u16 (1..MaxBatchBlocks)
//	            3 pool
//	status    version u8, genesis fixed 32, head number u64, head hash
//	          fixed 32, total difficulty u64
//	blocks    version u8, count uvarint (0..MaxBatchBlocks), each block's
//	          encoding as bytes (at most chain.MaxBlockSize); the canonical
//	          blocks from..from+count-1 of the server, at most
//	          MaxBatchBytes in all (at least one block if any exists)
//	pool      version u8, count uvarint (0..MaxBatchTxs), each pending
//	          transaction's encoding as bytes (at most chain.MaxTxSize),
//	          at most MaxBatchBytes in all
//
// Any frame that does not decode canonically is garbage, and its sender is
// penalised.
const ProtocolID = "/healthwallet/chain/sync/1.0.0"

// Wire limits.
const (
	wireVersion    = 1
	MaxBatchBlocks = 128
	MaxBatchTxs    = 4096
	MaxBatchBytes  = 8 << 20
	maxRequest     = 64
	maxFrame       = MaxBatchBytes + MaxBatchBlocks*4 + 64 + chain.MaxBlockSize
)

const (
	kindStatus = 1
	kindBlocks = 2
	kindPool   = 3
)

// ErrGarbage: a peer sent bytes that are not a valid message.
var ErrGarbage = errors.New("p2p: malformed message")

type request struct {
	kind uint8
	from uint64
	max  uint16
}

func (r request) encode() []byte {
	e := chain.NewEncoder(nil)
	e.Uint8(wireVersion)
	e.Uint8(r.kind)
	if r.kind == kindBlocks {
		e.Uint64(r.from)
		e.Fixed([]byte{byte(r.max >> 8), byte(r.max)})
	}
	return e.Out()
}

func decodeRequest(b []byte) (request, error) {
	d := chain.NewDecoder(b)
	var r request
	if v := d.Uint8("version"); d.Err() == nil && v != wireVersion {
		return r, fmt.Errorf("%w: request version %d", ErrGarbage, v)
	}
	r.kind = d.Uint8("kind")
	switch r.kind {
	case kindStatus, kindPool:
	case kindBlocks:
		r.from = d.Uint64("from")
		var m [2]byte
		d.Fixed("max", m[:])
		r.max = uint16(m[0])<<8 | uint16(m[1])
		if d.Err() == nil && (r.max == 0 || r.max > MaxBatchBlocks) {
			return r, fmt.Errorf("%w: batch of %d blocks", ErrGarbage, r.max)
		}
	default:
		if d.Err() == nil {
			return r, fmt.Errorf("%w: request kind %d", ErrGarbage, r.kind)
		}
	}
	if err := d.Finish(); err != nil {
		return r, fmt.Errorf("%w: request: %w", ErrGarbage, err)
	}
	return r, nil
}

// Status is a node's answer to a status request.
type Status struct {
	Genesis         chain.Hash
	Number          uint64
	Head            chain.Hash
	TotalDifficulty uint64
}

func (s Status) encode() []byte {
	e := chain.NewEncoder(nil)
	e.Uint8(wireVersion)
	e.Fixed(s.Genesis[:])
	e.Uint64(s.Number)
	e.Fixed(s.Head[:])
	e.Uint64(s.TotalDifficulty)
	return e.Out()
}

func decodeStatus(b []byte) (Status, error) {
	d := chain.NewDecoder(b)
	var s Status
	if v := d.Uint8("version"); d.Err() == nil && v != wireVersion {
		return s, fmt.Errorf("%w: status version %d", ErrGarbage, v)
	}
	s.Genesis = d.Hash("genesis")
	s.Number = d.Uint64("number")
	s.Head = d.Hash("head")
	s.TotalDifficulty = d.Uint64("total difficulty")
	if err := d.Finish(); err != nil {
		return s, fmt.Errorf("%w: status: %w", ErrGarbage, err)
	}
	return s, nil
}

func encodeBatch(raw [][]byte) []byte {
	size := 8
	for _, b := range raw {
		size += len(b) + 4
	}
	e := chain.NewEncoder(make([]byte, 0, size))
	e.Uint8(wireVersion)
	e.Uvarint(uint64(len(raw)))
	for _, b := range raw {
		e.Bytes(b)
	}
	return e.Out()
}

// decodeBlocks parses a blocks response into decoded blocks (not verified).
func decodeBlocks(b []byte) ([]*chain.Block, error) {
	return decodeBatch(b, "block", MaxBatchBlocks, chain.MaxBlockSize, chain.DecodeBlock)
}

// decodeTxs parses a pool response (transactions not verified).
func decodeTxs(b []byte) ([]*chain.Tx, error) {
	return decodeBatch(b, "tx", MaxBatchTxs, chain.MaxTxSize, chain.Decode)
}

// decodeBatch parses a version byte, a count of at most maxCount and that
// many byte strings of at most maxItem bytes, each decoded by decode.
func decodeBatch[T any](b []byte, what string, maxCount, maxItem int, decode func([]byte) (T, error)) ([]T, error) {
	d := chain.NewDecoder(b)
	if v := d.Uint8("version"); d.Err() == nil && v != wireVersion {
		return nil, fmt.Errorf("%w: %s batch version %d", ErrGarbage, what, v)
	}
	n := d.Len("count", maxCount)
	if d.Err() != nil {
		return nil, fmt.Errorf("%w: %s batch: %w", ErrGarbage, what, d.Err())
	}
	out := make([]T, 0, min(n, d.Remaining()/64))
	for i := range n {
		raw := d.Bytes(what, maxItem)
		if d.Err() != nil {
			return nil, fmt.Errorf("%w: %s %d: %w", ErrGarbage, what, i, d.Err())
		}
		v, err := decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %d: %w", ErrGarbage, what, i, err)
		}
		out = append(out, v)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("%w: %s batch: %w", ErrGarbage, what, err)
	}
	return out, nil
}

func writeFrame(w io.Writer, body []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(body)))
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

// readFrame reads one frame of at most limit bytes. A length that is not a
// valid uvarint is garbage; a read that fails (a reset, a timeout, the end
// of the stream) is the network's fault, not the peer's, and is returned
// as it is.
func readFrame(r *bufio.Reader, limit int) ([]byte, error) {
	br := &erringByteReader{r: r}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		if br.err != nil {
			if errors.Is(br.err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, br.err
		}
		return nil, fmt.Errorf("%w: frame length: %w", ErrGarbage, err)
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%w: frame of %d bytes, limit %d", ErrGarbage, n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// erringByteReader remembers the error of the underlying reader, so a
// varint that failed to read can be told from one that failed to parse.
type erringByteReader struct {
	r   io.ByteReader
	err error
}

func (b *erringByteReader) ReadByte() (byte, error) {
	c, err := b.r.ReadByte()
	if err != nil {
		b.err = err
	}
	return c, err
}
