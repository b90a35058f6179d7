package ndjson

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// baseRow is a valid row, key by key, in the order synclog writes it.
var baseRow = [][2]string{
	{"ts", `"2026-04-16T19:10:38Z"`},
	{"op", `"push"`},
	{"repo", `"snappy-os"`},
	{"scope", `"state"`},
	{"files", `7`},
	{"bytes", `12483`},
	{"dur_ms", `842`},
	{"manifest_before", `"sha256:aa"`},
	{"manifest_after", `"sha256:bb"`},
	{"trigger", `"cli"`},
	{"machine", `"devbox-01"`},
}

// drop, as a value in row, removes the key.
const drop = "\x00drop"

// row builds a line from baseRow with kv pairs applied: a key of baseRow
// gets the new raw value (or is dropped), any other key is appended.
func row(kv ...string) string {
	if len(kv)%2 != 0 {
		panic("row: odd kv")
	}
	set := map[string]string{}
	var extra [][2]string
	for i := 0; i < len(kv); i += 2 {
		found := false
		for _, b := range baseRow {
			if b[0] == kv[i] {
				found = true
			}
		}
		if found {
			set[kv[i]] = kv[i+1]
		} else {
			extra = append(extra, [2]string{kv[i], kv[i+1]})
		}
	}
	var parts []string
	for _, b := range baseRow {
		v := b[1]
		if s, ok := set[b[0]]; ok {
			v = s
		}
		if v == drop {
			continue
		}
		parts = append(parts, fmt.Sprintf("%q:%s", b[0], v))
	}
	for _, e := range extra {
		parts = append(parts, fmt.Sprintf("%q:%s", e[0], e[1]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// sameEvent reports how a and b differ, "" when they are the same row: ts
// is compared as an instant, nil and empty Extra are the same, and which
// optional keys were present is left to jqView (a rendered row may add
// "error":"" to a failed row that had none).
func sameEvent(a, b *Event) string {
	if !a.TS.Equal(b.TS) {
		return fmt.Sprintf("ts %v != %v", a.TS, b.TS)
	}
	x, y := *a, *b
	x.TS, y.TS = time.Time{}, time.Time{}
	x.TSRaw, y.TSRaw = "", ""
	x.Present, y.Present = 0, 0
	if len(x.Extra) == 0 {
		x.Extra = nil
	}
	if len(y.Extra) == 0 {
		y.Extra = nil
	}
	if !reflect.DeepEqual(x, y) {
		return fmt.Sprintf("\n%+v\n!=\n%+v", x, y)
	}
	return ""
}

// jqView checks that e says what a jq-like reader (ParseValue, which keeps
// the last of repeated keys) sees in line: every schema key and every extra
// key. It returns "" when they agree.
func jqView(line []byte, e *Event) string {
	v, err := ParseValue(line)
	if err != nil {
		return "ParseValue: " + err.Error()
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "not an object"
	}
	str := func(k, want string, optional bool) string {
		got, present := m[k]
		if optional && (!present || got == nil) {
			if want != "" {
				return fmt.Sprintf("%s: jq sees %v, event has %q", k, got, want)
			}
			return ""
		}
		s, ok := got.(string)
		if !ok || s != want {
			return fmt.Sprintf("%s: jq sees %#v, event has %q", k, got, want)
		}
		return ""
	}
	num := func(k string, want int64, present bool) string {
		got, ok := m[k]
		if !present {
			if ok && got != nil {
				return fmt.Sprintf("%s: jq sees %#v, event has none", k, got)
			}
			return ""
		}
		var f float64
		switch n := got.(type) {
		case int:
			if int64(n) == want {
				return ""
			}
			f = float64(n)
		case float64:
			f = n
		default:
			return fmt.Sprintf("%s: jq sees %#v, event has %d", k, got, want)
		}
		if f != float64(want) || math.IsInf(f, 0) {
			return fmt.Sprintf("%s: jq sees %v, event has %d", k, got, want)
		}
		return ""
	}
	ts, _ := m["ts"].(string)
	if t, err := ParseTS([]byte(ts)); err != nil || !t.Equal(e.TS) {
		return fmt.Sprintf("ts: jq sees %q, event has %v", ts, e.TS)
	}
	for _, msg := range []string{
		str("op", e.Op, false), str("repo", e.Repo, false), str("scope", e.Scope, false),
		num("files", e.Files, true), num("bytes", e.Bytes, true), num("dur_ms", e.DurMS, true),
		str("manifest_before", e.ManifestBefore, false), str("manifest_after", e.ManifestAfter, false),
		str("trigger", e.Trigger, false), str("machine", e.Machine, false),
		str("status", e.Status, true), str("error", e.Error, true), str("tenant_id", e.TenantID, true),
		str("session_id", e.SessionID, true), num("files_total", e.FilesTotal, e.HasFilesTotal),
	} {
		if msg != "" {
			return msg
		}
	}
	// A present key holding "" is not an absent one.
	for _, p := range []struct {
		key  string
		has  bool
		name string
	}{{"error", e.HasError(), "HasError"}, {"tenant_id", e.HasTenantID(), "HasTenantID"}, {"session_id", e.HasSessionID(), "HasSessionID"}} {
		v, ok := m[p.key]
		if jqHas := ok && v != nil; jqHas != p.has {
			return fmt.Sprintf("%s: jq sees %#v (present %v), event %s() = %v", p.key, v, ok, p.name, p.has)
		}
	}
	for _, f := range e.Extra {
		want, err := ParseValue(f.Value)
		if err != nil {
			return fmt.Sprintf("extra %q: %v", f.Key, err)
		}
		if !reflect.DeepEqual(m[f.Key], want) {
			return fmt.Sprintf("extra %q: jq sees %#v, event keeps %s", f.Key, m[f.Key], f.Value)
		}
	}
	return ""
}

// countLines counts the lines of a file the way a person would: after a
// leading BOM, every '\n' ends a line, and trailing bytes after the last
// '\n' are one more (unterminated) line.
func countLines(data []byte) int64 {
	data = bytes.TrimPrefix(data, bom)
	n := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}
