package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testNow is the present of the tests.
var testNow = time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)

// baseRow is a valid row, keys in the order synclog writes them.
var baseRow = [][2]string{
	{"ts", `"2026-04-16T10:00:00Z"`},
	{"op", `"push"`},
	{"repo", `"r"`},
	{"scope", `"s"`},
	{"files", `1`},
	{"bytes", `10`},
	{"dur_ms", `5`},
	{"manifest_before", `"m0"`},
	{"manifest_after", `"m1"`},
	{"trigger", `"cli"`},
	{"machine", `"a"`},
}

// row writes a row: the base row with mods applied, each "key=JSON" (set
// or add) or "-key" (remove). A value that is not JSON is a string:
// "op=pull" sets "pull", "files=1" the number 1.
func row(mods ...string) string {
	kv := append([][2]string{}, baseRow...)
	for _, m := range mods {
		if strings.HasPrefix(m, "-") {
			key := m[1:]
			for i := range kv {
				if kv[i][0] == key {
					kv = append(kv[:i], kv[i+1:]...)
					break
				}
			}
			continue
		}
		key, val, _ := strings.Cut(m, "=")
		if !json.Valid([]byte(val)) {
			val = fmt.Sprintf("%q", val)
		}
		found := false
		for i := range kv {
			if kv[i][0] == key {
				kv[i][1], found = val, true
			}
		}
		if !found {
			kv = append(kv, [2]string{key, val})
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range kv {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", p[0], p[1])
	}
	b.WriteByte('}')
	return b.String()
}

// lines joins rows into a log, each ending in a newline.
func lines(rows ...string) string { return strings.Join(rows, "\n") + "\n" }

// lintLog lints one log given as text.
func lintLog(t *testing.T, log string, opts Options) *Result {
	t.Helper()
	opts.Stdin = strings.NewReader(log)
	res, err := Run(context.Background(), Input{Logs: []Source{{Path: "-", Name: "log"}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// writeFile writes a file under a test's directory and returns its path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// brief writes findings as "line:rule" for comparisons.
func brief(fs []Finding) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%d:%s", f.Line, f.Rule))
	}
	return strings.Join(parts, " ")
}
