//go:build !linux

package ndjson

import "os"

func datasync(f *os.File) error { return f.Sync() }
