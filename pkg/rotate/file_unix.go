//go:build unix

package rotate

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	nofollow = syscall.O_NOFOLLOW
	nonblock = syscall.O_NONBLOCK
)

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) }

// syncDir makes renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// chownLike gives a staged file the owner of the log it replaces, so a
// rotation run as root (from cron, say) leaves the log writable by the
// user whose record appends to it. It is best effort: only root can.
func chownLike(name string, like os.FileInfo) {
	st, ok := like.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 {
		return
	}
	_ = os.Lchown(name, int(st.Uid), int(st.Gid))
}

// fileID is the device and inode of the file fi describes.
func fileID(fi os.FileInfo) (FileID, bool) {
	if fi == nil {
		return FileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}, false
	}
	return FileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, true
}

// writable reports, as the kernel would answer this process, whether path
// may be written.
func writable(path string) error {
	if err := unix.Access(path, unix.W_OK); err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
