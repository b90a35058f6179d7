//go:build reliability

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// suiteReader is a command that only reads the log, and its arguments
// after the binary (--root and --now are added).
var suiteReaders = []struct {
	name string
	args []string
}{
	{"summarize", []string{"summarize", "--out", "-", "--format", "json"}},
	{"query", []string{"query", "-c", "."}},
	{"lint", []string{"lint", "--format", "json"}},
	{"metrics", []string{"metrics"}},
}

// suiteWriter is a command that writes, what it writes (relative to
// state/log), and its arguments.
var suiteWriters = []struct {
	name, writes string
	args         []string
}{
	{"record", "sync-events.ndjson", []string{"record", "--op", "push", "--repo", "r", "--scope", "s", "--machine", "m", "--lock-timeout", "2s"}},
	{"summarize", "sync-summary.md", []string{"summarize"}},
	{"alert", "alerts/sync-degraded-", []string{"alert"}},
	{"cost", "evals.aggregate.ndjson", []string{"cost", "--lock-timeout", "2s"}},
	{"metrics", "textfile", []string{"metrics", "--textfile", "state/log/textfile"}},
	{"rotate", "", []string{"rotate", "--keep", "1d", "--lock-timeout", "2s"}},
}

// Item 6: a read-only filesystem (a tmpfs remounted read-only, as root), a
// read-only log, a read-only directory and a log of mode 0000 (the last
// three as the user nobody when the test runs as root, since root ignores
// file modes). Pass: a command that must write where it cannot exits 1
// with one error naming the path it could not write, and leaves every file
// as it was, without a temporary file; a command that can do its work
// (appending to a file that is writable in a read-only directory, or
// writing derived files beside a read-only log) does it; the readers
// (summarize --out -, query, lint, metrics) print on a read-only log
// exactly what they print on a writable one; on a log of mode 0000 every
// command fails naming the log.
func TestSuiteReadOnly(t *testing.T) {
	bin := relBinary(t)
	old, new := suiteLogs(t)
	asRoot := os.Geteuid() == 0
	type scenario struct {
		name     string
		errno    string                          // what a failure says
		restrict func(t *testing.T, root string) // makes it read-only
		ok       map[string]bool                 // writers that succeed
		either   map[string]bool                 // writers that succeed or fail naming the log
		noRead   bool                            // the log cannot be read
		cred     bool                            // run as nobody when root
	}
	chownAll := func(t *testing.T, root string) {
		if !asRoot {
			return
		}
		relMust(t, filepath.WalkDir(filepath.Join(root, "state"), func(p string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, relNobody, relNobody)
		}))
	}
	denied := "permission denied"
	scenarios := []scenario{
		{name: "read-only filesystem", errno: "read-only file system", restrict: func(t *testing.T, root string) {
			if err := syscall.Mount("tmpfs", root, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				t.Fatalf("remount %s read-only: %v", root, err)
			}
		}},
		{name: "read-only log", errno: denied, cred: true, ok: map[string]bool{"summarize": true, "alert": true, "cost": true, "metrics": true},
			// rotate may keep the log's mode on the new log, or refuse.
			either: map[string]bool{"rotate": true},
			restrict: func(t *testing.T, root string) {
				chownAll(t, root)
				relMust(t, os.Chmod(filepath.Join(root, "state", "log", "sync-events.ndjson"), 0o444))
			}},
		{name: "read-only directory", errno: denied, cred: true, ok: map[string]bool{"record": true, "cost": true},
			restrict: func(t *testing.T, root string) {
				chownAll(t, root)
				for _, d := range []string{"", "alerts", "textfile"} {
					relMust(t, os.Chmod(filepath.Join(root, "state", "log", d), 0o555))
				}
			}},
		{name: "log mode 0000", errno: denied, cred: true, noRead: true, restrict: func(t *testing.T, root string) {
			chownAll(t, root)
			relMust(t, os.Chmod(filepath.Join(root, "state", "log", "sync-events.ndjson"), 0))
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var root string
			if sc.name == "read-only filesystem" {
				if !asRoot {
					t.Skip("mounting a tmpfs needs root")
				}
				root = suiteTmpfs(t, 16<<20)
			} else {
				root = relDir(t)
			}
			logDir := filepath.Join(root, "state", "log")
			log := filepath.Join(logDir, "sync-events.ndjson")
			relMust(t, os.MkdirAll(logDir, 0o755))
			relMust(t, os.WriteFile(log, old, 0o644))
			r := relRun{bin: bin, dir: root, env: relEnv(root), timeout: 30 * time.Second}
			for _, c := range suiteOutputCmds {
				if res := r.run(t, suiteArgs(root, c)...); res.code != 0 {
					t.Fatalf("%s: exit %d: %s", c.name, res.code, res.stderr)
				}
			}
			relMust(t, os.WriteFile(log, new, 0o644))
			relMust(t, os.WriteFile(log+".lock", nil, 0o644))
			// What the readers print on the writable log.
			want := map[string]relResult{}
			for _, rd := range suiteReaders {
				want[rd.name] = r.run(t, append(rd.args, "--root", root, "--now", suiteNow)...)
			}
			sc.restrict(t, root)
			if sc.cred && asRoot {
				r.cred = &syscall.Credential{Uid: relNobody, Gid: relNobody}
			}

			for _, rd := range suiteReaders {
				res := r.run(t, append(rd.args, "--root", root, "--now", suiteNow)...)
				if sc.noRead {
					suiteFailsNaming(t, rd.name, res, log, sc.errno)
					continue
				}
				w := want[rd.name]
				if res.code != w.code || res.stdout != w.stdout || res.stderr != w.stderr {
					t.Errorf("%s on a %s: exit %d, %d bytes out, stderr %q; on a writable log: exit %d, %d bytes out, stderr %q",
						rd.name, sc.name, res.code, len(res.stdout), res.stderr, w.code, len(w.stdout), w.stderr)
				}
			}
			for _, wr := range suiteWriters {
				before, temps := suiteSnapshot(t, logDir)
				logBefore := relState(t, log)
				res := r.run(t, append(wr.args, "--root", root, "--now", suiteNow, "--quiet")...)
				after, tempsAfter := suiteSnapshot(t, logDir)
				if len(tempsAfter) > len(temps) {
					t.Errorf("%s left temporary files: %v", wr.name, tempsAfter)
				}
				if sc.ok[wr.name] {
					t.Logf("%s: %s: exit %d %s", sc.name, wr.name, res.code, strings.TrimSpace(res.stderr))
					if res.code != 0 {
						t.Errorf("%s on a %s: exit %d: %s; it has all it needs", wr.name, sc.name, res.code, res.stderr)
					}
					continue
				}
				want := filepath.Join(logDir, wr.writes)
				if sc.noRead || sc.either[wr.name] {
					want = log
				}
				if sc.either[wr.name] && res.code == 0 {
					t.Logf("%s: %s: exit 0", sc.name, wr.name)
					continue
				}
				suiteFailsNaming(t, wr.name, res, want, sc.errno)
				if d := suiteDiffFiles(after, before); d != "" {
					t.Errorf("%s failed but changed files: %s", wr.name, d)
				}
				if relState(t, log) != logBefore {
					t.Errorf("%s failed but changed the log", wr.name)
				}
			}
		})
	}
}

// suiteFailsNaming checks a failure: exit 1, and an error on stderr that
// names path and says why.
func suiteFailsNaming(t *testing.T, name string, res relResult, path, why string) {
	t.Helper()
	t.Logf("%s: exit %d: %s", name, res.code, strings.TrimSpace(res.stderr))
	if res.code != 1 {
		t.Errorf("%s: exit %d, want 1 (stderr %q)", name, res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, path) || !strings.Contains(res.stderr, why) {
		t.Errorf("%s: stderr %q does not name %s and say %q", name, res.stderr, path, why)
	}
}
