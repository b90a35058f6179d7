package lint

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestRowRules runs each row rule on a minimal log that breaks it and on
// one that does not, and checks every finding of the run: the rule fires
// at the line it should, and nothing else fires.
func TestRowRules(t *testing.T) {
	pull := func(ts string, mods ...string) string {
		return row(append([]string{"op=pull", "ts=" + ts}, mods...)...)
	}
	push := func(ts, before, after string, mods ...string) string {
		return row(append([]string{"ts=" + ts, "manifest_before=" + before, "manifest_after=" + after}, mods...)...)
	}
	cases := []struct {
		name string
		log  string
		opts func(*Options)
		want string // line:rule of every finding, in order
		msg  string // a part of the first finding's message
	}{
		// invalid-json
		{"invalid-json: not JSON", lines(row(), "not json", `[1,2]`, `"a string"`, "{\"ts\":\"\xff\"}"), nil,
			"2:invalid-json 3:invalid-json 4:invalid-json 5:invalid-json", "invalid JSON"},
		{"invalid-json: clean", lines(row()), nil, "", ""},

		// missing-field
		{"missing-field: no dur_ms", lines(row("-dur_ms")), nil, "1:missing-field", `missing key "dur_ms"`},
		{"missing-field: no manifest_before", lines(row("-manifest_before")), nil, "1:missing-field", `"manifest_before"`},
		{"missing-field: optional keys absent", lines(row("-status", "-error")), nil, "", ""},

		// bad-type
		{"bad-type: negative", lines(row("files=-1")), nil, "1:bad-type", `got number -1`},
		{"bad-type: string count", lines(row(`files="1"`)), nil, "1:bad-type", `want an integer`},
		{"bad-type: fraction", lines(row("bytes=1.5")), nil, "1:bad-type", `"bytes"`},
		{"bad-type: files > files_total", lines(row("files=5", "files_total=4")), nil, "1:bad-type", "more than files_total"},
		{"bad-type: files = files_total", lines(row("files=4", "files_total=4", "op=pull")), nil, "", ""},

		// bad-ts and ts-not-utc
		{"bad-ts: words", lines(row("ts=yesterday")), nil, "1:bad-ts", `"yesterday"`},
		{"bad-ts: no zone", lines(row("ts=2026-04-16T10:00:00")), nil, "1:bad-ts", "with a zone"},
		{"ts-not-utc: offset", lines(row("ts=2026-04-16T12:00:00+02:00")), nil, "1:ts-not-utc", "not in UTC"},
		{"ts-not-utc: hidden below warning", lines(row("ts=2026-04-16T12:00:00+02:00")),
			func(o *Options) { o.MinSeverity = Warning }, "", ""},
		{"ts-not-utc: Z", lines(row("ts=2026-04-16T10:00:00.123Z")), nil, "", ""},

		// bad-op, bad-status, error-without-message
		{"bad-op", lines(row("op=sync")), nil, "1:bad-op", `got "sync"`},
		{"bad-op: pull", lines(row("op=pull")), nil, "", ""},
		{"bad-status", lines(row("status=failed")), nil, "1:bad-status", `got "failed"`},
		{"bad-status: ok and error", lines(row("status=ok"), pull("2026-04-16T10:01:00Z", "status=error", "error=boom")), nil, "", ""},
		{"error-without-message", lines(
			pull("2026-04-16T10:00:00Z", "status=error"),
			pull("2026-04-16T10:01:00Z", "status=error", "error="),
			pull("2026-04-16T10:02:00Z", "status=error", "error=  ")), nil,
			"1:error-without-message 2:error-without-message 3:error-without-message", "no error message"},
		{"error-without-message: with one", lines(pull("2026-04-16T10:00:00Z", "status=error", "error=ob sync: timeout")), nil, "", ""},
		{"error-without-message: error on success is fine", lines(pull("2026-04-16T10:00:00Z", "error=retried")), nil, "", ""},

		// torn-line
		{"torn-line: no final newline", lines(pull("2026-04-16T10:00:00Z")) + pull("2026-04-16T10:01:00Z")[:40], nil,
			"2:torn-line", "does not end with a newline"},
		{"torn-line: cut short", lines(pull("2026-04-16T10:00:00Z")[:40], pull("2026-04-16T10:01:00Z")), nil,
			"1:torn-line", "cut short"},
		{"torn-line: head lost", lines(pull("2026-04-16T10:00:00Z")[30:], pull("2026-04-16T10:01:00Z")), nil,
			"1:torn-line", "middle of a row"},
		{"torn-line: interleaved", lines(pull("2026-04-16T10:00:00Z")[:50] + pull("2026-04-16T10:01:00Z")), nil,
			"1:torn-line", "then a row from byte 51"},
		{"torn-line: two rows on a line", lines(`{"a":1}{"b":2}`), nil,
			"1:torn-line", "two rows on one line"},
		{"torn-line: disabled, still invalid-json", lines(pull("2026-04-16T10:00:00Z")[:40]),
			func(o *Options) { o.Disabled = map[string]bool{RuleTornLine: true} }, "1:invalid-json", ""},
		{"torn-line: CRLF and BOM are whole lines", "\xef\xbb\xbf" + pull("2026-04-16T10:00:00Z") + "\r\n" + pull("2026-04-16T10:01:00Z") + "\r\n", nil, "", ""},
		{"torn-line: blank lines", lines(pull("2026-04-16T10:00:00Z"), "", "   ", pull("2026-04-16T10:01:00Z")), nil, "", ""},

		// out-of-order
		{"out-of-order: 6m back", lines(pull("2026-04-16T10:00:00Z"), pull("2026-04-16T09:54:00Z")), nil,
			"2:out-of-order", "6m earlier than 2026-04-16T10:00:00Z of line 1"},
		{"out-of-order: 5m back is skew", lines(pull("2026-04-16T10:00:00Z"), pull("2026-04-16T09:55:00Z")), nil, "", ""},
		{"out-of-order: skew 0", lines(pull("2026-04-16T10:00:00Z"), pull("2026-04-16T09:59:59Z")),
			func(o *Options) { o.Skew = 0 }, "2:out-of-order", "1s earlier"},
		{"out-of-order: a future row is not the previous", lines(
			pull("2026-04-16T10:00:00Z"), pull("2026-04-17T10:00:00Z"), pull("2026-04-16T10:01:00Z")), nil,
			"2:future-ts", ""},
		{"out-of-order: against the row before the future one", lines(
			pull("2026-04-16T10:00:00Z"), pull("2026-04-17T10:00:00Z"), pull("2026-04-16T09:50:00Z")), nil,
			"2:future-ts 3:out-of-order", ""},
		{"out-of-order: the previous row, not the latest", lines(
			pull("2026-04-16T10:00:00Z"), pull("2026-04-16T08:00:00Z"), pull("2026-04-16T08:01:00Z")), nil,
			"2:out-of-order", "2h earlier"},
		{"out-of-order: invalid lines are not rows", lines(
			pull("2026-04-16T10:00:00Z"), `{"ts":"2026-04-16T07:00:00Z"}`, pull("2026-04-16T10:01:00Z")), nil,
			"2:missing-field", ""},

		// future-ts
		{"future-ts: beyond skew", lines(pull("2026-04-16T12:05:01Z")), nil, "1:future-ts", "5m1s after now"},
		{"future-ts: within skew", lines(pull("2026-04-16T12:05:00Z")), nil, "", ""},

		// duplicate-row
		{"duplicate-row: not next to it", lines(pull("2026-04-16T10:00:00Z"), pull("2026-04-16T10:01:00Z"), pull("2026-04-16T10:00:00Z")), nil,
			"3:duplicate-row", "row identical to line 1"},
		{"duplicate-row: identical", lines(pull("2026-04-16T10:00:00Z"), pull("2026-04-16T10:00:00Z")), nil,
			"2:duplicate-row", "row identical to line 1"},
		{"duplicate-row: the copy is reported once", lines(
			pull("2026-04-16T10:00:00Z", "trigger=manual-test"), pull("2026-04-16T10:00:00Z", "trigger=manual-test")), nil,
			"1:unknown-trigger 2:duplicate-row", ""},
		{"duplicate-row: same content, another ts", lines(pull("2026-04-16T10:00:00Z"), pull("2026-04-16T10:00:01Z")), nil, "", ""},
		{"duplicate-row: a copied push does not break the chain", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"), push("2026-04-16T10:00:00Z", "m0", "m1"), push("2026-04-16T10:01:00Z", "m1", "m2")), nil,
			"2:duplicate-row", ""},

		// manifest-chain
		{"manifest-chain: a push went unrecorded", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"), push("2026-04-16T10:01:00Z", "m5", "m6")), nil,
			"2:manifest-chain", `starts from manifest "m5", but the previous successful push (line 1) ended at "m1"`},
		{"manifest-chain: whole", lines(
			push("2026-04-16T10:00:00Z", "", "m1"), push("2026-04-16T10:01:00Z", "m1", "m2"), push("2026-04-16T10:02:00Z", "m2", "m3")), nil, "", ""},
		{"manifest-chain: interleaved repos and scopes", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"),
			push("2026-04-16T10:01:00Z", "x0", "x1", "scope=t"),
			push("2026-04-16T10:02:00Z", "y0", "y1", "repo=q"),
			push("2026-04-16T10:03:00Z", "m1", "m2"),
			push("2026-04-16T10:04:00Z", "x1", "x2", "scope=t"),
			push("2026-04-16T10:05:00Z", "y1", "y2", "repo=q")), nil, "", ""},
		{"manifest-chain: per repo and scope", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"),
			push("2026-04-16T10:01:00Z", "m1", "m2", "scope=t"),
			push("2026-04-16T10:02:00Z", "m2", "m3", "repo=q"),
			push("2026-04-16T10:03:00Z", "m3", "m4")), nil,
			"4:manifest-chain", `ended at "m1"`},
		{"manifest-chain: failed pushes and pulls are not links", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"),
			push("2026-04-16T10:01:00Z", "m1", "m9", "status=error", "error=boom"),
			push("2026-04-16T10:02:00Z", "m7", "m7", "op=pull"),
			push("2026-04-16T10:03:00Z", "m1", "m2")), nil, "", ""},
		{"manifest-chain: goes on from the break", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"), push("2026-04-16T10:01:00Z", "m3", "m4"), push("2026-04-16T10:02:00Z", "m4", "m5")), nil,
			"2:manifest-chain", ""},
		{"manifest-chain: long hashes are shortened", lines(
			push("2026-04-16T10:00:00Z", "m0", "sha256:0123456789abcdef0123"), push("2026-04-16T10:01:00Z", "sha256:fedcba9876543210fedc", "m2")), nil,
			"2:manifest-chain", `"sha256:fedcba987654…", but the previous successful push (line 1) ended at "sha256:0123456789ab…"`},
		{"manifest-chain: rows with escapes are parsed", lines(
			push("2026-04-16T10:00:00Z", "m0", `"m\u0031"`), push("2026-04-16T10:01:00Z", "m1", "m2", `error="a \"quoted\" word"`)), nil, "", ""},
		{"manifest-chain: a nested key is not the row's", lines(
			push("2026-04-16T10:00:00Z", "m0", "m1"), push("2026-04-16T10:01:00Z", "m1", "m2", `extra={"manifest_before":"zz"}`)), nil, "", ""},

		// mass-change
		{"mass-change: exactly half", lines(row("files=500", "files_total=1000")), nil, "", ""},
		{"mass-change: above half", lines(row("files=501", "files_total=1000")), nil,
			"1:mass-change", "touches 501 of 1000 files (50.1%), more than lint.mass_change 50%"},
		{"mass-change: a pull is not a change", lines(row("op=pull", "files=900", "files_total=1000")), nil, "", ""},
		{"mass-change: without files_total", lines(row("files=900")), nil, "", ""},
		{"mass-change: threshold", lines(row("files=501", "files_total=1000")), func(o *Options) { o.MassChange = 0.9 }, "", ""},

		// unknown-trigger
		{"unknown-trigger", lines(row("trigger=manual-test")), nil, "1:unknown-trigger", `trigger "manual-test"`},
		{"unknown-trigger: every default", lines(
			pull("2026-04-16T10:00:00Z", "trigger=stop-hook"), pull("2026-04-16T10:00:01Z", "trigger=cron"),
			pull("2026-04-16T10:00:02Z", "trigger=cli"), pull("2026-04-16T10:00:03Z", "trigger=mcp"),
			pull("2026-04-16T10:00:04Z", "trigger=write"), pull("2026-04-16T10:00:05Z", "trigger=edit"),
			pull("2026-04-16T10:00:06Z", "trigger=background"), pull("2026-04-16T10:00:07Z", "trigger=manual")), nil, "", ""},
		{"unknown-trigger: configured list", lines(row("trigger=cli"), pull("2026-04-16T10:01:00Z", "trigger=replay")),
			func(o *Options) { o.Triggers = []string{"replay"} }, "1:unknown-trigger", ""},

		// --since
		{"since: old rows are not checked", lines(
			pull("2026-04-16T10:00:00Z", "trigger=nope"), pull("2026-04-16T10:00:00Z", "trigger=nope"),
			pull("2026-04-16T11:00:00Z"), pull("2026-04-16T10:59:00Z", "-dur_ms"), "junk"),
			func(o *Options) { o.Since = time.Date(2026, 4, 16, 10, 30, 0, 0, time.UTC) }, "4:missing-field 5:invalid-json", ""},
		{"since: an old row is not the previous", lines(
			pull("2026-04-16T11:00:00Z"), pull("2026-04-16T09:00:00Z"), pull("2026-04-16T10:52:00Z")),
			func(o *Options) { o.Since = time.Date(2026, 4, 16, 10, 0, 0, 0, time.UTC) }, "3:out-of-order", "earlier than 2026-04-16T11:00:00Z of line 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions(testNow)
			if tc.opts != nil {
				tc.opts(&opts)
			}
			res := lintLog(t, tc.log, opts)
			if got := brief(res.Findings); got != tc.want {
				t.Fatalf("findings %q, want %q\n%s", got, tc.want, dump(res.Findings))
			}
			if tc.msg != "" && !strings.Contains(res.Findings[0].Message, tc.msg) {
				t.Errorf("message %q does not hold %q", res.Findings[0].Message, tc.msg)
			}
			for _, f := range res.Findings {
				if f.Path != "log" {
					t.Errorf("path %q, want log", f.Path)
				}
				r, _ := LookupRule(f.Rule)
				if f.Severity != r.Severity {
					t.Errorf("%s: severity %s, want the default %s", f.Rule, f.Severity, r.Severity)
				}
			}
		})
	}
}

func dump(fs []Finding) string {
	var b strings.Builder
	_ = WriteText(&b, fs)
	return b.String()
}

// TestDuplicateAcrossFiles: duplicate-row looks across the logs and names
// the other file; order and the manifest chain start afresh in each.
func TestDuplicateAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.ndjson", lines(
		row("ts=2026-04-16T10:00:00Z", "manifest_before=m0", "manifest_after=m1"),
		row("ts=2026-04-16T11:00:00Z", "op=pull")))
	b := writeFile(t, dir, "b.ndjson", lines(
		row("ts=2026-04-16T09:00:00Z", "manifest_before=x0", "manifest_after=x1"),
		row("ts=2026-04-16T11:00:00Z", "op=pull")))
	res, err := Run(context.Background(), Input{Logs: []Source{{Path: a, Name: "a"}, {Path: b, Name: "b"}}}, DefaultOptions(testNow))
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(res.Findings); got != "b:2: warning: row identical to a:2 [duplicate-row]\n" {
		t.Errorf("got\n%s", got)
	}
}

// TestRunOptions: severity overrides, disabled rules, the minimum severity
// and the bound per rule.
func TestRunOptions(t *testing.T) {
	log := lines(
		row("ts=2026-04-16T10:00:00Z", "op=pull", "trigger=t1"),
		row("ts=2026-04-16T10:01:00Z", "op=pull", "trigger=t2"),
		row("ts=2026-04-16T10:02:00Z", "op=pull", "trigger=t3"),
		row("ts=2026-04-16T10:03:00Z", "op=pull", "trigger=t4"),
		row("ts=2026-04-16T10:04:00Z", "op=sync"),
		row("ts=2026-04-16T12:00:00+02:00", "op=pull"))

	opts := DefaultOptions(testNow)
	res := lintLog(t, log, opts)
	if got := brief(res.Findings); got != "1:unknown-trigger 2:unknown-trigger 3:unknown-trigger 4:unknown-trigger 5:bad-op 6:ts-not-utc" {
		t.Fatalf("defaults: %s", got)
	}
	if res.Counts != [3]int{1, 4, 1} || res.AtLeast(Warning) != 5 || res.Total() != 6 {
		t.Errorf("counts %v", res.Counts)
	}

	opts.Severity = map[string]Severity{RuleUnknownTrigger: Error, RuleBadOp: Info}
	res = lintLog(t, log, opts)
	for _, f := range res.Findings {
		want := map[string]Severity{RuleUnknownTrigger: Error, RuleBadOp: Info, RuleTSNotUTC: Info}[f.Rule]
		if f.Severity != want {
			t.Errorf("override: %s is %s, want %s", f.Rule, f.Severity, want)
		}
	}

	opts.MinSeverity = Warning
	res = lintLog(t, log, opts)
	if got := brief(res.Findings); got != "1:unknown-trigger 2:unknown-trigger 3:unknown-trigger 4:unknown-trigger" || res.Total() != 4 {
		t.Errorf("min severity warning: %s (%d counted)", got, res.Total())
	}

	opts = DefaultOptions(testNow)
	opts.Disabled = map[string]bool{RuleUnknownTrigger: true, RuleTSNotUTC: true}
	if got := brief(lintLog(t, log, opts).Findings); got != "5:bad-op" {
		t.Errorf("disabled: %s", got)
	}

	opts = DefaultOptions(testNow)
	opts.MaxPerRule = 2
	res = lintLog(t, log, opts)
	if got := brief(res.Findings); got != "1:unknown-trigger 2:unknown-trigger 5:bad-op 6:ts-not-utc" {
		t.Errorf("max per rule: %s", got)
	}
	if res.Omitted != 2 || res.Counts[Warning] != 4 {
		t.Errorf("max per rule: omitted %d, warnings %d; want 2 and 4", res.Omitted, res.Counts[Warning])
	}
	if got, want := CountLine(res, 2), "6 findings: 1 error, 4 warnings, 1 info (2 not shown: more than 2 of one rule)"; got != want {
		t.Errorf("count line %q, want %q", got, want)
	}
}

// TestRunErrors: a log that cannot be read is an error, not a finding.
func TestRunErrors(t *testing.T) {
	_, err := Run(context.Background(), Input{Logs: []Source{{Path: "/nonexistent/log.ndjson"}}}, DefaultOptions(testNow))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/log.ndjson") {
		t.Errorf("missing log: %v", err)
	}
	dir := t.TempDir()
	_, err = Run(context.Background(), Input{Aggregates: []Source{{Path: dir}}}, DefaultOptions(testNow))
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("aggregate a directory: %v", err)
	}
}

// TestSummaryRules: stale-summary and missing-summary.
func TestSummaryRules(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, file string // file "" means no file
		want, msg  string
	}{
		{"fresh", "---\ngenerated_at: 2026-04-16T11:50:00Z\nnow: 2026-04-16T11:50:00Z\ntz: UTC\n---\n\n# Sync summary\n", "", ""},
		{"at the tick", "---\ngenerated_at: 2026-04-16T11:45:00Z\n---\n", "", ""},
		{"stale", "---\ngenerated_at: 2026-04-16T11:44:59Z\nnow: x\n---\n", "2:stale-summary", "is 15m1s old, older than lint.tick 15m"},
		{"stale, offset and quotes", "---\nnow: x\ngenerated_at: \"2026-04-16T08:00:00-02:00\" # UTC-2\n---\n", "3:stale-summary", "2h old"},
		{"no front matter", "# Sync summary\n", "1:stale-summary", "does not begin with a front matter"},
		{"not closed", "---\ngenerated_at: 2026-04-16T11:50:00Z\n", "1:stale-summary", "not closed"},
		{"no generated_at", "---\nnow: 2026-04-16T11:50:00Z\n---\n", "1:stale-summary", "no generated_at"},
		{"bad generated_at", "---\ngenerated_at: soon\n---\n", "2:stale-summary", `"soon" is not an RFC 3339 time`},
		{"missing", "", "0:missing-summary", "no dashboard"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dir + "/" + strings.ReplaceAll(tc.name, " ", "-") + ".md"
			if tc.file != "" {
				writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".md", tc.file)
			}
			res, err := Run(context.Background(), Input{Summaries: []Source{{Path: p, Name: "sum.md"}}}, DefaultOptions(testNow))
			if err != nil {
				t.Fatal(err)
			}
			if got := brief(res.Findings); got != tc.want {
				t.Fatalf("got %q, want %q\n%s", got, tc.want, dump(res.Findings))
			}
			if tc.msg != "" && !strings.Contains(res.Findings[0].Message, tc.msg) {
				t.Errorf("message %q does not hold %q", res.Findings[0].Message, tc.msg)
			}
		})
	}
}

// TestPolicyRules: sync-policy's error (a path in both lists) and its two
// warnings (the event log not denied, the aggregate file not allowed).
func TestPolicyRules(t *testing.T) {
	logs := []PolicyFile{{Rel: "state/log/sync-events.ndjson", Name: "state/log/sync-events.ndjson"}}
	agg := &PolicyFile{Rel: "state/log/evals.aggregate.ndjson", Name: "state/log/evals.aggregate.ndjson"}
	other := []PolicyFile{{Rel: "state/log/sync-summary.md", Name: "state/log/sync-summary.md"}}
	cases := []struct {
		name        string
		allow, deny string
		want        []Finding
	}{
		{"clean", "state/log/evals.aggregate.ndjson:state/log/sync-summary.md", "state/log/sync-events.ndjson", nil},
		{"clean, globs", "state/log/*.aggregate.ndjson\nstate/**/*.md", "sync-events.ndjson*", nil},
		{"no policy", "", "", nil},
		{"a path in both", "state/**", "state/log/sync-events.ndjson", []Finding{
			{"state/log/sync-events.ndjson", 0, Error, RuleSyncPolicy,
				`"state/log/sync-events.ndjson" matches both SYNC_ALLOW ("state/**") and SYNC_DENY ("state/log/sync-events.ndjson"): it cannot be synced and kept back at once`}}},
		{"the same glob in both", "state/log/evals.aggregate.ndjson:cache/*", "state/log/sync-events.ndjson:cache/*", []Finding{
			{"cache/*", 0, Error, RuleSyncPolicy, `"cache/*" matches both SYNC_ALLOW ("cache/*") and SYNC_DENY ("cache/*"): it cannot be synced and kept back at once`}}},
		{"the event log not denied", "state/log/evals.aggregate.ndjson", "", []Finding{
			{"state/log/sync-events.ndjson", 0, Warning, RuleSyncPolicy,
				`the event log "state/log/sync-events.ndjson" is per-machine, but SYNC_DENY does not match it: machines would overwrite each other's logs`}}},
		{"the aggregate not allowed", "", "state/log/sync-events.ndjson", []Finding{
			{"state/log/evals.aggregate.ndjson", 0, Warning, RuleSyncPolicy,
				`SYNC_ALLOW does not match the aggregate file "state/log/evals.aggregate.ndjson": the cost rollup would not be shared`}}},
		{"a directory denied covers the log", "state/log/evals.aggregate.ndjson", "state/log/sync-events.ndjson/:/state/tmp", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{Allow: ParseList(tc.allow), Deny: ParseList(tc.deny), Logs: logs, Aggregate: agg, Other: other}
			res, err := Run(context.Background(), Input{Policy: p}, DefaultOptions(testNow))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != len(tc.want) {
				t.Fatalf("got\n%s", dump(res.Findings))
			}
			for i := range tc.want {
				if res.Findings[i] != tc.want[i] {
					t.Errorf("got  %+v\nwant %+v", res.Findings[i], tc.want[i])
				}
			}
		})
	}
}

// TestAggregateRules: what lint checks in the cost aggregate file.
func TestAggregateRules(t *testing.T) {
	good := `{"kind":"sync_cost","period":"2026-04-14","tenant_id":"t-a","runs":1,"bytes_pushed":300,"bytes_pulled":0,"cost_usd_cents":13,"cost_exact_cents":"12.500000","generated_at":"2026-04-15T00:05:00Z"}`
	good2 := strings.Replace(good, `"t-a"`, `"t-b"`, 1)
	week := strings.Replace(good, `"2026-04-14"`, `"2026-W16"`, 1)
	other := `{"kind":"eval_score","suite":"sync","score":0.93}`
	cases := []struct {
		name, file, want, msg string
	}{
		{"clean", lines(other, good, good2, week, strings.Replace(good, `"2026-04-14"`, `"2026-04"`, 1)), "", ""},
		{"invalid JSON", lines(good, `{"kind":}`), "2:invalid-json", "invalid JSON"},
		{"not an object", lines(`[1,2]`), "1:invalid-json", "not a JSON object"},
		{"torn: cut short", lines(`{"kind":"sync_cost","period":`, good), "1:torn-line", "cut short"},
		{"torn: no final newline", lines(good) + good2[:30], "2:torn-line", "does not end with a newline"},
		{"no kind", lines(`{"period":"2026-04-15","tenant_id":"t-a"}`), "1:missing-field", `missing key "kind"`},
		{"kind not a string", lines(`{"kind":7}`), "1:bad-type", `"kind": want a string, got number 7`},
		{"no tenant", lines(strings.Replace(good, `"tenant_id":"t-a",`, "", 1)), "1:missing-field", `"tenant_id"`},
		{"tenant a number", lines(strings.Replace(good, `"t-a"`, `7`, 1)), "1:bad-type", `"tenant_id"`},
		{"bad period", lines(strings.Replace(good, `"2026-04-14"`, `"2026-13-01"`, 1)), "1:bad-type", "is not a day"},
		{"week 53 of a 52-week year", lines(strings.Replace(good, `"2026-04-14"`, `"2027-W53"`, 1)), "1:bad-type", "ISO week"},
		{"negative cents", lines(strings.Replace(good, `"cost_usd_cents":13`, `"cost_usd_cents":-1`, 1)), "1:bad-type", `"cost_usd_cents"`},
		{"exact not a decimal", lines(strings.Replace(good, `"12.500000"`, `"12,5"`, 1)), "1:bad-type", `"cost_exact_cents"`},
		{"generated_at not a time", lines(strings.Replace(good, `"2026-04-15T00:05:00Z"`, `"today"`, 1)), "1:bad-ts", `"today"`},
		{"identical rows", lines(good, other, good), "3:duplicate-row", "row identical to line 1"},
		{"a period and tenant twice", lines(good, strings.Replace(good, `"runs":1`, `"runs":2`, 1)), "2:duplicate-row",
			"a second sync_cost row for period 2026-04-14 and tenant t-a (the first is line 1)"},
		{"other kinds are left alone", lines(other, other[:len(other)-1]+`,"x":1}`, `{"kind":"other"}`), "", ""},
		{"missing file", "", "", ""},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dir + "/missing.ndjson"
			if tc.file != "" {
				p = writeFile(t, dir, strings.Repeat("x", i+1)+".ndjson", tc.file)
			}
			res, err := Run(context.Background(), Input{Aggregates: []Source{{Path: p, Name: "agg"}}}, DefaultOptions(testNow))
			if err != nil {
				t.Fatal(err)
			}
			if got := brief(res.Findings); got != tc.want {
				t.Fatalf("got %q, want %q\n%s", got, tc.want, dump(res.Findings))
			}
			if tc.msg != "" && !strings.Contains(res.Findings[0].Message, tc.msg) {
				t.Errorf("message %q does not hold %q", res.Findings[0].Message, tc.msg)
			}
		})
	}
}

// TestSample: the shipped sample has three legitimate findings at its
// latest row's time: a trigger outside the defaults, and two pushes that
// touch most of their files.
func TestSample(t *testing.T) {
	res, err := Run(context.Background(), Input{Logs: []Source{{Path: "../../testdata/sample.ndjson", Name: "sample"}}},
		DefaultOptions(time.Date(2026, 4, 17, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	if got := brief(res.Findings); got != "27:unknown-trigger 372:mass-change 399:mass-change" {
		t.Errorf("got\n%s", dump(res.Findings))
	}
}
