package lint

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sampleFindings has one finding of every rule, a whole-file one, an
// absolute path and characters the formats must escape.
func sampleFindings() []Finding {
	var fs []Finding
	for i, r := range Rules {
		fs = append(fs, Finding{Path: "state/log/sync-events.ndjson", Line: int64(i + 1), Severity: r.Severity, Rule: r.ID,
			Message: "what " + r.ID + " found"})
	}
	fs = append(fs,
		Finding{Path: "state/log/sync-summary.md", Line: 0, Severity: Info, Rule: RuleMissingSummary, Message: "no dashboard"},
		Finding{Path: "/abs/dir with space/log,1:2%.ndjson", Line: 7, Severity: Warning, Rule: RuleSyncPolicy,
			Message: "100% sure: a, b\nand a second line\r"})
	return fs
}

func TestWriteText(t *testing.T) {
	fs := []Finding{
		{Path: "a.ndjson", Line: 3, Severity: Error, Rule: RuleMissingField, Message: `missing key "dur_ms"`},
		{Path: "a.ndjson", Line: 0, Severity: Warning, Rule: RuleSyncPolicy, Message: "two\nlines"},
	}
	var b bytes.Buffer
	if err := WriteText(&b, fs); err != nil {
		t.Fatal(err)
	}
	want := "a.ndjson:3: error: missing key \"dur_ms\" [missing-field]\n" +
		"a.ndjson: warning: two lines [sync-policy]\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteText(&b, nil); err != nil || b.Len() != 0 {
		t.Errorf("no findings: %q %v", b.String(), err)
	}
	b.Reset()
	fs = append(fs, Finding{Path: "s.md", Line: 1, Severity: Info, Rule: RuleStaleSummary, Message: "old"})
	if err := WriteTextColor(&b, fs, true); err != nil {
		t.Fatal(err)
	}
	want = "\x1b[1ma.ndjson:3\x1b[0m: \x1b[1;31merror\x1b[0m: missing key \"dur_ms\" \x1b[2m[missing-field]\x1b[0m\n" +
		"\x1b[1ma.ndjson\x1b[0m: \x1b[33mwarning\x1b[0m: two lines \x1b[2m[sync-policy]\x1b[0m\n" +
		"\x1b[1ms.md:1\x1b[0m: \x1b[36minfo\x1b[0m: old \x1b[2m[stale-summary]\x1b[0m\n"
	if b.String() != want {
		t.Errorf("colored: got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, nil); err != nil || b.String() != "[]\n" {
		t.Errorf("no findings: %q %v", b.String(), err)
	}
	b.Reset()
	fs := sampleFindings()
	if err := WriteJSON(&b, fs); err != nil {
		t.Fatal(err)
	}
	// Keys in the documented order, severities by name, no HTML escaping.
	if !strings.Contains(b.String(), `{
    "path": "state/log/sync-events.ndjson",
    "line": 1,
    "severity": "error",
    "rule": "invalid-json",
    "message": "what invalid-json found"
  }`) {
		t.Errorf("unexpected shape:\n%s", b.String())
	}
	var back []Finding
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(fs) {
		t.Fatalf("%d findings back, want %d", len(back), len(fs))
	}
	for i := range fs {
		if back[i] != fs[i] {
			t.Errorf("round trip: %+v, want %+v", back[i], fs[i])
		}
	}
}

// githubCommand is the workflow command syntax GitHub Actions reads from a
// step's output: ::command key=value,key=value::data, where values escape
// %, CR, LF, ':' and ',' and data escapes %, CR and LF.
var githubCommand = regexp.MustCompile(`^::(error|warning|notice) file=([^,:\r\n]+)(?:,line=([1-9][0-9]*))?,title=([^,:\r\n]+)::([^\r\n]*)$`)

func unescapeGitHub(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

func TestWriteGitHub(t *testing.T) {
	fs := sampleFindings()
	var b bytes.Buffer
	if err := WriteGitHub(&b, fs); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(b.String(), "\n")
	got := strings.Split(out, "\n")
	if len(got) != len(fs) {
		t.Fatalf("%d lines for %d findings:\n%s", len(got), len(fs), b.String())
	}
	levels := map[Severity]string{Error: "error", Warning: "warning", Info: "notice"}
	for i, line := range got {
		m := githubCommand.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a workflow command: %q", line)
			continue
		}
		f := fs[i]
		if m[1] != levels[f.Severity] {
			t.Errorf("%q: command %s, want %s", line, m[1], levels[f.Severity])
		}
		if unescapeGitHub(m[2]) != f.Path {
			t.Errorf("%q: file %q, want %q", line, unescapeGitHub(m[2]), f.Path)
		}
		if (m[3] == "") != (f.Line == 0) || (f.Line > 0 && m[3] != strconv.FormatInt(f.Line, 10)) {
			t.Errorf("%q: line %q, want %d", line, m[3], f.Line)
		}
		if unescapeGitHub(m[4]) != "synclog "+f.Rule {
			t.Errorf("%q: title %q", line, m[4])
		}
		if unescapeGitHub(m[5]) != f.Message {
			t.Errorf("%q: message %q, want %q", line, unescapeGitHub(m[5]), f.Message)
		}
	}
	if !strings.Contains(out, "::warning file=/abs/dir with space/log%2C1%3A2%25.ndjson,line=7,title=synclog sync-policy::100%25 sure: a, b%0Aand a second line%0D") {
		t.Errorf("escaping:\n%s", out)
	}
}

// sarifOf writes findings as SARIF and decodes the result.
func sarifOf(t *testing.T, fs []Finding, opts Options) ([]byte, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSARIF(&b, Tool{Name: "synclog", Version: "1.2.3", InformationURI: "https://github.com/synclog/synclog"}, Levels(opts), fs); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	return b.Bytes(), doc
}

func run0(d map[string]any) map[string]any { return d["runs"].([]any)[0].(map[string]any) }

// TestSARIFStructure checks explicitly what code scanning reads: version,
// $schema, the driver with every rule and its level, and per result the
// rule, level, message and location.
func TestSARIFStructure(t *testing.T) {
	opts := DefaultOptions(testNow)
	opts.Severity = map[string]Severity{RuleUnknownTrigger: Error}
	opts.Disabled = map[string]bool{RuleTSNotUTC: true}
	fs := sampleFindings()
	_, doc := sarifOf(t, fs, opts)
	if doc["version"] != "2.1.0" || doc["$schema"] != SARIFSchema {
		t.Errorf("version %v, $schema %v", doc["version"], doc["$schema"])
	}
	runs := doc["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	driver := run0(doc)["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "synclog" || driver["version"] != "1.2.3" {
		t.Errorf("driver %v", driver)
	}
	rules := driver["rules"].([]any)
	if len(rules) != len(Rules) {
		t.Fatalf("%d rules, want %d", len(rules), len(Rules))
	}
	for i, r := range rules {
		m := r.(map[string]any)
		cfg := m["defaultConfiguration"].(map[string]any)
		want := SARIFLevel(Rules[i].Severity)
		switch Rules[i].ID {
		case RuleUnknownTrigger:
			want = "error"
		}
		if m["id"] != Rules[i].ID || cfg["level"] != want {
			t.Errorf("rule %d: %v, want id %s level %s", i, m, Rules[i].ID, want)
		}
		if enabled := cfg["enabled"].(bool); enabled != (Rules[i].ID != RuleTSNotUTC) {
			t.Errorf("rule %s: enabled %v", Rules[i].ID, enabled)
		}
		if m["shortDescription"].(map[string]any)["text"] == "" || m["name"] == "" {
			t.Errorf("rule %s without a name or description", Rules[i].ID)
		}
	}
	results := run0(doc)["results"].([]any)
	if len(results) != len(fs) {
		t.Fatalf("%d results for %d findings", len(results), len(fs))
	}
	for i, r := range results {
		m := r.(map[string]any)
		f := fs[i]
		if m["ruleId"] != f.Rule || rules[int(m["ruleIndex"].(float64))].(map[string]any)["id"] != f.Rule {
			t.Errorf("result %d: rule %v index %v, want %s", i, m["ruleId"], m["ruleIndex"], f.Rule)
		}
		if lv := m["level"]; lv != SARIFLevel(f.Severity) || (lv != "error" && lv != "warning" && lv != "note") {
			t.Errorf("result %d: level %v", i, lv)
		}
		if text := m["message"].(map[string]any)["text"].(string); !strings.HasPrefix(text, strings.Fields(f.Message)[0]) || !strings.HasSuffix(text, ".") {
			t.Errorf("result %d: message %q", i, text)
		}
		pl := m["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		uri := pl["artifactLocation"].(map[string]any)["uri"].(string)
		reg, hasRegion := pl["region"].(map[string]any)
		switch {
		case f.Line == 0 && hasRegion:
			t.Errorf("result %d: a whole-file finding with a region", i)
		case f.Line > 0 && (!hasRegion || reg["startLine"] != float64(f.Line)):
			t.Errorf("result %d: region %v, want startLine %d", i, reg, f.Line)
		}
		want := f.Path
		if strings.HasPrefix(f.Path, "/") {
			want = "file:///abs/dir%20with%20space/log,1:2%25.ndjson"
		}
		if uri != want {
			t.Errorf("result %d: uri %q, want %q", i, uri, want)
		}
	}
}
