package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitScript runs scripts/pre-commit as git would, in a work tree
// with a clean state and with a broken one: exit 0 and silence, then exit 1
// with the finding. It finds synclog on PATH, through a symlink in
// .git/hooks as well; and without synclog on PATH it builds one from this
// checkout with go. Its arguments go to lint (a usage error exits 2).
func TestPreCommitScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds synclog and runs the hook script")
	}
	script, err := filepath.Abs("../../scripts/pre-commit")
	must(t, err)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is not installed")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on PATH")
	}
	bin := t.TempDir()
	build := exec.Command(gobin, "build", "-o", filepath.Join(bin, "synclog"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A PATH with go and the basic tools but no synclog, for the build case.
	noSynclog := filepath.Dir(gobin) + string(os.PathListSeparator) + "/usr/bin" + string(os.PathListSeparator) + "/bin"
	for _, d := range filepath.SplitList(noSynclog) {
		if _, err := os.Stat(filepath.Join(d, "synclog")); err == nil {
			t.Fatalf("%s holds a synclog: the test cannot take it off PATH", d)
		}
	}
	withSynclog := bin + string(os.PathListSeparator) + noSynclog

	const now = "2026-04-16T12:00:00Z"
	state := func(t *testing.T, log string) string {
		dir := t.TempDir()
		lintWrite(t, filepath.Join(dir, DefaultLog), log)
		lintWrite(t, filepath.Join(dir, DefaultSummaryOut), "---\ngenerated_at: 2026-04-16T11:55:00Z\n---\n")
		return dir
	}
	clean := lintRow("2026-04-16T10:00:00Z", "pull", "cli")
	broken := clean + lintRow("2026-04-16T10:02:00Z", "sync", "cli")

	cases := []struct {
		name   string
		log    string
		path   string
		hook   bool // run through .git/hooks/pre-commit, a symlink
		args   []string
		code   int
		stdout string // a part of stdout; "-" means empty
		stderr string // a part of stderr; "-" means empty
	}{
		{"clean", clean, withSynclog, false, nil, 0, "-", "-"},
		{"broken", broken, withSynclog, false, nil, 1, `state/log/sync-events.ndjson:2: error: key "op": want "push" or "pull", got "sync" [bad-op]`, "1 finding: 1 error"},
		{"clean, as a git hook", clean, withSynclog, true, nil, 0, "-", "-"},
		{"broken, as a git hook", broken, withSynclog, true, nil, 1, "[bad-op]", "1 finding"},
		{"arguments go to lint", broken, withSynclog, false, []string{"--disable", "bad-op"}, 0, "-", "-"},
		{"a usage error", clean, withSynclog, false, []string{"--fail-on", "fatal"}, 2, "-", `unknown severity "fatal"`},
		{"built with go: clean", clean, noSynclog, true, nil, 0, "-", "-"},
		{"built with go: broken", broken, noSynclog, false, []string{"--fail-on", "error"}, 1, "[bad-op]", "1 finding"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := state(t, tc.log)
			run := script
			if tc.hook {
				hooks := filepath.Join(dir, ".git", "hooks")
				must(t, os.MkdirAll(hooks, 0o755))
				run = filepath.Join(hooks, "pre-commit")
				must(t, os.Symlink(script, run))
			}
			cmd := exec.Command(bash, append([]string{run, "--now", now}, tc.args...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+tc.path, "SYNCLOG=", "SYNCLOG_CONFIG=", "SYNC_ALLOW=", "SYNC_DENY=",
				"XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "NO_COLOR=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, c := range []struct{ what, got, want string }{
				{"stdout", stdout.String(), tc.stdout}, {"stderr", stderr.String(), tc.stderr},
			} {
				switch {
				case c.want == "-" && c.got != "":
					t.Errorf("%s not empty:\n%s", c.what, c.got)
				case c.want != "-" && !strings.Contains(c.got, c.want):
					t.Errorf("%s does not hold %q:\n%s", c.what, c.want, c.got)
				}
			}
		})
	}
}
