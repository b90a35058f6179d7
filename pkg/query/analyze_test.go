package query

import (
	"strings"
	"testing"

	"github.com/itchyny/gojq"
)

// analysisCase is a program and the row keys it can observe: a sorted,
// comma-separated list ("" for none), or "all".
type analysisCase struct {
	prog  string
	slurp bool
	want  string
}

// analysisCases are shared with the differential tests, which run each of
// them planned and unplanned.
var analysisCases = []analysisCase{
	// Constant keys.
	{prog: `.repo`, want: "repo"},
	{prog: `.["repo"]`, want: "repo"},
	{prog: `."repo"`, want: "repo"},
	{prog: `.repo.x`, want: "repo"},
	{prog: `{repo}`, want: "repo"},
	{prog: `{"repo"}`, want: "repo"},
	{prog: `{r: .repo, b: .bytes}`, want: "bytes,repo"},
	{prog: `has("repo")`, want: "repo"},
	{prog: `has("nope")`, want: "nope"},
	{prog: `.repo + .op`, want: "op,repo"},
	{prog: `.dur_ms / 1000`, want: "dur_ms"},
	{prog: `.no_such_key`, want: "no_such_key"},
	{prog: `[.files, .bytes]`, want: "bytes,files"},
	{prog: `"\(.ts) \(.machine)"`, want: "machine,ts"},
	{prog: `@base64 "\(.repo)"`, want: "repo"},
	{prog: `if .a then .b else .c end`, want: "a,b,c"},
	{prog: `if .a then .b elif .c then .d end | type`, want: "a,b,c,d"},
	{prog: `.status // "ok"`, want: "status"},
	{prog: `.a and .b or (.c | not)`, want: "a,b,c"},
	{prog: `select(.a) | .b`, want: "a,b"},
	{prog: `select(.status == "error") | .repo`, want: "repo,status"},
	{prog: `select(.files >= 10 and .op != "pull") | {ts, repo}`, want: "files,op,repo,ts"},
	{prog: `select(.a) | select(.b) | .c`, want: "a,b,c"},
	{prog: `type`, want: ""},
	{prog: `[.] | length`, want: ""},
	{prog: `[.] | .[0].repo`, want: "repo"},
	{prog: `. as $r | $r.repo`, want: "repo"},
	{prog: `. as {repo: $x, $op} | [$x, $op]`, want: "op,repo"},
	{prog: `.repo as $r | $r`, want: "repo"},
	{prog: `try error(.repo) catch .`, want: "repo"},
	{prog: `try error({repo}) catch .repo`, want: "repo"},
	{prog: `.op[0:2]`, want: "op"},
	{prog: `first(.repo, .op)`, want: "op,repo"},
	{prog: `limit(1; .a, .b)`, want: "a,b"},
	{prog: `isempty(select(.a))`, want: "a"},
	{prog: `label $out | .a, break $out`, want: "a"},
	{prog: `reduce (.files, .bytes) as $n (0; . + $n)`, want: "bytes,files"},
	{prog: `foreach (1, 2) as $i (.files; . + $i; [$i, .])`, want: "files"},
	{prog: `if .status == "error" then error("failed row") else .repo end`, want: "repo,status"},
	{prog: `.error != null and (.error | test("timeout"))`, want: "error"},
	{prog: `objects | .repo`, want: "repo"},
	{prog: `$ENV | type`, want: ""},
	{prog: `.repo | ascii_upcase | length`, want: "repo"},
	{prog: `empty`, want: ""},
	{prog: `error("x")`, want: ""},

	// Whole rows.
	{prog: `.`, want: "all"},
	{prog: `select(.a)`, want: "all"},
	{prog: `select(.status == "error")`, want: "all"},
	{prog: `. as $r | $r`, want: "all"},
	{prog: `[.]`, want: "all"},
	{prog: `tojson`, want: "all"},
	{prog: `tostring`, want: "all"},
	{prog: `.[]`, want: "all"},
	{prog: `.[]?`, want: "all"},
	{prog: `keys`, want: "all"},
	{prog: `keys | map(ascii_upcase)`, want: "all"},
	{prog: `to_entries`, want: "all"},
	{prog: `del(.a)`, want: "all"},
	{prog: `del(.a) | .b`, want: "all"},
	{prog: `.a = 1 | .b`, want: "all"},
	{prog: `{a: .}`, want: "all"},
	{prog: `{a: .} | .a.repo`, want: "all"},
	{prog: `"\(.)"`, want: "all"},
	{prog: `@json`, want: "all"},
	{prog: `.x == .`, want: "all"},
	{prog: `. == {}`, want: "all"},
	{prog: `length`, want: "all"},
	{prog: `.[0]`, want: "all"},
	{prog: `.[0]?`, want: "all"},
	{prog: `.[1:2]`, want: "all"},
	{prog: `.["re" + "po"]`, want: "all"},
	{prog: `.[.key]`, want: "all"},
	{prog: `has(.k)`, want: "all"},
	{prog: `..`, want: "all"},
	{prog: `.. | numbers`, want: "all"},
	{prog: `paths`, want: "all"},
	{prog: `getpath(["repo"])`, want: "all"},
	{prog: `path(.repo)`, want: "all"},
	{prog: `def f: .; f.repo`, want: "all"},
	{prog: `def f: .repo; f`, want: "all"},
	{prog: `error`, want: "all"},
	{prog: `error(.)`, want: "all"},
	{prog: `try error(.) catch .repo`, want: "all"},
	{prog: `halt_error`, want: "all"},
	{prog: `input`, want: "all"},
	{prog: `[inputs]`, want: "all"},
	{prog: `. as [$a] | $a`, want: "all"},
	{prog: `. as [$a] ?// $a | $a | type`, want: "all"},
	{prog: `reduce .files as $x (.; .)`, want: "all"},
	{prog: `reduce (1, 2) as $x (.; .) | .repo`, want: "repo"},
	{prog: `first(.)`, want: "all"},
	{prog: `limit(1; .)`, want: "all"},
	{prog: `if .a then . else 1 end`, want: "all"},
	{prog: `. // 1`, want: "all"},
	{prog: `[., 1] | .[1]`, want: "all"},
	{prog: `-.`, want: "all"},
	{prog: `ltrimstr(.)`, want: "all"},
	{prog: `"x" | ltrimstr($r)`, want: ""}, // an unbound name is a global such as --arg; this one does not compile
	{prog: `. as $r | "x" | ltrimstr($r)`, want: "all"},
	{prog: `. as $r | 1 | path($r.repo)`, want: "all"}, // "invalid path against" shows $r
	{prog: `. as $r | null | path(first($r.repo))`, want: "all"},
	{prog: `. as $r | {} | ($r.repo) |= 1`, want: "all"},
	{prog: `. as $r | {} | del($r.repo)`, want: "all"},
	{prog: `. as $r | {} | .a = $r.repo | .a`, want: "repo"},
	{prog: `. as $r | {} | .a += $r.files | .a`, want: "files"},
	{prog: `. as $r | "x" | test($r.repo)`, want: "all"}, // a builtin of unknown behaviour
	{prog: `.repo as $r | "x" | test($r)`, want: "repo"},
	{prog: `. as $r | [1] | map($r.repo)`, want: "repo"},
	{prog: `. as $r | {} | .[$r.repo] = 1`, want: "repo"}, // keys in [...] are values, not paths
	{prog: `. as $r | {} | .["\($r.repo)"] = 1`, want: "repo"},
	{prog: `. as $r | [1] | .[$r.files:] = [2]`, want: "files"},
	{prog: `. as $r | {} | path(if $r.a then .b else .c end)`, want: "a"},
	{prog: `. as $r | {} | path($r.a as $x | .b)`, want: "a"},
	{prog: `. as $r | {} | path(.b | $r)`, want: "all"},
	{prog: `. as $r | {} | path(.[$r | tojson])`, want: "all"},
	{prog: `. as $r | {} | path(.[$r.a] | $r.b)`, want: "all"},
	{prog: `with_entries(.value |= tostring)`, want: "all"},
	{prog: `walk(.)`, want: "all"},
	{prog: `recurse | .repo?`, want: "all"},
	{prog: `splits("a")`, want: "all"},
	{prog: `values`, want: "all"},
	{prog: `values | .repo`, want: "repo"},

	// -s: an array of rows.
	{prog: `length`, slurp: true, want: ""},
	{prog: `.`, slurp: true, want: "all"},
	{prog: `map(.repo)`, slurp: true, want: "repo"},
	{prog: `map(.)`, slurp: true, want: "all"},
	{prog: `.[0].repo`, slurp: true, want: "repo"},
	{prog: `.[-1] | {repo, scope}`, slurp: true, want: "repo,scope"},
	{prog: `.[0]`, slurp: true, want: "all"},
	{prog: `.repo`, slurp: true, want: "all"},
	{prog: `first.ts, last.ts`, slurp: true, want: "ts"},
	{prog: `group_by(.repo) | map(length)`, slurp: true, want: "repo"},
	{prog: `group_by(.repo) | map({repo: .[0].repo, runs: length, errors: map(select(.status=="error")) | length})`, slurp: true, want: "repo,status"},
	{prog: `group_by(.repo) | .[0][0].ts`, slurp: true, want: "repo,ts"},
	{prog: `group_by(.)`, slurp: true, want: "all"},
	{prog: `group_by(.repo)`, slurp: true, want: "all"},
	{prog: `sort_by(.ts) | .[0]`, slurp: true, want: "all"},
	{prog: `sort_by(.ts) | .[0].repo`, slurp: true, want: "repo,ts"},
	{prog: `sort_by(.bytes) | reverse | .[0:3] | map(.bytes)`, slurp: true, want: "bytes"},
	{prog: `unique_by(.machine) | map(.machine)`, slurp: true, want: "machine"},
	{prog: `min_by(.dur_ms).repo, max_by(.dur_ms).repo`, slurp: true, want: "dur_ms,repo"},
	{prog: `min_by(.dur_ms % 0).repo`, slurp: true, want: "all"}, // found by FuzzPlan: see ruleBy
	{prog: `sort_by(.repo | ascii_downcase) | map(.ts)`, slurp: true, want: "all"},
	{prog: `sort_by(.repo.x) | length`, slurp: true, want: "all"},
	{prog: `sort_by([.repo, -1, "x"], .ts) | map(.ts)`, slurp: true, want: "repo,ts"},
	{prog: `group_by(.status == "error" and .files > 1) | map(length)`, slurp: true, want: "files,status"},
	{prog: `map(.repo) | sort_by(ascii_downcase)`, slurp: true, want: "repo"},
	{prog: `sort`, slurp: true, want: "all"},
	{prog: `sort | length`, slurp: true, want: "all"},
	{prog: `unique | length`, slurp: true, want: "all"},
	{prog: `min | .repo`, slurp: true, want: "all"},
	{prog: `add | .repo`, slurp: true, want: "all"},
	{prog: `map(.bytes) | add`, slurp: true, want: "bytes"},
	{prog: `map(.dur_ms) | add / length`, slurp: true, want: "dur_ms"},
	{prog: `map(select(.files_total != null) | .files / .files_total) | max`, slurp: true, want: "files,files_total"},
	{prog: `map({machine}) | unique | .[0:2]`, slurp: true, want: "machine"},
	{prog: `[.[] | .tenant_id // "default"] | unique`, slurp: true, want: "tenant_id"},
	{prog: `reduce .[] as $r ({}; .[$r.trigger] += 1)`, slurp: true, want: "trigger"},
	{prog: `reduce .[] as $r (0; . + $r.bytes)`, slurp: true, want: "bytes"},
	{prog: `reduce .[] as $r ([]; . + [$r]) | length`, slurp: true, want: "all"},
	{prog: `foreach .[] as $r (0; . + 1; [., $r.repo])`, slurp: true, want: "repo"},
	{prog: `any(.status == "error"), all(.files > 0)`, slurp: true, want: "files,status"},
	{prog: `any, all`, slurp: true, want: ""},
	{prog: `any(.[]; .op == "pull")`, slurp: true, want: "op"},
	{prog: `[limit(3; .[])] | map(.repo)`, slurp: true, want: "repo"},
	{prog: `[.[] | select(.op == "push")] | length`, slurp: true, want: "op"},
	{prog: `.[] | .repo`, slurp: true, want: "repo"},
	{prog: `.[]`, slurp: true, want: "all"},
	{prog: `.[] as {repo: $r} | $r`, slurp: true, want: "repo"},
	{prog: `. as [$a, $b] | $a.repo, $b.op`, slurp: true, want: "op,repo"},
	{prog: `tojson | length`, slurp: true, want: "all"},
	{prog: `map(keys) | length`, slurp: true, want: "all"},
	{prog: `nth(2).repo`, slurp: true, want: "repo"},
	{prog: `[.[] | [.]] | group_by(.[0].repo) | length`, slurp: true, want: "all"}, // the key is not provably infallible
	{prog: `[[[[[.]]]]] | length`, slurp: true, want: "all"},                       // nests too deep to follow
	{prog: `.[0] as $r | [$r] | .[0] | .[0]`, slurp: true, want: "all"},
	{prog: nestedReduce(30), want: "all"}, // too complex to analyse
	{prog: nestedReduce(2), want: "files"},
}

// nestedReduce is n reduces, one inside the other's update, whose states
// change kind once: the analysis of each runs its update twice (a run of
// the program, none).
func nestedReduce(n int) string {
	p := "$r.files"
	for range n {
		p = "reduce empty as $x (0; (" + p + ") as $y | [$r])"
	}
	return ". as $r | " + p + " | length"
}

func TestObservedKeys(t *testing.T) {
	for _, tc := range analysisCases {
		q, err := gojq.Parse(tc.prog)
		if err != nil {
			t.Fatalf("%s: %v", tc.prog, err)
		}
		in := rowKind
		if tc.slurp {
			in = rowsKind
		}
		keys, reason := observedKeys(q, in)
		got := strings.Join(keys, ",")
		if reason != "" {
			got = "all"
		}
		if got != tc.want {
			t.Errorf("%s (slurp %v): observes %q, want %q (reason %q)", tc.prog, tc.slurp, got, tc.want, reason)
		}
	}
}

func TestKindJoin(t *testing.T) {
	arr := arrayOf(rowKind)
	for _, tc := range []struct {
		a, b kind
		want string
	}{
		{valKind, rowKind, "val|row"},
		{noKind, noKind, "none"},
		{arr, valKind, "val|[row]"},
		{arr, arrayOf(valKind.join(rowKind)), "[val|row]"},
		{arrayOf(arr), arr, "[row|[row]]"},
	} {
		if got := tc.a.join(tc.b).String(); got != tc.want {
			t.Errorf("%v ⊔ %v = %s, want %s", tc.a, tc.b, got, tc.want)
		}
		if !tc.a.join(tc.b).equal(tc.b.join(tc.a)) {
			t.Errorf("%v ⊔ %v is not symmetric", tc.a, tc.b)
		}
	}
}
