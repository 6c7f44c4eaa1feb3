package wallet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/healthwallet/healthwallet/wallet"
)

const (
	loincBodyWeight    = "29463-7"
	loincBloodPressure = "55284-4"
)

// bundleObservations counts, straight from the bundle, the Observations
// with each LOINC code that carry a value.
func bundleObservations(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range b.Entry {
		if code, ok := wallet.SeriesCode(e.Resource); ok {
			n[code]++
		}
	}
	return n
}

func TestObservationSeries(t *testing.T) {
	ctx := context.Background()
	w := newWallet(t)
	path := filepath.Join(bundlesDir, "Micha_Kertzmann_e9cecb44-9b8c-4c17-b9f6-a569afafe77f.json")
	if _, err := w.ImportFile(ctx, path, nil); err != nil {
		t.Fatal(err)
	}
	want := bundleObservations(t, path)
	if want[loincBodyWeight] < 2 {
		t.Fatalf("fixture: %d body weights", want[loincBodyWeight])
	}

	weight, err := w.ObservationSeries(ctx, loincBodyWeight)
	if err != nil {
		t.Fatal(err)
	}
	if weight.Name != "Body Weight" || weight.Unit != "kg" || len(weight.Lines) != 1 {
		t.Fatalf("body weight series: %q in %q, %d lines", weight.Name, weight.Unit, len(weight.Lines))
	}
	pts := weight.Lines[0].Points
	if len(pts) != want[loincBodyWeight] {
		t.Errorf("%d body weights charted, the bundle has %d", len(pts), want[loincBodyWeight])
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Time.Before(pts[i-1].Time) {
			t.Fatal("points are not oldest first")
		}
	}
	for _, p := range pts {
		rec, plain, err := w.Read(ctx, p.RecordID)
		if err != nil || rec.ResourceType != "Observation" || !strings.Contains(string(plain), fmt.Sprint(p.Value)) {
			t.Fatalf("point %v does not come from its record %s: %v", p, p.RecordID, err)
		}
	}

	bp, err := w.ObservationSeries(ctx, loincBloodPressure)
	if err != nil {
		t.Fatal(err)
	}
	if len(bp.Lines) != 2 || bp.Unit != "mmHg" || !strings.Contains(bp.Lines[0].Name, "Systolic") {
		t.Fatalf("blood pressure: %q, %d lines, first %q", bp.Unit, len(bp.Lines), bp.Lines[0].Name)
	}
	if bp.Len() != want[loincBloodPressure] {
		t.Errorf("%d blood pressures charted, the bundle has %d", bp.Len(), want[loincBloodPressure])
	}

	trends, err := w.ObservationTrends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range trends {
		got[s.Code] = s.Len()
	}
	for code, n := range want {
		if n >= 2 && got[code] != n {
			t.Errorf("trend %s: %d points, want %d", code, got[code], n)
		}
		if n < 2 && got[code] != 0 {
			t.Errorf("trend %s listed with a single value", code)
		}
	}

	none, err := w.ObservationSeries(ctx, "no-such-code")
	if err != nil || none.Len() != 0 {
		t.Errorf("unknown code: %d points, %v", none.Len(), err)
	}
}

func TestSeriesCode(t *testing.T) {
	for in, want := range map[string]string{
		`{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"effectiveDateTime":"2020-01-02","valueQuantity":{"value":70,"unit":"kg"}}`: "29463-7",
		`{"resourceType":"Observation","code":{"coding":[{"system":"urn:x","code":"w"}]},"issued":"2020-01-02T10:00:00Z","valueQuantity":{"value":70}}`:                               "urn:x|w",
		`{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":70,"unit":"kg"}}`:                                  "", // no date
		`{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"x"}]},"effectiveDateTime":"2020","valueQuantity":{"value":5,"comparator":"<"}}`:         "", // a bound
		`{"resourceType":"Observation","status":"entered-in-error","code":{"coding":[{"code":"x"}]},"effectiveDateTime":"2020","valueQuantity":{"value":5}}`:                          "",
		`{"resourceType":"Condition"}`: "",
		`not json`:                     "",
	} {
		got, ok := wallet.SeriesCode([]byte(in))
		if got != want || ok != (want != "") {
			t.Errorf("SeriesCode(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// BenchmarkObservationTrends measures decrypting every Observation of the
// Synthea bundles to list their trends.
func BenchmarkObservationTrends(b *testing.B) {
	ctx := context.Background()
	w := newWallet(b)
	for _, p := range bundleFiles(b) {
		if _, err := w.ImportFile(ctx, p, nil); err != nil {
			b.Fatal(err)
		}
	}
	recs, err := w.List(ctx, wallet.Query{ResourceType: "Observation"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := w.ObservationTrends(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/float64(len(recs)), "µs/observation")
}
