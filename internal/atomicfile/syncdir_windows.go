//go:build windows

package atomicfile

// syncDir is a no-op on Windows, where a directory handle cannot be synced;
// os.Rename there is MoveFileEx with MOVEFILE_REPLACE_EXISTING, which is
// atomic on NTFS, and the file's own contents were synced before the rename.
func syncDir(dir string) error { return nil }
