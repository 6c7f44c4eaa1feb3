package fhir

import (
	"testing"
)

// BenchmarkParseBulk parses the whole Synthea bulk export (13 NDJSON files).
func BenchmarkParseBulk(b *testing.B) {
	files := readTestFiles(b, bulkDir, "*.ndjson")
	var size int64
	for _, f := range files {
		size += int64(len(f.data))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	resources := 0
	for b.Loop() {
		for _, f := range files {
			res, err := Parse(f.name, f.data)
			if err != nil {
				b.Fatal(err)
			}
			resources += len(res)
		}
	}
	b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkCanonical canonicalises every resource of the Synthea bundles.
func BenchmarkCanonical(b *testing.B) {
	var all []Resource
	for _, f := range readTestFiles(b, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, res...)
	}
	var size int64
	for _, r := range all {
		size += int64(len(r.JSON))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, r := range all {
			if _, err := Canonical(r.JSON); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkSummarize summarises every resource of the Synthea bundles.
func BenchmarkSummarize(b *testing.B) {
	var all []Resource
	for _, f := range readTestFiles(b, bundlesDir, "*.json") {
		res, err := Parse(f.name, f.data)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, res...)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, r := range all {
			Summarize(r)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resources/s")
}
