package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSummarizeKilledLeavesWholeDashboard kills summarize with SIGKILL at
// random points of its run, the write of the dashboard included, and checks
// after each kill that the dashboard is the old one or a new one, whole:
// never a part, never missing.
func TestSummarizeKilledLeavesWholeDashboard(t *testing.T) {
	bin := relBinary(t)
	dir := relDir(t)
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	relMust(t, err)
	log := filepath.Join(dir, "log.ndjson")
	relMust(t, os.WriteFile(log, bytes.Repeat(sample, 50), 0o644))
	out := filepath.Join(dir, "state", "log", "sync-summary.md")
	env := relEnv(dir)

	summarize := func(now string) *exec.Cmd {
		cmd := exec.Command(bin, "summarize", "--root", dir, "--log", log, "--now", now)
		cmd.Env = env
		return cmd
	}
	whole := func(b []byte) bool {
		s := string(b)
		return strings.HasPrefix(s, "---\ngenerated_at: ") &&
			strings.HasSuffix(s, "so the rounded total may exceed the exact one slightly.\n")
	}

	// A first dashboard, and how long a run takes.
	start := time.Now()
	if b, err := summarize("2026-04-16T20:00:00Z").CombinedOutput(); err != nil {
		t.Fatalf("summarize: %v\n%s", err, b)
	}
	runTime := time.Since(start)
	old, err := os.ReadFile(out)
	relMust(t, err)
	if !whole(old) {
		t.Fatalf("the first dashboard is not whole:\n%s", old)
	}

	kills := 40
	if testing.Short() {
		kills = 10
	}
	rng := rand.New(rand.NewPCG(1, 2))
	replaced := 0
	for i := range kills {
		now := time.Date(2026, 4, 16, 20, i, 0, 0, time.UTC).Format(time.RFC3339)
		cmd := summarize(now)
		relMust(t, cmd.Start())
		time.Sleep(time.Duration(rng.Int64N(int64(runTime) * 12 / 10)))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("kill %d: the dashboard is gone: %v", i, err)
		}
		if !whole(got) {
			t.Fatalf("kill %d: the dashboard is not whole (%d bytes):\n%s", i, len(got), got)
		}
		if !bytes.Equal(got, old) {
			if !strings.Contains(string(got), "now: "+now+"\n") {
				t.Fatalf("kill %d: the dashboard is neither the old one nor this run's", i)
			}
			replaced++
			old = got
		}
	}
	t.Logf("%d kills over %s runs: %d runs finished their write first", kills, runTime, replaced)
}
