//go:build reliability

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Item 4: rotate runs 20 times while 8 record processes append; with
// "killed", every other rotation is SIGKILLed at a random point and one
// clean rotation runs at the end. Pass: the rows in the log plus the
// archives are the rows written, none twice, none torn; every archived row
// is in the archive of its UTC month.
func TestSuiteRotateWhileRecording(t *testing.T) {
	for _, killed := range []bool{false, true} {
		t.Run(map[bool]string{false: "clean", true: "killed"}[killed], func(t *testing.T) {
			suiteRotateWhileRecording(t, killed)
		})
	}
}

func suiteRotateWhileRecording(t *testing.T, kill bool) {
	bin := relBinary(t)
	dir := relDir(t)
	log := filepath.Join(dir, "state", "log", "sync-events.ndjson")
	env := relEnv(dir)
	const writers, rotations = 8, 20
	perWriter := max(suiteRows(t)/4, 25)
	total := writers * perWriter
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 150 * 24 * time.Hour / time.Duration(total) // rows span five months, whatever their number
	tsOf := func(w, seq int) time.Time { return base.Add(time.Duration(seq*writers+w) * step) }

	var written atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	r := relRun{bin: bin, dir: dir, env: env, timeout: time.Minute}
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range perWriter {
				args := append(suiteRowArgs(log, w, seq, 1536), "--ts", tsOf(w, seq).Format(time.RFC3339))
				res := r.run(t, args...)
				if res.code != 0 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("w%02d s%05d: exit %d: %s", w, seq, res.code, res.stderr))
					mu.Unlock()
				}
				written.Add(1)
			}
		}()
	}
	// Rotations spread over the writing: rotation i waits for (i+1)/21 of
	// the rows, then moves what is older than its cutoff, which walks
	// forward through the rows' months to 20/21 of their span.
	var rotated, killedRuns int
	lastRun := 200 * time.Millisecond
	var rotateOut []string
	rng := rand.New(rand.NewPCG(4, 20))
	for i := range rotations {
		for written.Load() < int64(total*(i+1)/(rotations+1)) {
			time.Sleep(5 * time.Millisecond)
		}
		now := base.Add(time.Duration(total*(i+1)/(rotations+1)) * step).Add(24 * time.Hour)
		cmd := exec.Command(bin, "rotate", "--log", log, "--now", now.Format(time.RFC3339), "--keep", "1d", "--lock-timeout", "30s")
		cmd.Dir, cmd.Env = dir, env
		if kill && i%2 == 1 {
			// Kill it anywhere from exec to exit, as long as the last clean
			// run took, and a little after.
			relMust(t, cmd.Start())
			time.Sleep(time.Duration(rng.Int64N(int64(lastRun)*6/5 + 1)))
			_ = cmd.Process.Kill()
			if err := cmd.Wait(); err != nil {
				killedRuns++
			} else {
				rotated++
			}
			continue
		}
		runStart := time.Now()
		out, err := cmd.CombinedOutput()
		lastRun = time.Since(runStart)
		if err != nil {
			t.Errorf("rotation %d: %v: %s", i, err, out)
			continue
		}
		rotated++
		rotateOut = append(rotateOut, strings.TrimSpace(string(out)))
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d records failed, first: %s", len(failures), failures[0])
	}
	if kill {
		// The next rotation finishes whatever a killed one committed.
		final := exec.Command(bin, "rotate", "--log", log, "--now", base.Format(time.RFC3339), "--keep", "1d")
		final.Dir, final.Env = dir, env
		out, err := final.CombinedOutput()
		if err != nil {
			t.Fatalf("final rotation: %v: %s", err, out)
		}
		rotateOut = append(rotateOut, strings.TrimSpace(string(out)))
	}

	paths, err := ndjson.ExpandPaths(dir, []string{"state/log/sync-events*"})
	relMust(t, err)
	seen := map[string]int{}
	var wrongArchive int
	st, err := ndjson.ReadEvents(context.Background(), paths, ndjson.ReadOptions{}, func(row *ndjson.Row) error {
		seen[row.Event.Machine+"/"+row.Event.SessionID]++
		if strings.HasSuffix(row.Path, ".gz") && !strings.HasSuffix(row.Path, row.Event.TS.UTC().Format("-2006-01")+".ndjson.gz") {
			wrongArchive++
		}
		return suiteCheckRow(&row.Event, 1536)
	})
	relMust(t, err)
	lost, twice := 0, 0
	for w := range writers {
		for seq := range perWriter {
			switch seen[fmt.Sprintf("w%02d/s%05d", w, seq)] {
			case 0:
				lost++
			case 1:
			default:
				twice++
			}
		}
	}
	var inLog int64
	for _, src := range st.Sources {
		if src.Path == log {
			inLog = src.Rows
		}
	}
	recovered := strings.Count(strings.Join(rotateOut, "\n"), "finished an interrupted rotation")
	t.Logf("%d rotations finished one a kill had interrupted after its commit", recovered)
	leftovers, _ := filepath.Glob(filepath.Join(dir, "state", "log", ".*rotate-*"))
	t.Logf("%d writers x %d rows, %d rotations done, %d killed, in %v: written %d, found %d (%d in the log, %d in %d archives), skipped %d, lost %d, twice %d",
		writers, perWriter, rotated, killedRuns, time.Since(start).Round(time.Millisecond), total, st.Rows(), inLog, st.Rows()-inLog, len(paths)-1, st.Skipped(), lost, twice)
	if st.Rows() != int64(total) || st.Skipped() != 0 || lost > 0 || twice > 0 || wrongArchive > 0 {
		t.Errorf("want %d rows, each once, in the right archive (%d in a wrong one)", total, wrongArchive)
	}
	if len(leftovers) > 0 {
		t.Errorf("left behind: %v", leftovers)
	}
	if inLog == int64(total) {
		t.Errorf("no rotation moved a row: %v", rotateOut)
	}
	if len(paths) < 5 {
		t.Errorf("archives %v: want one for each of four months at least", paths)
	}
}
