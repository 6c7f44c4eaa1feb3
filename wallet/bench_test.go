package wallet_test

import (
	"context"
	"os"
	"testing"

	"github.com/healthwallet/healthwallet/wallet"
)

// BenchmarkImportBulk imports the whole Synthea bulk export (7,160
// resources in 13 NDJSON files) into a fresh wallet per iteration and
// reports resources per second.
func BenchmarkImportBulk(b *testing.B) {
	ctx := context.Background()
	files := bulkFiles(b)
	data := make(map[string][]byte)
	total := 0
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		data[f] = d
		total += nonEmptyLines(b, f)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		w, _, err := wallet.Create(b.TempDir(), []byte(passphrase), testOpts)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, f := range files {
			if _, err := w.ImportBytes(ctx, f, data[f], nil); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		w.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "resources/s")
}
