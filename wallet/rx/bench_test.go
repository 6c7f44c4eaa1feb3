package rx

import (
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/chain"
)

// BenchmarkVerify is a pharmacist's verdict from local state: decode the
// handover text, check the signature, read the commitment, the prescriber's
// credentials and their issuer from a chain state that holds a thousand
// other prescriptions. The goal is under 50 ms.
func BenchmarkVerify(b *testing.B) {
	l := newWorld(b)
	o := realisticOrder()
	var txs []*chain.Tx
	nonce := l.nonces[testPub("dr-x")]
	for i := range 1000 {
		p := writeAs(b, "dr-x", o, testWritten.Add(-time.Duration(i+1)*time.Second))
		tx, err := chain.Sign(testKey("dr-x"), testChain, nonce+uint64(i), p.Commit())
		if err != nil {
			b.Fatal(err)
		}
		txs = append(txs, tx)
	}
	if err := l.apply(testWritten.Add(-time.Second), txs...); err != nil {
		b.Fatal(err)
	}
	p := writeTest(b, o, testWritten)
	if err := l.commit("dr-x", p); err != nil {
		b.Fatal(err)
	}
	text := p.Encode()
	now := testWritten.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		v, err := VerifyText(text, l.st, now)
		if err != nil || !v.OK {
			b.Fatalf("%v %v", v.Reasons, err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/verdict")
}

// BenchmarkWrite is the prescriber's side: check, build, canonicalize, sign.
func BenchmarkWrite(b *testing.B) {
	o, key, patient := realisticOrder(), testKey("dr-x"), testID("alice")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(o, key, "Dr. Xavier Okafor", patient, testWritten); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is reading a scanned text, without the ledger.
func BenchmarkDecode(b *testing.B) {
	text := writeTest(b, realisticOrder(), testWritten).Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}
