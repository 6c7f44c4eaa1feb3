package wallet

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MaxImportFiles bounds how many files one import walks out of folders, so
// that choosing a home directory by mistake fails fast with a sentence.
const MaxImportFiles = 100_000

// importableExts are the file name extensions taken from a folder; a file
// named by the user is always tried (and refused in words if it is not
// something the wallet reads).
var importableExts = []string{".json", ".ndjson", ".jsonl", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp"}

// FilesToImport lists what an import of paths reads: each file as given,
// and inside each folder the files with an importable extension, hidden
// files and folders skipped, in name order. A path that does not exist is
// kept, for ImportFile to report.
func FilesToImport(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			files = append(files, p)
			continue
		}
		var inDir []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && slices.Contains(importableExts, strings.ToLower(filepath.Ext(path))) {
				inDir = append(inDir, path)
			}
			if len(files)+len(inDir) > MaxImportFiles {
				return fmt.Errorf("%s holds more than %d files: import a smaller folder", p, MaxImportFiles)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		slices.Sort(inDir)
		files = append(files, inDir...)
	}
	return files, nil
}
