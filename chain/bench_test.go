package chain

import (
	"crypto/ed25519"
	"testing"
)

// BenchmarkTxVerify: one core verifying one transaction (a grant) over and
// over: chain ID check, signing message, Ed25519 verification.
func BenchmarkTxVerify(b *testing.B) {
	tx := signSample(b, samples(b)[2])
	b.ReportAllocs()
	for b.Loop() {
		if err := tx.Verify(testChain); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkEd25519VerifyParallel: the machine's limit, raw crypto/ed25519
// verifications of a transaction-sized message on every core.
func BenchmarkEd25519VerifyParallel(b *testing.B) {
	tx := signSample(b, samples(b)[2])
	msg := SigningMessage(testChain, tx.Type(), tx.bodyEnc, tx.Nonce(), tx.Sender())
	pub := ed25519.PublicKey(tx.sender[:])
	sig := tx.sig[:]
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Error("bad signature")
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verify/s")
}

// BenchmarkBlockVerify: Block.Verify of a 100-transaction block (seal, root,
// duplicates, every signature in parallel).
func BenchmarkBlockVerify(b *testing.B) {
	blk := testBlock(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := blk.Verify(testChain); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(blk.Txs))/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkDecodeBlock: parsing a 100-transaction block (no signatures).
func BenchmarkDecodeBlock(b *testing.B) {
	enc := testBlock(b, 100).Encode()
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBlock(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "tx/s")
}
