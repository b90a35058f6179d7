//go:build reliability

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Item 11: summarize, query, lint and metrics run over and over while
// record processes append rows of 64 KiB and a slow writer appends rows in
// two writes, a pause between them, under the appender's lock (as a writer
// descheduled inside its row would): readers often meet an unterminated
// last line. Pass: no reader ever reports a line as bad (skipped, torn,
// invalid), each reader's run exits as it does on a quiet log, and at the
// end every line of the log is a whole row. Runs for half of
// SYNCLOG_RELIABILITY_KILL.
func TestSuiteReadersWhileAppending(t *testing.T) {
	bin := relBinary(t)
	root := relDir(t)
	logDir := filepath.Join(root, "state", "log")
	log := filepath.Join(logDir, "sync-events.ndjson")
	relMust(t, os.MkdirAll(logDir, 0o755))
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	relMust(t, err)
	relMust(t, os.WriteFile(log, sample, 0o644))
	env := relEnv(root)
	r := relRun{bin: bin, dir: root, env: env, timeout: time.Minute}
	runFor := suiteKillFor(t) / 2
	deadline := time.Now().Add(runFor)

	var writes atomic.Int64
	var wg sync.WaitGroup
	var werrs []string
	var mu sync.Mutex
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; time.Now().Before(deadline); seq++ {
				res := r.run(t, suiteRowArgs(log, w, seq, 64<<10)...)
				if res.code != 0 {
					mu.Lock()
					werrs = append(werrs, res.stderr)
					mu.Unlock()
					return
				}
				writes.Add(1)
			}
		}()
	}
	var slow atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := 0; time.Now().Before(deadline); seq++ {
			if err := suiteSlowAppend(log, seq); err != nil {
				mu.Lock()
				werrs = append(werrs, err.Error())
				mu.Unlock()
				return
			}
			slow.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()

	type tally struct{ runs, sawInFlight, bad int }
	tallies := map[string]*tally{}
	readers := map[string]func(tl *tally){
		// summarize: no skipped line; an unterminated last line is a write in flight.
		"summarize": func(tl *tally) {
			res := r.run(t, "summarize", "--root", root, "--out", "-", "--format", "json")
			var sum struct {
				Rows, Skipped int64
				Sources       []struct{ Partial bool }
			}
			if err := json.Unmarshal([]byte(res.stdout), &sum); res.code != 0 || err != nil || sum.Skipped != 0 || res.stderr != "" {
				tl.bad++
				t.Errorf("summarize while appending: exit %d, skipped %d, %v, stderr %q", res.code, sum.Skipped, err, res.stderr)
			} else if sum.Sources[0].Partial {
				tl.sawInFlight++
			}
		},
		// query: every row, no warning.
		"query": func(tl *tally) {
			res := r.run(t, "query", "--root", root, "-c", ".machine")
			if res.code != 0 || res.stderr != "" || strings.Count(res.stdout, "\n") < 400 {
				tl.bad++
				t.Errorf("query while appending: exit %d, %d rows, stderr %q", res.code, strings.Count(res.stdout, "\n"), res.stderr)
			}
		},
		// lint: no finding of a line that is not a whole row.
		"lint": func(tl *tally) {
			res := r.run(t, "lint", "--root", root, "--format", "json", "--max-per-rule", "0")
			var finds []struct {
				Line          int64
				Rule, Message string
			}
			if err := json.Unmarshal([]byte(res.stdout), &finds); err != nil || res.code > 1 {
				tl.bad++
				t.Errorf("lint while appending: exit %d, %v: %.300s %s", res.code, err, res.stdout, res.stderr)
			}
			for _, f := range finds {
				switch f.Rule {
				case "torn-line", "invalid-json", "missing-field", "bad-type", "bad-ts":
					tl.bad++
					t.Errorf("lint while appending: line %d: %s [%s]", f.Line, f.Message, f.Rule)
				}
			}
		},
		// metrics: no skipped line.
		"metrics": func(tl *tally) {
			res := r.run(t, "metrics", "--root", root)
			if res.code != 0 || res.stderr != "" || !strings.Contains(res.stdout, "\nwritestead_sync_log_rows_skipped_total 0\n") {
				tl.bad++
				t.Errorf("metrics while appending: exit %d, stderr %q", res.code, res.stderr)
			}
		},
	}
	var rwg sync.WaitGroup
	for name, read := range readers {
		tl := &tally{}
		tallies[name] = tl
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for time.Now().Before(deadline) {
				tl.runs++
				read(tl)
			}
		}()
	}
	rwg.Wait()
	wg.Wait()
	if len(werrs) > 0 {
		t.Fatalf("writers failed: %v", werrs)
	}
	lines := suiteLines(t, log)
	bad := 0
	for i, l := range lines {
		var e ndjson.Event
		if err := ndjson.ParseEvent([]byte(l), &e); err != nil {
			bad++
			t.Errorf("line %d is not a whole row: %v", i+1, err)
		}
	}
	var parts []string
	for _, name := range []string{"summarize", "query", "lint", "metrics"} {
		tl := tallies[name]
		parts = append(parts, fmt.Sprintf("%s %d runs, %d bad", name, tl.runs, tl.bad))
	}
	t.Logf("%v: %d rows of 64 KiB by record and %d in two writes by a slow writer; log %d lines, %d not whole rows; summarize saw a write in flight %d times; %s",
		runFor, writes.Load(), slow.Load(), len(lines), bad, tallies["summarize"].sawInFlight, strings.Join(parts, "; "))
	if tallies["summarize"].sawInFlight == 0 {
		t.Errorf("no reader met a write in flight: the test proved nothing")
	}
}

// suiteSlowAppend appends one row as a writer descheduled inside its row
// would: under the appender's lock, in two writes, 50 ms apart.
func suiteSlowAppend(log string, seq int) error {
	lf, err := os.OpenFile(ndjson.LockPath(log), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	e := ndjson.Event{TS: time.Now().UTC().Truncate(time.Second), Op: "push", Repo: "slow", Scope: "state", Trigger: "cli",
		Machine: "slow-writer", SessionID: fmt.Sprintf("s%05d", seq)}
	row := e.AppendJSON(nil)
	half := len(row) / 2
	if _, err := f.Write(row[:half]); err != nil {
		return err
	}
	time.Sleep(50 * time.Millisecond)
	_, err = f.Write(row[half:])
	return err
}

// Item 11, deterministically: lint meets a row in flight (its writer holds
// the lock, half the row written) and a torn row (no writer). Pass: the
// first is not reported, and lint waits for the writer rather than hang;
// the second is reported as torn-line.
func TestSuiteLintInFlight(t *testing.T) {
	bin := relBinary(t)
	root := relDir(t)
	log := filepath.Join(root, "sync-events.ndjson")
	e := ndjson.Event{TS: time.Date(2026, 4, 16, 10, 0, 0, 0, time.UTC), Op: "push", Repo: "r", Scope: "s", Trigger: "cli", Machine: "m"}
	row := e.AppendJSON(nil)
	relMust(t, os.WriteFile(log, row, 0o644))
	r := relRun{bin: bin, dir: root, env: relEnv(root), timeout: 20 * time.Second}
	args := []string{"lint", "--log", log, "--now", "2026-04-16T12:00:00Z", "--summary", filepath.Join(root, "none.md"), "--min-severity", "warning"}
	if res := r.run(t, args...); res.code != 0 {
		t.Fatalf("lint of one row: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}

	// In flight: the writer holds the lock for 600 ms with half a row out.
	lf, err := os.OpenFile(ndjson.LockPath(log), os.O_CREATE|os.O_RDWR, 0o644)
	relMust(t, err)
	defer lf.Close()
	relMust(t, syscall.Flock(int(lf.Fd()), syscall.LOCK_EX))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	relMust(t, err)
	e.TS = e.TS.Add(time.Minute)
	row = e.AppendJSON(nil)
	_, err = f.Write(row[:len(row)/2])
	relMust(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(600 * time.Millisecond)
		_, err := f.Write(row[len(row)/2:])
		f.Close()
		if err != nil {
			t.Error(err)
		}
		_ = syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	}()
	res := r.run(t, args...)
	<-done
	t.Logf("lint with a row in flight: exit %d in %v: %s%s", res.code, res.dur.Round(time.Millisecond), res.stdout, res.stderr)
	if res.code != 0 || strings.Contains(res.stdout, "torn-line") {
		t.Errorf("lint reported a row in flight: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}

	// Torn: half a row at the end, no writer.
	f, err = os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	relMust(t, err)
	_, err = f.Write(row[:len(row)/2])
	f.Close()
	relMust(t, err)
	res = r.run(t, args...)
	t.Logf("lint with a torn row: exit %d in %v: %s", res.code, res.dur.Round(time.Millisecond), strings.TrimSpace(res.stdout))
	if res.code != 1 || !strings.Contains(res.stdout, "sync-events.ndjson:3: error: the file does not end with a newline") {
		t.Errorf("lint did not report a torn last row: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
}
