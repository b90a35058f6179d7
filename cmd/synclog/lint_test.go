package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lintRow is a valid row of the event log with its ts, op and trigger.
func lintRow(ts, op, trigger string) string {
	return `{"ts":"` + ts + `","op":"` + op + `","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,` +
		`"manifest_before":"m0","manifest_after":"m0","trigger":"` + trigger + `","machine":"a"}` + "\n"
}

// Logs for the exit status cases: each holds findings of one severity.
var (
	lintLogClean   = lintRow("2026-04-16T10:00:00Z", "pull", "cli")
	lintLogInfo    = lintLogClean + lintRow("2026-04-16T12:01:00+02:00", "pull", "cli")
	lintLogWarning = lintLogClean + lintRow("2026-04-16T10:02:00Z", "pull", "hook")
	lintLogError   = lintLogClean + lintRow("2026-04-16T10:02:00Z", "sync", "cli")
	lintLogOrder   = lintLogClean + lintRow("2026-04-16T09:00:00Z", "pull", "cli")
)

// TestLintCLI runs lint end to end through runArgs: exit statuses for each
// --fail-on and --min-severity, --exit-zero, usage and configuration
// errors (2), unreadable files (1), and settings from flags, SYNCLOG_*,
// SYNC_ALLOW/SYNC_DENY and the config file.
func TestLintCLI(t *testing.T) {
	cases := []struct {
		name   string
		log    string // state/log/sync-events.ndjson; "" leaves it out
		config string // synclog.yaml
		env    map[string]string
		args   []string
		code   int
		stdout string // a part of stdout; "-" means stdout must be empty
		stderr string // a part of stderr; "-" means empty
	}{
		{"clean", lintLogClean, "", nil, nil, 0, "-", "-"},

		// --fail-on and --min-severity
		{"warning fails by default", lintLogWarning, "", nil, nil, 1, `warning: trigger "hook"`, "1 finding: 1 warning"},
		{"warning under --fail-on error", lintLogWarning, "", nil, []string{"--fail-on", "error"}, 0, `warning: trigger "hook"`, "1 finding"},
		{"warning, --exit-zero", lintLogWarning, "", nil, []string{"--exit-zero"}, 0, "[unknown-trigger]", ""},
		{"warning, --fail-on info", lintLogWarning, "", nil, []string{"--fail-on", "info"}, 1, "[unknown-trigger]", ""},
		{"error fails", lintLogError, "", nil, nil, 1, "error: key \"op\"", "1 finding: 1 error"},
		{"error under --fail-on error", lintLogError, "", nil, []string{"--fail-on", "error"}, 1, "[bad-op]", ""},
		{"error, --exit-zero", lintLogError, "", nil, []string{"--exit-zero"}, 0, "[bad-op]", ""},
		{"info is hidden and passes", lintLogInfo, "", nil, nil, 0, "-", "-"},
		{"info shown passes", lintLogInfo, "", nil, []string{"--min-severity", "info"}, 0, "info: ts", "1 finding: 1 info"},
		{"info fails under --fail-on info, and shows", lintLogInfo, "", nil, []string{"--fail-on", "info"}, 1, "[ts-not-utc]", ""},
		{"--min-severity error still shows what fails", lintLogWarning, "", nil, []string{"--min-severity", "error"}, 1, "[unknown-trigger]", ""},
		{"--min-severity error --fail-on error", lintLogWarning, "", nil, []string{"--min-severity", "error", "--fail-on", "error"}, 0, "-", "-"},
		{"--quiet drops the count", lintLogWarning, "", nil, []string{"--quiet"}, 1, "[unknown-trigger]", "-"},
		{"fail_on from the config", lintLogWarning, "lint:\n  fail_on: error\n", nil, nil, 0, "[unknown-trigger]", ""},

		// usage and configuration errors: 2
		{"unknown --fail-on", lintLogClean, "", nil, []string{"--fail-on", "fatal"}, 2, "-", `unknown severity "fatal"`},
		{"unknown --min-severity", lintLogClean, "", nil, []string{"--min-severity", "loud"}, 2, "-", "--min-severity"},
		{"unknown --format", lintLogClean, "", nil, []string{"--format", "xml"}, 2, "-", "want text, json, sarif or github"},
		{"unknown --disable", lintLogClean, "", nil, []string{"--disable", "nope"}, 2, "-", `--disable: unknown rule "nope"`},
		{"unknown --enable", lintLogClean, "", nil, []string{"--enable", "bad-ts,nope"}, 2, "-", `--enable: unknown rule "nope"`},
		{"--mass-change 0", lintLogClean, "", nil, []string{"--mass-change", "0"}, 2, "-", "want a fraction in (0, 1]"},
		{"--mass-change 1.5", lintLogClean, "", nil, []string{"--mass-change", "1.5"}, 2, "-", "--mass-change 1.5"},
		{"--tick 0", lintLogClean, "", nil, []string{"--tick", "0s"}, 2, "-", "--tick"},
		{"--skew negative", lintLogClean, "", nil, []string{"--skew", "-1s"}, 2, "-", "--skew"},
		{"--max-per-rule negative", lintLogClean, "", nil, []string{"--max-per-rule", "-1"}, 2, "-", "--max-per-rule"},
		{"--since garbage", lintLogClean, "", nil, []string{"--since", "lately"}, 2, "-", "--since"},
		{"config: unknown rule's severity", lintLogClean, "lint:\n  severity:\n    nope: error\n", nil, nil, 2, "-", "lint.severity.nope: unknown rule"},
		{"config: unknown severity", lintLogClean, "lint:\n  severity:\n    bad-ts: loud\n", nil, nil, 2, "-", `lint.severity.bad-ts: unknown severity "loud"`},
		{"config: severity not a map", lintLogClean, "lint:\n  severity: error\n", nil, nil, 2, "-", "want a map of rule to severity"},
		{"config: unknown rule disabled", lintLogClean, "lint:\n  disable: [nope]\n", nil, nil, 2, "-", `lint.disable: unknown rule "nope"`},
		{"config: lint.skew not a duration", lintLogClean, "lint:\n  skew: soon\n", nil, nil, 2, "-", "lint.skew"},
		{"env: unknown severity", lintLogClean, "", map[string]string{"SYNCLOG_LINT_SEVERITY_BAD_TS": "loud"}, nil, 2, "-", "SYNCLOG_LINT_SEVERITY_BAD_TS"},
		{"env: unknown rule disabled", lintLogClean, "", map[string]string{"SYNCLOG_LINT_DISABLE": "nope"}, nil, 2, "-", "SYNCLOG_LINT_DISABLE"},
		{"env: bad glob", lintLogClean, "", map[string]string{"SYNC_DENY": "state/[a-"}, nil, 2, "-", "SYNC_DENY: glob"},
		{"config: bad glob", lintLogClean, "sync:\n  allow: ['state/[a-']\n", nil, nil, 2, "-", "sync.allow: glob"},

		// failures: 1
		{"no log", "", "", nil, nil, 1, "-", "no such file"},
		{"a FILE that is not there", lintLogClean, "", nil, []string{"missing.ndjson"}, 1, "-", "missing.ndjson: no such file"},
		{"a glob that matches nothing", lintLogClean, "", nil, []string{"nothing*.ndjson"}, 1, "-", "no file matches"},

		// settings
		{"severity from the config", lintLogWarning, "lint:\n  severity:\n    unknown-trigger: error\n", nil, nil, 1, "error: trigger", ""},
		{"severity: env over config", lintLogWarning, "lint:\n  severity:\n    unknown-trigger: error\n",
			map[string]string{"SYNCLOG_LINT_SEVERITY_UNKNOWN_TRIGGER": "info"}, nil, 0, "-", "-"},
		{"disabled in the config", lintLogWarning, "lint:\n  disable: [unknown-trigger]\n", nil, nil, 0, "-", "-"},
		{"disabled, --enable", lintLogWarning, "lint:\n  disable: [unknown-trigger]\n", nil, []string{"--enable", "unknown-trigger"}, 1, "[unknown-trigger]", ""},
		{"disabled by the environment", lintLogWarning, "", map[string]string{"SYNCLOG_LINT_DISABLE": "duplicate-row, unknown-trigger"}, nil, 0, "-", "-"},
		{"--disable", lintLogWarning, "", nil, []string{"--disable", "unknown-trigger"}, 0, "-", "-"},
		{"--disable beats --enable", lintLogWarning, "", nil, []string{"--enable", "unknown-trigger", "--disable", "unknown-trigger"}, 0, "-", "-"},
		{"triggers from the config", lintLogWarning, "lint:\n  triggers: [cli, hook]\n", nil, nil, 0, "-", "-"},
		{"triggers from the environment", lintLogWarning, "", map[string]string{"SYNCLOG_LINT_TRIGGERS": "cli,hook"}, nil, 0, "-", "-"},
		{"triggers flag", lintLogWarning, "", nil, []string{"--triggers", "hook"}, 1, `trigger "cli"`, ""},
		{"skew from the config", lintLogOrder, "lint:\n  skew: 2h\n", nil, nil, 0, "-", "-"},
		{"skew default", lintLogOrder, "", nil, nil, 1, "[out-of-order]", ""},
		{"skew flag over config", lintLogOrder, "lint:\n  skew: 2h\n", nil, []string{"--skew", "30m"}, 1, "more than lint.skew 30m", ""},
		{"--since skips old rows", lintLogOrder, "", nil, []string{"--since", "2026-04-16T09:30:00Z"}, 0, "-", "-"},
		{"--since as a duration", lintLogOrder, "", nil, []string{"--since", "2h30m"}, 0, "-", "-"},
		{"sync policy from the config", lintLogClean, "sync:\n  allow: [state/log/evals.aggregate.ndjson]\n  deny: [state/log/sync-events.ndjson]\n", nil, nil, 0, "-", "-"},
		{"sync policy: the environment over the config", lintLogClean, "sync:\n  allow: [state/log/evals.aggregate.ndjson]\n  deny: [state/log/sync-events.ndjson]\n",
			map[string]string{"SYNC_DENY": "state/tmp"}, nil, 1, `but SYNC_DENY does not match it`, ""},
		{"sync policy: the config named", lintLogClean, "sync:\n  allow: [state/log/evals.aggregate.ndjson]\n  deny: [state/tmp]\n", nil, nil, 1, `but sync.deny does not match it`, ""},
		{"max per rule", lintLogClean + lintRow("2026-04-16T10:03:00Z", "pull", "x1") + lintRow("2026-04-16T10:04:00Z", "pull", "x2") +
			lintRow("2026-04-16T10:05:00Z", "pull", "x3"), "", nil, []string{"--max-per-rule", "2"}, 1, "x2", "3 findings: 3 warnings (1 not shown: more than 2 of one rule)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("HOME", dir)
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
			for _, k := range []string{"SYNC_ALLOW", "SYNC_DENY", "SYNCLOG_CONFIG"} {
				t.Setenv(k, "")
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.log != "" {
				lintWrite(t, filepath.Join(dir, DefaultLog), tc.log)
				lintWrite(t, filepath.Join(dir, DefaultSummaryOut), "---\ngenerated_at: 2026-04-16T11:55:00Z\n---\n")
			}
			if tc.config != "" {
				lintWrite(t, filepath.Join(dir, "synclog.yaml"), tc.config)
			}
			args := append([]string{"lint", "--root", dir, "--now", "2026-04-16T12:00:00Z"}, tc.args...)
			for i, a := range args {
				if strings.HasSuffix(a, ".ndjson") && i > 0 && !strings.HasPrefix(args[i-1], "--") {
					args[i] = filepath.Join(dir, a) // a FILE
				}
			}
			var out, errb bytes.Buffer
			code := runArgs(t.Context(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			check := func(what, got, want string) {
				switch {
				case want == "-" && got != "":
					t.Errorf("%s not empty:\n%s", what, got)
				case want != "-" && !strings.Contains(got, want):
					t.Errorf("%s does not hold %q:\n%s", what, want, got)
				}
			}
			check("stdout", out.String(), tc.stdout)
			check("stderr", errb.String(), tc.stderr)
			if code == exitUsage && !strings.Contains(errb.String(), "synclog lint --help") {
				t.Errorf("a usage error without the hint:\n%s", errb.String())
			}
		})
	}
}

func lintWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLintListRules: every rule is listed with the severity the run gives
// it, in text and in json.
func TestLintListRules(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	lintWrite(t, filepath.Join(dir, "synclog.yaml"), "lint:\n  severity:\n    unknown-trigger: error\n  disable: [mass-change]\n")
	var out, errb bytes.Buffer
	code := runArgs(t.Context(), []string{"lint", "--root", dir, "--list-rules"}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{"RULE", "invalid-json           error", "unknown-trigger        error",
		"mass-change            warning (off)", "ts-not-utc             info", "sync-policy", "; fix: "} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if n := strings.Count(text, "\n"); n != 19 {
		t.Errorf("%d lines, want a header and 18 rules", n)
	}

	out.Reset()
	code = runArgs(t.Context(), []string{"lint", "--root", dir, "--list-rules", "--format", "json"}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	var rules []struct {
		Rule, Severity, Catches, Fix string
		Enabled                      bool
	}
	if err := json.Unmarshal(out.Bytes(), &rules); err != nil || code != 0 || len(rules) != 18 {
		t.Fatalf("exit %d, %d rules, %v:\n%s", code, len(rules), err, out.String())
	}
	for _, r := range rules {
		if r.Rule == "" || r.Severity == "" || r.Catches == "" || r.Fix == "" || r.Enabled == (r.Rule == "mass-change") {
			t.Errorf("rule %+v", r)
		}
	}
}

// TestLintHelp: the help names the exit statuses and gives examples.
func TestLintHelp(t *testing.T) {
	var out bytes.Buffer
	code := runArgs(t.Context(), []string{"lint", "--help"}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &out})
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Exit status: 0", "2 a usage or", "Examples:", "synclog lint --format sarif", "--fail-on", "--list-rules"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help without %q", want)
		}
	}
}

func TestDisplayPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"state/log/x.ndjson":                    "state/log/x.ndjson",
		"./state//log/x.ndjson":                 "state/log/x.ndjson",
		filepath.Join(wd, "state/x.ndjson"):     "state/x.ndjson",
		"/elsewhere/x.ndjson":                   "/elsewhere/x.ndjson",
		filepath.Join(filepath.Dir(wd), "y.md"): filepath.Join(filepath.Dir(wd), "y.md"),
		"-":                                     "-",
	} {
		if got := displayPath(in); got != want {
			t.Errorf("displayPath(%q) = %q, want %q", in, got, want)
		}
	}
}
