//go:build !unix

package ndjson

const (
	nonblock = 0
	nofollow = 0
)
