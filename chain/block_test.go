package chain

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	cp := sortedKeys("clinic-a", "clinic-b", "clinic-c")
	voted := testHeader(t, 5, EmptyTxRoot)
	checkpoint := testHeader(t, 30000, EmptyTxRoot)
	checkpoint.Vote = nil
	checkpoint.Checkpoint = cp
	checkpoint.Difficulty = DiffNoTurn
	if err := checkpoint.Seal(testKey("clinic-b")); err != nil {
		t.Fatal(err)
	}
	drop := testHeader(t, 6, EmptyTxRoot)
	drop.Vote = &Vote{Target: testPub("clinic-b"), Authorize: false}
	if err := drop.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	plain := testHeader(t, 7, EmptyTxRoot)
	plain.Vote = nil
	if err := plain.Seal(testKey("clinic-c")); err != nil {
		t.Fatal(err)
	}
	genesis := Header{ChainID: testChain, Time: 1767225600, TxRoot: EmptyTxRoot, Difficulty: DiffNoTurn, Checkpoint: cp}

	for name, h := range map[string]Header{"vote": voted, "checkpoint": checkpoint, "drop": drop, "plain": plain, "genesis": genesis} {
		enc := h.Encode()
		if len(enc) > MaxHeaderSize {
			t.Fatalf("%s: %d bytes", name, len(enc))
		}
		got, err := DecodeHeader(enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(*got, h) {
			t.Fatalf("%s: decoded %+v, want %+v", name, *got, h)
		}
		if !bytes.Equal(got.Encode(), enc) || got.Hash() != sha256.Sum256(enc) {
			t.Fatalf("%s: re-encoding differs", name)
		}
		if h.Number == 0 {
			wantErr(t, name+": VerifySeal", got.VerifySeal(), ErrBadSignature)
			continue
		}
		if err := got.VerifySeal(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	wantErr(t, "sealing genesis", genesis.Seal(testKey("clinic-a")), ErrInvalid)

	// The largest header is within MaxHeaderSize.
	big := Header{ChainID: string(bytes.Repeat([]byte{'c'}, MaxChainIDLen)), Number: 1, Difficulty: DiffInTurn}
	for i := range MaxSigners {
		big.Checkpoint = append(big.Checkpoint, testPub(fmt.Sprint("signer-", i)))
	}
	big.Checkpoint = sortedKeysOf(big.Checkpoint)
	if err := big.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	if n := len(big.Encode()); n > MaxHeaderSize || n < MaxHeaderSize-PublicKeySize-2 {
		t.Fatalf("largest header %d bytes, MaxHeaderSize %d", n, MaxHeaderSize)
	}
	if _, err := DecodeHeader(big.Encode()); err != nil {
		t.Fatal(err)
	}
}

func sortedKeysOf(ks []PublicKey) []PublicKey {
	out := append([]PublicKey(nil), ks...)
	for i := range out {
		for j := i; j > 0 && string(out[j][:]) < string(out[j-1][:]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestHeaderHashes(t *testing.T) {
	a := testHeader(t, 5, EmptyTxRoot)
	// Same contents, sealed by another signer: another block.
	b := a
	if err := b.Seal(testKey("clinic-b")); err != nil {
		t.Fatal(err)
	}
	if a.Hash() == b.Hash() || a.SealHash() == b.SealHash() {
		t.Fatal("two signers' blocks share a hash")
	}
	// Hash covers the seal; SealHash does not.
	c := a
	c.Signature[0] ^= 1
	if c.Hash() == a.Hash() || c.SealHash() != a.SealHash() {
		t.Fatal("Hash must cover the seal and SealHash must not")
	}
	wantErr(t, "flipped seal", c.VerifySeal(), ErrBadSignature)
	// Every field is covered by the seal.
	mutations := map[string]func(*Header){
		"chain ID":   func(h *Header) { h.ChainID += "x" },
		"parent":     func(h *Header) { h.ParentHash[3] ^= 1 },
		"number":     func(h *Header) { h.Number++ },
		"time":       func(h *Header) { h.Time++ },
		"tx root":    func(h *Header) { h.TxRoot[0] ^= 1 },
		"state root": func(h *Header) { h.StateRoot[31] ^= 1 },
		"difficulty": func(h *Header) { h.Difficulty = DiffNoTurn },
		"vote":       func(h *Header) { h.Vote = &Vote{Target: h.Vote.Target, Authorize: false} },
		"no vote":    func(h *Header) { h.Vote = nil },
		"signer":     func(h *Header) { h.Signer = testPub("clinic-b") },
	}
	for name, f := range mutations {
		m := a
		f(&m)
		wantErr(t, name, m.VerifySeal(), ErrBadSignature)
	}
}

func testBlock(t testing.TB, n int) *Block {
	t.Helper()
	txs := make([]*Tx, n)
	ss := samples(t)
	for i := range txs {
		s := ss[i%len(ss)]
		s.nonce = uint64(i)
		txs[i] = signSample(t, s)
	}
	blk := NewBlock(testHeader(t, 12, Hash{}), txs)
	if err := blk.Header.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	return blk
}

func TestBlockRoundTripAndVerify(t *testing.T) {
	for _, n := range []int{0, 1, 3, 17, 100} {
		blk := testBlock(t, n)
		if err := blk.Verify(testChain); err != nil {
			t.Fatalf("%d txs: %v", n, err)
		}
		enc := blk.Encode()
		if blk.Size() != len(enc) {
			t.Fatalf("Size %d, encoding %d", blk.Size(), len(enc))
		}
		got, err := DecodeBlock(enc)
		if err != nil {
			t.Fatalf("%d txs: %v", n, err)
		}
		if !bytes.Equal(got.Encode(), enc) || got.Hash() != blk.Hash() || len(got.Txs) != n {
			t.Fatalf("%d txs: round trip differs", n)
		}
		if err := got.Verify(testChain); err != nil {
			t.Fatalf("%d txs: %v", n, err)
		}
	}
	genesis := &Block{Header: Header{ChainID: testChain, TxRoot: EmptyTxRoot, Difficulty: DiffNoTurn, Checkpoint: sortedKeys("clinic-a")}}
	if err := genesis.Verify(testChain); err != nil {
		t.Fatal(err)
	}
	g2, err := DecodeBlock(genesis.Encode())
	if err != nil || g2.Verify(testChain) != nil {
		t.Fatalf("genesis round trip: %v", err)
	}
}

func TestBlockVerifyRejects(t *testing.T) {
	reseal := func(b *Block) *Block {
		if err := b.Header.Seal(testKey("clinic-a")); err != nil {
			t.Fatal(err)
		}
		return b
	}
	badSig := func() *Block {
		b := testBlock(t, 20)
		enc := b.Txs[13].Encode()
		enc[len(enc)-1] ^= 1
		tx, err := Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		b.Txs[13] = tx
		return rerootAndSeal(t, b)
	}
	otherChain := func() *Block {
		b := testBlock(t, 3)
		tx, err := Sign(testKey("patient"), "healthwallet-test-2", 0, ConsentRevoke{Grant: Hash{1}})
		if err != nil {
			t.Fatal(err)
		}
		b.Txs[1] = tx
		return rerootAndSeal(t, b)
	}
	cases := []struct {
		name string
		blk  func() *Block
		want error
	}{
		{"wrong chain", func() *Block { b := testBlock(t, 2); b.Header.ChainID = "other"; return reseal(b) }, ErrWrongChain},
		{"tx root mismatch", func() *Block { b := testBlock(t, 3); b.Txs = b.Txs[:2]; return b }, ErrBadTxRoot},
		{"tx order swapped", func() *Block { b := testBlock(t, 3); b.Txs[0], b.Txs[1] = b.Txs[1], b.Txs[0]; return b }, ErrBadTxRoot},
		{"tx root resealed but wrong", func() *Block { b := testBlock(t, 3); b.Header.TxRoot[0] ^= 1; return reseal(b) }, ErrBadTxRoot},
		{"seal broken", func() *Block { b := testBlock(t, 1); b.Header.Signature[5] ^= 1; return b }, ErrBadSignature},
		{"duplicate tx", func() *Block { b := testBlock(t, 3); b.Txs[2] = b.Txs[0]; return rerootAndSeal(t, b) }, ErrDuplicateTx},
		{"bad tx signature", badSig, ErrBadSignature},
		{"tx for another chain", otherChain, ErrWrongChain},
		{"genesis with txs", func() *Block {
			b := testBlock(t, 1)
			return &Block{Header: Header{ChainID: testChain, TxRoot: TxRoot(b.Txs), Difficulty: DiffNoTurn, Checkpoint: sortedKeys("clinic-a")}, Txs: b.Txs}
		}, ErrInvalid},
		{"invalid header", func() *Block { b := testBlock(t, 1); b.Header.Difficulty = 7; return b }, ErrInvalid},
	}
	for _, c := range cases {
		wantErr(t, c.name, c.blk().Verify(testChain), c.want)
	}
}

// rerootAndSeal recomputes the root of b's transactions and reseals.
func rerootAndSeal(t testing.TB, b *Block) *Block {
	t.Helper()
	nb := NewBlock(b.Header, b.Txs)
	if err := nb.Header.Seal(testKey("clinic-a")); err != nil {
		t.Fatal(err)
	}
	return nb
}

// VerifyTxs reports the lowest-indexed failure whatever the scheduling.
func TestVerifyTxsDeterministic(t *testing.T) {
	b := testBlock(t, 200)
	for _, i := range []int{150, 40, 199} {
		enc := b.Txs[i].Encode()
		enc[len(enc)-3] ^= 4
		tx, err := Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		b.Txs[i] = tx
	}
	for range 20 {
		err := VerifyTxs(b.Txs, testChain)
		wantErrNoPrefix(t, err, ErrBadSignature)
		if got := err.Error(); !bytes.HasPrefix([]byte(got), []byte("tx 40: ")) {
			t.Fatalf("error %q, want tx 40 first", got)
		}
	}
}

func wantErrNoPrefix(t *testing.T, err, want error) {
	t.Helper()
	if err == nil || !errorsIs(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}
