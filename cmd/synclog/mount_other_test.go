//go:build !linux

package main

import "testing"

// relTmpfs skips: a tmpfs of a given size needs Linux.
func relTmpfs(t *testing.T, _, _ string) {
	t.Helper()
	t.Skip("a tmpfs of a given size needs Linux")
}

// relFill is never reached off Linux: relTmpfs skips first.
func relFill(t *testing.T, _ string, _, _ int64) {
	t.Helper()
	t.Fatal("relFill needs Linux")
}
