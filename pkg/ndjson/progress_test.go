package ndjson

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanProgressCountsBytesOnDisk: OnProgress rises to the sum of the
// sources' sizes as they are on disk, compressed for .gz, so a progress
// bar measured against file sizes ends full.
func TestScanProgressCountsBytesOnDisk(t *testing.T) {
	dir := t.TempDir()
	row := `{"ts":"2026-04-16T19:10:38Z","op":"push","repo":"r","scope":"s","files":1,"bytes":1,"dur_ms":1,"manifest_before":"a","manifest_after":"b","trigger":"cli","machine":"m"}` + "\n"
	body := strings.Repeat(row, 30000) // several chunks
	plain := filepath.Join(dir, "a.ndjson")
	if err := os.WriteFile(plain, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "b.ndjson.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, p := range []string{plain, gz} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want += fi.Size()
	}
	var last int64
	calls := 0
	_, err = Scan(context.Background(), []string{plain, gz}, ScanOptions{OnProgress: func(n int64) {
		if n < last {
			t.Errorf("progress went back from %d to %d", last, n)
		}
		last = n
		calls++
	}}, func(c *Chunk, _ *ChunkStats) int { return len(c.Data) }, func(int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if last != want {
		t.Errorf("progress ended at %d bytes, want the %d bytes on disk", last, want)
	}
	if calls < 3 {
		t.Errorf("%d progress calls over %d bytes: want one a chunk", calls, want)
	}
}
