package ndjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var knownReasons = map[Reason]bool{
	ReasonInvalidJSON: true, ReasonBadEncoding: true, ReasonMissingField: true, ReasonBadType: true,
	ReasonBadTS: true, ReasonBadOp: true, ReasonBadStatus: true,
}

func parseSeeds() []string {
	r := row()
	return []string{
		r,
		"\xEF\xBB\xBF" + r,
		r + "\r",
		row("repo", "\"a\x00b\""),
		row("repo", "\"\xff\xfe\""),
		row("bytes", `1e400`),
		row("files", `7.0`, "bytes", `1.5e3`, "dur_ms", `-0`),
		strings.TrimSuffix(r, "}") + `,"repo":"again","files":"x","files":2}`,
		strings.TrimSuffix(r, "}") + `,"status":null,"status":"error","files_total":5,"files_total":null}`,
		r[:len(r)/2],
		r[:len(r)-1],
		`{"ts":"2026-04-16T19:10:38Z",`,
		row("x", strings.Repeat(`{"a":`, 600)+"1"+strings.Repeat("}", 600)),
		row("x", strings.Repeat("[", 511)+strings.Repeat("]", 511)),
		row("ts", `"0000-01-01T00:30:00+01:00"`),
		row("ts", `"2026-04-16T19:10:38.123456789123+05:45"`),
		row("status", `"error"`, "error", `"x: \ud83d\ude00 \ud800"`, "tenant_id", `"t"`, "files_total", `9`, "session_id", `"s"`),
		row("k\\u0000", `{"\u003c":"&"}`, "files", `7`, "files_total", `3`),
		"",
		"[]",
		"null",
		r + r,
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var e Event
		err := ParseEvent(line, &e)
		clean := utf8.Valid(line) && bytes.IndexByte(line, 0) < 0
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) || !knownReasons[re.Reason] || re.Msg == "" {
				t.Fatalf("error %#v", err)
			}
			if !clean && re.Reason != ReasonBadEncoding {
				t.Fatalf("line with bad encoding rejected as %s: %s", re.Reason, re.Msg)
			}
			if clean {
				trimmed := bytes.TrimLeft(line, " \t\r\n")
				isObject := json.Valid(line) && len(trimmed) > 0 && trimmed[0] == '{'
				if re.Reason == ReasonInvalidJSON && isObject && !strings.Contains(re.Msg, "nesting too deep") {
					t.Fatalf("valid JSON object rejected as invalid-json: %s", re.Msg)
				}
				if re.Reason != ReasonInvalidJSON && !isObject {
					t.Fatalf("not a JSON object, rejected as %s: %s", re.Reason, re.Msg)
				}
			}
			return
		}
		if !clean || !json.Valid(line) {
			t.Fatalf("accepted a line that is not valid UTF-8 JSON: %q", line)
		}
		out := e.AppendJSON(nil)
		if len(out) == 0 || out[len(out)-1] != '\n' || bytes.Count(out, []byte{'\n'}) != 1 || !json.Valid(out) {
			t.Fatalf("rendered row is not one line of JSON: %q", out)
		}
		var again Event
		if err := ParseEvent(out[:len(out)-1], &again); err != nil {
			t.Fatalf("rendered row %s does not parse: %v", out, err)
		}
		if d := sameEvent(&e, &again); d != "" {
			t.Fatalf("parse(render(e)) != e for %q via %s: %s", line, out, d)
		}
		if out2 := again.AppendJSON(nil); !bytes.Equal(out, out2) {
			t.Fatalf("rendering not stable:\n%s%s", out, out2)
		}
		// What the event says is what jq sees, in the line and in its rendering.
		for _, c := range []struct {
			l  []byte
			ev *Event
		}{{line, &e}, {out[:len(out)-1], &again}} {
			if d := jqView(c.l, c.ev); d != "" && !strings.Contains(d, "nesting too deep") {
				t.Fatalf("event of %q disagrees with jq on %q: %s", line, c.l, d)
			}
		}
	})
}

func FuzzParseValue(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	for _, s := range []string{`1`, `-0`, `0.5e-3`, `1e400`, `-1e400`, `1e-400`, `12345678901234567890`, `9007199254740993`,
		`"\ud83d\ude00\ud800\u00e9"`, ` [1, {"a": [true, false, null]}] `, `{"a":1,"a":2}`, `01`, `1.`, `.5`, `[1,]`, `{"a"}`,
		`"\x"`, "\"\t\"", `tru`, `nulll`, `[] []`, strings.Repeat("[", 513) + strings.Repeat("]", 513)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseValue(b)
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return // only no panic
		}
		valid := json.Valid(b)
		if (err == nil) != valid {
			if valid && strings.Contains(err.Error(), "nesting too deep") {
				return
			}
			t.Fatalf("ParseValue(%q) err %v, json.Valid %v", b, err, valid)
		}
		if err != nil {
			return
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var want any
		if err := d.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if msg := sameValue(v, want); msg != "" {
			t.Fatalf("ParseValue(%q) = %#v, encoding/json %#v: %s", b, v, want, msg)
		}
	})
}

// sameValue compares a ParseValue result to an encoding/json one decoded
// with UseNumber, numbers by their float64 value (clamped as jq does).
func sameValue(got, want any) string {
	switch w := want.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(w), 64)
		if err != nil {
			if math.IsInf(f, 1) {
				f = math.MaxFloat64
			} else if math.IsInf(f, -1) {
				f = -math.MaxFloat64
			} else if f != 0 {
				return fmt.Sprintf("number %s: %v", w, err)
			}
		}
		var g float64
		switch n := got.(type) {
		case int:
			g = float64(n)
		case float64:
			g = n
		default:
			return fmt.Sprintf("number %s decoded as %T", w, got)
		}
		if g != f {
			return fmt.Sprintf("number %s decoded as %v, want %v", w, g, f)
		}
		return ""
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("object %v decoded as %#v", w, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("key %q missing", k)
			}
			if msg := sameValue(gv, wv); msg != "" {
				return msg
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("array %v decoded as %#v", w, got)
		}
		for i := range w {
			if msg := sameValue(g[i], w[i]); msg != "" {
				return msg
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("%#v != %#v", got, want)
		}
		return ""
	}
}

// filler returns n bytes of whole lines: a few rows, then one blank line
// of spaces that pads to n (cheap to read, even instrumented).
func filler(n int) []byte {
	var out []byte
	for i := 0; i < 3 && len(out)+len(row())+1 < n-1; i++ {
		out = append(out, row()+"\n"...)
	}
	if pad := n - len(out); pad > 0 {
		out = append(out, bytes.Repeat([]byte{' '}, pad-1)...)
		out = append(out, '\n')
	}
	return out
}

// expected reads content line by line on its own, without Scan.
type expected struct {
	good, blank int64
	bad         map[int64]Reason
	goodLines   []int64
	partial     bool
}

func expect(content []byte) expected {
	ex := expected{bad: map[int64]Reason{}}
	data := bytes.TrimPrefix(content, bom)
	blank := func(l []byte) bool { return len(bytes.Trim(l, " \t\r")) == 0 }
	for n := int64(1); len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if blank(data) {
				ex.blank++
			} else {
				ex.partial = true
			}
			break
		}
		l := bytes.TrimSuffix(data[:i], []byte{'\r'})
		data = data[i+1:]
		if blank(l) {
			ex.blank++
			continue
		}
		var e Event
		if err := ParseEvent(l, &e); err != nil {
			ex.bad[n] = err.(*RowError).Reason
			continue
		}
		ex.good++
		ex.goodLines = append(ex.goodLines, n)
	}
	return ex
}

func FuzzScan(f *testing.F) {
	r := row()
	for _, s := range []string{
		r + "\n" + r + "\n",
		"\xEF\xBB\xBF" + r + "\r\n\r\n  \n" + r,
		r + "\n\x00\xff\n" + r[:20],
		"\n\n\n",
		"\xEF\xBB\xBF",
		"\xEF\xBB\xBF \t",
		r + "\n\r",
		"\x1f\x8b\x08garbage\n",
		strings.Repeat("x", 5000) + "\n" + r + "\n",
	} {
		for _, mode := range []byte{0, 1, 2, 3, 7} {
			f.Add([]byte(s), mode, uint16(len(s)/3))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte, split uint16) {
		zipped, padded, workers := mode&1 != 0, mode&2 != 0, int(mode>>2)%3+1
		content := data
		if padded {
			// Put a chunk boundary inside data.
			k := int(split) % (len(data) + 1)
			content = append(filler(ChunkSize-k), data...)
		}
		// Cut the content at pseudo-random points: each piece is written with
		// its own write, or becomes its own gzip member.
		var pieces [][]byte
		rest := content
		for s := uint32(split) | 1; len(rest) > 0; s = s*1103515245 + 12345 {
			n := int(s>>8)%(len(content)/2+2) + 1
			n = min(n, len(rest))
			pieces = append(pieces, rest[:n])
			rest = rest[n:]
		}
		p := filepath.Join(t.TempDir(), "log.ndjson")
		fh, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if zipped {
			if len(pieces) > 4 { // a few members are enough
				pieces = append(pieces[:3], bytes.Join(pieces[3:], nil))
			}
			_, err = fh.Write(gz(t, pieces...))
		} else {
			for _, pc := range pieces {
				if _, err = fh.Write(pc); err != nil {
					break
				}
			}
		}
		if cerr := fh.Close(); err != nil || cerr != nil {
			t.Fatal(err, cerr)
		}

		var rows []int64
		st, err := ReadEvents(context.Background(), []string{p}, ReadOptions{ScanOptions: ScanOptions{Workers: workers}, KeepExtra: true},
			func(r *Row) error {
				rows = append(rows, r.Line)
				return nil
			})
		if err != nil {
			if !zipped && bytes.HasPrefix(content, []byte{0x1f, 0x8b}) {
				return // looks like gzip and is not: an error, not a crash
			}
			t.Fatalf("scan: %v", err)
		}
		src := st.Sources[0]
		total := src.Rows + src.Skipped + src.Blank
		if src.Partial {
			total++
		}
		if want := countLines(content); total != want {
			t.Fatalf("rows %d + skipped %d + blank %d + partial %v = %d, want %d lines",
				src.Rows, src.Skipped, src.Blank, src.Partial, total, want)
		}
		ex := expect(content)
		if src.Rows != ex.good || src.Skipped != int64(len(ex.bad)) || src.Blank != ex.blank || src.Partial != ex.partial {
			t.Fatalf("stats rows %d skipped %d blank %d partial %v; want %d %d %d %v",
				src.Rows, src.Skipped, src.Blank, src.Partial, ex.good, len(ex.bad), ex.blank, ex.partial)
		}
		if !reflect.DeepEqual(rows, ex.goodLines) {
			t.Fatalf("rows at lines %v, want %v", rows, ex.goodLines)
		}
		for _, s := range src.Examples {
			if r, ok := ex.bad[s.Line]; !ok || r != s.Reason {
				t.Fatalf("skip %v: line %d is %q", s, s.Line, r)
			}
		}
		if src.Bytes != int64(len(content)) {
			t.Fatalf("Bytes %d, want %d", src.Bytes, len(content))
		}
	})
}
