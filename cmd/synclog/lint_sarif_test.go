package main

// lint's SARIF against a real validator: the SARIF Multitool's validate
// verb, from npm's @microsoft/sarif-multitool (a .NET single-file binary in
// the platform package @microsoft/sarif-multitool-linux). scripts/test
// installs it and names the executable in SYNCLOG_SARIF_MULTITOOL; the test
// fails, never skips, without it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/synclog/synclog/pkg/lint"
)

// sarifMultitoolEnv names the validator's executable.
const sarifMultitoolEnv = "SYNCLOG_SARIF_MULTITOOL"

func sarifMultitool(t *testing.T) string {
	t.Helper()
	p := os.Getenv(sarifMultitoolEnv)
	if p == "" {
		t.Fatalf("%s is not set: scripts/test installs @microsoft/sarif-multitool with npm and sets it to the Sarif.Multitool executable", sarifMultitoolEnv)
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file (%v): run scripts/test, which installs it", sarifMultitoolEnv, p, err)
	}
	return p
}

// sarifVerdict is what the validator said about one file.
type sarifVerdict struct {
	errors   []string // at level error
	warnings []string // the rest: the validator's style advice
}

// sarifFilesScanned is the validator's closing count: a file it could not
// open at all is not counted.
var sarifFilesScanned = regexp.MustCompile(`(?m)^Done\. (\d+) files scanned\.`)

// validateSARIF runs `Sarif.Multitool validate` once on every file (it
// starts in seconds, then checks a file in milliseconds) and reads its own
// SARIF log of what it found, by file. The validator exits 0 whatever it
// finds in the files (it fails only when it could not run), so the verdict
// is in that log: a result is an error by its level, or else by its rule's
// default level.
func validateSARIF(t *testing.T, tool string, paths []string) map[string]*sarifVerdict {
	t.Helper()
	out := filepath.Join(t.TempDir(), "validation.sarif")
	cmd := exec.Command(tool, append([]string{"validate", "--output", out}, paths...)...)
	// Without ICU, .NET still runs in its invariant mode; the validator
	// compares no culture-dependent text.
	cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s validate: %v\nstdout:\n%s\nstderr:\n%s", tool, err, stdout.String(), stderr.String())
	}
	if m := sarifFilesScanned.FindStringSubmatch(stdout.String()); m == nil || m[1] != fmt.Sprint(len(paths)) {
		t.Fatalf("%s validate did not scan the %d files:\n%s%s", tool, len(paths), stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the validator wrote no log: %v\n%s", err, stdout.String())
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID                   string `json:"id"`
						MessageStrings       map[string]struct{ Text string }
						DefaultConfiguration struct{ Level string }
					}
				}
			}
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct {
					Level   string
					Message struct{ Text string }
				}
			}
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string
				Message struct {
					ID        string
					Text      string
					Arguments []string
				}
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &log); err != nil || len(log.Runs) == 0 {
		t.Fatalf("the validator's log: %v\n%s", err, b)
	}
	byURI := map[string]*sarifVerdict{}
	verdicts := map[string]*sarifVerdict{}
	for _, p := range paths {
		v := &sarifVerdict{}
		verdicts[p] = v
		byURI[(&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()] = v
	}
	for _, run := range log.Runs {
		for _, inv := range run.Invocations {
			if !inv.ExecutionSuccessful {
				t.Errorf("the validator's run was not successful:\n%s", stdout.String())
			}
			for _, n := range inv.ToolExecutionNotifications {
				if n.Level == "error" {
					t.Errorf("the validator: %s", n.Message.Text)
				}
			}
		}
		for _, r := range run.Results {
			level, text := r.Level, r.Message.Text
			for _, rule := range run.Tool.Driver.Rules {
				if rule.ID != r.RuleID {
					continue
				}
				if level == "" {
					level = rule.DefaultConfiguration.Level
				}
				if text == "" {
					text = rule.MessageStrings[r.Message.ID].Text
				}
			}
			for i, a := range r.Message.Arguments {
				text = strings.ReplaceAll(text, fmt.Sprintf("{%d}", i), a)
			}
			msg := r.RuleID + ": " + text
			var v *sarifVerdict
			if len(r.Locations) > 0 {
				v = byURI[r.Locations[0].PhysicalLocation.ArtifactLocation.URI]
			}
			switch {
			case v == nil:
				t.Errorf("the validator's result names none of the files: %s %+v", msg, r.Locations)
			case level == "error":
				v.errors = append(v.errors, msg)
			default:
				v.warnings = append(v.warnings, msg)
			}
		}
	}
	return verdicts
}

// lintSARIF runs synclog lint --format sarif with args and returns stdout,
// checking the exit status.
func lintSARIF(t *testing.T, wantCode int, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"lint", "--format", "sarif", "--min-severity", "info"}, args...)
	code := runArgs(t.Context(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != wantCode {
		t.Fatalf("synclog %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, errb.String())
	}
	return out.Bytes()
}

// sarifRuleIDs lists the ruleId of every result of a SARIF log.
func sarifRuleIDs(t *testing.T, b []byte) []string {
	t.Helper()
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Runs) != 1 {
		t.Fatalf("%d runs, %v:\n%s", len(doc.Runs), err, b)
	}
	var ids []string
	for _, r := range doc.Runs[0].Results {
		ids = append(ids, r.RuleID)
	}
	return ids
}

// lintEveryRuleLog has one finding of every row rule at a known line, as in
// testdata/script/lint_golden.txtar.
const lintEveryRuleLog = `{"ts":"2026-04-16T10:00:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"","manifest_after":"m1","trigger":"cli","machine":"a"}
not json at all
{"ts":"2026-04-16T10:01:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"manifest_before":"m1","manifest_after":"m2","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:02:00Z","op":"push","repo":"r","scope":"s","files":-1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m2","trigger":"cli","machine":"a"}
{"ts":"yesterday","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m2","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T12:03:00+02:00","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:04:00Z","op":"sync","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m2","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:05:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m2","trigger":"cli","machine":"a","status":"failed"}
{"ts":"2026-04-16T10:06:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a","status":"error"}
{"ts":"2026-04-16T10:07:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m2","trigger":"cli","machi{"ts":"2026-04-16T10:08:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T09:00:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-17T09:00:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:10:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:10:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:11:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m9","manifest_after":"m10","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:12:00Z","op":"push","repo":"r","scope":"s","files":600,"bytes":10,"dur_ms":5,"manifest_before":"m10","manifest_after":"m11","trigger":"cli","machine":"a","files_total":1000}
{"ts":"2026-04-16T10:13:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"manual-test","machine":"a"}
{"ts":"2026-04-16T10:14:00Z","op":"pull","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":5,"manifest_before":"m1","manifest_after":"m1","trigger":"cli","machine":"a"}
{"ts":"2026-04-16T10:15:00Z","op":"pu`

// TestLintSARIFValidates has the SARIF Multitool validate what lint writes:
// one finding of every rule (a state with every problem, whose files lint
// names relative to the working directory, and one without a dashboard,
// named by absolute file URIs under a directory whose name needs escaping),
// and an empty run. Each must pass with no error. Files broken on purpose
// must fail, so a pass means something.
func TestLintSARIFValidates(t *testing.T) {
	tool := sarifMultitool(t)
	out := t.TempDir()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, k := range []string{"SYNC_ALLOW", "SYNC_DENY", "SYNCLOG_CONFIG"} {
		t.Setenv(k, "")
	}
	const now = "2026-04-16T10:30:00Z"
	clean := lintRow("2026-04-16T10:00:00Z", "pull", "cli")
	fresh := "---\ngenerated_at: 2026-04-16T10:25:00Z\n---\n"
	files := map[string][]byte{}

	// The empty run: a clean log, a fresh dashboard, no policy.
	empty := t.TempDir()
	lintWrite(t, filepath.Join(empty, DefaultLog), clean)
	lintWrite(t, filepath.Join(empty, DefaultSummaryOut), fresh)
	files["empty"] = lintSARIF(t, 0, "--root", empty, "--now", now)

	// No dashboard: missing-summary, on a whole file, by a file URI.
	odd := filepath.Join(t.TempDir(), "a dir, 100% odd#1")
	lintWrite(t, filepath.Join(odd, DefaultLog), clean)
	files["missing-summary"] = lintSARIF(t, 0, "--root", odd, "--now", now)

	// Every other rule, with paths relative to the working directory.
	every := t.TempDir()
	lintWrite(t, filepath.Join(every, DefaultLog), lintEveryRuleLog)
	lintWrite(t, filepath.Join(every, DefaultSummaryOut), "---\ngenerated_at: 2026-04-16T09:00:00Z\n---\n")
	lintWrite(t, filepath.Join(every, DefaultCostOut),
		`{"kind":"sync_cost","period":"2026-04-15","tenant_id":"t-a","runs":1,"bytes_pushed":1,"bytes_pulled":0,"cost_usd_cents":1,"cost_exact_cents":"0.5","generated_at":"2026-04-16T00:05:00Z"}
{"kind":"sync_cost","period":"2026-04-15","tenant_id":"t-a","runs":2,"bytes_pushed":1,"bytes_pulled":0,"cost_usd_cents":1,"cost_exact_cents":"0.5","generated_at":"2026-04-16T00:05:00Z"}
{"kind":"sync_cost","period":`)
	t.Setenv("SYNC_ALLOW", "state/log/sync-summary.md")
	t.Setenv("SYNC_DENY", "state/log/sync-summary.md:state/cache/**")
	t.Chdir(every)
	files["every-rule"] = lintSARIF(t, 1, "--root", every, "--now", now)

	if ids := sarifRuleIDs(t, files["empty"]); len(ids) != 0 {
		t.Errorf("the empty run has results: %v", ids)
	}
	if ids := sarifRuleIDs(t, files["missing-summary"]); !slices.Equal(ids, []string{lint.RuleMissingSummary}) {
		t.Errorf("without a dashboard: results %v, want [%s]", ids, lint.RuleMissingSummary)
	}
	seen := map[string]bool{}
	for _, name := range []string{"missing-summary", "every-rule"} {
		for _, id := range sarifRuleIDs(t, files[name]) {
			seen[id] = true
		}
	}
	for _, r := range lint.Rules {
		if !seen[r.ID] {
			t.Errorf("no finding of %s in the SARIF the validator checks", r.ID)
		}
	}
	if !bytes.Contains(files["every-rule"], []byte(`"uri": "state/log/sync-events.ndjson"`)) ||
		!bytes.Contains(files["missing-summary"], []byte(`"uri": "file:///`)) || !bytes.Contains(files["missing-summary"], []byte(`a%20dir,%20100%25%20odd%231`)) {
		t.Errorf("the URIs are not the relative, absolute and escaped ones the test means to check")
	}

	// The validator is no yes-man: each of these must fail, for its reason.
	broken := []struct {
		name  string
		edit  func(doc map[string]any)
		error string // a part of one of the validator's errors
	}{
		{"version 2.0.0", func(doc map[string]any) { doc["version"] = "2.0.0" }, `version: "2.0.0" does not match any of the enum values`},
		{"a result without a message", func(doc map[string]any) {
			delete(sarifResult0(doc), "message")
		}, "runs[0].results[0]: The required property 'message' is missing"},
		{"line 0", func(doc map[string]any) {
			loc := sarifResult0(doc)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["region"] = map[string]any{"startLine": 0}
		}, "region.startLine: 0 is less than the minimum permitted value of 1"},
		// Beyond the schema: a rule index past the rules.
		{"a rule index past the rules", func(doc map[string]any) {
			sarifResult0(doc)["ruleIndex"] = 99
		}, "a property 'ruleIndex' with value 99, but 'runs[0].tool.driver.rules' has fewer than 100 elements"},
		// (Version 5.7.0 does not check enums inside a result: a level of
		// "fatal" passes. The version's enum it checks.)
	}

	good := []string{"empty", "missing-summary", "every-rule"}
	var paths []string
	for _, name := range good {
		path := filepath.Join(out, name+".sarif")
		must(t, os.WriteFile(path, files[name], 0o644))
		paths = append(paths, path)
	}
	for i, b := range broken {
		var doc map[string]any
		must(t, json.Unmarshal(files["every-rule"], &doc))
		b.edit(doc)
		data, err := json.MarshalIndent(doc, "", "  ")
		must(t, err)
		path := filepath.Join(out, fmt.Sprintf("broken-%d.sarif", i))
		must(t, os.WriteFile(path, data, 0o644))
		paths = append(paths, path)
	}
	verdicts := validateSARIF(t, tool, paths)

	for i, name := range good {
		t.Run(name, func(t *testing.T) {
			v := verdicts[paths[i]]
			for _, e := range v.errors {
				t.Errorf("validator: %s", e)
			}
			// Advice, not errors: SARIF2017 asks even a whole-file finding
			// for a region, which the spec leaves out for one (§3.28.3).
			for _, w := range v.warnings {
				t.Logf("validator (warning): %s", w)
			}
		})
	}
	for i, b := range broken {
		t.Run("broken/"+b.name, func(t *testing.T) {
			v := verdicts[paths[len(good)+i]]
			if len(v.errors) == 0 {
				t.Fatalf("the validator passed a broken file (%s)", b.name)
			}
			if !slices.ContainsFunc(v.errors, func(e string) bool { return strings.Contains(e, b.error) }) {
				t.Errorf("no error holds %q; errors:\n%s", b.error, strings.Join(v.errors, "\n"))
			}
		})
	}
}

func sarifResult0(doc map[string]any) map[string]any {
	return doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}
