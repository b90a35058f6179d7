package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const deployDir = "../../deploy"

// deployRendered is every file of deploy/ that init's snippets make,
// rendered with exampleDeployParams, by path under deploy/.
func deployRendered(t *testing.T) map[string][]byte {
	t.Helper()
	p := exampleDeployParams
	hook, err := hookSettingsJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"claude-settings.json":   hook,
		"crontab":                []byte(crontabText(p)),
		"pre-commit-config.yaml": []byte(preCommitConfigYAML(p)),
	}
	for name, text := range systemdUnits(p) {
		files["systemd/"+name] = []byte(text)
	}
	return files
}

// TestDeployFilesRendered: deploy/'s Stop hook, crontab, pre-commit entry
// and systemd units are what init renders (go test -update rewrites them),
// and deploy/systemd holds no unit that is not rendered.
func TestDeployFilesRendered(t *testing.T) {
	files := deployRendered(t)
	for path, want := range files {
		full := filepath.Join(deployDir, path)
		if *update {
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(full)
		if err != nil {
			t.Errorf("%v (go test -run TestDeployFilesRendered -update writes it)", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("deploy/%s differs from what init renders (go test -run TestDeployFilesRendered -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
		}
	}
	entries, err := os.ReadDir(filepath.Join(deployDir, "systemd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := files["systemd/"+e.Name()]; !ok {
			t.Errorf("deploy/systemd/%s is not rendered by systemdUnits: remove it or render it", e.Name())
		}
	}
}

// TestDeployInitPrintsTheSame: 'synclog init --print X', given the
// parameters deploy/ is rendered with, prints deploy/'s files byte for
// byte, and --print all prints the three of them.
func TestDeployInitPrintsTheSame(t *testing.T) {
	p := exampleDeployParams
	args := []string{"init", "--dry-run", "--root", p.Root, "--bin", p.Bin, "--repo", p.Repo, "--scope", p.Scope,
		"--sync-command", p.SyncCommand, "--hook-timeout", "60", "--textfile", p.Textfile}
	var all string
	for _, tc := range []struct{ print, file string }{
		{"hook", "claude-settings.json"},
		{"crontab", "crontab"},
		{"pre-commit", "pre-commit-config.yaml"},
		{"all", ""},
	} {
		var out, errb bytes.Buffer
		code := runArgs(t.Context(), append(args, "--print", tc.print), &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
		if code != 0 {
			t.Fatalf("init --print %s: exit %d: %s", tc.print, code, errb.String())
		}
		if tc.file == "" {
			all = out.String()
			continue
		}
		want, err := os.ReadFile(filepath.Join(deployDir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(want) {
			t.Errorf("init --print %s differs from deploy/%s:\n--- init\n%s\n--- deploy\n%s", tc.print, tc.file, out.String(), want)
		}
	}
	for _, f := range []string{"claude-settings.json", "crontab", "pre-commit-config.yaml"} {
		want, _ := os.ReadFile(filepath.Join(deployDir, f))
		if !strings.Contains(all, string(want)) {
			t.Errorf("init --print all lacks deploy/%s", f)
		}
	}
}

// checkCommandLine parses args (after the binary) against the real
// command tree as cobra would: the command must exist, every flag must be
// one of its flags with a value it accepts, and its positional arguments
// must be ones it takes. It returns the command's name and its parsed
// flags' values by name.
func checkCommandLine(t *testing.T, where string, args []string) (string, map[string]string) {
	t.Helper()
	root := newRootCmd(&IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Errorf("%s: %q: no such command (%v)", where, args, err)
		return "", nil
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: %q: %v", where, args, err)
		return "", nil
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Errorf("%s: %q: %v", where, args, err)
	}
	set := map[string]string{}
	for _, name := range []string{"root", "hook", "trigger", "op", "repo", "scope", "textfile", "quiet"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			set[name] = f.Value.String()
		}
	}
	return cmd.Name(), set
}

// splitShell splits a POSIX shell command line of plain words, single and
// double quotes and backslash escapes (all the snippets use) into words.
func splitShell(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				t.Fatalf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case strings.IndexByte(";&|<>()`$", c) >= 0:
			t.Fatalf("%q: shell syntax %q the snippets do not use", s, c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// splitExecStart splits an ExecStart= value as systemd does for the
// quoting the units use: double quotes, backslash escapes, %% and $$.
func splitExecStart(t *testing.T, s string) []string {
	t.Helper()
	if strings.ContainsAny(strings.NewReplacer("%%", "", "$$", "").Replace(s), "%$") {
		t.Fatalf("ExecStart=%s: a specifier or variable the units do not mean to use", s)
	}
	words := splitShell(t, s)
	for i, w := range words {
		words[i] = strings.NewReplacer("%%", "%", "$$", "$").Replace(w)
	}
	return words
}

func checkBinary(t *testing.T, where, bin string) {
	t.Helper()
	if filepath.Base(bin) != "synclog" {
		t.Errorf("%s: runs %q, not synclog", where, bin)
	}
}

// TestDeployClaudeSettings: the Stop hook is the JSON Claude Code's
// settings.json takes (hooks → Stop → [{hooks: [{type, command,
// timeout}]}], no matcher for Stop), and its command is 'synclog record
// --hook --trigger stop-hook ... -- CMD' as the real command tree parses it.
func TestDeployClaudeSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "claude-settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]map[string][]map[string][]map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatalf("claude-settings.json: %v", err)
	}
	stop := generic["hooks"]["Stop"]
	if len(generic) != 1 || len(generic["hooks"]) != 1 || len(stop) != 1 || len(stop[0]) != 1 || len(stop[0]["hooks"]) != 1 {
		t.Fatalf("claude-settings.json: want exactly hooks.Stop[0].hooks[0], got %s", b)
	}
	h := stop[0]["hooks"][0]
	if h["type"] != "command" {
		t.Errorf("hook type %v, want command", h["type"])
	}
	if to, ok := h["timeout"].(float64); !ok || to <= 0 || to != float64(int(to)) {
		t.Errorf("hook timeout %v: want a positive number of seconds", h["timeout"])
	}
	for k := range h {
		if k != "type" && k != "command" && k != "timeout" {
			t.Errorf("hook has key %q that the entry does not need", k)
		}
	}
	command, _ := h["command"].(string)
	words := splitShell(t, command)
	if len(words) < 2 {
		t.Fatalf("hook command %q", command)
	}
	checkBinary(t, "hook command", words[0])
	name, set := checkCommandLine(t, "hook command", words[1:])
	if name != "record" || set["hook"] != "true" || set["trigger"] != "stop-hook" || set["op"] != "push" || !filepath.IsAbs(set["root"]) {
		t.Errorf("hook command %q: want record --hook --trigger stop-hook --op push with an absolute --root", command)
	}
	dash := slices.Index(words, "--")
	if dash < 0 || dash == len(words)-1 {
		t.Fatalf("hook command %q: wraps no sync command after --", command)
	}
	if testing.Short() {
		return
	}

	// Run it as Claude Code would: through a shell, in the project, the
	// payload on stdin; with the binary and --root moved to a sandbox and
	// a stand-in for the sync command.
	p := exampleDeployParams
	dir := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "state/bin/sync"))
	if err := os.WriteFile(filepath.Join(dir, p.SyncCommand), []byte("#!/bin/sh\necho pushed >&2\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	line := strings.Replace(strings.Replace(command, p.Bin, relBinary(t), 1), "--root "+p.Root, "--root "+dir, 1)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "sh", "-c", line)
	sh.Dir = dir
	sh.Env = relEnv(dir, "SYNCLOG_MACHINE=laptop")
	sh.Stdin = strings.NewReader(`{"session_id":"abc-123","hook_event_name":"Stop","stop_hook_active":false}`)
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	if err := sh.Run(); err != nil {
		t.Fatalf("the Stop hook: %v\n%s", err, stderr.String())
	}
	if stdout.Len() > 0 {
		t.Errorf("the Stop hook printed on stdout: %q", stdout.String())
	}
	row, err := os.ReadFile(filepath.Join(dir, DefaultLog))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"op":"push"`, `"repo":"snappy-os"`, `"trigger":"stop-hook"`, `"status":"ok"`, `"session_id":"abc-123"`} {
		if !bytes.Contains(row, []byte(want)) {
			t.Errorf("the Stop hook's row lacks %s: %s", want, row)
		}
	}
}

// crontabJob is one job line of a crontab.
type crontabJob struct {
	line     int
	schedule string
	argv     []string
}

var cronField = regexp.MustCompile(`^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$`)

// readCrontab parses deploy/crontab: comments, NAME=value lines and jobs
// of five schedule fields and a command (with \% for a literal %).
func readCrontab(t *testing.T) []crontabJob {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "crontab"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []crontabJob
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(l) {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 6 {
			t.Fatalf("crontab:%d: %q: want five schedule fields and a command", i+1, l)
		}
		for _, field := range f[:5] {
			if !cronField.MatchString(field) {
				t.Errorf("crontab:%d: schedule field %q", i+1, field)
			}
		}
		cmd := strings.Join(f[5:], " ")
		if strings.Contains(strings.ReplaceAll(cmd, `\%`, ""), "%") {
			t.Errorf("crontab:%d: an unescaped %% ends the command there", i+1)
		}
		jobs = append(jobs, crontabJob{line: i + 1, schedule: strings.Join(f[:5], " "),
			argv: splitShell(t, strings.ReplaceAll(cmd, `\%`, "%"))})
	}
	return jobs
}

// TestDeployCrontab: every crontab line runs a synclog command that the
// real command tree parses, one each of summarize, alert, cost and
// metrics --textfile, with an absolute --root and --quiet; and each runs,
// exit 0, on the sample log.
func TestDeployCrontab(t *testing.T) {
	jobs := readCrontab(t)
	var names []string
	for _, j := range jobs {
		where := "crontab:" + strconv.Itoa(j.line)
		checkBinary(t, where, j.argv[0])
		name, set := checkCommandLine(t, where, j.argv[1:])
		names = append(names, name)
		if !filepath.IsAbs(set["root"]) || set["quiet"] != "true" {
			t.Errorf("%s: want an absolute --root and --quiet: %q", where, j.argv)
		}
		if name == "metrics" && set["textfile"] == "" {
			t.Errorf("%s: metrics without --textfile prints to cron's mail", where)
		}
	}
	if want := []string{"summarize", "alert", "cost", "metrics"}; !slices.Equal(names, want) {
		t.Errorf("crontab runs %v, want %v", names, want)
	}
	if testing.Short() {
		return
	}
	// Run them, with the binary, --root and --textfile moved to a sandbox.
	bin := relBinary(t)
	dir := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "state/log"), filepath.Join(dir, "textfile"))
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state/log/sync-events.ndjson"), sample, 0o644); err != nil {
		t.Fatal(err)
	}
	p := exampleDeployParams
	for _, j := range jobs {
		argv := slices.Clone(j.argv)
		for i, a := range argv {
			switch a {
			case p.Bin:
				argv[i] = bin
			case p.Root:
				argv[i] = dir
			case p.Textfile:
				argv[i] = filepath.Join(dir, "textfile")
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = t.TempDir() // cron runs jobs from $HOME: --root must carry them
		cmd.Env = relEnv(cmd.Dir, "SYNCLOG_NOW=2026-04-17T00:00:00Z")
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("crontab:%d: %q: %v\n%s", j.line, argv, err, out)
		}
	}
	for _, f := range []string{"state/log/sync-summary.md", "state/log/status.json", "state/log/evals.aggregate.ndjson", "textfile/synclog.prom"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("after the crontab's jobs: %v", err)
		}
	}
}

// TestDeployPreCommitConfig: deploy/pre-commit-config.yaml is YAML that
// names this repository with a rev and the hook id that
// .pre-commit-hooks.yaml defines, whose entry is a synclog command the
// command tree parses.
func TestDeployPreCommitConfig(t *testing.T) {
	values, err := readConfig(filepath.Join(deployDir, "pre-commit-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	repos, ok := values["repos"].([]any)
	if !ok || len(repos) != 1 {
		t.Fatalf("pre-commit-config.yaml: want one entry in repos, got %#v", values["repos"])
	}
	repo, _ := repos[0].(map[string]any)
	if repo["repo"] != preCommitRepo || repo["rev"] == nil || repo["rev"] == "" {
		t.Errorf("pre-commit-config.yaml: repo %v rev %v", repo["repo"], repo["rev"])
	}
	hooks, _ := repo["hooks"].([]any)
	if len(hooks) != 1 {
		t.Fatalf("pre-commit-config.yaml: want one hook, got %#v", repo["hooks"])
	}
	id, _ := hooks[0].(map[string]any)["id"].(string)

	defs, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// .pre-commit-hooks.yaml is a top-level list, which viper does not
	// read: wrapped in a key, it is a map.
	wrapped := filepath.Join(t.TempDir(), "hooks.yaml")
	var w strings.Builder
	w.WriteString("hooks:\n")
	for _, l := range strings.Split(string(defs), "\n") {
		w.WriteString("  " + l + "\n")
	}
	if err := os.WriteFile(wrapped, []byte(w.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	dv, err := readConfig(wrapped)
	if err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	found := false
	list, _ := dv["hooks"].([]any)
	for _, h := range list {
		m, _ := h.(map[string]any)
		if m["id"] != id {
			continue
		}
		found = true
		entry, _ := m["entry"].(string)
		words := splitShell(t, entry)
		checkBinary(t, ".pre-commit-hooks.yaml entry", words[0])
		if name, _ := checkCommandLine(t, ".pre-commit-hooks.yaml entry", words[1:]); name != "lint" {
			t.Errorf(".pre-commit-hooks.yaml: hook %s runs %q, want synclog lint", id, entry)
		}
	}
	if !found {
		t.Errorf("pre-commit-config.yaml: hook id %q is not in .pre-commit-hooks.yaml", id)
	}
}

// TestDeploySystemd: every unit's ExecStart= is a synclog command the
// command tree parses (serve for the service, each timer's job for the
// rest), each timer has its service, and 'systemd-analyze verify' accepts
// them all without a word, with ExecStart= pointed at a built synclog.
// systemd-analyze comes with the systemd package; without it the test
// fails rather than skips.
func TestDeploySystemd(t *testing.T) {
	dir := filepath.Join(deployDir, "systemd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		units[e.Name()] = string(b)
	}
	execStart := regexp.MustCompile(`(?m)^ExecStart=(.*)$`)
	for name, text := range units {
		switch filepath.Ext(name) {
		case ".service":
			m := execStart.FindAllStringSubmatch(text, -1)
			if len(m) != 1 {
				t.Errorf("%s: want one ExecStart=, got %d", name, len(m))
				continue
			}
			argv := splitExecStart(t, m[0][1])
			checkBinary(t, name, argv[0])
			cmd, set := checkCommandLine(t, name, argv[1:])
			if want := strings.TrimSuffix(strings.TrimPrefix(name, "synclog-"), ".service"); cmd != want {
				t.Errorf("%s runs synclog %s", name, cmd)
			}
			if !filepath.IsAbs(set["root"]) {
				t.Errorf("%s: want an absolute --root", name)
			}
		case ".timer":
			if _, ok := units[strings.TrimSuffix(name, ".timer")+".service"]; !ok {
				t.Errorf("%s has no service", name)
			}
			if !strings.Contains(text, "\nOnCalendar=") {
				t.Errorf("%s: no OnCalendar=", name)
			}
		default:
			t.Errorf("deploy/systemd/%s: not a unit", name)
		}
	}
	for _, want := range []string{"synclog-serve.service", "synclog-summarize.timer", "synclog-alert.timer", "synclog-cost.timer", "synclog-metrics.timer"} {
		if _, ok := units[want]; !ok {
			t.Errorf("deploy/systemd/%s is missing", want)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze (from the systemd package) is needed to verify deploy/systemd: %v", err)
	}
	bin := relBinary(t)
	tmp := t.TempDir()
	var paths []string
	for name, text := range units {
		text = strings.ReplaceAll(text, "ExecStart="+systemdJoin([]string{exampleDeployParams.Bin}), "ExecStart="+systemdJoin([]string{bin}))
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// System mode: a user manager needs a session this test may not have;
	// the units use nothing that differs between the two.
	cmd := exec.CommandContext(ctx, analyze, append([]string{"verify"}, paths...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=notice")
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Each timer's calendar is one systemd understands.
	onCal := regexp.MustCompile(`(?m)^OnCalendar=(.*)$`)
	for name, text := range units {
		for _, m := range onCal.FindAllStringSubmatch(text, -1) {
			if out, err := exec.CommandContext(ctx, analyze, "calendar", m[1]).CombinedOutput(); err != nil {
				t.Errorf("%s: OnCalendar=%s: %v\n%s", name, m[1], err, out)
			}
		}
	}
}

// TestScheduledJobsAgree: each job's crontab schedule and systemd
// OnCalendar= fire at the same minutes of a day (checked by stepping a day
// minute by minute against the cron fields and 'systemd-analyze calendar
// --iterations').
func TestScheduledJobsAgree(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze (from the systemd package): %v", err)
	}
	start := time.Date(2026, 4, 16, 0, 0, 0, 0, time.UTC)
	for _, j := range scheduledJobs {
		var want []string
		for m := start.Add(time.Minute); len(want) < 5; m = m.Add(time.Minute) {
			if cronMatches(t, j.cron, m) {
				want = append(want, m.Format("2006-01-02 15:04"))
			}
		}
		cmd := exec.Command(analyze, "calendar", "--iterations=5", "--base-time="+start.Format("2006-01-02 15:04:05")+" UTC", j.onCalendar+" UTC")
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: systemd-analyze calendar: %v\n%s", j.name, err, out)
		}
		got := regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}`).FindAllString(string(out), -1)
		if !slices.Equal(got, want) {
			t.Errorf("%s: cron %q fires at %v, OnCalendar=%s at %v", j.name, j.cron, want, j.onCalendar, got)
		}
	}
}

// cronMatches reports whether the minute t matches a five-field crontab
// schedule of numbers, *, ranges, steps and lists.
func cronMatches(t *testing.T, schedule string, tm time.Time) bool {
	t.Helper()
	f := strings.Fields(schedule)
	vals := []int{tm.Minute(), tm.Hour(), tm.Day(), int(tm.Month()), int(tm.Weekday())}
	for i, field := range f {
		if !cronFieldMatches(t, field, vals[i]) {
			return false
		}
	}
	return true
}

func cronFieldMatches(t *testing.T, field string, v int) bool {
	t.Helper()
	for _, part := range strings.Split(field, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		lo, hi := 0, 59
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			lo = atoi(t, a)
			hi = lo
			if isRange {
				hi = atoi(t, b)
			}
		}
		s := 1
		if hasStep {
			s = atoi(t, step)
		}
		if !hasStep && rng != "*" {
			if v == lo || (v > lo && v <= hi) {
				return true
			}
			continue
		}
		if v >= lo && v <= hi && (v-lo)%s == 0 {
			return true
		}
	}
	return false
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("cron field: %v", err)
	}
	return n
}
