// Package atomicfile replaces files atomically: after a crash (power loss,
// SIGKILL, panic) a reader sees either the complete old contents or the
// complete new contents of a file, never a mixture or a truncated file.
//
// WriteFile writes the new contents to a temporary file in the same
// directory, fsyncs it, renames it over the destination and fsyncs the
// directory so the rename itself is durable. A process killed between
// creating the temporary file and renaming it leaves the temporary file
// behind; CleanStale removes such leftovers.
//
// The temporary files are named ".<base>.tmp-<16 hex digits>", where base is
// the destination's file name, so they are hidden on Unix and CleanStale can
// recognise them without touching anything else.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// randSuffixLen is the number of hex digits after ".tmp-" in a temp file name.
const randSuffixLen = 16

// tempPrefix returns the prefix shared by all temporary files for base.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// newTempName returns a fresh random temporary file name for base.
func newTempName(base string) string {
	var rnd [randSuffixLen / 2]byte
	rand.Read(rnd[:]) // never fails
	return tempPrefix(base) + hex.EncodeToString(rnd[:])
}

// isTempName reports whether name is a temporary file created by WriteFile
// for a destination whose file name is base.
func isTempName(name, base string) bool {
	suffix, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok || len(suffix) != randSuffixLen {
		return false
	}
	for _, c := range []byte(suffix) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// WriteFile atomically replaces the file at path with data.
//
// The file is created with permissions perm (before umask) if it does not
// exist; if it does exist it is replaced by a new file with permissions perm,
// not the old file's. Symlinks at path are replaced, not followed.
//
// When WriteFile returns nil the new contents are durable on disk. When it
// returns an error the file at path is unchanged (it holds either the old
// contents or, if the error came from the final directory sync, possibly the
// new ones) and the temporary file has been removed.
//
// Concurrent calls for the same path are safe with respect to each other (the
// last rename wins), but must not run concurrently with CleanStale for the
// same path.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write is WriteFile for content produced by write, streamed to the
// temporary file: nothing appears at path unless write returns nil and the
// file is durable, so a failed export or a record that fails to decrypt
// half-way leaves nothing a user could mistake for the whole.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("atomicfile: %q names a directory, not a file", path)
	}
	if dir == "" {
		dir = "."
	}

	tmp := filepath.Join(dir, newTempName(base))

	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("atomicfile: creating temporary file for %s: %w", path, err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			f.Close() // harmless if already closed
			os.Remove(tmp)
		}
	}()

	if err = write(f); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: syncing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("atomicfile: closing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: replacing %s: %w", path, err)
	}
	// The temporary name no longer exists; nothing is left to clean up even
	// if the directory sync fails.
	renamed = true
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile: syncing directory of %s: %w", path, err)
	}
	return nil
}

// CleanStale removes temporary files left in path's directory by WriteFile
// calls for path that never finished, typically because the process was
// killed. It removes only names of the exact form WriteFile uses and returns
// nil if there was nothing to remove.
//
// CleanStale must not run concurrently with a WriteFile for the same path (it
// would remove that call's temporary file and make it fail); callers
// serialise the two, for example by cleaning at startup or under the same
// lock that guards writes.
func CleanStale(path string) error {
	dir, base := filepath.Split(path)
	if base == "" {
		return fmt.Errorf("atomicfile: %q names a directory, not a file", path)
	}
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: cleaning temporary files of %s: %w", path, err)
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !isTempName(e.Name(), base) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("atomicfile: cleaning temporary files of %s: %w", path, err)
	}
	return nil
}
