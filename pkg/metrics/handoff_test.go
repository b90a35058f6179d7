package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
	"github.com/synclog/synclog/pkg/rotate"
)

func rowAt(ts, trigger string) string {
	return fmt.Sprintf(`{"ts":%q,"op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":1000,"manifest_before":"","manifest_after":"m","trigger":%q,"machine":"m1","status":"ok"}`+"\n", ts, trigger)
}

func appendRows(t *testing.T, log string, rows ...string) {
	t.Helper()
	a := &ndjson.Appender{Path: log, NoSync: true}
	for _, r := range rows {
		if err := a.Append(context.Background(), []byte(r)); err != nil {
			t.Fatal(err)
		}
	}
}

func rotateBefore(t *testing.T, log string, before time.Time) *rotate.Result {
	t.Helper()
	res, err := rotate.Rotate(context.Background(), rotate.Options{Log: log, Before: before})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func stat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// wantCounts checks the runs per trigger, the total and the skipped lines.
func wantCounts(t *testing.T, c *Counts, runs map[string]uint64, skipped uint64) {
	t.Helper()
	var total uint64
	for trigger, n := range runs {
		total += n
		if got := c.Runs(trigger); got != n {
			t.Errorf("%s runs = %d, want %d", trigger, got, n)
		}
	}
	if got := c.Total(); got != total {
		t.Errorf("total = %d, want %d", got, total)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.skipped != skipped {
		t.Errorf("skipped = %d, want %d", c.skipped, skipped)
	}
}

var (
	march = "2026-03-10T10:00:00Z"
	april = "2026-04-10T10:00:00Z"
	may   = "2026-05-10T10:00:00Z"
)

// TestTailerFollowsRotate proves that after synclog rotate replaced the log
// with one that starts with the rows it kept, the tailer counts the rows
// appended to the old file before the rename and those appended to the new
// one after it, each once, and reads none of the kept rows again.
func TestTailerFollowsRotate(t *testing.T) {
	log, c, tl := newTestTailer(t)
	appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cli"), rowAt(march, "cron"), rowAt(april, "cli"))
	poll(t, tl)
	read := tl.BytesRead()
	appendRows(t, log, rowAt(march, "mcp"), rowAt(april, "mcp")) // counted from the old file
	res := rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if res.Moved != 3 || res.Kept != 3 {
		t.Fatalf("rotate moved %d, kept %d", res.Moved, res.Kept)
	}
	kept := stat(t, log).Size()
	appendRows(t, log, rowAt(april, "stop-hook"))
	poll(t, tl)
	wantCounts(t, c, map[string]uint64{"cron": 2, "cli": 2, "mcp": 2, "stop-hook": 1}, 0)
	if tl.Rotations() != 1 || tl.Handoffs() != 1 {
		t.Errorf("rotations %d, handoffs %d, want 1 and 1", tl.Rotations(), tl.Handoffs())
	}
	// The rest of the old file and the new row, nothing of the kept rows.
	want := int64(len(rowAt(march, "mcp")) + len(rowAt(april, "mcp")) + len(rowAt(april, "stop-hook")))
	if got := tl.BytesRead() - read; got != want {
		t.Errorf("the poll read %d bytes, want %d (the old file's rest and the new row, not the %d kept)", got, want, kept)
	}
	poll(t, tl)
	wantCounts(t, c, map[string]uint64{"cron": 2, "cli": 2, "mcp": 2, "stop-hook": 1}, 0)
}

// TestTailerRotationsBetweenPolls proves a tailer that slept through two
// rotations (the second rotating the log the first made, with rows
// appended in between) still counts each row once: the handoff chains the
// first log to the last.
func TestTailerRotationsBetweenPolls(t *testing.T) {
	log, c, tl := newTestTailer(t)
	appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cron"), rowAt(may, "cron"))
	poll(t, tl)
	appendRows(t, log, rowAt(april, "cli"), rowAt(may, "cli"))
	rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) // moves march
	appendRows(t, log, rowAt(may, "mcp"), rowAt(may, "mcp"))          // never seen in the middle log
	rotateBefore(t, log, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) // moves april
	appendRows(t, log, rowAt(may, "edit"))
	poll(t, tl)
	wantCounts(t, c, map[string]uint64{"cron": 3, "cli": 2, "mcp": 2, "edit": 1}, 0)
	if tl.Rotations() != 1 || tl.Handoffs() != 1 {
		t.Errorf("rotations %d, handoffs %d, want 1 and 1", tl.Rotations(), tl.Handoffs())
	}
}

// TestTailerRotateTornLine proves a torn last line kept by a rotation is
// counted once as a skipped line when a later append ends it, as a reader
// of the whole log would, and the rows around it once each.
func TestTailerRotateTornLine(t *testing.T) {
	log, c, tl := newTestTailer(t)
	appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cron"))
	appendFile(t, log, `{"ts":"2026-0`)
	poll(t, tl)
	rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	poll(t, tl) // the torn line still waits for its newline, in the new file
	wantCounts(t, c, map[string]uint64{"cron": 2}, 0)
	appendRows(t, log, rowAt(april, "cli")) // the appender ends the torn line first
	poll(t, tl)
	wantCounts(t, c, map[string]uint64{"cron": 2, "cli": 1}, 1)
	if tl.Handoffs() != 1 {
		t.Errorf("handoffs %d, want 1", tl.Handoffs())
	}
}

// TestTailerHandoffMismatch proves the tailer reads a new log from its
// start whenever the handoff does not name exactly the file it read and
// the file now at the path: a replacement by another tool after a
// rotation, a handoff that names more bytes than the new file has, and a
// damaged handoff.
func TestTailerHandoffMismatch(t *testing.T) {
	replace := func(t *testing.T, log, content string) {
		t.Helper()
		tmp := log + ".new"
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, log); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("another tool after a rotation", func(t *testing.T) {
		log, c, tl := newTestTailer(t)
		appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cron"))
		poll(t, tl)
		rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		poll(t, tl) // follows the rotation: handoff 1
		// logrotate's create: the log moves away, a new one starts.
		if err := os.Rename(log, log+".1"); err != nil {
			t.Fatal(err)
		}
		appendRows(t, log, rowAt(may, "cli"), rowAt(may, "cli"))
		poll(t, tl)
		wantCounts(t, c, map[string]uint64{"cron": 2, "cli": 2}, 0)
		if tl.Rotations() != 2 || tl.Handoffs() != 1 {
			t.Errorf("rotations %d, handoffs %d, want 2 and 1", tl.Rotations(), tl.Handoffs())
		}
	})
	t.Run("replaced right after a rotation", func(t *testing.T) {
		// The handoff names the old file the tailer read, but not the
		// file now at the path.
		log, c, tl := newTestTailer(t)
		appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cron"))
		poll(t, tl)
		rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		replace(t, log, rowAt(may, "cli"))
		poll(t, tl)
		wantCounts(t, c, map[string]uint64{"cron": 2, "cli": 1}, 0)
		if tl.Handoffs() != 0 {
			t.Errorf("handoffs %d, want 0", tl.Handoffs())
		}
	})
	t.Run("kept bytes beyond the new file", func(t *testing.T) {
		log, c, tl := newTestTailer(t)
		appendRows(t, log, rowAt(march, "cron"))
		poll(t, tl)
		old := stat(t, log)
		replace(t, log, rowAt(may, "cli"))
		oldID, _ := rotate.IDOf(old)
		newID, _ := rotate.IDOf(stat(t, log))
		h := rotate.Handoff{Transitions: []rotate.Transition{{Old: oldID, New: newID, Kept: stat(t, log).Size() + 1}}}
		b, _ := json.Marshal(h)
		if err := os.WriteFile(rotate.HandoffPath(log), b, 0o644); err != nil {
			t.Fatal(err)
		}
		poll(t, tl)
		wantCounts(t, c, map[string]uint64{"cron": 1, "cli": 1}, 0)
		if tl.Handoffs() != 0 {
			t.Errorf("handoffs %d, want 0", tl.Handoffs())
		}
	})
	t.Run("damaged handoff", func(t *testing.T) {
		log, c, tl := newTestTailer(t)
		appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cron"))
		poll(t, tl)
		rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		if err := os.WriteFile(rotate.HandoffPath(log), []byte(`{"transitions":[{"old":`), 0o644); err != nil {
			t.Fatal(err)
		}
		poll(t, tl)
		// The kept april row is read again: the fallback of every
		// replacement the tailer cannot place.
		wantCounts(t, c, map[string]uint64{"cron": 3}, 0)
		if tl.Rotations() != 1 || tl.Handoffs() != 0 {
			t.Errorf("rotations %d, handoffs %d, want 1 and 0", tl.Rotations(), tl.Handoffs())
		}
	})
}

// TestHandoffResume proves Resume answers only for the exact transition
// and a kept offset the new file has.
func TestHandoffResume(t *testing.T) {
	dir := t.TempDir()
	files := map[string]os.FileInfo{}
	for _, n := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
			t.Fatal(err)
		}
		files[n] = stat(t, p)
	}
	id := func(n string) rotate.FileID {
		i, ok := rotate.IDOf(files[n])
		if !ok {
			t.Fatal("no file id")
		}
		return i
	}
	h := &rotate.Handoff{Transitions: []rotate.Transition{
		{Old: id("b"), New: id("c"), Kept: 4},
		{Old: id("a"), New: id("c"), Kept: 2},
		{Old: id("a"), New: id("b"), Kept: 11},
	}}
	for _, tc := range []struct {
		old, new string
		off      int64
		ok       bool
	}{
		{"b", "c", 4, true},
		{"a", "c", 2, true},
		{"a", "b", 0, false}, // 11 bytes kept, the file has 10
		{"c", "a", 0, false},
		{"b", "a", 0, false},
		{"c", "c", 0, false},
	} {
		off, ok := h.Resume(files[tc.old], files[tc.new])
		if off != tc.off || ok != tc.ok {
			t.Errorf("Resume(%s, %s) = %d, %v; want %d, %v", tc.old, tc.new, off, ok, tc.off, tc.ok)
		}
	}
	if _, ok := (*rotate.Handoff)(nil).Resume(files["b"], files["c"]); ok {
		t.Error("a nil handoff resumed")
	}
}

// TestTailerDrainsAfterRotation proves the old file is read to its end only
// once it is no longer the log: a row appended just before a rotation that
// a poll is about to see is counted once, from the old file.
func TestTailerDrainsAfterRotation(t *testing.T) {
	log, c, tl := newTestTailer(t)
	appendRows(t, log, rowAt(march, "cron"), rowAt(april, "cron"))
	poll(t, tl)
	beforeStat = func() {
		beforeStat = nil
		appendRows(t, log, rowAt(april, "cli"))
		rotateBefore(t, log, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	}
	defer func() { beforeStat = nil }()
	poll(t, tl)
	wantCounts(t, c, map[string]uint64{"cron": 2, "cli": 1}, 0)
	if tl.Handoffs() != 1 {
		t.Errorf("handoffs %d, want 1", tl.Handoffs())
	}
}

// newTestTailer returns a log path in a fresh directory and a Tailer
// counting it, closed when the test ends.
func newTestTailer(t *testing.T) (string, *Counts, *Tailer) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "sync-events.ndjson")
	c := NewCounts()
	tl := NewTailer(log, c)
	t.Cleanup(func() { tl.Close() })
	return log, c, tl
}
