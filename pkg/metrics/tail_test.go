package metrics

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// BenchmarkPollUnchanged shows a scrape of an unchanged log costs a stat and
// a zero-byte read, whatever the size of the log.
func BenchmarkPollUnchanged(b *testing.B) {
	path := filepath.Join(b.TempDir(), "log.ndjson")
	var sb strings.Builder
	for range 100_000 {
		sb.WriteString(row("cron", false))
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	tl := NewTailer(path, NewCounts())
	defer tl.Close()
	if err := tl.Poll(); err != nil {
		b.Fatal(err)
	}
	read := tl.BytesRead()
	b.ResetTimer()
	for b.Loop() {
		if err := tl.Poll(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tl.BytesRead()-read)/float64(b.N), "bytes/poll")
}
