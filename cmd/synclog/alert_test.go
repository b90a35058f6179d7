package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// runAlertArgs runs synclog in-process with a fresh HOME.
func runAlertArgs(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	var out, errb bytes.Buffer
	code := runArgs(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

// alertRow is a row of group snappy-os/nuc at ts.
func alertRow(ts string, failed bool) string {
	e := ndjson.Event{Op: "push", Repo: "snappy-os", Scope: "state", ManifestBefore: "a", ManifestAfter: "a",
		Trigger: "cron", Machine: "nuc"}
	var err error
	if e.TS, err = time.Parse(time.RFC3339, ts); err != nil {
		panic(err)
	}
	if failed {
		e.Status, e.Error = ndjson.StatusError, "ob sync: push state: dial tcp 10.0.0.3:443: i/o timeout"
	}
	return string(e.AppendJSON(nil))
}

func appendLog(t *testing.T, path string, rows ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(rows, "")); err != nil {
		t.Fatal(err)
	}
}

// TestAlertRerunKeepsMtime: a rerun over the same log leaves every file
// with its bytes and its mtime; a success rewrites the resolved cluster's
// file only.
func TestAlertRerunKeepsMtime(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	log := filepath.Join(root, DefaultLog)
	appendLog(t, log,
		alertRow("2026-04-16T19:00:00Z", true), alertRow("2026-04-16T19:01:00Z", true), alertRow("2026-04-16T19:02:00Z", true),
		alertRow("2026-04-16T19:03:00Z", false),
		alertRow("2026-04-16T19:30:00Z", true), alertRow("2026-04-16T19:31:00Z", true), alertRow("2026-04-16T19:32:00Z", true))
	args := []string{"alert", "--root", root, "--now", "2026-04-16T20:00:00Z"}
	out, errOut, code := runAlertArgs(t, args...)
	if code != 0 || errOut != "" || strings.Count(out, "\n") != 2 {
		t.Fatalf("first run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	resolved := filepath.Join(root, DefaultAlertDir, "sync-degraded-20260416T190000Z.md")
	firing := filepath.Join(root, DefaultAlertDir, "sync-degraded-20260416T193000Z.md")
	status := filepath.Join(root, DefaultStatusFile)
	paths := []string{resolved, firing, status}

	// An old mtime, so a rewrite in the same second would show.
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	contents := map[string][]byte{}
	for _, p := range paths {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		contents[p] = b
	}
	mtime := func(p string) time.Time {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	for range 2 {
		out, errOut, code = runAlertArgs(t, args...)
		if code != 0 || out != "" || errOut != "" {
			t.Fatalf("rerun: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		for _, p := range paths {
			if !mtime(p).Equal(old) {
				t.Errorf("%s: mtime %s, want it untouched", p, mtime(p))
			}
			if b, _ := os.ReadFile(p); !bytes.Equal(b, contents[p]) {
				t.Errorf("%s: bytes changed", p)
			}
		}
		entries, _ := os.ReadDir(filepath.Dir(firing))
		if len(entries) != 2 {
			t.Errorf("%d entries in the alert dir, want the 2 files (no temp file left)", len(entries))
		}
	}

	appendLog(t, log, alertRow("2026-04-16T19:40:00Z", false))
	out, _, code = runAlertArgs(t, args...)
	if code != 0 || !strings.HasPrefix(out, "resolved 20260416T193000Z status=resolved ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("after the success: exit %d, stdout %q", code, out)
	}
	if mtime(firing).Equal(old) {
		t.Error("the resolved cluster's file was not rewritten")
	}
	if !mtime(resolved).Equal(old) {
		t.Error("the other cluster's file was rewritten")
	}
	if mtime(status).Equal(old) {
		t.Error("status.json (alerts_firing 1 → 0) was not rewritten")
	}
}

// TestAlertHelp: the help states the exit statuses and gives examples.
func TestAlertHelp(t *testing.T) {
	out, _, code := runAlertArgs(t, "alert", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"Exit status: 0 success; 1", "2 a usage or configuration error", "Examples:",
		"--alertmanager", "--backtest", "--exit-code", "--group-by", "--lookback duration", "(default 7d)",
		"--window duration", "(default 10m)", "--status-window duration", "(default 1h)", "repo, machine, scope, op, trigger, tenant"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %q", s)
		}
	}
}
