package p2p

import (
	"bytes"
	"testing"

	"github.com/healthwallet/healthwallet/chain"
	"github.com/healthwallet/healthwallet/internal/chaintest"
)

// The sync protocol's decoders take bytes from any peer: no panic, bounded
// work, and what they accept re-encodes to the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(request{kind: kindStatus}.encode())
	f.Add(request{kind: kindBlocks, from: 7, max: 128}.encode())
	f.Add(request{kind: kindPool}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRequest(b)
		if err != nil {
			return
		}
		if got := r.encode(); !bytes.Equal(got, b) {
			t.Fatalf("re-encodes to %x, read %x", got, b)
		}
	})
}

func FuzzDecodeStatus(f *testing.F) {
	f.Add(Status{Genesis: chain.Hash{1}, Number: 9, Head: chain.Hash{2}, TotalDifficulty: 17}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeStatus(b)
		if err != nil {
			return
		}
		if got := s.encode(); !bytes.Equal(got, b) {
			t.Fatalf("re-encodes to %x, read %x", got, b)
		}
	})
}

func FuzzDecodeBatches(f *testing.F) {
	tx := chaintest.SignNonce("alice", 0, chaintest.Anchor("alice", "r1"))
	g := chaintest.Genesis(1, "clinic-a")
	gh, _ := g.Header()
	blk := chain.NewBlock(chain.Header{ChainID: g.ChainID, ParentHash: gh.Hash(), Number: 1, Time: gh.Time + 1, Difficulty: chain.DiffInTurn}, []*chain.Tx{tx})
	if err := blk.Header.Seal(chaintest.Key("clinic-a")); err != nil {
		f.Fatal(err)
	}
	f.Add(encodeBatch([][]byte{blk.Encode()}))
	f.Add(encodeBatch([][]byte{tx.Encode()}))
	f.Add(encodeBatch(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if blks, err := decodeBlocks(b); err == nil {
			raw := make([][]byte, len(blks))
			for i, blk := range blks {
				raw[i] = blk.Encode()
			}
			if got := encodeBatch(raw); !bytes.Equal(got, b) {
				t.Fatalf("blocks re-encode to %x, read %x", got, b)
			}
		}
		if txs, err := decodeTxs(b); err == nil {
			raw := make([][]byte, len(txs))
			for i, tx := range txs {
				raw[i] = tx.Encode()
			}
			if got := encodeBatch(raw); !bytes.Equal(got, b) {
				t.Fatalf("txs re-encode to %x, read %x", got, b)
			}
		}
	})
}
