package ndjson

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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

// TestScanRelativeLines scans a log of several chunks, with a BOM, blank
// lines and bad lines spread over it, with and without RelativeLines: the
// sources' counts, skipped lines (by number) and last line must be the
// same. A work that never calls Lines gets its chunks counted after it.
func TestScanRelativeLines(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	for i := range 30000 {
		switch {
		case i%997 == 0:
			b.WriteString("{not json\n")
		case i%1499 == 0:
			b.WriteString("  \n")
		default:
			fmt.Fprintf(&b, `{"ts":"2026-04-16T19:10:38Z","op":"push","repo":"r%d","scope":"s","files":1,"bytes":%d,"dur_ms":1,`+
				`"manifest_before":"a","manifest_after":"b","trigger":"cron","machine":"m"}`+"\n", i%9, i)
		}
	}
	path := filepath.Join(t.TempDir(), "log.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	scan := func(relative, lines bool) *SourceStats {
		t.Helper()
		stats, err := Scan(context.Background(), []string{path}, ScanOptions{Workers: 2, RelativeLines: relative},
			func(c *Chunk, st *ChunkStats) struct{} {
				if !lines {
					return struct{}{}
				}
				p := NewParser()
				var e Event
				st.Blank += c.Lines(func(n int64, line []byte) {
					if err := p.Parse(line, &e); err != nil {
						st.Skip(c.Path, n, err)
						return
					}
					st.Rows++
				})
				return struct{}{}
			},
			func(struct{}) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return stats.Sources[0]
	}
	want := scan(false, true)
	if want.Skipped < 25 || want.LastLine != 30000 || len(want.Examples) != MaxExamples || want.Examples[MaxExamples-1].Line < 1000 {
		t.Fatalf("the log is not what the test needs: %+v", want)
	}
	if got := scan(true, true); !reflect.DeepEqual(got, want) {
		t.Errorf("relative lines:\n got %+v\nwant %+v", got, want)
	}
	if got := scan(true, false); got.LastLine != want.LastLine {
		t.Errorf("relative lines, Lines never called: last line %d, want %d", got.LastLine, want.LastLine)
	}
}
