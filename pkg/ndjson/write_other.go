//go:build !unix

package ndjson

import "os"

func writeOnce(f *os.File, b []byte) (int, error) { return f.Write(b) }

func syncDir(string) error { return nil }

func isLoop(error) bool { return false }
