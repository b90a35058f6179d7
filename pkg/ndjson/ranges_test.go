package ndjson

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadRanges scans a log of several chunks, with a BOM and blank lines,
// noting each chunk's range and lines, then reads every other chunk again
// by its range: the lines must be the chunks' own. Appending to the log
// changes nothing; a log rotated away, truncated, or read from gzip cannot
// be reopened.
func TestReadRanges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.ndjson")
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	for i := range 40000 {
		fmt.Fprintf(&b, `{"n":%d,"pad":"%s"}`+"\n", i, bytes.Repeat([]byte{'x'}, i%90))
		if i%1000 == 0 {
			b.WriteString(" \r\n")
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	type chunk struct {
		r     Range
		lines []string
	}
	scan := func(p string) ([]chunk, *SourceStats) {
		var chunks []chunk
		stats, err := Scan(context.Background(), []string{p}, ScanOptions{Workers: 2},
			func(c *Chunk, _ *ChunkStats) chunk {
				ch := chunk{r: Range{Off: c.Offset, Len: int64(len(c.Data))}}
				c.Lines(func(_ int64, line []byte) { ch.lines = append(ch.lines, string(line)) })
				return ch
			},
			func(c chunk) error { chunks = append(chunks, c); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return chunks, stats.Sources[0]
	}
	chunks, src := scan(path)
	if len(chunks) < 3 {
		t.Fatalf("%d chunks, want several", len(chunks))
	}
	var end int64
	for i, c := range chunks {
		if c.r.Off != end {
			t.Fatalf("chunk %d at %d, want %d: ranges must follow each other", i, c.r.Off, end)
		}
		end += c.r.Len
	}
	if end != int64(b.Len()) {
		t.Fatalf("chunks cover %d bytes of %d", end, b.Len())
	}
	reread := func() ([]string, []string, error) {
		var ranges []Range
		var want, got []string
		for i := 0; i < len(chunks); i += 2 {
			ranges = append(ranges, chunks[i].r)
			want = append(want, chunks[i].lines...)
		}
		r, err := Reopen(src)
		if err != nil {
			return nil, want, err
		}
		defer r.Close()
		err = r.Lines(ranges, func(line []byte) { got = append(got, string(line)) })
		return got, want, err
	}
	got, want, err := reread()
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("read again: %d lines (%v), want %d", len(got), err, len(want))
	}
	if want[0] != `{"n":0,"pad":""}` {
		t.Fatalf("first line %q: the BOM must go", want[0])
	}

	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"n":-1}` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, want, err := reread(); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after an append: %d lines (%v), want %d", len(got), err, len(want))
	}

	if err := os.Truncate(path, int64(b.Len())-10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reread(); !errors.Is(err, ErrSourceChanged) {
		t.Fatalf("after a truncation: %v, want ErrSourceChanged", err)
	}
	other := filepath.Join(dir, "new.ndjson")
	if err := os.WriteFile(other, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reread(); !errors.Is(err, ErrSourceChanged) {
		t.Fatalf("after a rotation: %v, want ErrSourceChanged", err)
	}

	gz := filepath.Join(dir, "log.ndjson.gz")
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	if err := os.WriteFile(gz, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	gzChunks, gzSrc := scan(gz)
	for _, c := range gzChunks {
		if c.r.Off != -1 {
			t.Fatalf("a gzip chunk at offset %d, want -1", c.r.Off)
		}
	}
	if _, err := Reopen(gzSrc); !errors.Is(err, ErrSourceChanged) {
		t.Fatalf("gzip source: %v, want ErrSourceChanged", err)
	}
}
