//go:build reliability

package main

// Items 6, 7 and 8 of the reliability suite (issue 8), on the files the
// cron commands derive from the log: the dashboard (summarize), the alert
// files and status.json (alert), the cost aggregate (cost) and the
// node_exporter textfile (metrics --textfile). Sizes are set by
//
//	SYNCLOG_RELIABILITY_OUTPUT_KILLS   runs of each command item 8 kills (default 200)

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func suiteOutputKills(t *testing.T) int {
	if s := os.Getenv("SYNCLOG_RELIABILITY_OUTPUT_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("SYNCLOG_RELIABILITY_OUTPUT_KILLS=%q: want a positive integer", s)
		}
		return n
	}
	return 200
}

// suiteNow is the present of every output test: the day after the last
// row of the logs below, so every day of them is closed for cost.
const suiteNow = "2026-04-18T00:00:00Z"

// suiteEvent is one row of a generated log.
func suiteEvent(ts, repo, machine, status, tenant string) string {
	errKV := ""
	if status == "error" {
		errKV = `,"error":"push ` + repo + `: connection reset by peer"`
	}
	return `{"ts":"` + ts + `","op":"push","repo":"` + repo + `","scope":"state","files":3,"bytes":123456,"dur_ms":250,` +
		`"manifest_before":"","manifest_after":"sha256:` + repo + `","trigger":"cron","machine":"` + machine +
		`","status":"` + status + `"` + errKV + `,"tenant_id":"` + tenant + `"}` + "\n"
}

// suiteLogs are two states of a log, old and new, that give every derived
// file different contents. old is the first 300 rows of testdata's sample
// and a failure cluster of relA on mA (firing); new is all the sample, the
// same cluster resolved by a success, and a second cluster of relB on mB
// (firing), on a day old does not have.
func suiteLogs(t *testing.T) (old, new []byte) {
	t.Helper()
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	relMust(t, err)
	lines := strings.SplitAfter(string(sample), "\n")
	if len(lines) < 300 {
		t.Fatalf("testdata/sample.ndjson: %d lines, want 300 or more", len(lines))
	}
	clusterA := suiteEvent("2026-04-16T23:40:00Z", "relA", "mA", "error", "t-901") +
		suiteEvent("2026-04-16T23:42:00Z", "relA", "mA", "error", "t-901") +
		suiteEvent("2026-04-16T23:44:00Z", "relA", "mA", "error", "t-901")
	old = []byte(strings.Join(lines[:300], "") + clusterA)
	full := string(sample)
	if !strings.HasSuffix(full, "\n") {
		full += "\n"
	}
	new = []byte(full + clusterA +
		suiteEvent("2026-04-17T01:00:00Z", "relA", "mA", "ok", "t-901") +
		suiteEvent("2026-04-17T05:00:00Z", "relB", "mB", "error", "t-902") +
		suiteEvent("2026-04-17T05:01:00Z", "relB", "mB", "error", "t-902") +
		suiteEvent("2026-04-17T05:03:00Z", "relB", "mB", "error", "t-902"))
	return old, new
}

// suiteAlertA and suiteAlertB are the alert files of the two clusters.
const (
	suiteAlertA = "sync-degraded-20260416T234000Z.md"
	suiteAlertB = "sync-degraded-20260417T050000Z.md"
)

// suiteOutputCmd is a cron command and the derived files it writes, under
// the root's state/log.
type suiteOutputCmd struct {
	name string
	args []string // after the binary; --root and --now are added
}

var suiteOutputCmds = []suiteOutputCmd{
	{"summarize", []string{"summarize"}},
	{"alert", []string{"alert"}},
	{"cost", []string{"cost"}},
	{"metrics", []string{"metrics", "--textfile", "state/log/textfile"}},
}

// suiteSnapshot is what the derived files under dir hold: their contents by
// path relative to dir, leaving out the log, lock files and the temporary
// files of atomic writes, which are returned apart.
func suiteSnapshot(t *testing.T, dir string) (files map[string]string, temps []string) {
	t.Helper()
	files = map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		name := d.Name()
		switch {
		case name == "sync-events.ndjson", strings.HasSuffix(name, ".lock"):
			return nil
		case strings.Contains(name, ".tmp-"):
			temps = append(temps, rel)
			return nil
		}
		if !d.Type().IsRegular() {
			files[rel] = "not a regular file: " + d.Type().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = string(b)
		return nil
	})
	relMust(t, err)
	return files, temps
}

// suiteRestore makes the derived files under dir exactly files: every other
// file is removed (except the log and the locks), every one of files is
// written anew.
func suiteRestore(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	now, temps := suiteSnapshot(t, dir)
	for rel := range now {
		relMust(t, os.Remove(filepath.Join(dir, rel)))
	}
	for _, rel := range temps {
		relMust(t, os.Remove(filepath.Join(dir, rel)))
	}
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		relMust(t, os.MkdirAll(filepath.Dir(p), 0o755))
		relMust(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// suiteOutputRoot makes a root whose log holds old, runs cmd over it, and
// then puts new in the log: the derived files are the old ones, and the
// next run of cmd writes the new ones.
func suiteOutputRoot(t *testing.T, bin string, c suiteOutputCmd, old, new []byte) (root string, r relRun) {
	t.Helper()
	root = relDir(t)
	logDir := filepath.Join(root, "state", "log")
	relMust(t, os.MkdirAll(logDir, 0o755))
	relMust(t, os.WriteFile(filepath.Join(logDir, "sync-events.ndjson"), old, 0o644))
	r = relRun{bin: bin, dir: root, env: relEnv(root), timeout: 30 * time.Second}
	if c.name != "" {
		if res := r.run(t, suiteArgs(root, c)...); res.code != 0 {
			t.Fatalf("%s over the old log: exit %d: %s", c.name, res.code, res.stderr)
		}
	}
	relMust(t, os.WriteFile(filepath.Join(logDir, "sync-events.ndjson"), new, 0o644))
	return root, r
}

func suiteArgs(root string, c suiteOutputCmd, extra ...string) []string {
	args := append([]string{}, c.args...)
	args = append(args, "--root", root, "--now", suiteNow, "--quiet")
	return append(args, extra...)
}

// Item 8: summarize, alert, cost and metrics --textfile SIGKILLed at random
// points of a run that changes their outputs. Pass: after every kill, each
// derived file is byte for byte its old content or its new one (absent
// where that is what it was or would be), and the next run finishes the
// job. cost is run twice: over an aggregate that exists, and over none.
func TestSuiteKilledOutputs(t *testing.T) {
	bin := relBinary(t)
	kills := suiteOutputKills(t)
	old, new := suiteLogs(t)
	cmds := append([]suiteOutputCmd{}, suiteOutputCmds...)
	cmds = append(cmds, suiteOutputCmd{"cost from nothing", []string{"cost"}})
	for _, c := range cmds {
		t.Run(c.name, func(t *testing.T) {
			run := c
			if c.name == "cost from nothing" {
				run.name = ""
			}
			root, r := suiteOutputRoot(t, bin, run, old, new)
			outDir := filepath.Join(root, "state", "log")
			oldFiles, temps := suiteSnapshot(t, outDir)
			if len(temps) > 0 {
				t.Fatalf("temporary files left by a clean run: %v", temps)
			}
			// The new files, from a clean run; a second run must agree.
			var runTime time.Duration
			var newFiles map[string]string
			for i := range 3 {
				suiteRestore(t, outDir, oldFiles)
				start := time.Now()
				res := r.run(t, suiteArgs(root, c)...)
				runTime += time.Since(start)
				if res.code != 0 {
					t.Fatalf("%s over the new log: exit %d: %s", c.name, res.code, res.stderr)
				}
				files, _ := suiteSnapshot(t, outDir)
				if i == 0 {
					newFiles = files
				} else if d := suiteDiffFiles(files, newFiles); d != "" {
					t.Fatalf("two runs over the same log and --now differ: %s", d)
				}
			}
			runTime /= 3
			names := map[string]bool{}
			for n := range oldFiles {
				names[n] = true
			}
			for n := range newFiles {
				names[n] = true
			}
			changed := 0
			for n := range names {
				o, oOK := oldFiles[n]
				nw, nOK := newFiles[n]
				if o != nw || oOK != nOK {
					changed++
				}
			}
			if changed == 0 {
				t.Fatalf("the old and new logs give the same files: the test would prove nothing")
			}

			rng := rand.New(rand.NewPCG(uint64(len(c.name)), uint64(time.Now().UnixNano())))
			start := time.Now()
			var killed, finished, allOld, allNew, mixed, tempsLeft int
			for i := range kills {
				suiteRestore(t, outDir, oldFiles)
				cmd := exec.Command(bin, suiteArgs(root, c)...)
				cmd.Dir, cmd.Env = root, r.env
				relMust(t, cmd.Start())
				// Half the kills anywhere from exec to a little after a clean
				// run's end, half in its second half, where the writes are.
				var at time.Duration
				if i%2 == 0 {
					at = time.Duration(rng.Int64N(int64(runTime) * 6 / 5))
				} else {
					at = runTime/2 + time.Duration(rng.Int64N(int64(runTime)*7/10))
				}
				time.Sleep(at)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				var ee *exec.ExitError
				switch {
				case err == nil:
					finished++
				case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
					killed++
				default:
					t.Fatalf("run %d: %v", i, err)
				}
				files, temps := suiteSnapshot(t, outDir)
				tempsLeft += len(temps)
				nOld, nNew := 0, 0
				for n := range names {
					cur, curOK := files[n]
					o, oOK := oldFiles[n]
					nw, nOK := newFiles[n]
					isOld, isNew := cur == o && curOK == oOK, cur == nw && curOK == nOK
					switch {
					case isOld && isNew:
					case isOld:
						nOld++
					case isNew:
						nNew++
					default:
						t.Fatalf("run %d, killed after %v: %s is neither its old nor its new content:\n%.400q\nold %.200q\nnew %.200q",
							i, at, n, cur, o, nw)
					}
				}
				for n := range files {
					if !names[n] {
						t.Fatalf("run %d: %s appeared, neither old nor new", i, n)
					}
				}
				switch {
				case nNew == 0:
					allOld++
				case nOld == 0:
					allNew++
				default:
					mixed++
				}
				if i == kills-1 {
					// The next run after a kill writes the new files.
					if res := r.run(t, suiteArgs(root, c)...); res.code != 0 {
						t.Fatalf("run after a kill: exit %d: %s", res.code, res.stderr)
					}
					after, _ := suiteSnapshot(t, outDir)
					if d := suiteDiffFiles(after, newFiles); d != "" {
						t.Errorf("the run after a kill did not write the new files: %s", d)
					}
				}
			}
			t.Logf("%s: %d runs killed at random (a clean run takes %v), in %v: %d killed, %d finished first; outputs all old %d, all new %d, some old some new %d, torn 0; %d temporary files left by kills",
				c.name, kills, runTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), killed, finished, allOld, allNew, mixed, tempsLeft)
			if killed == 0 || allOld == 0 || allNew == 0 {
				t.Errorf("the kills did not exercise enough: %d killed, %d all old, %d all new", killed, allOld, allNew)
			}
		})
	}
}

// suiteDiffFiles says how two snapshots differ, or "" when they do not.
func suiteDiffFiles(got, want map[string]string) string {
	var d []string
	for n, w := range want {
		if g, ok := got[n]; !ok {
			d = append(d, n+" missing")
		} else if g != w {
			d = append(d, n+" differs")
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			d = append(d, n+" extra")
		}
	}
	sort.Strings(d)
	return strings.Join(d, ", ")
}

// Item 7 for the outputs of alert, cost and metrics --textfile (the
// dashboard's are TestSuiteHostileOutputs'): an alert file, the alert
// directory, status.json, the cost aggregate and the textfile planted as
// a symbolic link to a victim file, a dangling symbolic link and a FIFO.
// Pass: nothing hangs (each run has 10 s); the victim is byte-identical
// and a dangling link's target is never created; a file written whole by
// rename replaces the planted entry with a regular file and exits 0;
// where the path must be a directory or a file appended to in place (the
// alert directory, the aggregate), the run exits 1 naming the path.
func TestSuiteHostileDerivedOutputs(t *testing.T) {
	bin := relBinary(t)
	old, new := suiteLogs(t)
	outputs := []struct {
		name, path string // path under state/log
		args       []string
		refuses    string // "" when the planted entry is replaced
	}{
		{"alert file", "alerts/" + suiteAlertB, []string{"alert"}, ""},
		{"alert dir", "alerts", []string{"alert"}, "alerts"},
		{"status", "status.json", []string{"alert"}, ""},
		{"aggregate", "evals.aggregate.ndjson", []string{"cost"}, "not a regular file"},
		// With nothing to append, cost still reads the aggregate.
		{"aggregate, nothing to append", "evals.aggregate.ndjson", []string{"cost", "--tenant", "t-nobody"}, "not a regular file"},
		{"textfile", "textfile/synclog.prom", []string{"metrics", "--textfile", "state/log/textfile"}, ""},
	}
	plants := []struct {
		name  string
		plant func(t *testing.T, dir, p string) (watch []string)
	}{
		{"symlink to a victim", func(t *testing.T, dir, p string) []string {
			victim := filepath.Join(dir, "victim")
			relMust(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
			relMust(t, os.Symlink(victim, p))
			return []string{victim}
		}},
		{"dangling symlink", func(t *testing.T, dir, p string) []string {
			relMust(t, os.Symlink(filepath.Join(dir, "created"), p))
			return []string{filepath.Join(dir, "created")}
		}},
		{"FIFO", func(t *testing.T, dir, p string) []string {
			relMust(t, syscall.Mkfifo(p, 0o666))
			return nil
		}},
	}
	for _, out := range outputs {
		for _, pl := range plants {
			t.Run(out.name+"/"+pl.name, func(t *testing.T) {
				root, r := suiteOutputRoot(t, bin, suiteOutputCmd{"setup", []string{out.args[0]}}, old, new)
				if out.args[0] == "metrics" {
					r.run(t, suiteArgs(root, suiteOutputCmd{"", out.args})...)
					relMust(t, os.WriteFile(filepath.Join(root, "state", "log", "sync-events.ndjson"), new, 0o644))
				}
				p := filepath.Join(root, "state", "log", out.path)
				relMust(t, os.RemoveAll(p))
				relMust(t, os.MkdirAll(filepath.Dir(p), 0o755))
				victimDir := relDir(t)
				watch := pl.plant(t, victimDir, p)
				before := make([]string, len(watch))
				for i, w := range watch {
					before[i] = relState(t, w)
				}
				r.timeout = 10 * time.Second
				res := r.run(t, suiteArgs(root, suiteOutputCmd{"", out.args})...)
				t.Logf("exit %d in %v: %s", res.code, res.dur.Round(time.Millisecond), strings.TrimSpace(res.stderr))
				for i, w := range watch {
					if after := relState(t, w); after != before[i] {
						t.Errorf("%s changed: %.200s", w, after)
					}
				}
				if out.refuses == "" {
					if res.code != 0 {
						t.Errorf("exit %d: %s", res.code, res.stderr)
					}
					if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
						t.Errorf("%s is not a regular file now: %v", p, err)
					}
					return
				}
				if res.code != 1 || !strings.Contains(res.stderr, p) || !strings.Contains(res.stderr, out.refuses) {
					t.Errorf("exit %d, stderr %q: want 1 and an error naming %s (%s)", res.code, res.stderr, p, out.refuses)
				}
			})
		}
	}
}
