package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestQueryMatchesJQ runs the same programs through jq 1.6 and synclog query
// over the shipped sample and requires the same bytes on stdout and the same
// exit status. jq runs with -S because gojq prints object keys sorted.
func TestQueryMatchesJQ(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Fatal("jq is required for this test (scripts/test installs it): ", err)
	}
	ver, err := exec.Command(jq, "--version").Output()
	if err != nil || !strings.HasPrefix(string(ver), "jq-1.6") {
		t.Fatalf("want jq 1.6, have %q (%v)", ver, err)
	}
	const sample = "../../testdata/sample.ndjson"
	// Rows the sample lacks: optional keys given as "" or null, repeated
	// keys (the last wins), keys outside the schema, nested values.
	odd := filepath.Join(t.TempDir(), "odd.ndjson")
	base := `"ts":"2026-04-16T19:10:38Z","op":"push","repo":"r","scope":"s","files":1,"bytes":1,"dur_ms":1,"manifest_before":"a","manifest_after":"b","trigger":"cli","machine":"m"`
	oddRows := "{" + base + `,"error":"","tenant_id":"","session_id":""}` + "\n" +
		"{" + base + `,"error":"x","error":null,"tenant_id":"t","tenant_id":"","extra":{"k":[1,2.5,"z"]}}` + "\n" +
		"{" + base + `,"status":"error","error":"boom","files_total":null,"session_id":null}` + "\n" +
		"{" + base + `,"repo":"r2","tenant_id":"t-1","files_total":3}` + "\n"
	if err := os.WriteFile(odd, []byte(oddRows), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		log      string // default: the sample
		name     string
		args     []string // flags then the program
		wantCode int      // when not -1, synclog's status where it knowingly differs from jq 1.6
		noOutput bool     // the program prints nothing in jq either
	}{
		{"", "identity", []string{"."}, 0, false},
		{"", "select errors", []string{"-c", `select(.status=="error")`}, 0, false},
		{"", "raw field", []string{"-r", ".repo"}, 0, false},
		{"", "join output", []string{"-j", `.op[0:2]`}, 0, false},
		{"", "object construction", []string{"-c", "{ts, repo, bytes}"}, 0, false},
		{"", "map over keys", []string{"-c", "keys | map(ascii_upcase)"}, 0, false},
		{"", "slurp length", []string{"-s", "length"}, 0, false},
		{"", "group_by", []string{"-s", "-c", `group_by(.repo) | map({repo: .[0].repo, runs: length, errors: map(select(.status=="error")) | length})`}, 0, false},
		{"", "reduce", []string{"-s", "-c", `reduce .[] as $r ({}; .[$r.trigger] += 1)`}, 0, false},
		{"", "sum bytes", []string{"-s", "map(.bytes) | add"}, 0, false},
		{"", "float division", []string{"-c", ".dur_ms / 1000"}, 0, false},
		{"", "mean", []string{"-s", "map(.dur_ms) | add / length"}, 0, false},
		{"", "ratio max", []string{"-s", "map(select(.files_total != null) | .files / .files_total) | max"}, 0, false},
		{"", "arg", []string{"-c", "--arg", "r", "snappy-os", "select(.repo == $r) | [.files, .bytes]"}, 0, false},
		{"", "argjson", []string{"-c", "--argjson", "n", "1000000", "select(.bytes > $n) | {repo, bytes}"}, 0, false},
		{"", "string interpolation", []string{"-r", `select(.op=="pull") | "\(.ts) \(.machine) \(.bytes)"`}, 0, false},
		{"", "alternative", []string{"-s", "-c", `[.[] | .tenant_id // "default"] | unique`}, 0, false},
		{"", "sort_by top", []string{"-s", "-c", "sort_by(.bytes) | reverse | .[0:3] | map(.bytes)"}, 0, false},
		{"", "test regex", []string{"-r", `select(.error != null and (.error | test("timeout"))) | .repo`}, 0, false},
		{"", "tab indent", []string{"--tab", "-s", "map({machine}) | unique | .[0:2]"}, 0, false},
		{"", "indent 4", []string{"--indent", "4", "-s", ".[0] | {repo, scope}"}, 0, false},
		{"", "null input inputs", []string{"-n", "-c", "[inputs | .files] | add"}, 0, false},
		{"", "exit status truthy", []string{"-e", ".files >= 0"}, 0, false},
		{"", "exit status falsy", []string{"-e", `.status == "error"`}, 0, false},
		{"", "exit status no output", []string{"-e", `select(.repo == "no-such-repo")`}, 0, true},
		// jq 1.6 exits 5 only when the last input fails; synclog, like jq
		// 1.7, exits 5 when any input fails, so an error is never hidden.
		{"", "runtime error", []string{"-c", `if .status == "error" then error("failed row") else .repo end`}, 5, false},
		{"", "runtime error on every row", []string{"-c", `error("always")`}, 0, true},
		{"", "color pretty", []string{"-C", "-s", ".[0:3]"}, 0, false},
		{"", "color compact", []string{"-C", "-c", "{ts, repo, files_total, error, x: [], y: {}, z: [null, true, 1.5]}"}, 0, false},
		{"", "color raw", []string{"-C", "-r", ".repo, {repo}"}, 0, false},
		{"", "color tab", []string{"-C", "--tab", "-s", "map({machine}) | unique"}, 0, false},
		{"", "color indent 4", []string{"-C", "--indent", "4", "-s", "group_by(.op) | map([.[0].op, length, {a: [[]]}])"}, 0, false},
		{"", "monochrome", []string{"-M", "-c", "{repo}"}, 0, false},
		{odd, "odd color", []string{"-C", "."}, 0, false},
		{odd, "odd identity", []string{"-c", "."}, 0, false},
		{odd, "odd present or absent", []string{"-c", `[.error, .tenant_id, .session_id, .files_total, has("error"), has("session_id")]`}, 0, false},
		{odd, "odd select empty tenant", []string{"-c", `select(.tenant_id == "") | .repo`}, 0, false},
		{odd, "odd select null error", []string{"-c", `select(.error == null) | .repo`}, 0, false},
		{odd, "odd keys", []string{"-c", "keys"}, 0, false},
		{odd, "odd extra", []string{"-c", ".extra"}, 0, false},
		{odd, "odd slurp group", []string{"-s", "-c", `group_by(.tenant_id) | map([.[0].tenant_id, length])`}, 0, false},
	}
	for _, tc := range cases {
		if tc.log == "" {
			tc.log = sample
		}
		t.Run(tc.name, func(t *testing.T) {
			jqArgs := append([]string{"-S"}, tc.args...)
			jqArgs = append(jqArgs, tc.log)
			cmd := exec.Command(jq, jqArgs...)
			var jqOut bytes.Buffer
			cmd.Stdout = &jqOut
			jqCode := 0
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatal(err)
				}
				jqCode = ee.ExitCode()
			}
			var out, errb bytes.Buffer
			args := append([]string{"query", "--log", tc.log}, tc.args...)
			code := runArgs(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
			want := jqCode
			if tc.wantCode > 0 {
				want = tc.wantCode
			}
			if code != want {
				t.Errorf("exit status: synclog %d, want %d (jq %d; stderr %q)", code, want, jqCode, errb.String())
			}
			if out.String() != jqOut.String() {
				t.Errorf("stdout differs from jq 1.6\n%s", firstDiff(out.String(), jqOut.String()))
			}
			if jqOut.Len() == 0 && !tc.noOutput {
				t.Errorf("jq printed nothing: the case checks nothing")
			}
		})
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ":\n  synclog: " + gl + "\n  jq:      " + wl
		}
	}
	return "(no line differs)"
}

func itoa(i int) string { return strconv.Itoa(i) }
