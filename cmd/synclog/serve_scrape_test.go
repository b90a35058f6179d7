package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestServeScrapeReadsOnlyNewBytes proves through serve's own counter that
// a scrape of a big unchanged log reads nothing, and that a scrape after
// record appends a row reads exactly that row. (pkg/metrics has the
// million-row test and BenchmarkScrapeUnchanged; this one stays small to
// stay quick under the race detector.)
func TestServeScrapeReadsOnlyNewBytes(t *testing.T) {
	const rows = 50_000
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range rows {
		fmt.Fprintf(w, `{"ts":"2026-04-%02dT%02d:%02d:00Z","op":"push","repo":"snappy-os","scope":"state","files":%d,"bytes":%d,"dur_ms":%d,"manifest_before":"%012x","manifest_after":"%012x","trigger":"cron","machine":"nuc-%02d","status":"ok","tenant_id":"tenant-%02d","files_total":%d,"session_id":"%08x-1f2e-4d3c-8b7a-%012x"}`+"\n",
			1+i%28, i%24, i%60, i%50, i*37%1000000, i%5000, i*7919, i*104729, i%8, i%16, 1000+i%500, i, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	size := float64(fi.Size())

	base, stop := startServe(t, "--log", log, "--poll", "1h")
	scrape := func() (read, cron float64) {
		t.Helper()
		code, body, _ := get(t, base+"/metrics")
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		return metricValue(t, body, "writestead_serve_log_bytes_read_total"), metricValue(t, body, `writestead_sync_runs_total{trigger="cron"}`)
	}
	read, cron := scrape()
	if read != size || cron != rows {
		t.Fatalf("first scrape: read %v bytes, %v rows; want the log's %v, %d", read, cron, size, rows)
	}
	for i := range 20 {
		if read, _ := scrape(); read != size {
			t.Fatalf("scrape %d of the unchanged log read %v bytes", i+2, read-size)
		}
	}
	recordRun(t, log, "cron")
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	last := data[bytes.LastIndexByte(data[:len(data)-1], '\n')+1:]
	read, cron = scrape()
	if read-size != float64(len(last)) || cron != rows+1 {
		t.Fatalf("after record: read %v more bytes and %v rows; want the row's %d and %d", read-size, cron, len(last), rows+1)
	}
	if read, _ = scrape(); read-size != float64(len(last)) {
		t.Fatalf("a scrape after that read %v bytes more", read-size-float64(len(last)))
	}
	if c, stderr := stop(); c != 0 {
		t.Fatalf("exit %d: %s", c, stderr)
	}
}
