package metrics

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func row(trigger string, failed bool) string {
	status := `"ok"`
	if failed {
		status = `"error","error":"boom"`
	}
	return fmt.Sprintf(`{"ts":"2026-04-16T10:00:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":1000,"manifest_before":"","manifest_after":"m","trigger":%q,"machine":"m1","status":%s}`+"\n", trigger, status)
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func poll(t *testing.T, tl *Tailer) {
	t.Helper()
	if err := tl.Poll(); err != nil {
		t.Fatal(err)
	}
}

// TestTailerFollows proves the tailer counts each row once as the log
// grows, waits for the newline of a torn last line, and reads only the new
// bytes on each poll (none when the log is unchanged).
func TestTailerFollows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.ndjson")
	c := NewCounts()
	tl := NewTailer(path, c)
	defer tl.Close()
	poll(t, tl) // no log yet: no rows, no error
	first := "\ufeff" + row("cron", false) + "\r\n" + strings.TrimSuffix(row("cron", true), "\n") + "\r\n"
	appendFile(t, path, first)
	poll(t, tl)
	if got := c.Runs("cron"); got != 2 {
		t.Fatalf("runs after first poll = %d, want 2", got)
	}
	read := tl.BytesRead()
	if read != int64(len(first)) {
		t.Fatalf("bytes read = %d, want %d", read, len(first))
	}
	poll(t, tl)
	if tl.BytesRead() != read {
		t.Fatalf("a poll of an unchanged log read %d bytes", tl.BytesRead()-read)
	}

	// A row without its newline yet is not counted, then counted once.
	r := row("stop-hook", false)
	appendFile(t, path, r[:40])
	poll(t, tl)
	if got := c.Runs("stop-hook"); got != 0 {
		t.Fatalf("a torn line was counted: %d", got)
	}
	appendFile(t, path, r[40:]+"not json\n")
	poll(t, tl)
	poll(t, tl)
	if got := c.Runs("stop-hook"); got != 1 {
		t.Fatalf("runs = %d, want 1", got)
	}
	if c.skipped != 1 {
		t.Fatalf("skipped = %d, want 1", c.skipped)
	}
	if c.Total() != 3 {
		t.Fatalf("total = %d, want 3", c.Total())
	}
}

// TestTailerRotation proves rows appended to the old file before the poll
// that notices a rotation are counted, and the new file is read from its
// start.
func TestTailerRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.ndjson")
	c := NewCounts()
	tl := NewTailer(path, c)
	defer tl.Close()
	appendFile(t, path, row("cron", false))
	poll(t, tl)
	appendFile(t, path, row("cron", false)) // lands in the file about to move
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	poll(t, tl) // the path is gone: still reads the rest of the old file
	if got := c.Runs("cron"); got != 2 {
		t.Fatalf("runs = %d, want 2", got)
	}
	appendFile(t, path, row("cli", false)+row("cli", false))
	poll(t, tl)
	if got, rot := c.Runs("cli"), tl.Rotations(); got != 2 || rot != 1 {
		t.Fatalf("cli runs = %d, rotations = %d, want 2 and 1", got, rot)
	}
	if c.Total() != 4 {
		t.Fatalf("total = %d, want 4", c.Total())
	}
}

// TestTailerTruncation proves a file cut below the offset is read again from
// its start.
func TestTailerTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.ndjson")
	c := NewCounts()
	tl := NewTailer(path, c)
	defer tl.Close()
	appendFile(t, path, row("cron", false)+row("cron", false))
	poll(t, tl)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, row("mcp", true))
	poll(t, tl)
	if c.Runs("mcp") != 1 || c.Runs("cron") != 2 || tl.Rotations() != 1 {
		t.Fatalf("mcp = %d, cron = %d, rotations = %d", c.Runs("mcp"), c.Runs("cron"), tl.Rotations())
	}
}

// TestTailerLongLine proves a line longer than MaxLine is counted as one
// skipped line and the rows after it are still read.
func TestTailerLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	path := filepath.Join(t.TempDir(), "log.ndjson")
	c := NewCounts()
	tl := NewTailer(path, c)
	defer tl.Close()
	appendFile(t, path, row("cron", false)+strings.Repeat("x", MaxLine+readSize+7))
	poll(t, tl)
	appendFile(t, path, "yyy\n"+row("cron", false))
	poll(t, tl)
	if c.Runs("cron") != 2 || c.skipped != 1 {
		t.Fatalf("cron = %d, skipped = %d, want 2 and 1", c.Runs("cron"), c.skipped)
	}
}

// writeBigLog writes n rows of about 330 bytes to path, quickly, and
// returns the file's size.
func writeBigLog(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	triggers := []string{"stop-hook", "cron", "cli", "mcp"}
	for i := range n {
		fmt.Fprintf(w, `{"ts":"2026-04-%02dT%02d:%02d:%02dZ","op":"push","repo":"snappy-os","scope":"state","files":%d,"bytes":%d,"dur_ms":%d,"manifest_before":"%012x","manifest_after":"%012x","trigger":%q,"machine":"nuc-%02d","status":"ok","tenant_id":"tenant-%02d","files_total":%d,"session_id":"%08x-1f2e-4d3c-8b7a-%012x"}`+"\n",
			1+i%28, i%24, i%60, i%60, i%50, i*37%1000000, i%5000, i*7919, i*104729, triggers[i%len(triggers)], i%8, i%16, 1000+i%500, i, i)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// TestScrapeUnchangedReadsNothing proves that once a log of a million rows
// is read, a scrape (a poll and a gather) of it unchanged reads no byte,
// and one after a row is appended reads exactly that row. Under the race
// detector, or with -short, the log has a tenth of the rows:
// BenchmarkScrapeUnchanged has the million.
func TestScrapeUnchangedReadsNothing(t *testing.T) {
	rows := 1_000_000
	if raceEnabled || testing.Short() {
		rows = 100_000
	}
	path := filepath.Join(t.TempDir(), "sync-events.ndjson")
	size := writeBigLog(t, path, rows)
	c := NewCounts()
	tl := NewTailer(path, c)
	defer tl.Close()
	reg := Registry(DefaultNamespace, c)
	scrape := func() {
		t.Helper()
		poll(t, tl)
		if _, err := Exposition(reg); err != nil {
			t.Fatal(err)
		}
	}
	scrape()
	if tl.BytesRead() != size || c.Total() != uint64(rows) {
		t.Fatalf("first scrape read %d bytes and %d rows, want %d and %d", tl.BytesRead(), c.Total(), size, rows)
	}
	for range 100 {
		scrape()
	}
	if got := tl.BytesRead(); got != size {
		t.Fatalf("100 scrapes of the unchanged log read %d bytes", got-size)
	}
	r := row("cron", false)
	appendFile(t, path, r)
	scrape()
	scrape()
	if got := tl.BytesRead() - size; got != int64(len(r)) {
		t.Fatalf("scrapes after one row read %d bytes, want the row's %d", got, len(r))
	}
	if c.Total() != uint64(rows)+1 {
		t.Fatalf("total = %d, want %d", c.Total(), rows+1)
	}
}

// BenchmarkScrapeUnchanged scrapes (a poll and a gather) an unchanged log of
// a million rows of about 330 bytes, once read: bytes/scrape is what each
// scrape read from the log, 0 whatever its size. The first read's time is
// reported as first-read-s.
func BenchmarkScrapeUnchanged(b *testing.B) {
	const rows = 1_000_000
	path := filepath.Join(b.TempDir(), "sync-events.ndjson")
	size := writeBigLog(b, path, rows)
	c := NewCounts()
	tl := NewTailer(path, c)
	defer tl.Close()
	reg := Registry(DefaultNamespace, c)
	start := time.Now()
	if err := tl.Poll(); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	if tl.BytesRead() != size || c.Total() != rows {
		b.Fatalf("first read: %d bytes, %d rows; want %d, %d", tl.BytesRead(), c.Total(), size, rows)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := tl.Poll(); err != nil {
			b.Fatal(err)
		}
		if _, err := Exposition(reg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tl.BytesRead()-size)/float64(b.N), "bytes/scrape")
	b.ReportMetric(float64(size)/rows, "bytes/row")
	b.ReportMetric(first.Seconds(), "first-read-s")
}
