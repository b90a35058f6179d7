package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

var movedRE = regexp.MustCompile(`(?m)^moved (\d+) rows? older than`)

// TestServeWritersAndRotate proves that while 8 writers append through the
// locked appender (as record does), scrapes run, and 'synclog rotate'
// replaces the log several times, moving the older rows to an archive and
// keeping the newer, serve ends with counts equal to the rows written, per
// trigger, having read each byte appended exactly once: no kept row was
// read, or counted, again.
func TestServeWritersAndRotate(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	base, stop := startServe(t, "--log", log, "--poll", "20ms")

	now := "2026-04-16T12:00:00Z"
	rowAt := func(trigger string, i int) string {
		// Every other row is older than --keep 1h before --now: each
		// rotation moves some rows and keeps others.
		ts := "2026-04-16T10:00:00Z"
		if i%2 == 1 {
			ts = "2026-04-16T11:30:00Z"
		}
		return fmt.Sprintf(`{"ts":%q,"op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":%d,"manifest_before":"","manifest_after":"m","trigger":%q,"machine":"m1","status":"ok"}`+"\n", ts, i, trigger)
	}

	const writers, minRows, maxRows, rotations = 8, 100, 1000, 6
	var written [4]atomic.Int64
	var appended atomic.Int64 // bytes
	rotated := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			a := &ndjson.Appender{Path: log, NoSync: true, LockTimeout: 30 * time.Second}
			trigger := fmt.Sprintf("w%d", w%4)
			// Until every rotation has run, and at least minRows.
			for i := range maxRows {
				if i >= minRows {
					select {
					case <-rotated:
						return
					default:
					}
				}
				r := rowAt(trigger, i)
				if err := a.Append(context.Background(), []byte(r)); err != nil {
					t.Error(err)
					return
				}
				written[w%4].Add(1)
				appended.Add(int64(len(r)))
			}
		})
	}
	scrapes := make(chan struct{})
	go func() {
		defer close(scrapes)
		for {
			select {
			case <-rotated:
				return
			default:
			}
			get(t, base+"/metrics")
			time.Sleep(5 * time.Millisecond)
		}
	}()
	replaced := 0 // rotations that moved rows, and so replaced the log
	for range rotations {
		time.Sleep(20 * time.Millisecond)
		var out, errb bytes.Buffer
		code := runArgs(context.Background(), []string{"rotate", "--log", log, "--now", now, "--keep", "1h", "--lock-timeout", "30s"},
			&IOStreams{In: bytes.NewReader(nil), Out: &out, Err: &errb})
		if code != 0 {
			close(rotated)
			t.Fatalf("rotate: exit %d: %s%s", code, out.String(), errb.String())
		}
		if m := movedRE.FindStringSubmatch(out.String()); m == nil {
			t.Errorf("rotate said %q", out.String())
		} else if n, _ := strconv.Atoi(m[1]); n > 0 {
			replaced++
		}
	}
	close(rotated)
	wg.Wait()
	<-scrapes
	if replaced < 2 {
		t.Fatalf("only %d of %d rotations moved rows", replaced, rotations)
	}

	_, body, _ := get(t, base+"/metrics")
	var total int64
	for w := range 4 {
		series := fmt.Sprintf(`writestead_sync_runs_total{trigger="w%d"}`, w)
		if got, want := metricValue(t, body, series), written[w].Load(); got != float64(want) {
			t.Errorf("%s = %v, want %d", series, got, want)
		}
		total += written[w].Load()
	}
	if got := metricValue(t, body, "writestead_sync_duration_seconds_count"); got != float64(total) {
		t.Errorf("count = %v, want %d", got, total)
	}
	if got := metricValue(t, body, "writestead_serve_log_bytes_read_total"); got != float64(appended.Load()) {
		t.Errorf("serve read %v bytes of the log, want the %d appended, each once", got, appended.Load())
	}
	// Every replacement serve saw was a rotation it followed past the kept
	// rows (two rotations between its polls are one replacement to it).
	reopens := metricValue(t, body, "writestead_serve_log_reopens_total")
	handoffs := metricValue(t, body, "writestead_serve_log_handoffs_total")
	if reopens < 1 || reopens > float64(replaced) || handoffs != reopens {
		t.Errorf("reopens %v, handoffs %v, after %d rotations that replaced the log", reopens, handoffs, replaced)
	}
	if c, stderr := stop(); c != 0 {
		t.Fatalf("exit %d: %s", c, stderr)
	}

	// The rows are all in the log and its archive, once: what serve
	// counted is what is there.
	var inFiles int64
	paths := []string{log, filepath.Join(dir, "sync-events-2026-04.ndjson.gz")}
	st, err := ndjson.ReadEvents(context.Background(), paths, ndjson.ReadOptions{Lean: true},
		func(*ndjson.Row) error { inFiles++; return nil })
	if err != nil || st.Skipped() != 0 {
		t.Fatalf("read %v: %v (%d skipped)", paths, err, st.Skipped())
	}
	if inFiles != total {
		t.Errorf("%d rows in the log and its archive, want %d", inFiles, total)
	}
}
