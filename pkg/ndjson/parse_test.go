package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseEventRejects(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		reason Reason
		msg    string // the whole message, or a prefix when it ends in "…"
	}{
		{"empty", ``, ReasonInvalidJSON, "empty line"},
		{"array", `[1,2]`, ReasonInvalidJSON, "not a JSON object"},
		{"string", `"row"`, ReasonInvalidJSON, "not a JSON object"},
		{"garbage", `hello`, ReasonInvalidJSON, "invalid JSON: …"},
		{"truncated", row()[:40], ReasonInvalidJSON, "invalid JSON: …"},
		{"truncated after comma", `{"ts":"x",`, ReasonInvalidJSON, "invalid JSON: …"},
		{"trailing data", row() + `{}`, ReasonInvalidJSON, "invalid JSON: trailing data at byte …"},
		{"two rows glued", row() + row(), ReasonInvalidJSON, "invalid JSON: trailing data …"},
		{"bad escape", row("repo", `"a\x"`), ReasonInvalidJSON, "invalid JSON: …"},
		{"raw control char", row("repo", "\"a\tb\""), ReasonInvalidJSON, "invalid JSON: control character …"},
		{"deep nesting", row("x", strings.Repeat("[", 600)+strings.Repeat("]", 600)), ReasonInvalidJSON, "invalid JSON: nesting too deep"},

		{"invalid utf-8", row("repo", "\"a\xffb\""), ReasonBadEncoding, "invalid UTF-8"},
		{"truncated utf-8", row("repo", "\"\xe2\x82\""), ReasonBadEncoding, "invalid UTF-8"},
		{"NUL byte", row("repo", "\"a\x00b\""), ReasonBadEncoding, "NUL byte in line"},
		{"NUL outside string", row() + "\x00", ReasonBadEncoding, "NUL byte in line"},

		{"missing ts", row("ts", drop), ReasonMissingField, `missing key "ts"`},
		{"missing repo", row("repo", drop), ReasonMissingField, `missing key "repo"`},
		{"missing files", row("files", drop), ReasonMissingField, `missing key "files"`},
		{"missing machine", row("machine", drop), ReasonMissingField, `missing key "machine"`},
		{"missing two names the first", row("scope", drop, "trigger", drop), ReasonMissingField, `missing key "scope"`},
		{"empty object", `{}`, ReasonMissingField, `missing key "ts"`},

		{"repo number", row("repo", `5`), ReasonBadType, `key "repo": want a string, got a number`},
		{"repo null", row("repo", `null`), ReasonBadType, `key "repo": want a string, got null`},
		{"machine object", row("machine", `{"a":1}`), ReasonBadType, `key "machine": want a string, got an object`},
		{"ts number", row("ts", `1713294638`), ReasonBadType, `key "ts": want a string, got a number`},
		{"status bool", row("status", `true`), ReasonBadType, `key "status": want a string, got a boolean`},
		{"tenant array", row("tenant_id", `["a"]`), ReasonBadType, `key "tenant_id": want a string, got an array`},
		{"files string", row("files", `"7"`), ReasonBadType, `key "files": want an integer >= 0, got a string`},
		{"files negative", row("files", `-1`), ReasonBadType, `key "files": want an integer >= 0, got number -1`},
		{"bytes negative", row("bytes", `-12483`), ReasonBadType, `key "bytes": want an integer >= 0, got number -12483`},
		{"dur_ms fraction", row("dur_ms", `0.5`), ReasonBadType, `key "dur_ms": want an integer >= 0, got number 0.5`},
		{"bytes 1e400", row("bytes", `1e400`), ReasonBadType, `key "bytes": want an integer >= 0, got number 1e400`},
		{"bytes -1e400", row("bytes", `-1e400`), ReasonBadType, `key "bytes": want an integer >= 0, got number -1e400`},
		{"bytes beyond int64", row("bytes", `99999999999999999999`), ReasonBadType, `key "bytes": want an integer >= 0, got number 99999999999999999999`},
		{"files_total negative", row("files_total", `-3`), ReasonBadType, `key "files_total": want an integer >= 0, got number -3`},
		{"files_total string", row("files_total", `"9"`), ReasonBadType, `key "files_total": want an integer >= 0, got a string`},
		{"files > files_total", row("files", `7`, "files_total", `3`), ReasonBadType, `key "files": 7 is more than files_total 3`},

		{"ts words", row("ts", `"yesterday"`), ReasonBadTS, `key "ts": "yesterday" is not an RFC 3339 time with a zone`},
		{"ts without zone", row("ts", `"2026-04-16T19:10:38"`), ReasonBadTS, `key "ts": "2026-04-16T19:10:38" is not an RFC 3339 time with a zone`},
		{"ts date only", row("ts", `"2026-04-16"`), ReasonBadTS, `key "ts": "2026-04-16" is not an RFC 3339 time with a zone`},
		{"ts Feb 30", row("ts", `"2026-02-30T00:00:00Z"`), ReasonBadTS, `key "ts": "2026-02-30T00:00:00Z" is not an RFC 3339 time with a zone`},
		{"ts hour 24", row("ts", `"2026-04-16T24:00:00Z"`), ReasonBadTS, `key "ts": "2026-04-16T24:00:00Z" is not an RFC 3339 time with a zone`},
		{"ts empty", row("ts", `""`), ReasonBadTS, `key "ts": "" is not an RFC 3339 time with a zone`},

		{"op sync", row("op", `"sync"`), ReasonBadOp, `key "op": want "push" or "pull", got "sync"`},
		{"op upper", row("op", `"PUSH"`), ReasonBadOp, `key "op": want "push" or "pull", got "PUSH"`},
		{"op empty", row("op", `""`), ReasonBadOp, `key "op": want "push" or "pull", got ""`},

		{"status fine", row("status", `"fine"`), ReasonBadStatus, `key "status": want "ok" or "error", got "fine"`},
		{"status empty", row("status", `""`), ReasonBadStatus, `key "status": want "ok" or "error", got ""`},
		{"status OK", row("status", `"OK"`), ReasonBadStatus, `key "status": want "ok" or "error", got "OK"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			err := ParseEvent([]byte(tt.line), &e)
			if err == nil {
				t.Fatalf("accepted %q as %+v", tt.line, e)
			}
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v, want *RowError", err, err)
			}
			if re.Reason != tt.reason {
				t.Errorf("reason %q (%s), want %q", re.Reason, re.Msg, tt.reason)
			}
			if p, ok := strings.CutSuffix(tt.msg, "…"); ok {
				if !strings.HasPrefix(re.Msg, p) {
					t.Errorf("message %q, want it to start with %q", re.Msg, p)
				}
			} else if re.Msg != tt.msg {
				t.Errorf("message %q, want %q", re.Msg, tt.msg)
			}
			if err.Error() != re.Msg {
				t.Errorf("Error() %q != Msg %q", err.Error(), re.Msg)
			}
		})
	}
}

func TestParseEventAccepts(t *testing.T) {
	ts := time.Date(2026, 4, 16, 19, 10, 38, 0, time.UTC)
	base := Event{TS: ts, Op: "push", Repo: "snappy-os", Scope: "state", Files: 7, Bytes: 12483, DurMS: 842,
		ManifestBefore: "sha256:aa", ManifestAfter: "sha256:bb", Trigger: "cli", Machine: "devbox-01"}
	with := func(f func(e *Event)) Event { e := base; f(&e); return e }
	tests := []struct {
		name string
		line string
		want Event
	}{
		{"base", row(), base},
		{"spaces around", " \t" + strings.ReplaceAll(row(), ",", " , ") + " ", base},
		{"7.0 is 7", row("files", `7.0`), base},
		{"7e0 is 7", row("files", `7e0`), base},
		{"1.2483e4 is 12483", row("bytes", `1.2483E4`), base},
		{"zero", row("files", `0`, "bytes", `-0`), with(func(e *Event) { e.Files, e.Bytes = 0, 0 })},
		{"max int64", row("bytes", `9223372036854775807`), with(func(e *Event) { e.Bytes = 1<<63 - 1 })},
		{"ts offset", row("ts", `"2026-04-16T21:10:38+02:00"`), base},
		{"ts fraction", row("ts", `"2026-04-16T19:10:38.25Z"`), with(func(e *Event) { e.TS = ts.Add(250 * time.Millisecond) })},
		{"ts lower case", row("ts", `"2026-04-16t19:10:38z"`), base},
		{"status ok", row("status", `"ok"`), with(func(e *Event) { e.Status = StatusOK })},
		{"status error", row("status", `"error"`, "error", `"push: timeout"`), with(func(e *Event) { e.Status, e.Error = StatusError, "push: timeout" })},
		{"optional keys", row("tenant_id", `"t-7"`, "files_total", `9`, "session_id", `"s1"`),
			with(func(e *Event) { e.TenantID, e.FilesTotal, e.HasFilesTotal, e.SessionID = "t-7", 9, true, "s1" })},
		{"files == files_total", row("files_total", `7`), with(func(e *Event) { e.FilesTotal, e.HasFilesTotal = 7, true })},
		{"null optional keys", row("status", `null`, "error", `null`, "tenant_id", `null`, "files_total", `null`),
			with(func(e *Event) {
				e.Extra = []Field{{"status", []byte("null")}, {"error", []byte("null")}, {"tenant_id", []byte("null")}, {"files_total", []byte("null")}}
			})},
		{"unknown keys kept", row("host", `"h1"`, "tags", `["a", {"b": null}]`, "n", `1e400`),
			with(func(e *Event) {
				e.Extra = []Field{{"host", []byte(`"h1"`)}, {"tags", []byte(`["a", {"b": null}]`)}, {"n", []byte(`1e400`)}}
			})},
		{"escapes", row("repo", `"a\"b\\c\/d\n\t\u00e9"`), with(func(e *Event) { e.Repo = "a\"b\\c/d\n\té" })},
		{"surrogate pair", row("repo", `"\ud83d\ude00 ok"`), with(func(e *Event) { e.Repo = "😀 ok" })},
		{"lone high surrogate", row("repo", `"\ud83dA"`), with(func(e *Event) { e.Repo = "\ufffdA" })},
		{"lone low surrogate", row("repo", `"\ude00"`), with(func(e *Event) { e.Repo = "\ufffd" })},
		{"high then non-low escape", row("repo", `"\ud83d\u0041"`), with(func(e *Event) { e.Repo = "\ufffdA" })},
		{"escaped key", `{"\u0074s":"2026-04-16T19:10:38Z"` + row()[len(`{"ts":"2026-04-16T19:10:38Z"`):], base},
		{"utf-8 text", row("repo", `"日本語 <b>&amp;"`), with(func(e *Event) { e.Repo = "日本語 <b>&amp;" })},
		{"duplicate known key, last wins", strings.TrimSuffix(row(), "}") + `,"repo":"second"}`, with(func(e *Event) { e.Repo = "second" })},
		{"duplicate unknown key, last wins", row("x", `1`, "x", `[2]`), with(func(e *Event) { e.Extra = []Field{{"x", []byte("[2]")}} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			if err := ParseEvent([]byte(tt.line), &e); err != nil {
				t.Fatalf("rejected %s: %v", tt.line, err)
			}
			if d := sameEvent(&e, &tt.want); d != "" {
				t.Errorf("parse %s: %s", tt.line, d)
			}
			if d := jqView([]byte(tt.line), &e); d != "" {
				t.Errorf("event disagrees with what jq sees: %s", d)
			}
		})
	}
}

// Repeated keys: the last one wins, as in jq, whatever the earlier ones held.
func TestParseEventDuplicateKeysLastWins(t *testing.T) {
	tail := `,"op":"push","repo":"r","scope":"s","bytes":1,"dur_ms":1,"manifest_before":"","manifest_after":"","trigger":"cli","machine":"m"`
	accept := []struct {
		name  string
		line  string
		check func(e *Event) bool
	}{
		{"files twice", `{"ts":"2026-01-01T00:00:00Z","files":1,"files":2` + tail + `}`, func(e *Event) bool { return e.Files == 2 }},
		{"repo twice", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"repo":"r2"}`, func(e *Event) bool { return e.Repo == "r2" }},
		{"status ok then error", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"status":"ok","status":"error","error":"x"}`, func(e *Event) bool { return e.Status == StatusError }},
		{"bad files then good", `{"ts":"2026-01-01T00:00:00Z","files":"x","files":3` + tail + `}`, func(e *Event) bool { return e.Files == 3 }},
		{"bad ts type then good", `{"ts":5,"ts":"2026-01-01T00:00:00Z","files":1` + tail + `}`, func(e *Event) bool { return e.TS.Year() == 2026 }},
		{"bad status then good", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"status":1,"status":"ok"}`, func(e *Event) bool { return e.Status == StatusOK }},
		{"bad repo type then good", `{"ts":"2026-01-01T00:00:00Z","files":1,"repo":[1]` + tail + `}`, func(e *Event) bool { return e.Repo == "r" }},
		{"files_total then null", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"files_total":5,"files_total":null}`, func(e *Event) bool { return !e.HasFilesTotal }},
		{"null then files_total", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"files_total":null,"files_total":5}`, func(e *Event) bool { return e.HasFilesTotal && e.FilesTotal == 5 }},
		{"status null then error", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"status":null,"status":"error","error":"e"}`, func(e *Event) bool { return e.Status == StatusError }},
		{"status error then null", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"status":"error","status":null}`, func(e *Event) bool { return e.Status == "" }},
		{"tenant then null", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"tenant_id":"t","tenant_id":null}`, func(e *Event) bool { return e.TenantID == "" }},
		{"files_total big then small", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"files_total":0,"files_total":5}`, func(e *Event) bool { return e.FilesTotal == 5 }},
	}
	for _, tt := range accept {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			if err := ParseEvent([]byte(tt.line), &e); err != nil {
				t.Fatalf("rejected %s: %v", tt.line, err)
			}
			if !tt.check(&e) {
				t.Errorf("%s: got %+v", tt.line, e)
			}
			if d := jqView([]byte(tt.line), &e); d != "" {
				t.Errorf("event disagrees with what jq sees: %s", d)
			}
			out := e.AppendJSON(nil)
			if d := jqView(bytes.TrimSuffix(out, []byte("\n")), &e); d != "" {
				t.Errorf("rendered %s: jq sees another row: %s", out, d)
			}
		})
	}
	reject := []struct{ name, line string }{
		{"good files then bad", `{"ts":"2026-01-01T00:00:00Z","files":3,"files":"x"` + tail + `}`},
		{"good op then bad", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"op":"sync"}`},
		{"good status then bad", `{"ts":"2026-01-01T00:00:00Z","files":1` + tail + `,"status":"ok","status":"meh"}`},
		{"files over files_total", `{"ts":"2026-01-01T00:00:00Z","files":9` + tail + `,"files_total":10,"files_total":5}`},
	}
	for _, tt := range reject {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			if err := ParseEvent([]byte(tt.line), &e); err == nil {
				t.Fatalf("accepted %s as %+v", tt.line, e)
			}
		})
	}
}

// A Parser reused across lines keeps nothing from one line to the next.
func TestParserReuse(t *testing.T) {
	p := NewParser()
	p.KeepExtra, p.KeepRawTS = true, true
	var e Event
	if err := p.Parse([]byte(row("status", `"error"`, "error", `"x"`, "files_total", `9`, "k", `1`)), &e); err != nil {
		t.Fatal(err)
	}
	if err := p.Parse([]byte(row("ts", `"2026-04-16T21:10:38+02:00"`)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Status != "" || e.Error != "" || e.HasFilesTotal || e.Extra != nil {
		t.Errorf("state leaked from the previous line: %+v", e)
	}
	if e.TSRaw != "2026-04-16T21:10:38+02:00" {
		t.Errorf("TSRaw %q", e.TSRaw)
	}
	if err := p.Parse([]byte(`{"op":1}`), &e); err == nil {
		t.Fatal("accepted a bad row")
	}
	if e.Op != "" || !e.TS.IsZero() {
		t.Errorf("a rejected line left %+v", e)
	}
	q := NewParser() // KeepExtra off
	if err := q.Parse([]byte(row("k", `1`)), &e); err != nil || e.Extra != nil {
		t.Errorf("KeepExtra off: err %v, extra %v", err, e.Extra)
	}
}

func TestAppendJSON(t *testing.T) {
	e := Event{
		TS: time.Date(2026, 4, 16, 21, 10, 38, 0, time.FixedZone("", 2*3600)), Op: "push", Repo: "<repo>&", Scope: "state",
		Files: 1, Bytes: 2, DurMS: 3, ManifestBefore: "", ManifestAfter: "m\u2028", Trigger: "cli", Machine: "m\"1\"",
		Status: StatusError, Error: "a: b\n\tc\x01\x7f", TenantID: "t", FilesTotal: 0, HasFilesTotal: true, SessionID: "s",
		Extra: []Field{{"z", []byte(`{"a":[1,2]}`)}, {"k\"", []byte(`null`)}},
	}
	got := string(e.AppendJSON([]byte("prefix:")))
	want := `prefix:{"ts":"2026-04-16T19:10:38Z","op":"push","repo":"<repo>&","scope":"state","files":1,"bytes":2,"dur_ms":3,` +
		`"manifest_before":"","manifest_after":"m` + "\u2028" + `","trigger":"cli","machine":"m\"1\"","status":"error",` +
		`"error":"a: b\n\tc\u0001\u007f","tenant_id":"t","files_total":0,"session_id":"s","z":{"a":[1,2]},"k\"":null}` + "\n"
	if got != want {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(got, `\u003c`) || strings.Contains(got, `\u0026`) {
		t.Errorf("HTML escaping in %s", got)
	}
	if !json.Valid([]byte(strings.TrimPrefix(got, "prefix:"))) {
		t.Errorf("not valid JSON: %s", got)
	}

	// Minimal row: optional keys absent; status error always carries error.
	min := Event{TS: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), Op: "pull", Status: StatusError}
	got = string(min.AppendJSON(nil))
	want = `{"ts":"2026-01-02T03:04:05.0000006Z","op":"pull","repo":"","scope":"","files":0,"bytes":0,"dur_ms":0,"manifest_before":"","manifest_after":"","trigger":"","machine":"","status":"error","error":""}` + "\n"
	if got != want {
		t.Errorf("AppendJSON minimal:\n got %s\nwant %s", got, want)
	}
	// Invalid UTF-8 in a field becomes U+FFFD, so the row stays valid.
	bad := Event{Op: "push", Repo: "a\xffb"}
	out := bad.AppendJSON(nil)
	if !json.Valid(out) || !bytes.Contains(out, []byte("a\ufffdb")) {
		t.Errorf("invalid UTF-8 rendered as %q", out)
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	lines := []string{
		row(),
		row("ts", `"2026-04-16T21:10:38.123456789+02:00"`),
		row("status", `"error"`, "error", `"x: y"`, "tenant_id", `"t-1"`, "files_total", `7`, "session_id", `"abc"`),
		row("repo", `"<a href=\"x\">&amp;</a>"`, "scope", `"\u0000\u001f\u2028\ud83d\ude00"`),
		row("extra", `{"nested":[1,2.5,"x",true,null,{}]}`, "n", `-1e400`, "s", `"\u00e9"`),
		row("status", `null`, "files_total", `null`, "error", `null`),
		row("status", `"error"`),
	}
	for _, line := range lines {
		var e, again Event
		if err := ParseEvent([]byte(line), &e); err != nil {
			t.Fatalf("parse %s: %v", line, err)
		}
		out := e.AppendJSON(nil)
		if !bytes.HasSuffix(out, []byte("\n")) || bytes.Count(out, []byte("\n")) != 1 {
			t.Fatalf("rendered row is not one line: %q", out)
		}
		if !json.Valid(out) {
			t.Fatalf("rendered row is not JSON: %s", out)
		}
		if err := ParseEvent(bytes.TrimSuffix(out, []byte("\n")), &again); err != nil {
			t.Fatalf("rendered %s does not parse: %v", out, err)
		}
		if d := sameEvent(&e, &again); d != "" {
			t.Errorf("round trip of %s via %s: %s", line, out, d)
		}
		if out2 := again.AppendJSON(nil); !bytes.Equal(out, out2) {
			t.Errorf("rendering is not stable:\n%s%s", out, out2)
		}
		if bytes.Contains(out, []byte(`\u003c`)) || bytes.Contains(out, []byte(`\u0026`)) || bytes.Contains(out, []byte(`\u003e`)) {
			t.Errorf("HTML escaping in %s", out)
		}
	}
}

func TestParseTS(t *testing.T) {
	good := map[string]time.Time{
		"2026-04-16T19:10:38Z":                time.Date(2026, 4, 16, 19, 10, 38, 0, time.UTC),
		"2024-02-29T00:00:00Z":                time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"2026-04-16T19:10:38.5-01:30":         time.Date(2026, 4, 16, 20, 40, 38, 5e8, time.UTC),
		"2026-04-16T19:10:38.000000001Z":      time.Date(2026, 4, 16, 19, 10, 38, 1, time.UTC),
		"2026-12-31T23:59:59+00:00":           time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		"0001-01-01T00:00:00Z":                time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"9999-12-31T23:59:59.999999999Z":      time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		"2026-04-16T19:10:38.123456789+14:00": time.Date(2026, 4, 16, 5, 10, 38, 123456789, time.UTC),
	}
	for s, want := range good {
		got, err := ParseTS([]byte(s))
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTS(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2026-04-16", "2026-04-16T19:10:38", "2026-04-16 19:10:38Z", "2023-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-04-16T19:60:00Z", "2026-04-16T19:10:60Z", "2026-04-16T19:10:38+2", "+2026-04-16T19:10:38Z",
		"2026-04-16T19:10:38ZZ", "2026-04-16T19:10:38.Z", "1776366638"} {
		if got, err := ParseTS([]byte(s)); err == nil {
			t.Errorf("ParseTS(%q) = %v, want an error", s, got)
		}
	}
}

// A ts whose UTC form falls outside years 0000-9999 has no RFC 3339 form
// synclog could write back, so it is not accepted.
func TestParseEventTSOutsideRFC3339InUTC(t *testing.T) {
	for _, ts := range []string{`"0000-01-01T00:30:00+01:00"`, `"9999-12-31T23:30:00-01:00"`} {
		var e Event
		err := ParseEvent([]byte(row("ts", ts)), &e)
		if err == nil {
			out := e.AppendJSON(nil)
			var again Event
			if err := ParseEvent(bytes.TrimSuffix(out, []byte("\n")), &again); err != nil {
				t.Errorf("ts %s accepted, but its rendering %s does not parse: %v", ts, out, err)
			}
			continue
		}
		var re *RowError
		if !errors.As(err, &re) || re.Reason != ReasonBadTS {
			t.Errorf("ts %s: %v, want bad-ts", ts, err)
		}
	}
}

// TestParserLean checks that a lean parser still checks the fields it does
// not keep, and keeps everything else.
func TestParserLean(t *testing.T) {
	line := []byte(row("session_id", `"s-1"`, "status", `"error"`, "error", `"boom"`))
	var full, lean Event
	if err := NewParser().Parse(line, &full); err != nil {
		t.Fatal(err)
	}
	p := NewParser()
	p.Lean = true
	if err := p.Parse(line, &lean); err != nil {
		t.Fatal(err)
	}
	if lean.ManifestBefore != "" || lean.ManifestAfter != "" || lean.SessionID != "" {
		t.Errorf("lean parse kept %q %q %q", lean.ManifestBefore, lean.ManifestAfter, lean.SessionID)
	}
	full.ManifestBefore, full.ManifestAfter, full.SessionID = "", "", ""
	if !reflect.DeepEqual(full, lean) {
		t.Errorf("lean parse differs:\n got %+v\nwant %+v", lean, full)
	}
	for _, bad := range []string{row("manifest_after", `7`), row("session_id", `[]`), row("manifest_before", drop)} {
		var e Event
		if err := p.Parse([]byte(bad), &e); err == nil {
			t.Errorf("lean parse accepted %s", bad)
		}
	}
}
