package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// helpExample is one line of a command's Examples.
type helpExample struct {
	cmd  string // the command's path, "synclog record"
	line string
}

// helpExamples walks the command tree and returns every example line of
// every command, in tree order.
func helpExamples(root *cobra.Command) []helpExample {
	var out []helpExample
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, helpExample{cmd: c.CommandPath(), line: l})
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// exampleExit holds the examples whose documented exit status is not 0
// in the sandbox, and why.
var exampleExit = map[string]int{
	// The sample holds a row with an unknown trigger and two mass
	// changes: warnings, at or above the default --fail-on.
	"synclog lint": 1,
	"synclog lint --now 2026-04-17T00:00:00Z --log 'state/log/sync-events*'":                          1,
	"synclog lint --format sarif > synclog.sarif":                                                     1,
	"synclog lint --since 24h --disable duplicate-row":                                                1,
	"synclog lint --min-severity info state/log/sync-events.ndjson":                                   1,
	"SYNC_DENY=state/log/sync-events.ndjson SYNC_ALLOW=state/log/evals.aggregate.ndjson synclog lint": 1,
	// The last output of -e is false: snappy-os's last row succeeded.
	"synclog query --arg r snappy-os -e 'select(.repo==$r) | .status==\"error\"'": 1,
}

// absRewrite maps the absolute paths examples name for a real host into
// the sandbox, so running them touches nothing outside it.
var absRewrite = regexp.MustCompile(`(^|[\s=])/(var|etc|tmp)/`)

// TestHelpExamples runs every line of every command's Examples ('synclog
// help CMD' shows them), as a user would paste it into sh, in a sandbox
// directory holding the sample log at the default path: PATH has the real
// binary, a stand-in for the wrapped sync command 'ob', and the host's
// tools (jq, promtool, curl); absolute paths under /var, /etc and /tmp are
// moved into the sandbox; SYNCLOG_NOW is the end of the sample's last day.
// Each must exit with its documented status (0 unless exampleExit says),
// print no usage error, and the long-running ones (serve) must answer
// /healthz and the curl examples after them. An Alertmanager stand-in on
// 127.0.0.1:9093 receives the --alertmanager example's post.
func TestHelpExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs every help example")
	}
	bin := relBinary(t)
	dir := t.TempDir()
	binDir := filepath.Join(dir, ".bin")
	mustMkdir(t, binDir, filepath.Join(dir, "state/log"))
	if err := os.Symlink(bin, filepath.Join(binDir, "synclog")); err != nil {
		t.Fatal(err)
	}
	// 'ob' stands for the sync command record wraps.
	if err := os.WriteFile(filepath.Join(binDir, "ob"), []byte("#!/bin/sh\necho \"ob $*\"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state/log/sync-events.ndjson"), sample, 0o644); err != nil {
		t.Fatal(err)
	}
	env := relEnv(dir, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SYNCLOG_NOW=2026-04-17T00:00:00Z", "SYNCLOG_MACHINE=example-host", "NO_COLOR=1")

	am := startAlertmanagerStandIn(t)

	examples := helpExamples(newRootCmd(&IOStreams{In: bytes.NewReader(nil), Out: io.Discard, Err: io.Discard}))
	if len(examples) < 20 {
		t.Fatalf("found only %d examples; did the walk break?", len(examples))
	}
	seen := map[string]bool{}
	var server *exampleServer
	defer func() { server.stop(t) }()
	for _, ex := range examples {
		seen[ex.cmd] = true
		line := absRewrite.ReplaceAllString(ex.line, "${1}"+dir+"/abs/${2}/")
		for _, p := range regexp.MustCompile(regexp.QuoteMeta(dir)+`/abs/\S+`).FindAllString(line, -1) {
			mustMkdir(t, filepath.Dir(p))
			// A log named with --log holds the sample, as the default does.
			if strings.Contains(line, "--log "+p) {
				if err := os.WriteFile(p, sample, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		if isServeExample(ex.line) {
			server.stop(t)
			server = startExampleServer(t, line, dir, env)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "sh", "-c", line)
		cmd.Dir, cmd.Env = dir, env
		cmd.Stdin = strings.NewReader("")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", ex.line, err)
		}
		if want := exampleExit[ex.line]; code != want {
			t.Errorf("%s (from 'synclog help %s'): exit %d, want %d\nstdout: %s\nstderr: %s",
				ex.line, ex.cmd, code, want, trimOut(stdout.String()), stderr.String())
			continue
		}
		if strings.Contains(stderr.String(), "unknown flag") || strings.Contains(stderr.String(), "unknown command") {
			t.Errorf("%s: usage error: %s", ex.line, stderr.String())
		}
	}
	for _, c := range []string{"synclog record", "synclog query", "synclog summarize", "synclog alert",
		"synclog cost", "synclog lint", "synclog metrics", "synclog serve", "synclog rotate"} {
		if !seen[c] {
			t.Errorf("%s has no Examples", c)
		}
	}
	if am.posts() == 0 {
		t.Error("the --alertmanager example posted nothing to the stand-in on 127.0.0.1:9093")
	}
}

func trimOut(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

func mustMkdir(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func isServeExample(line string) bool {
	f := strings.Fields(line)
	return len(f) >= 2 && f[0] == "synclog" && f[1] == "serve"
}

// exampleServer is a serve example running in the background while the
// examples after it (curl) run.
type exampleServer struct {
	line   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

var exampleServingRE = regexp.MustCompile(`on http://(127\.0\.0\.1:\d+)`)

func startExampleServer(t *testing.T, line, dir string, env []string) *exampleServer {
	t.Helper()
	s := &exampleServer{line: line, stderr: &lockedBuffer{}}
	// exec, so the signal reaches synclog rather than sh.
	s.cmd = exec.Command("sh", "-c", "exec "+line)
	s.cmd.Dir, s.cmd.Env = dir, env
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := exampleServingRE.FindStringSubmatch(s.stderr.String()); m != nil {
			resp, err := http.Get("http://" + m[1] + "/healthz")
			if err != nil {
				t.Fatalf("%s: /healthz: %v", line, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
				t.Fatalf("%s: /healthz: %d %q", line, resp.StatusCode, body)
			}
			return s
		}
		if time.Now().After(deadline) || (s.cmd.ProcessState != nil) {
			_ = s.cmd.Process.Kill()
			t.Fatalf("%s: did not start serving: %s", line, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks serve exits 0, as its help says.
func (s *exampleServer) stop(t *testing.T) {
	t.Helper()
	if s == nil || s.cmd == nil {
		return
	}
	cmd := s.cmd
	s.cmd = nil
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: after SIGINT: %v\n%s", s.line, err, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Errorf("%s: still running 20s after SIGINT", s.line)
	}
}

// alertmanagerStandIn answers POST /api/v2/alerts on 127.0.0.1:9093, the
// address the --alertmanager example names.
type alertmanagerStandIn struct {
	mu sync.Mutex
	n  int
}

func (a *alertmanagerStandIn) posts() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

func startAlertmanagerStandIn(t *testing.T) *alertmanagerStandIn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:9093")
	if err != nil {
		t.Fatalf("the --alertmanager example needs 127.0.0.1:9093 free: %v", err)
	}
	a := &alertmanagerStandIn{}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/alerts" {
			http.NotFound(w, r)
			return
		}
		sc := bufio.NewScanner(r.Body)
		var body strings.Builder
		for sc.Scan() {
			body.WriteString(sc.Text())
		}
		if !strings.HasPrefix(strings.TrimSpace(body.String()), "[") {
			http.Error(w, "want a JSON array of alerts", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.n++
		a.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return a
}
