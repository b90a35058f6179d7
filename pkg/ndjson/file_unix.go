//go:build unix

package ndjson

import (
	"os"
	"syscall"
)

// nonblock keeps open(2) of a FIFO from waiting for a peer.
const nonblock = syscall.O_NONBLOCK

// nofollow makes open(2) fail on a symbolic link.
const nofollow = syscall.O_NOFOLLOW

// identOf returns the device and inode of the file fi describes.
func identOf(fi os.FileInfo) fileIdent {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileIdent{}
	}
	return fileIdent{dev: uint64(st.Dev), ino: uint64(st.Ino), ok: true}
}
