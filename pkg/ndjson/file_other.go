//go:build !unix

package ndjson

import "os"

const (
	nonblock = 0
	nofollow = 0
)

// identOf knows no file's identity here: Reopen refuses every source.
func identOf(os.FileInfo) fileIdent { return fileIdent{} }
