//go:build unix

package ndjson

import "syscall"

// nonblock keeps open(2) of a FIFO from waiting for a peer.
const nonblock = syscall.O_NONBLOCK

// nofollow makes open(2) fail on a symbolic link.
const nofollow = syscall.O_NOFOLLOW
