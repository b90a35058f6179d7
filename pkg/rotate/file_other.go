//go:build !unix

package rotate

import "os"

const (
	nofollow = 0
	nonblock = 0
)

func isLoop(error) bool { return false }

func syncDir(string) error { return nil }

func chownLike(string, os.FileInfo) {}

func fileID(os.FileInfo) (FileID, bool) { return FileID{}, false }

// writable checks nothing where access(2) is not available; opening the
// files reports what is not writable.
func writable(string) error { return nil }
