//go:build !linux

package ndjson

import "testing"

// mountTmpfs skips: a tmpfs of a given size needs Linux.
func mountTmpfs(t *testing.T, _ int) string {
	t.Helper()
	t.Skip("a tmpfs of a given size needs Linux")
	return ""
}

// fillFS is never reached off Linux: mountTmpfs skips first.
func fillFS(t *testing.T, _ string, _ int64) {
	t.Helper()
	t.Fatal("fillFS needs Linux")
}
