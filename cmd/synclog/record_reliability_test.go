//go:build reliability

package main

// The reliability suite of issue 8 (go test -tags reliability): real
// synclog processes appending at once, killed at random, on disk and on
// tmpfs, with rows up to 64 KiB. Sizes are set by
//
//	SYNCLOG_RELIABILITY_ROWS   rows per writer in items 1 and 2 (default 500)
//	SYNCLOG_RELIABILITY_KILL   how long item 3 kills writers (default 20s)
//
// Each test logs its figures: rows written, found, lost.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

func suiteRows(t *testing.T) int {
	if s := os.Getenv("SYNCLOG_RELIABILITY_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("SYNCLOG_RELIABILITY_ROWS=%q: want a positive integer", s)
		}
		return n
	}
	return 500
}

func suiteKillFor(t *testing.T) time.Duration {
	if s := os.Getenv("SYNCLOG_RELIABILITY_KILL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("SYNCLOG_RELIABILITY_KILL=%q: want a positive duration", s)
		}
		return d
	}
	return 20 * time.Second
}

// suiteTmpfs mounts a tmpfs of size bytes under the test's directory, or
// skips the test where that is not allowed (not root, no CAP_SYS_ADMIN).
func suiteTmpfs(t *testing.T, size int64) string {
	t.Helper()
	mnt := filepath.Join(relDir(t), "tmpfs")
	relMust(t, os.Mkdir(mnt, 0o755))
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	return mnt
}

// suitePad is the manifest a row of writer w and number seq carries, sized
// so the whole row is about size bytes: another row's bytes inside it, or a
// cut, cannot go unseen.
func suitePad(w, seq, size int) string {
	n := max(0, size-400) / 2
	return fmt.Sprintf("sha256:%02d%05d", w, seq) + strings.Repeat(fmt.Sprintf("%02d", w), n)
}

func suiteRowArgs(log string, w, seq, size int) []string {
	return []string{"record", "--log", log, "--op", "push", "--repo", "snappy-os", "--scope", "state",
		"--machine", fmt.Sprintf("w%02d", w), "--session-id", fmt.Sprintf("s%05d", seq),
		"--files", strconv.Itoa(seq), "--bytes", strconv.Itoa(w*100000 + seq), "--dur-ms", "5", "--trigger", "cli",
		"--manifest-after", suitePad(w, seq, size)}
}

// suiteCheckRow checks that a row carries only its own fields.
func suiteCheckRow(e *ndjson.Event, size int) error {
	var w, seq int
	if _, err := fmt.Sscanf(e.Machine+" "+e.SessionID, "w%d s%d", &w, &seq); err != nil {
		return fmt.Errorf("row %s/%s: %v", e.Machine, e.SessionID, err)
	}
	if e.ManifestAfter != suitePad(w, seq, size) || e.Files != int64(seq) || e.Bytes != int64(w*100000+seq) {
		return fmt.Errorf("row %s/%s carries another row's fields", e.Machine, e.SessionID)
	}
	return nil
}

// suiteLines reads the lines of a log, without their newlines; it fails
// when the log does not end in one.
func suiteLines(t *testing.T, log string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	relMust(t, err)
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Errorf("%s does not end in a newline", log)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// Items 1 and 2: 16 record processes at once, each appending its rows one
// run at a time; on disk and on tmpfs; rows of 1.5, 8 and 64 KiB. Pass:
// exactly 16 x rows valid rows, each once, none torn or interleaved.
func TestSuiteConcurrentRecord(t *testing.T) {
	bin := relBinary(t)
	perWriter := suiteRows(t)
	const writers = 16
	for _, where := range []string{"disk", "tmpfs"} {
		for _, size := range []int{1536, 8 << 10, 64 << 10} {
			t.Run(fmt.Sprintf("%s/%dB", where, size), func(t *testing.T) {
				dir := relDir(t)
				if where == "tmpfs" {
					dir = suiteTmpfs(t, int64(writers*perWriter)*int64(size+1024)+(8<<20))
				}
				log := filepath.Join(dir, "state", "log", "sync-events.ndjson")
				r := relRun{bin: bin, dir: dir, env: relEnv(dir), timeout: time.Minute}
				start := time.Now()
				var wg sync.WaitGroup
				var mu sync.Mutex
				var failures []string
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for seq := range perWriter {
							// Each row waits for the fsyncs of up to 15 others: on a
							// loaded disk that is more than the 5 s lock timeout a
							// Stop hook wants, and this item is about whole rows.
							res := r.run(t, append(suiteRowArgs(log, w, seq, size), "--lock-timeout", "45s")...)
							if res.code != 0 || res.stdout != "" || res.stderr != "" {
								mu.Lock()
								failures = append(failures, fmt.Sprintf("w%02d s%05d: exit %d stdout %q stderr %q", w, seq, res.code, res.stdout, res.stderr))
								mu.Unlock()
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				if len(failures) > 0 {
					t.Fatalf("%d runs failed, first: %s", len(failures), failures[0])
				}
				lines := suiteLines(t, log)
				seen := map[string]int{}
				bad := 0
				for i, l := range lines {
					var e ndjson.Event
					if err := ndjson.ParseEvent([]byte(l), &e); err != nil {
						if bad++; bad <= 3 {
							t.Errorf("line %d is not a valid row (%v): %.200q", i+1, err, l)
						}
						continue
					}
					if err := suiteCheckRow(&e, size); err != nil {
						t.Fatal(err)
					}
					seen[e.Machine+"/"+e.SessionID]++
				}
				written := writers * perWriter
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
				t.Logf("%s, rows of %d B: written %d, lines %d, valid %d, torn or interleaved %d, lost %d, twice %d, in %v",
					where, size, written, len(lines), len(lines)-bad, bad, lost, twice, elapsed.Round(time.Millisecond))
				if len(lines) != written || bad > 0 || lost > 0 || twice > 0 {
					t.Errorf("want exactly %d valid rows, each once", written)
				}
				st, err := ndjson.ReadEvents(context.Background(), []string{log}, ndjson.ReadOptions{}, func(*ndjson.Row) error { return nil })
				relMust(t, err)
				if st.Rows() != int64(written) || st.Skipped() != 0 || st.Sources[0].Partial {
					t.Errorf("reader: rows %d skipped %d partial %v", st.Rows(), st.Skipped(), st.Sources[0].Partial)
				}
			})
		}
	}
}

// Item 3: writers killed with SIGKILL at random points of their run. Half
// the writers append 64 KiB rows, so a kill can land inside write(2). Pass:
// every row whose record exited 0 is present once; no row is present twice;
// a fragment a killed writer left stands alone on its line (it starts a
// line and no row starts inside it).
func TestSuiteSIGKILLWriters(t *testing.T) {
	bin := relBinary(t)
	dir := relDir(t)
	log := filepath.Join(dir, "sync-events.ndjson")
	env := relEnv(dir)
	runFor := suiteKillFor(t)
	const writers = 8
	size := func(w int) int {
		if w%2 == 1 {
			return 64 << 10
		}
		return 1536
	}
	// How long a run takes here, so kills land all through it.
	start := time.Now()
	if res := (relRun{bin: bin, dir: dir, env: env}).run(t, suiteRowArgs(filepath.Join(dir, "probe.ndjson"), 0, 0, 1536)...); res.code != 0 {
		t.Fatalf("probe run: %s", res.stderr)
	}
	runTime := time.Since(start)

	deadline := time.Now().Add(runFor)
	var mu sync.Mutex
	exited0 := map[string]bool{}
	var runs, killed, other int
	var otherMsg string
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for seq := 0; time.Now().Before(deadline); seq++ {
				cmd := exec.Command(bin, suiteRowArgs(log, w, seq, size(w))...)
				cmd.Dir, cmd.Env = dir, env
				var errb bytes.Buffer
				cmd.Stderr = &errb
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(2) == 0 {
					time.AfterFunc(time.Duration(rng.Int64N(int64(runTime)*3/2)), func() { _ = cmd.Process.Kill() })
				}
				err := cmd.Wait()
				id := fmt.Sprintf("w%02d/s%05d", w, seq)
				mu.Lock()
				runs++
				var ee *exec.ExitError
				switch {
				case err == nil:
					exited0[id] = true
				case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
					killed++
				default:
					other++
					otherMsg = fmt.Sprintf("%s: %v: %s", id, err, errb.String())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if other > 0 {
		t.Errorf("%d runs ended other than exit 0 or SIGKILL; last: %s", other, otherMsg)
	}
	lines := suiteLines(t, log)
	seen := map[string]int{}
	fragments := 0
	for i, l := range lines {
		if !strings.HasPrefix(l, `{"ts":`) || strings.Count(l, `{"ts":`) != 1 {
			t.Errorf("line %d is not one row or one fragment alone: %.200q", i+1, l)
			continue
		}
		var e ndjson.Event
		if err := ndjson.ParseEvent([]byte(l), &e); err != nil {
			fragments++
			continue
		}
		var w int
		fmt.Sscanf(e.Machine, "w%d", &w)
		if err := suiteCheckRow(&e, size(w)); err != nil {
			t.Error(err)
		}
		seen[e.Machine+"/"+e.SessionID]++
	}
	lost, twice, killedButThere := 0, 0, 0
	for id := range exited0 {
		if seen[id] == 0 {
			lost++
			t.Errorf("row %s: record exited 0 but the row is not in the log", id)
		}
	}
	for id, n := range seen {
		if n > 1 {
			twice++
			t.Errorf("row %s present %d times", id, n)
		}
		if !exited0[id] {
			killedButThere++
		}
	}
	t.Logf("%v of %d writers: %d runs, %d exited 0, %d killed (%d of them had appended); %d lines: %d rows, %d fragments; lost %d, twice %d",
		runFor, writers, runs, len(exited0), killed, killedButThere, len(lines), len(lines)-fragments, fragments, lost, twice)
	if len(exited0) == 0 || killed == 0 {
		t.Errorf("the test did not exercise enough: %d ok, %d killed", len(exited0), killed)
	}
}

// Item 5: a full filesystem. record, summarize and rotate fail with one
// clear error; the log and the old dashboard stay byte-identical; no
// temporary file is left.
func TestSuiteFullFilesystem(t *testing.T) {
	bin := relBinary(t)
	mnt := suiteTmpfs(t, 1<<20)
	logDir := filepath.Join(mnt, "state", "log")
	relMust(t, os.MkdirAll(logDir, 0o755))
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	relMust(t, err)
	log := filepath.Join(logDir, "sync-events.ndjson")
	quarter := sample[:bytes.IndexByte(sample[len(sample)/4:], '\n')+len(sample)/4+1]
	relMust(t, os.WriteFile(log, quarter, 0o644))
	r := relRun{bin: bin, dir: mnt, env: relEnv(mnt), timeout: 30 * time.Second}
	if res := r.run(t, "summarize", "--root", mnt, "--now", "2026-04-16T12:00:00Z"); res.code != 0 {
		t.Fatalf("first summarize: %s", res.stderr)
	}
	if res := r.run(t, "record", "--root", mnt, "--op", "push", "--repo", "r", "--scope", "s"); res.code != 0 {
		t.Fatalf("first record: %s", res.stderr) // makes the lock file
	}
	// The lock rotations take turns on, as an earlier rotation leaves it.
	relMust(t, os.WriteFile(filepath.Join(logDir, ".sync-events.ndjson.rotate.lock"), nil, 0o644))
	// Fill it to the last byte.
	f, err := os.Create(filepath.Join(mnt, "filler"))
	relMust(t, err)
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	for {
		if _, err := f.Write(chunk[:1]); err != nil {
			break
		}
	}
	f.Close()
	before, logBefore := relState(t, logDir), relState(t, log)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"record", []string{"record", "--root", mnt, "--op", "push", "--repo", "r", "--scope", "s", "--error", strings.Repeat("e", 8<<10)}, log},
		{"summarize", []string{"summarize", "--root", mnt, "--now", "2026-04-17T12:00:00Z"}, "sync-summary.md"},
		{"rotate", []string{"rotate", "--root", mnt, "--now", "2026-04-20T00:00:00Z", "--keep", "5d"}, "sync-events-2026-04.ndjson.gz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := r.run(t, tc.args...)
			t.Logf("exit %d: %s", res.code, strings.TrimSpace(res.stderr))
			if res.code != 1 {
				t.Errorf("exit %d, want 1", res.code)
			}
			if !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, "no space left on device") {
				t.Errorf("stderr %q: want it to name %s and the full disk", res.stderr, tc.want)
			}
			if after := relState(t, logDir); after != before {
				t.Errorf("%s changed:\nbefore %.300s\nafter  %.300s", logDir, before, after)
			}
			if after := relState(t, log); after != logBefore {
				t.Errorf("the log changed")
			}
		})
	}
}

// Item 7 (the outputs of summarize and rotate): output paths planted as
// symbolic links to a victim, dangling links and FIFOs. The victim is never
// written through, nothing hangs; summarize replaces the planted entry
// with its file, rotate refuses an archive that is not a regular file.
func TestSuiteHostileOutputs(t *testing.T) {
	bin := relBinary(t)
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	relMust(t, err)
	plants := map[string]func(t *testing.T, dir, p string) []string{
		"symlink to a victim": func(t *testing.T, dir, p string) []string {
			victim := filepath.Join(dir, "victim")
			relMust(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
			relMust(t, os.Symlink(victim, p))
			return []string{victim}
		},
		"dangling symlink": func(t *testing.T, dir, p string) []string {
			relMust(t, os.Symlink(filepath.Join(dir, "created"), p))
			return []string{filepath.Join(dir, "created")}
		},
		"FIFO": func(t *testing.T, dir, p string) []string {
			relMust(t, syscall.Mkfifo(p, 0o666))
			return nil
		},
	}
	for name, plant := range plants {
		t.Run("summarize/"+name, func(t *testing.T) {
			dir := relDir(t)
			log := filepath.Join(dir, "log.ndjson")
			relMust(t, os.WriteFile(log, sample, 0o644))
			out := filepath.Join(dir, "sync-summary.md")
			watch := plant(t, dir, out)
			before := make([]string, len(watch))
			for i, p := range watch {
				before[i] = relState(t, p)
			}
			res := relRun{bin: bin, dir: dir, env: relEnv(dir), timeout: 10 * time.Second}.run(t, "summarize", "--log", log, "--out", out, "--now", "2026-04-16T12:00:00Z")
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			for i, p := range watch {
				if after := relState(t, p); after != before[i] {
					t.Errorf("%s changed: %.200s", p, after)
				}
			}
			if fi, err := os.Lstat(out); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s is not the dashboard now: %v", out, err)
			}
		})
		t.Run("rotate/"+name, func(t *testing.T) {
			dir := relDir(t)
			log := filepath.Join(dir, "sync-events.ndjson")
			relMust(t, os.WriteFile(log, sample, 0o644))
			arch := filepath.Join(dir, "sync-events-2026-04.ndjson.gz")
			watch := append(plant(t, dir, arch), log, arch, dir)
			before := make([]string, len(watch))
			for i, p := range watch {
				before[i] = relState(t, p)
			}
			res := relRun{bin: bin, dir: dir, env: relEnv(dir), timeout: 10 * time.Second}.run(t, "rotate", "--log", log, "--now", "2026-04-20T00:00:00Z", "--keep", "1d")
			if res.code != 1 || !strings.Contains(res.stderr, arch) || !strings.Contains(res.stderr, "not a regular file") {
				t.Errorf("exit %d, stderr %q: want 1 and an error naming %s", res.code, res.stderr, arch)
			}
			for i, p := range watch {
				after := relState(t, p)
				if p == dir {
					after = strings.Replace(strings.Replace(after, " sync-events.ndjson.lock", "", 1), ".sync-events.ndjson.rotate.lock ", "", 1)
				}
				if after != before[i] {
					t.Errorf("%s changed:\nbefore %.300s\nafter  %.300s", p, before[i], after)
				}
			}
		})
	}
}
