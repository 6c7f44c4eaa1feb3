package fhir

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

const (
	bulkDir    = "../../../shared/testdata/fhir/bulk-10-patients"
	bundlesDir = "../../../shared/testdata/fhir/synthea-bundles"
)

type testFile struct {
	name string
	data []byte
}

// readTestFiles reads the shared test data (not copied into this package).
func readTestFiles(tb testing.TB, dir, pattern string) []testFile {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no %s files in %s: the shared FHIR test data is missing", pattern, dir)
	}
	sort.Strings(paths)
	var out []testFile
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, testFile{name: filepath.Base(p), data: data})
	}
	return out
}
