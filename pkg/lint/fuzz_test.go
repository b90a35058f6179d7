package lint

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/synclog/synclog/pkg/ndjson"
)

// FuzzReadFrontMatter: any input reads without a panic; fields are
// top-level keys on the lines they were read from, single-line values
// without surrounding blanks.
func FuzzReadFrontMatter(f *testing.F) {
	for _, s := range []string{
		"---\ngenerated_at: 2026-04-16T19:10:38Z\nnow: x\n---\n# Sync\n",
		"---\r\ngenerated_at: '2026-04-16T19:10:38Z' # c\r\n...\r\n",
		"\xef\xbb\xbf---\nkey:\n  nested: 1\n- item\n# comment\n---",
		"---\n" + strings.Repeat("k: v\n", 300),
		"---\n" + strings.Repeat("x", 10000) + "\ngenerated_at: 1\n---\n",
		"# no front matter\n", "", "---", "---\n:\n: v\nk:v\n---\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := ReadFrontMatter(strings.NewReader(s))
		if err != nil {
			t.Fatal(err) // a strings.Reader never fails
		}
		if fm == nil {
			return
		}
		if !strings.HasPrefix(strings.TrimPrefix(s, "\xef\xbb\xbf"), "---") {
			t.Fatalf("a front matter in %q", s)
		}
		src := strings.Split(s, "\n")
		for _, fd := range fm.Fields {
			if fd.Line < 2 || fd.Line > maxFrontMatterLines || fd.Line > len(src) {
				t.Fatalf("field %+v on no line of %d", fd, len(src))
			}
			if fd.Key == "" || strings.ContainsAny(fd.Key[:1], " \t#-") || strings.Contains(fd.Key, ":") {
				t.Fatalf("bad key %q", fd.Key)
			}
			if strings.ContainsAny(fd.Value, "\n") || fd.Value != strings.TrimSpace(fd.Value) && !strings.ContainsAny(src[fd.Line-1], `"'`) {
				t.Fatalf("bad value %q", fd.Value)
			}
			if !strings.HasPrefix(src[fd.Line-1], fd.Key) && len(src[fd.Line-1]) <= maxFrontMatterLine {
				t.Fatalf("field %+v not on line %q", fd, src[fd.Line-1])
			}
		}
	})
}

// FuzzParseList: entries are never empty, never hold a separator or
// surrounding blanks, and parsing the joined entries gives them back.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{
		"state/log/sync-events.ndjson:state/tmp/**",
		"a\nb\r\n c :: d\n\n", ":", "", "  ", "x:y\nz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list := ParseList(s)
		for _, e := range list {
			if e == "" || e != strings.TrimSpace(e) || strings.ContainsAny(e, ":\n\r") {
				t.Fatalf("bad entry %q of %q", e, s)
			}
		}
		again := ParseList(strings.Join(list, ":"))
		if strings.Join(again, "\x00") != strings.Join(list, "\x00") {
			t.Fatalf("%q: %q then %q", s, list, again)
		}
	})
}

// FuzzMatch: no panic on any glob or path; "**" matches every path; a glob
// without glob characters matches itself and everything under it.
func FuzzMatch(f *testing.F) {
	for _, p := range [][2]string{
		{"state/**", "state/log/sync-events.ndjson"},
		{"*.ndjson", "a/b/c.ndjson"},
		{"/state/log/", "state/log/x"},
		{"[a-", "a"},
		{"**/**/x/**", "x"},
		{strings.Repeat("**/a/", 20), strings.Repeat("a/", 40)},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		Match(pattern, name) // must not panic, even on a bad glob
		if !Match("**", name) {
			t.Fatalf("** does not match %q", name)
		}
		if ValidatePattern(pattern) != nil || strings.ContainsAny(pattern, `*?[\`) || len(patternSegments(pattern)) == 0 {
			return
		}
		if !Match(pattern, pattern) {
			t.Fatalf("%q does not match itself", pattern)
		}
		if !Match(pattern, strings.TrimRight(pattern, "/")+"/under") {
			t.Fatalf("%q does not match what is under it", pattern)
		}
	})
}

// FuzzManifests: whenever the fast read of manifest_before and
// manifest_after answers, it agrees with the full parser.
func FuzzManifests(f *testing.F) {
	f.Add(row())
	f.Add(row("manifest_before=", `manifest_after="sha256:00ff"`))
	f.Add(row(`extra={"manifest_before":"x"}`))
	f.Add(row(`error="a \"manifest_before\":\"x\" b"`))
	f.Add(`{"ts":"2026-04-16T10:00:00Z","manifest_before":"a","manifest_after":"b","manifest_before":"c"}`)
	f.Add(strings.Replace(row(), `"manifest_after"`, `"manifest\u005fafter"`, 1))
	f.Fuzz(func(t *testing.T, line string) {
		var e ndjson.Event
		p := ndjson.NewParser()
		if p.Parse([]byte(line), &e) != nil {
			return
		}
		before, after, ok := manifests([]byte(line))
		if ok && (string(before) != e.ManifestBefore || string(after) != e.ManifestAfter) {
			t.Fatalf("%s: fast read %q %q, parser %q %q", line, before, after, e.ManifestBefore, e.ManifestAfter)
		}
	})
}

// FuzzLintLog: any bytes lint without a panic or an error, every finding is
// of a known rule on a line of the input, and the counts add up.
func FuzzLintLog(f *testing.F) {
	f.Add(lines(row(), row("ts=2026-04-16T09:00:00Z", "manifest_before=x"), row(), "junk", row("files=-1")))
	f.Add(row()[:50] + row() + "\n" + row()[:20])
	f.Add("\xef\xbb\xbf" + row() + "\r\n\n \n{\"ts\":\"\xff\"}\n")
	f.Add(lines(row("ts=2026-04-17T10:00:00Z"), row("trigger=x", "status=error")))
	f.Add("\x1f\x8b")
	f.Fuzz(func(t *testing.T, log string) {
		opts := DefaultOptions(testNow)
		opts.MaxPerRule = 3
		if strings.HasPrefix(log, "\x1f\x8b") {
			// Bytes that open like gzip are read as a gzip stream, and a
			// corrupt one is an error that names its source, as for any
			// reader (ndjson's TestReaderGzip), not a log to lint.
			opts.Stdin = strings.NewReader(log)
			_, err := Run(context.Background(), Input{Logs: []Source{{Path: "-", Name: "log"}}}, opts)
			if err != nil && !strings.HasPrefix(err.Error(), "-: ") {
				t.Fatalf("a corrupt gzip stream: %v, want an error naming -", err)
			}
			return
		}
		res := lintLog(t, log, opts)
		nlines := int64(strings.Count(log, "\n") + 1)
		for _, fd := range res.Findings {
			if _, ok := LookupRule(fd.Rule); !ok {
				t.Fatalf("unknown rule %q", fd.Rule)
			}
			if fd.Line < 1 || fd.Line > nlines {
				t.Fatalf("line %d of %d lines", fd.Line, nlines)
			}
			if !utf8.ValidString(fd.Message) && fd.Rule != RuleTSNotUTC && fd.Rule != RuleUnknownTrigger {
				t.Fatalf("message %q", fd.Message)
			}
		}
		if res.Total() != len(res.Findings)+res.Omitted {
			t.Fatalf("%d counted, %d kept, %d omitted", res.Total(), len(res.Findings), res.Omitted)
		}
	})
}
