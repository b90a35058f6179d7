package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// relTmpfs mounts a tmpfs with options opts at mnt until the test ends, or
// skips.
func relTmpfs(t *testing.T, mnt, opts string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, opts); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
}

// relFill fills the filesystem of dir up to about leave free bytes, and
// fails when more than most are left.
func relFill(t *testing.T, dir string, leave, most int64) {
	t.Helper()
	var st syscall.Statfs_t
	relMust(t, syscall.Statfs(dir, &st))
	free := int64(st.Bavail) * st.Bsize
	relMust(t, os.WriteFile(filepath.Join(dir, "filler"), make([]byte, max(0, free-leave)), 0o644))
	relMust(t, syscall.Statfs(dir, &st))
	if left := int64(st.Bavail) * st.Bsize; left > most {
		t.Fatalf("%d bytes left on the full filesystem", left)
	}
}
