package query

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itchyny/gojq"
)

const sampleLog = "../../testdata/sample.ndjson"

// jqCompatCases are the programs and flags of cmd/synclog's comparison with
// jq 1.6 (jqcompat_test.go), copied.
var jqCompatCases = [][]string{
	{"."},
	{"-c", `select(.status=="error")`},
	{"-r", ".repo"},
	{"-j", `.op[0:2]`},
	{"-c", "{ts, repo, bytes}"},
	{"-c", "keys | map(ascii_upcase)"},
	{"-s", "length"},
	{"-s", "-c", `group_by(.repo) | map({repo: .[0].repo, runs: length, errors: map(select(.status=="error")) | length})`},
	{"-s", "-c", `reduce .[] as $r ({}; .[$r.trigger] += 1)`},
	{"-s", "map(.bytes) | add"},
	{"-c", ".dur_ms / 1000"},
	{"-s", "map(.dur_ms) | add / length"},
	{"-s", "map(select(.files_total != null) | .files / .files_total) | max"},
	{"-c", "--arg", "r", "snappy-os", "select(.repo == $r) | [.files, .bytes]"},
	{"-c", "--argjson", "n", "1000000", "select(.bytes > $n) | {repo, bytes}"},
	{"-r", `select(.op=="pull") | "\(.ts) \(.machine) \(.bytes)"`},
	{"-s", "-c", `[.[] | .tenant_id // "default"] | unique`},
	{"-s", "-c", "sort_by(.bytes) | reverse | .[0:3] | map(.bytes)"},
	{"-r", `select(.error != null and (.error | test("timeout"))) | .repo`},
	{"--tab", "-s", "map({machine}) | unique | .[0:2]"},
	{"--indent", "4", "-s", ".[0] | {repo, scope}"},
	{"-n", "-c", "[inputs | .files] | add"},
	{"-e", ".files >= 0"},
	{"-e", `.status == "error"`},
	{"-e", `select(.repo == "no-such-repo")`},
	{"-c", `if .status == "error" then error("failed row") else .repo end`},
	{"-c", `error("always")`},
}

// pushDownCases are selects whose conditions run natively.
var pushDownCases = []string{
	`select(.status == "error") | .repo`,
	`select(.status == "error")`,
	`select(.status != "ok") | {ts, repo, error}`,
	`select(.files > 5) | .files`,
	`select(.files_total == null) | .repo`,
	`select(.files_total >= .files) | [.files, .files_total]`,
	`select(.ts < "2026-04-05") | .ts`,
	`select(.bytes > 1e6) | .bytes`,
	`select(.bytes > 1000000.5) | .bytes`,
	`select(.dur_ms <= 1000.5) | .dur_ms`,
	`select(.error == null | not) | .error`,
	`select(.tenant_id) | .tenant_id`,
	`select(.session_id and .op == "push") | .session_id`,
	`select(true) | .op`,
	`select(null) | .op`,
	`select(false)`,
	`select(.op == "push" or .repo == "infra") | select(.files < 3) | {repo, files}`,
	`select(-1 < .files) | .files`,
	`select(.manifest_before == .manifest_after) | .repo`,
	`select(.trigger > "d") | .trigger`,
	`select(.status < "f") | .status`,
	`select(.status > null) | .status`,
	`select(.files == 2.0) | .files`,
	`select((.files)) | .files`,
	`select(.op == "pull") | .a`,
	`select(.op == "pull") | .nope, .status`,
	`select(.op == "pull") | .[]`,
	`select(.repo == "infra") | error("boom")`,
	`select(.repo == "infra") | error`,
	`select(.op == "push") | select(.a) | .b`,
	`select(.op == "push") | . as $r | $r.repo`,
	`select(.op == "push") | tojson`,
	`select(.op == "push") | keys`,
	`select(.x == 1) | .repo`,
	`select(.bytes < 1e1000) | .bytes`,
	`select(.bytes < 100000000000000000000000) | .bytes`,
	`select(.files > -1e-400) | .files`,
	`select(.status == "error") | select(.repo) | .repo`,
	`select(.status == "error") | .repo | select(. == "infra")`,
	`select(.op == "push") | halt`,
	`select(.op == "push") | halt_error`,
	`select(.op == "push") | .repo | halt_error(3)`,
	`select(.op == "push") | input`,
	`select(.op == "push") | .repo, error(.op)`,
	`select(.a) | .b`,
}

// outcome is what a Run printed and returned.
type outcome struct {
	stdout, stderr string
	code           int
	err            string
}

func runOutcome(ctx context.Context, paths []string, o Options) outcome {
	var out, errb bytes.Buffer
	var tableOut string
	if o.Table != nil {
		o.Table = func(values []any) error {
			header, rows := Tabulate(values)
			tableOut = fmt.Sprint(header, rows)
			return nil
		}
	}
	res, err := Run(ctx, paths, o, &out, &errb)
	oc := outcome{stdout: out.String() + tableOut, stderr: errb.String()}
	if err != nil {
		oc.err = err.Error()
	}
	if res != nil {
		oc.code = res.ExitCode
		if res.Stats != nil {
			oc.err += fmt.Sprintf(" rows=%d skipped=%d", res.Stats.Rows(), res.Stats.Skipped())
		}
	}
	return oc
}

// compareRuns runs o planned and with the planner off, and reports any
// difference.
func compareRuns(t *testing.T, paths []string, o Options) {
	t.Helper()
	planned := runOutcome(context.Background(), paths, o)
	o.noPlan = true
	full := runOutcome(context.Background(), paths, o)
	if planned != full {
		t.Errorf("%q (slurp %v, null input %v) on %v: planned and full runs differ\n%s",
			o.Program, o.Slurp, o.NullInput, paths, describeDiff(planned, full))
	}
}

func describeDiff(a, b outcome) string {
	var s strings.Builder
	if a.stdout != b.stdout {
		fmt.Fprintf(&s, "stdout:\n  planned %.600q\n  full    %.600q\n", a.stdout, b.stdout)
	}
	if a.stderr != b.stderr {
		fmt.Fprintf(&s, "stderr:\n  planned %.600q\n  full    %.600q\n", a.stderr, b.stderr)
	}
	if a.code != b.code || a.err != b.err {
		fmt.Fprintf(&s, "status: planned %d %q, full %d %q\n", a.code, a.err, b.code, b.err)
	}
	return s.String()
}

// optionsFromArgs reads jq's flags as the jq compatibility test gives them.
func optionsFromArgs(t *testing.T, args []string) Options {
	t.Helper()
	o := Options{Indent: 2}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-c":
			o.Compact = true
		case "-r":
			o.Raw = true
		case "-j":
			o.Join = true
		case "-s":
			o.Slurp = true
		case "-n":
			o.NullInput = true
		case "-e":
			o.ExitStatus = true
		case "--tab":
			o.Tab = true
		case "--indent":
			n, err := strconv.Atoi(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			o.Indent, i = n, i+1
		case "--arg":
			o.Args, i = append(o.Args, Arg{Name: args[i+1], Value: args[i+2]}), i+2
		case "--argjson":
			var v any
			if err := json.Unmarshal([]byte(args[i+2]), &v); err != nil {
				t.Fatal(err)
			}
			if f, ok := v.(float64); ok && f == float64(int(f)) {
				v = int(f)
			}
			o.Args, i = append(o.Args, Arg{Name: args[i+1], Value: v}), i+2
		default:
			if strings.HasPrefix(a, "-") {
				t.Fatalf("flag %s: not handled", a)
			}
			o.Program = a
		}
	}
	return o
}

// writeOddLog writes a log made from the sample whose rows exercise what
// the plan must get right: keys outside the schema (scalars, nested values,
// names that programs index), optional keys given as null or left out,
// repeated keys, invalid lines and blank lines.
func writeOddLog(t testing.TB, dir string, maxRows int) string {
	t.Helper()
	f, err := os.Open(sampleLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for i := 0; sc.Scan() && i < maxRows; i++ {
		var row map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		oddRow(i, row)
		line, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	b.WriteString(`{"ts":"2026-04-03T02:06:25Z","op":"push","repo":"dup","scope":"s","files":1,"bytes":2,"dur_ms":3,` +
		`"manifest_before":"","manifest_after":"m","trigger":"cron","machine":"m1","status":"ok","status":null,"repo":"dup2"}` + "\n")
	b.WriteString(`{"ts":"2026-04-03T02:06:25+02:00","op":"pull","repo":"r\u00e9po","scope":"s","files":0,"bytes":0,"dur_ms":0,` +
		`"manifest_before":"a","manifest_after":"b","trigger":"t","machine":"m2","error":"","tenant_id":null,"files_total":null,"x":1.5e300}` + "\n")
	const valid = `"ts":"2026-04-03T02:06:25Z","op":"push","repo":"bad","scope":"s","files":1,"bytes":2,"dur_ms":3,` +
		`"manifest_before":"","manifest_after":"m","trigger":"cron","machine":"m1"`
	for _, bad := range []string{`"manifest_after":5`, `"manifest_before":null`, `"session_id":7`, `"ts":"yesterday"`, `"files_total":0`} {
		b.WriteString("{" + valid + "," + bad + "}\n")
	}
	b.WriteString("not json\n\n   \n")
	b.WriteString(`{"ts":"2026-04-03T02:06:25Z","op":"push"}` + "\n")
	path := filepath.Join(dir, "odd.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// oddRow changes row i of the sample in one of several ways.
func oddRow(i int, row map[string]json.RawMessage) {
	switch i % 8 {
	case 0:
		row["extra"] = json.RawMessage(`{"k":[1,2,{"z":null}],"s":"v"}`)
	case 1:
		row["status"] = json.RawMessage(`null`)
	case 2:
		row["files_total"] = json.RawMessage(`null`)
		row["nope"] = json.RawMessage(`-0.0`)
	case 3:
		row["a"] = json.RawMessage(`true`)
		row["b"] = json.RawMessage(`"x"`)
		row["c"] = json.RawMessage(`3`)
		row["x"] = json.RawMessage(`1`)
	case 4:
		for _, k := range []string{"status", "error", "tenant_id", "files_total", "session_id"} {
			delete(row, k)
		}
	case 5:
		row["tenant_id"] = json.RawMessage(`null`)
		row["session_id"] = json.RawMessage(`null`)
		if _, ok := row["error"]; !ok {
			row["error"] = json.RawMessage(`null`)
		}
	case 6:
		row["a"] = json.RawMessage(`null`)
		row["key"] = json.RawMessage(`"repo"`)
		row["k"] = json.RawMessage(`"repo"`)
	}
}

// differentialPrograms is every program of the tests, with its flags.
func differentialPrograms(t *testing.T) []Options {
	var opts []Options
	add := func(o Options) {
		if _, _, err := Compile(o.Program, o.Args, gojq.NewIter[any]()); err == nil {
			opts = append(opts, o)
		}
	}
	for _, tc := range analysisCases {
		for _, slurp := range []bool{false, true} {
			add(Options{Program: tc.prog, Slurp: slurp, Compact: true})
		}
	}
	for _, p := range pushDownCases {
		add(Options{Program: p, Indent: 2})
		add(Options{Program: p, Compact: true, ExitStatus: true})
	}
	for _, args := range jqCompatCases {
		add(optionsFromArgs(t, args))
	}
	add(Options{Program: `{repo, files}`, Table: func([]any) error { return nil }})
	add(Options{Program: `select(.op == "pull") | {repo, files}`, Table: func([]any) error { return nil }})
	add(Options{Program: `select(.status == "error") | .repo`, Raw: true, Pre: PreFilter{Op: "push"}})
	add(Options{Program: `select(.files > 3) | .files`, Pre: PreFilter{Since: time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)}})
	return opts
}

// TestPlannedMatchesFull runs every program of the tests with the planner
// and without it, on the sample and on a log of odd rows, and requires the
// same stdout, stderr, exit status and error.
func TestPlannedMatchesFull(t *testing.T) {
	odd := writeOddLog(t, t.TempDir(), 400)
	progs := differentialPrograms(t)
	if len(progs) < 250 {
		t.Fatalf("only %d programs compile", len(progs))
	}
	for _, paths := range [][]string{{sampleLog}, {odd}, {odd, sampleLog}} {
		for _, o := range progs {
			compareRuns(t, paths, o)
		}
	}
}

// TestPlansArePlanned checks that the programs the benchmarks time, and
// the pushed-down selects, are planned as intended, so that the
// differential test compares the optimised paths.
func TestPlansArePlanned(t *testing.T) {
	for _, tc := range []struct {
		o           Options
		keys        string // of the whole program
		preds       int
		restKeys    string
		keepRawTS   bool
		leanParsing bool
	}{
		{Options{Program: `select(.status=="error") | .repo`}, "repo,status", 1, "repo", false, true},
		{Options{Program: `select(.status=="error")`}, "all", 1, "all", true, false},
		{Options{Program: `select(.a) | select(.op == "push") | .b`}, "a,b,op", 0, "", false, true},
		{Options{Program: `select(.op == "push") | select(.ts > "2026") | {ts, session_id}`}, "op,session_id,ts", 2, "session_id,ts", true, false},
		{Options{Program: `group_by(.repo) | map({repo: .[0].repo, runs: length, errors: map(select(.status=="error")) | length})`, Slurp: true}, "repo,status", 0, "", false, true},
		{Options{Program: `.`, NullInput: true}, "all", 0, "", true, false},
		{Options{Program: `select(.status=="error") | .repo`, noPlan: true}, "all", 0, "", true, false},
	} {
		code, vars, err := Compile(tc.o.Program, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := newPlan(&tc.o, code, vars)
		if got := projectionString(p.proj); got != tc.keys {
			t.Errorf("%s: keys %s, want %s", tc.o.Program, got, tc.keys)
		}
		if len(p.preds) != tc.preds {
			t.Errorf("%s: %d selects pushed down, want %d", tc.o.Program, len(p.preds), tc.preds)
		}
		if tc.preds > 0 {
			if got := projectionString(p.restProj); got != tc.restKeys {
				t.Errorf("%s: rest keys %s, want %s", tc.o.Program, got, tc.restKeys)
			}
		}
		parser := p.newParser()
		if parser.KeepRawTS != tc.keepRawTS || parser.Lean != tc.leanParsing || !parser.KeepExtra {
			t.Errorf("%s: parser keeps raw ts %v, lean %v, extra %v", tc.o.Program, parser.KeepRawTS, parser.Lean, parser.KeepExtra)
		}
	}
}

func projectionString(p *projection) string {
	if p.all {
		return "all"
	}
	var keys []string
	for k := range p.keys {
		keys = append(keys, k)
	}
	return strings.Join(sortedStrings(keys), ",")
}

func sortedStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// TestSplitSelects checks which leading selects run natively.
func TestSplitSelects(t *testing.T) {
	for _, tc := range []struct {
		prog  string
		preds int
		rest  string // "" when nothing is left
	}{
		{`select(.status == "error") | .repo`, 1, ".repo"},
		{`select(.status == "error")`, 1, ""},
		{`select(.a == 1) | .repo`, 0, `select(.a == 1) | .repo`},
		{`select(.op == "push") | select(.files > 1) | select(.x) | .repo`, 2, "select(.x) | .repo"},
		{`select(.op == "push" and (.files > 1 or .bytes <= 2.5)) | {repo}`, 1, "{ repo }"},
		{`select(.status == null | not) | .repo`, 1, ".repo"},
		{`select(.repo | test("x")) | .repo`, 0, `select(.repo | test("x")) | .repo`},
		{`select(.repo == $r) | .repo`, 0, `select(.repo == $r) | .repo`},
		{`select(.repo == "\(1)") | .repo`, 0, `select(.repo == "\(1)") | .repo`},
		{`select(.repo.x == 1) | .repo`, 0, `select(.repo.x == 1) | .repo`},
		{`select(.repo? == 1) | .repo`, 0, `select(.repo? == 1) | .repo`},
		{`select(.files == 100000000000000000000000) | .repo`, 0, `select(.files == 100000000000000000000000) | .repo`},
		{`select(.files == -1) | .repo`, 1, ".repo"},
		{`def f: 1; select(.files == 1) | .repo`, 0, `def f: 1; select(.files == 1) | .repo`},
		{`.repo | select(. == "x")`, 0, `.repo | select(. == "x")`},
		{`(select(.files == 1) | .repo)`, 0, `(select(.files == 1) | .repo)`},
		{`select(.files == 1) as $x | .repo`, 0, `select(.files == 1) as $x | .repo`},
	} {
		q, err := gojq.Parse(tc.prog)
		if err != nil {
			t.Fatal(err)
		}
		preds, rest := splitSelects(q)
		got := ""
		if rest != nil {
			got = rest.String()
		}
		if len(preds) != tc.preds || got != tc.rest {
			t.Errorf("%s: %d native selects, then %q; want %d, then %q", tc.prog, len(preds), got, tc.preds, tc.rest)
		}
	}
}

// TestCompareScalars checks the native comparison against gojq's on every
// pair of a set of scalars.
func TestCompareScalars(t *testing.T) {
	values := []any{nil, false, true, 0, -1, 1, 2, 1 << 53, 1<<53 + 1, -(1 << 62), 0.5, math.Copysign(0, -1), 1.0, math.NaN(), math.Inf(1), 1e300, -1e300,
		2.0000000000000004, "", "a", "b", "ab", "B", "é", "\u00ff", "\uffff", "0"}
	for _, l := range values {
		for _, r := range values {
			ls, ok1 := scalarOf(l)
			rs, ok2 := scalarOf(r)
			if !ok1 || !ok2 {
				t.Fatalf("%v, %v: not scalars", l, r)
			}
			if got, want := compareScalars(ls, rs), gojq.Compare(l, r); got != want {
				t.Errorf("compare(%#v, %#v) = %d, gojq says %d", l, r, got, want)
			}
		}
	}
}

// FuzzPlan runs any program that compiles planned and with the planner off,
// streaming and with -s, on a small log of odd rows, and requires the same
// results. Programs that run too long, print too much or give different
// results on two unplanned runs (now, builtins) are skipped.
func FuzzPlan(f *testing.F) {
	for _, tc := range analysisCases {
		f.Add(tc.prog)
	}
	for _, p := range pushDownCases {
		f.Add(p)
	}
	for _, args := range jqCompatCases {
		f.Add(args[len(args)-1])
	}
	odd := writeOddLog(f, f.TempDir(), 24)
	f.Fuzz(func(t *testing.T, prog string) {
		if _, _, err := Compile(prog, nil, gojq.NewIter[any]()); err != nil {
			return
		}
		for _, slurp := range []bool{false, true} {
			o := Options{Program: prog, Slurp: slurp, Compact: true}
			full, ok := boundedOutcome([]string{odd}, o, true)
			if !ok {
				return
			}
			again, ok := boundedOutcome([]string{odd}, o, true)
			if !ok || again != full {
				return // not deterministic
			}
			planned, ok := boundedOutcome([]string{odd}, o, false)
			if !ok {
				t.Fatalf("%q (slurp %v): the planned run did not finish when the full one did", prog, slurp)
			}
			if planned != full {
				t.Errorf("%q (slurp %v): planned and full runs differ\n%s", prog, slurp, describeDiff(planned, full))
			}
		}
	})
}

// boundedOutcome runs o with a deadline and a cap on its output; ok is
// false when it hit either.
func boundedOutcome(paths []string, o Options, noPlan bool) (outcome, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	o.noPlan = noPlan
	var out, errb limitedBuffer
	res, err := Run(ctx, paths, o, &out, &errb)
	if ctx.Err() != nil || errors.Is(err, errTooMuch) || out.over || errb.over {
		return outcome{}, false
	}
	oc := outcome{stdout: out.String(), stderr: errb.String()}
	if err != nil {
		oc.err = err.Error()
	}
	if res != nil {
		oc.code = res.ExitCode
	}
	return oc, true
}

var errTooMuch = errors.New("too much output")

// limitedBuffer fails writes past 1 MiB.
type limitedBuffer struct {
	bytes.Buffer
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > 1<<20 {
		b.over = true
		return 0, errTooMuch
	}
	return b.Buffer.Write(p)
}
