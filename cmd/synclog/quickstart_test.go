package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// quickStart returns the two commands of README.md's quick start: the
// main job on the sample log, and the test command.
func quickStart(t *testing.T) (mainJob, tests string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Quick start\n")
	if i < 0 {
		t.Fatal("README.md has no '## Quick start' section")
	}
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)\n```").FindAllStringSubmatch(s, -1)
	if len(blocks) != 2 {
		t.Fatalf("the quick start has %d sh blocks, want exactly two commands", len(blocks))
	}
	return strings.TrimSpace(blocks[0][1]), strings.TrimSpace(blocks[1][1])
}

// TestQuickStartFreshHome walks README.md's quick start as a newcomer
// would: a copy of the files a clone holds (git's tracked and
// not-ignored files), a fresh HOME, and so a fresh module cache filled
// through the Go module proxy and no config file, with only Go and the
// base system on PATH. The first command must print the dashboard of the
// sample log. The second is the test command: it is what .ci/run runs on a
// fresh machine (so CI walks it); here it is checked to be that very
// command, and to exist and be executable in the clone.
func TestQuickStartFreshHome(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the modules into a fresh cache and builds from a clean copy")
	}
	mainJob, tests := quickStart(t)

	ls := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	ls.Dir = "../.."
	out, err := ls.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "synclog")
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join("../..", name)
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet in git
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(clone, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}

	home := t.TempDir()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home,
		"PATH=" + filepath.Dir(goBin) + ":/usr/bin:/bin",
		// The module proxy this machine may use; the build cache is shared
		// (it caches compiles of the same sources, it cannot supply a
		// missing module), the module cache is not: it is in the new HOME.
		"GOPROXY=" + goEnv(t, "GOPROXY"),
		"GOCACHE=" + goEnv(t, "GOCACHE"),
		"GOFLAGS=-modcacherw",
	}
	cmd := exec.Command("sh", "-c", mainJob)
	cmd.Dir, cmd.Env = clone, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", mainJob, err, stderr.String())
	}
	for _, want := range []string{"generated_at: ", "## Pushes per hour", "## Repos (last 7 days, worst first)", "xychart-beta"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("%s: no %q in its output:\n%s", mainJob, want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(home, "go", "pkg", "mod", "github.com", "spf13")); err != nil {
		t.Errorf("the modules did not come into the fresh HOME's cache: %v", err)
	}

	ci, err := os.ReadFile(filepath.Join(clone, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^(bash )?` + regexp.QuoteMeta(tests) + `$`).Match(ci) {
		t.Errorf(".ci/run does not run the README's test command %q:\n%s", tests, ci)
	}
	fi, err := os.Stat(filepath.Join(clone, tests))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("%s is not an executable file in the clone: %v", tests, err)
	}
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
