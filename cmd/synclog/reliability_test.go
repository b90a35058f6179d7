package main

// Reliability of 'synclog record' as a separate process: concurrent
// writers, writers killed mid-flight, hostile log paths and bad command
// lines. These tests build the real binary and run it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

var relBin struct {
	mu   sync.Mutex
	dir  string
	path string
	refs int
}

// relBinary builds the synclog binary for the tests that use it at once,
// and removes it when the last of them ends.
func relBinary(t *testing.T) string {
	t.Helper()
	relBin.mu.Lock()
	defer relBin.mu.Unlock()
	if relBin.refs == 0 {
		dir, err := os.MkdirTemp("", "synclog-bin-")
		if err != nil {
			t.Fatal(err)
		}
		// Traversable, so the binary also runs as another user.
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		path := filepath.Join(dir, "synclog")
		cmd := exec.Command(goTool, "build", "-o", path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build: %v\n%s", err, out)
		}
		relBin.dir, relBin.path = dir, path
	}
	relBin.refs++
	t.Cleanup(func() {
		relBin.mu.Lock()
		defer relBin.mu.Unlock()
		if relBin.refs--; relBin.refs == 0 {
			os.RemoveAll(relBin.dir)
		}
	})
	return relBin.path
}

// relDir is a temp dir that every user can traverse.
func relDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// relEnv is the environment of a synclog run: no SYNCLOG_* settings or
// config file from the host.
func relEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNCLOG_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	return append(env, extra...)
}

type relResult struct {
	code           int
	stdout, stderr string
	dur            time.Duration
	maxRSS         int64 // the run's peak resident set, in bytes
}

type relRun struct {
	bin, dir string
	env      []string
	stdin    string
	cred     *syscall.Credential
	timeout  time.Duration
}

func (r relRun) run(t *testing.T, args ...string) relResult {
	t.Helper()
	timeout := r.timeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.Stdin = strings.NewReader(r.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// Long enough for the pipes to drain on a loaded machine: at 1 s, 16
	// writers on 2 busy cores saw "WaitDelay expired before I/O complete"
	// from runs that had exited 0.
	cmd.WaitDelay = 10 * time.Second
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	start := time.Now()
	err := cmd.Run()
	res := relResult{stdout: out.String(), stderr: errb.String(), dur: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.maxRSS = ru.Maxrss << 10 // kilobytes on Linux
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("synclog %s: still running after %v (killed)", strings.Join(args, " "), timeout)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("synclog %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// relOneLine checks the failure contract of record: exit 1, nothing on
// stdout, exactly one line on stderr, and that line contains want.
func relOneLine(t *testing.T, res relResult, want string) {
	t.Helper()
	if res.code != 1 {
		t.Errorf("exit %d, want 1 (stderr %q)", res.code, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("stdout %q, want nothing", res.stdout)
	}
	if !strings.HasSuffix(res.stderr, "\n") || strings.Count(res.stderr, "\n") != 1 || !strings.HasPrefix(res.stderr, "synclog: ") {
		t.Errorf("stderr %q, want one line", res.stderr)
	}
	if !strings.Contains(res.stderr, want) {
		t.Errorf("stderr %q does not name %q", res.stderr, want)
	}
}

// relRowID is the writer and sequence a test row carries.
func relRowID(e *ndjson.Event) string { return e.Machine + "/" + e.SessionID }

// relRowArgs are record's flags for the row of writer w, number seq.
func relRowArgs(log string, w, seq int) []string {
	return []string{"record", "--log", log, "--op", "push", "--repo", "snappy-os", "--scope", "state",
		"--machine", fmt.Sprintf("w%02d", w), "--session-id", fmt.Sprintf("s%04d", seq),
		"--files", fmt.Sprint(seq), "--bytes", fmt.Sprint(w*100000 + seq), "--dur-ms", "5", "--trigger", "cli",
		// A long manifest makes each row about 1.5 KB, so a torn or
		// interleaved write could not go unseen.
		"--manifest-after", fmt.Sprintf("sha256:%02d%04d", w, seq) + strings.Repeat(fmt.Sprintf("%02d", w), 700),
	}
}

func relCheckRowContent(t *testing.T, e *ndjson.Event) {
	t.Helper()
	var w, seq int
	if _, err := fmt.Sscanf(e.Machine+" "+e.SessionID, "w%d s%d", &w, &seq); err != nil {
		t.Fatalf("row %s: %v", relRowID(e), err)
	}
	want := fmt.Sprintf("sha256:%02d%04d", w, seq) + strings.Repeat(fmt.Sprintf("%02d", w), 700)
	if e.ManifestAfter != want || e.Files != int64(seq) || e.Bytes != int64(w*100000+seq) {
		t.Fatalf("row %s carries another row's fields", relRowID(e))
	}
}

// 16 record processes at once, 200 rows each: every row lands once, whole,
// on a line of its own.
func TestReliabilityConcurrentRecord(t *testing.T) {
	t.Parallel()
	bin := relBinary(t)
	dir := relDir(t)
	log := filepath.Join(dir, "state", "log", "sync-events.ndjson") // made by the first writer
	const writers = 16
	perWriter := 200
	if testing.Short() {
		perWriter = 25
	}
	r := relRun{bin: bin, dir: dir, env: relEnv(dir, "SYNCLOG_DURABILITY=none")}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range perWriter {
				res := r.run(t, relRowArgs(log, w, seq)...)
				if res.code != 0 || res.stdout != "" || res.stderr != "" {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("w%02d s%04d: exit %d stdout %q stderr %q", w, seq, res.code, res.stdout, res.stderr))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d runs failed, first: %s", len(failures), failures[0])
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatal("log does not end in a newline")
	}
	lines := strings.Split(string(data[:len(data)-1]), "\n")
	seen := map[string]int{}
	for i, l := range lines {
		var e ndjson.Event
		if err := ndjson.ParseEvent([]byte(l), &e); err != nil {
			t.Fatalf("line %d is not a valid row (%v): %.200q", i+1, err, l)
		}
		relCheckRowContent(t, &e)
		seen[relRowID(&e)]++
	}
	if want := writers * perWriter; len(lines) != want {
		t.Errorf("%d lines, want %d", len(lines), want)
	}
	for w := range writers {
		for seq := range perWriter {
			id := fmt.Sprintf("w%02d/s%04d", w, seq)
			if seen[id] != 1 {
				t.Errorf("row %s present %d times", id, seen[id])
			}
		}
	}
	// The reader agrees.
	st, err := ndjson.ReadEvents(context.Background(), []string{log}, ndjson.ReadOptions{}, func(*ndjson.Row) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows() != int64(writers*perWriter) || st.Skipped() != 0 || st.Sources[0].Partial {
		t.Errorf("reader: rows %d skipped %d partial %v", st.Rows(), st.Skipped(), st.Sources[0].Partial)
	}
}

// Writers run while some are SIGKILLed in flight and, now and then, a
// writer that died mid-write is simulated by a fragment left under the
// lock. Every row whose record exited 0 is there once; every line is a
// whole row or a fragment alone on its line.
func TestReliabilitySIGKILL(t *testing.T) {
	t.Parallel()
	bin := relBinary(t)
	dir := relDir(t)
	log := filepath.Join(dir, "sync-events.ndjson")
	env := relEnv(dir, "SYNCLOG_DURABILITY=none")
	runFor := 3 * time.Second
	if testing.Short() {
		runFor = time.Second
	}
	const writers = 6
	deadline := time.Now().Add(runFor)

	var mu sync.Mutex
	exited0 := map[string]bool{}
	var killed, other int
	var otherMsg string
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for seq := 0; time.Now().Before(deadline); seq++ {
				cmd := exec.Command(bin, relRowArgs(log, w, seq)...)
				cmd.Dir, cmd.Env = dir, env
				var errb bytes.Buffer
				cmd.Stderr = &errb
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(2) == 0 {
					// Kill it somewhere between exec and exit.
					time.AfterFunc(time.Duration(rng.IntN(40000))*time.Microsecond, func() { _ = cmd.Process.Kill() })
				}
				err := cmd.Wait()
				id := fmt.Sprintf("w%02d/s%04d", w, seq)
				mu.Lock()
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
	// Fragments: a row cut short, written under the lock without its newline,
	// as a writer that died inside its write would leave.
	var fragments []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(deadline); i++ {
			time.Sleep(150 * time.Millisecond)
			e := ndjson.Event{TS: time.Now().UTC(), Op: "push", Repo: fmt.Sprintf("fragment-%d", i), Machine: "x"}
			frag := string(e.AppendJSON(nil))[:60+i%40]
			lf, err := os.OpenFile(ndjson.LockPath(log), os.O_CREATE|os.O_RDWR, 0o644)
			if err != nil {
				t.Error(err)
				return
			}
			if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
				t.Error(err)
			}
			f, err := os.OpenFile(log, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
			if err == nil {
				// Like a writer, start on a fresh line; then die inside the row.
				if fi, _ := f.Stat(); fi != nil && fi.Size() > 0 {
					last := make([]byte, 1)
					if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
						frag = "\n" + frag
					}
				}
				_, err = f.WriteString(frag)
				f.Close()
				frag = strings.TrimPrefix(frag, "\n")
			}
			lf.Close() // releases the lock
			if err != nil {
				t.Error(err)
				return
			}
			fragments = append(fragments, frag)
		}
	}()
	wg.Wait()
	if other > 0 {
		t.Errorf("%d runs ended other than exit 0 or SIGKILL; last: %s", other, otherMsg)
	}
	t.Logf("%d rows recorded, %d runs killed, %d fragments", len(exited0), killed, len(fragments))
	if len(exited0) == 0 || killed == 0 || len(fragments) == 0 {
		t.Fatalf("the test did not exercise enough: %d ok, %d killed, %d fragments", len(exited0), killed, len(fragments))
	}

	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	fragSet := map[string]int{}
	for _, f := range fragments {
		fragSet[f] = 0
	}
	seen := map[string]int{}
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		var e ndjson.Event
		if err := ndjson.ParseEvent([]byte(l), &e); err == nil {
			relCheckRowContent(t, &e)
			seen[relRowID(&e)]++
			continue
		}
		n, ok := fragSet[l]
		if !ok {
			t.Errorf("line %d is neither a row nor a fragment alone: %.300q", i+1, l)
			continue
		}
		fragSet[l] = n + 1
	}
	for f, n := range fragSet {
		if n != 1 {
			t.Errorf("fragment %q found on %d lines of its own, want 1", f, n)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %s present %d times", id, n)
		}
	}
	for id := range exited0 {
		if seen[id] != 1 {
			t.Errorf("row %s: record exited 0 but the row is not in the log", id)
		}
	}
}

// relState is what a path is: its kind and content, and, for a directory,
// its entries.
func relState(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprintf("%v %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		s += " -> " + target
	case fi.Mode().IsRegular():
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf(" %q", b)
	case fi.IsDir():
		ents, err := os.ReadDir(p)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		s += " [" + strings.Join(names, " ") + "]"
	}
	return s
}

const relNobody = 65534

// A log path that is not a writable regular file: record exits 1 with one
// line naming the path, prints nothing on stdout, and leaves the path (and
// what a symlink points to) as it was.
func TestReliabilityHostileLogPaths(t *testing.T) {
	t.Parallel()
	bin := relBinary(t)
	rowFlags := []string{"--op", "push", "--repo", "r", "--scope", "s", "--machine", "m"}
	existing := "{\"ts\":\"2026-04-16T19:10:38Z\",\"op\":\"push\",\"repo\":\"r\",\"scope\":\"s\",\"files\":0,\"bytes\":0,\"dur_ms\":0,\"manifest_before\":\"\",\"manifest_after\":\"\",\"trigger\":\"cli\",\"machine\":\"m\"}\n"
	asNobody := os.Geteuid() == 0

	type hostile struct {
		name  string
		setup func(t *testing.T, dir string) (log string, watch []string)
		cred  bool     // run as nobody when root
		extra []string // more flags
	}
	cases := []hostile{
		{name: "symlink to a victim", setup: func(t *testing.T, dir string) (string, []string) {
			victim := filepath.Join(dir, "victim")
			relMust(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
			log := filepath.Join(dir, "log.ndjson")
			relMust(t, os.Symlink(victim, log))
			return log, []string{log, victim}
		}},
		{name: "dangling symlink", setup: func(t *testing.T, dir string) (string, []string) {
			log := filepath.Join(dir, "log.ndjson")
			relMust(t, os.Symlink(filepath.Join(dir, "created"), log))
			return log, []string{log, filepath.Join(dir, "created")}
		}},
		{name: "directory", setup: func(t *testing.T, dir string) (string, []string) {
			log := filepath.Join(dir, "log.ndjson")
			relMust(t, os.Mkdir(log, 0o755))
			relMust(t, os.WriteFile(filepath.Join(log, "inside"), []byte("x"), 0o644))
			return log, []string{log, filepath.Join(log, "inside")}
		}},
		{name: "FIFO", setup: func(t *testing.T, dir string) (string, []string) {
			log := filepath.Join(dir, "log.ndjson")
			relMust(t, syscall.Mkfifo(log, 0o666))
			return log, []string{log}
		}},
		{name: "read-only file", cred: true, setup: func(t *testing.T, dir string) (string, []string) {
			sub := filepath.Join(dir, "logs")
			relMust(t, os.Mkdir(sub, 0o755))
			log := filepath.Join(sub, "log.ndjson")
			relMust(t, os.WriteFile(log, []byte(existing), 0o444))
			if asNobody {
				// The directory is the writer's; only the file is not writable.
				relMust(t, os.Chown(sub, relNobody, relNobody))
			}
			return log, []string{log}
		}},
		{name: "read-only directory", cred: true, setup: func(t *testing.T, dir string) (string, []string) {
			sub := filepath.Join(dir, "logs")
			relMust(t, os.Mkdir(sub, 0o555))
			if asNobody {
				relMust(t, os.Chown(sub, relNobody, relNobody))
			}
			log := filepath.Join(sub, "log.ndjson")
			return log, []string{sub, log}
		}},
		{name: "lock held elsewhere", extra: []string{"--lock-timeout", "300ms"}, setup: func(t *testing.T, dir string) (string, []string) {
			log := filepath.Join(dir, "log.ndjson")
			relMust(t, os.WriteFile(log, []byte(existing), 0o644))
			lf, err := os.OpenFile(ndjson.LockPath(log), os.O_CREATE|os.O_RDWR, 0o644)
			relMust(t, err)
			t.Cleanup(func() { lf.Close() })
			relMust(t, syscall.Flock(int(lf.Fd()), syscall.LOCK_EX))
			return log, []string{log}
		}},
		{name: "full filesystem", extra: []string{"--status", "error", "--error", strings.Repeat("e", 24<<10)},
			setup: func(t *testing.T, dir string) (string, []string) {
				mnt := filepath.Join(dir, "mnt")
				relMust(t, os.Mkdir(mnt, 0o755))
				relTmpfs(t, mnt, "size=64k")
				log := filepath.Join(mnt, "log.ndjson")
				relMust(t, os.WriteFile(log, []byte(existing+existing+existing[:50]), 0o644)) // ends in a fragment
				relMust(t, os.WriteFile(ndjson.LockPath(log), nil, 0o644))
				relFill(t, mnt, 4096, 8<<10)
				return log, []string{log, mnt}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := relDir(t)
			log, watch := tc.setup(t, dir)
			before := make([]string, len(watch))
			for i, p := range watch {
				before[i] = relState(t, p)
			}
			r := relRun{bin: bin, dir: dir, env: relEnv(dir), timeout: 10 * time.Second}
			if tc.cred && asNobody {
				r.cred = &syscall.Credential{Uid: relNobody, Gid: relNobody}
			}
			args := append(append([]string{"record", "--log", log}, rowFlags...), tc.extra...)
			res := r.run(t, args...)
			relOneLine(t, res, log)
			t.Logf("exit %d in %v: %.200s", res.code, res.dur.Round(time.Millisecond), res.stderr)
			if res.dur > 5*time.Second {
				t.Errorf("took %v", res.dur)
			}
			for i, p := range watch {
				if after := relState(t, p); after != before[i] {
					t.Errorf("%s changed:\nbefore %.300s\nafter  %.300s", p, before[i], after)
				}
			}
		})
	}
}

// record never exits 2, whatever is wrong with its command line: it exits 1
// with one line on stderr, and appends nothing.
func TestReliabilityRecordNeverExits2(t *testing.T) {
	t.Parallel()
	bin := relBinary(t)
	dir := relDir(t)
	log := filepath.Join(dir, "log.ndjson")
	ok := []string{"--op", "push", "--repo", "r", "--scope", "s", "--machine", "m"}
	with := func(args ...string) []string {
		return append(append([]string{"record", "--log", log}, ok...), args...)
	}
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"unknown flag", with("--bogus"), "", "--bogus"},
		{"unknown shorthand", with("-z"), "", "-z"},
		{"bad integer", with("--files", "abc"), "", "--files"},
		{"negative integer", with("--bytes", "-5"), "", "bytes"},
		{"flag without value", with("--files"), "", "--files"},
		{"bad duration", with("--lock-timeout", "soon"), "", "--lock-timeout"},
		{"missing --op", []string{"record", "--log", log, "--repo", "r", "--scope", "s"}, "", "--op"},
		{"missing everything", []string{"record", "--log", log}, "", "--op"},
		{"bad --op", with("--op", "sync"), "", "op"},
		{"bad --status", with("--status", "meh"), "", "status"},
		{"error status without --error", with("--status", "error"), "", "--error"},
		{"bad --ts", with("--ts", "yesterday"), "", "--ts"},
		{"bad --durability", with("--durability", "maybe"), "", "--durability"},
		{"files over files_total", with("--files", "9", "--files-total", "3"), "", "files_total"},
		{"stray argument", with("extra"), "", "extra"},
		{"two --log", with("--log", log+".2"), "", "--log"},
		{"bad --now", with("--now", "later"), "", "--now"},
		{"bad --tz", with("--tz", "Mars/Olympus"), "", "--tz"},
		{"missing --config", with("--config", filepath.Join(dir, "nope.yaml")), "", "nope.yaml"},
		{"bad env setting", with(), "", "SYNCLOG_LOCK_TIMEOUT"},
		{"--json with bad rows", []string{"record", "--log", log, "--json"}, "{\"a\":1}\nnot json\n{\n", "stdin:1"},
		{"--json with no rows", []string{"record", "--log", log, "--json"}, "\n\n", "no rows"},
		{"--json and a command", []string{"record", "--log", log, "--json", "--", "true"}, "", "--json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := relEnv(dir)
			if tc.name == "bad env setting" {
				env = append(env, "SYNCLOG_LOCK_TIMEOUT=forever")
			}
			res := relRun{bin: bin, dir: dir, env: env, stdin: tc.stdin, timeout: 10 * time.Second}.run(t, tc.args...)
			relOneLine(t, res, tc.want)
		})
	}
	if _, err := os.Lstat(log); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed record created the log: %v", err)
	}
}

func relMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
