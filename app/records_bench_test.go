package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/healthwallet/healthwallet/wallet"
)

const (
	benchRecords = 10000
	// benchWalletVersion names the cached benchmark wallet: change it when
	// the generated records or the wallet's format change.
	benchWalletVersion = "records-bench-v1"
)

// benchObservation is one generated FHIR Observation: a few kinds of
// measurement over years, each distinct.
func benchObservation(buf *bytes.Buffer, i int) {
	kinds := []struct{ code, name, unit string }{
		{"29463-7", "Body Weight", "kg"},
		{"39156-5", "Body Mass Index", "kg/m2"},
		{"2339-0", "Glucose", "mg/dL"},
		{"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"},
		{"2093-3", "Total Cholesterol", "mg/dL"},
	}
	k := kinds[i%len(kinds)]
	when := time.Date(2000, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Hour)
	value := 50 + float64(i%400)/10
	fmt.Fprintf(buf, `{"resourceType":"Observation","id":"bench-%d","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":%q,"display":%q}],"text":%q},"effectiveDateTime":%q,"valueQuantity":{"value":%g,"unit":%q,"system":"http://unitsofmeasure.org","code":%q}}`+"\n",
		i, k.code, k.name, k.name, when.Format(time.RFC3339), value, k.unit, k.unit)
}

// benchWallet returns a wallet directory holding benchRecords
// Observations, made once and kept under the system's temporary directory
// for later runs.
func benchWallet(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "healthwallet-"+benchWalletVersion)
	done := filepath.Join(dir, ".bench-complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	w, _, err := wallet.Create(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		b.Fatal(err)
	}
	var nd bytes.Buffer
	for i := range benchRecords {
		benchObservation(&nd, i)
	}
	rep, err := w.ImportBytes(context.Background(), "bench.ndjson", nd.Bytes(), nil)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil || rep.Added != benchRecords {
		b.Fatalf("benchmark wallet: %d records: %v", rep.Added, err)
	}
	if err := os.WriteFile(done, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

// showBenchWallet opens dir in a UI and waits for the Records list.
func showBenchWallet(b *testing.B, dir string) (*UI, time.Duration) {
	w, err := wallet.Open(dir, []byte(testPassphrase), testOpts)
	if err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{})
	a := test.NewTempApp(b)
	u := New(a, Config{DataDir: dir, Options: testOpts, Ready: func() { close(ready) }})
	u.do = queueUI
	start := time.Now()
	onUI(func() { u.ShowWallet(w, nil) })
	select {
	case <-ready:
	case <-time.After(time.Minute):
		b.Fatal("the Records list did not load")
	}
	return u, time.Since(start)
}

// BenchmarkRecordsOpen measures building the Records screen until its list
// holds the wallet's 10,000 records.
func BenchmarkRecordsOpen(b *testing.B) {
	dir := benchWallet(b)
	var total time.Duration
	for b.Loop() {
		u, d := showBenchWallet(b, dir)
		total += d
		b.StopTimer()
		onUI(u.Window().Close)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/open")
	b.ReportMetric(benchRecords, "records")
}

// BenchmarkRecordsScroll scrolls the list through every row a page at a
// time, as a user dragging the scroll bar would.
func BenchmarkRecordsScroll(b *testing.B) {
	dir := benchWallet(b)
	u, _ := showBenchWallet(b, dir)
	defer onUI(u.Window().Close)
	var v *recordsView
	everything(u.Window(), func(o fyne.CanvasObject) {
		if s, ok := o.(*recordsRoot); ok {
			v = s.v
		}
	})
	var rows int
	var page float32
	onUI(func() {
		rows = len(v.rows)
		page = v.list.Size().Height
	})
	if rows != benchRecords || page <= 0 {
		b.Fatalf("list of %d rows, %v high", rows, page)
	}
	var rowHeight float32
	onUI(func() { rowHeight = v.list.CreateItem().MinSize().Height })
	end := float32(rows) * rowHeight
	b.ResetTimer()
	for b.Loop() {
		for off := float32(0); off < end; off += page {
			onUI(func() { v.list.ScrollToOffset(off) })
		}
		onUI(func() { v.list.ScrollToTop() })
	}
	b.StopTimer()
	var last float32
	onUI(func() {
		v.list.ScrollToBottom()
		last = v.list.GetScrollOffset()
	})
	if last < end/2 {
		b.Fatalf("the list scrolled to %v of %v", last, end)
	}
	perThousand := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / (float64(rows) / 1000)
	b.ReportMetric(perThousand, "ns/1000rows")
	b.ReportMetric(float64(page/rowHeight), "rows/page")
}
