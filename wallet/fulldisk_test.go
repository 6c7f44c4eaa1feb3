//go:build linux

package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/healthwallet/healthwallet/ipfs"
	"github.com/healthwallet/healthwallet/wallet"
)

// TestFullDisk fills a small tmpfs: the import that does not fit fails with
// a clear error and leaves nothing behind, and the wallet stays whole. It
// needs root to mount the tmpfs (CI runs as root) and is skipped otherwise.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	disk := filepath.Join(t.TempDir(), "disk")
	os.Mkdir(disk, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=320m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })

	ctx := context.Background()
	dir := filepath.Join(disk, "wallet")
	w, _, err := wallet.Create(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() { // before the unmount
		if !closed {
			w.Close()
		}
	})
	first, err := w.ImportFile(ctx, bundleFiles(t)[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	// A file that fits on the disk but would leave less than the store's
	// reserve: how much pebble has preallocated varies, so measure.
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	size := free - ipfs.DefaultMinFreeBytes + 32<<20
	if size <= 0 || size >= free {
		t.Fatalf("tmpfs has %d bytes free; cannot build the test", free)
	}
	big := filepath.Join(t.TempDir(), "ct-scan.pdf")
	if err := os.WriteFile(big, append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0x5a}, int(size))...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = w.ImportFile(ctx, big, nil)
	if !errors.Is(err, ipfs.ErrDiskFull) {
		t.Fatalf("import onto a full disk = %v, want ErrDiskFull", err)
	}
	t.Logf("refused with: %v", err)
	recs, _ := w.List(ctx, wallet.Query{})
	if len(recs) != first.Added {
		t.Fatalf("%d records after the refused import, want %d", len(recs), first.Added)
	}
	closed = true
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// The wallet reopens whole: every record reads back.
	w, err = wallet.Open(dir, []byte(passphrase), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	recs, _ = w.List(ctx, wallet.Query{})
	if len(recs) != first.Added {
		t.Fatalf("%d records after reopening, want %d", len(recs), first.Added)
	}
	for _, r := range recs {
		if _, _, err := w.Read(ctx, r.ID); err != nil {
			t.Fatalf("record %s: %v", r.ID, err)
		}
	}
}
