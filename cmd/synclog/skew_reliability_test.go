//go:build reliability

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Item 10: clock skew. A log with rows out of order, in the future (a year
// ahead, a day ahead, a millisecond ahead), before 1970 and in year 1,
// and with offsets that put a row on another UTC hour or day than its wall
// clock says. Every row carries bytes 2^i, so a sum names the rows in it.
// Pass: summarize's windows (pushes per hour over 24 h, bytes per day over
// 7 days, last success) are taken at --now over UTC instants and leave the
// future rows out; cost has no period for them; alert raises no cluster of
// future failures; query's --since and --until compare instants; lint
// reports exactly the future rows beyond lint.skew (future-ts), the rows
// earlier than their predecessor (out-of-order) and the offsets
// (ts-not-utc), with gaps it states rightly even beyond 292 years.
func TestSuiteClockSkew(t *testing.T) {
	bin := relBinary(t)
	root := relDir(t)
	const now = "2026-04-18T00:00:00Z"
	rows := []struct {
		ts, status string
	}{
		{"2026-04-17T10:00:00Z", "ok"},                   // 1
		{"2026-04-17T09:00:00Z", "ok"},                   // 2: an hour before line 1
		{"2026-04-17T15:30:00+05:30", "ok"},              // 3: 10:00Z
		{"2026-04-17T02:00:00-08:00", "ok"},              // 4: 10:00Z
		{"2026-04-19T00:00:00Z", "ok"},                   // 5: a day ahead
		{"2027-01-01T00:00:00Z", "ok"},                   // 6: months ahead
		{"1969-12-31T23:59:59Z", "ok"},                   // 7: before 1970
		{"0001-01-01T00:00:00Z", "ok"},                   // 8: year 1
		{"2026-04-17T23:59:59.999+00:00", "ok"},          // 9: the last row before now
		{"2026-04-18T00:00:00.001Z", "ok"},               // 10: 1 ms ahead, within lint.skew
		{"2026-04-17T00:30:00+01:00", "ok"},              // 11: 2026-04-16T23:30Z, a day before its wall clock
		{"2026-04-18T00:10:00Z", "error"},                // 12-14: a cluster of failures, in the future
		{"2026-04-18T00:11:00Z", "error"},                // 13
		{"2026-04-18T00:12:00.000000001+00:00", "error"}, // 14
	}
	var b strings.Builder
	for i, r := range rows {
		errKV := ""
		if r.status == "error" {
			errKV = `,"error":"clock: ahead"`
		}
		fmt.Fprintf(&b, `{"ts":"%s","op":"push","repo":"r","scope":"s","files":1,"bytes":%d,"dur_ms":1,"manifest_before":"","manifest_after":"","trigger":"cron","machine":"m","status":"%s"%s}`+"\n",
			r.ts, int64(1)<<i, r.status, errKV)
	}
	log := filepath.Join(root, "sync-events.ndjson")
	relMust(t, os.WriteFile(log, []byte(b.String()), 0o644))
	bits := func(lines ...int) int64 {
		var n int64
		for _, l := range lines {
			n |= 1 << (l - 1)
		}
		return n
	}
	r := relRun{bin: bin, dir: root, env: relEnv(root), timeout: 30 * time.Second}
	args := func(a ...string) []string { return append(a, "--log", log, "--now", now) }

	// summarize
	res := r.run(t, args("summarize", "--out", "-", "--format", "json")...)
	if res.code != 0 {
		t.Fatalf("summarize: exit %d: %s", res.code, res.stderr)
	}
	var sum struct {
		Rows, Skipped int64
		PushesPerHour []struct {
			Hour   string
			Pushes int64
		} `json:"pushes_per_hour"`
		BytesPerDay []struct {
			Day    string
			Pushed int64
		} `json:"bytes_per_day"`
		Machines []struct {
			Machine     string
			LastSuccess string `json:"last_success"`
		}
	}
	relMust(t, json.Unmarshal([]byte(res.stdout), &sum))
	if sum.Rows != int64(len(rows)) || sum.Skipped != 0 {
		t.Errorf("summarize read %d rows, skipped %d; want %d and 0: a skewed row is still a row", sum.Rows, sum.Skipped, len(rows))
	}
	hours := map[string]int64{}
	for _, h := range sum.PushesPerHour {
		hours[h.Hour] = h.Pushes
	}
	wantHours := map[string]int64{"2026-04-17T09:00:00Z": 1, "2026-04-17T10:00:00Z": 3, "2026-04-17T23:00:00Z": 1}
	for h := range wantHours {
		if _, ok := hours[h]; !ok {
			t.Errorf("no bucket for the hour from %s", h)
		}
	}
	for h, n := range hours {
		if n != wantHours[h] {
			t.Errorf("pushes in the hour from %s: %d, want %d", h, n, wantHours[h])
		}
	}
	if len(sum.PushesPerHour) != 24 || sum.PushesPerHour[23].Hour != "2026-04-18T00:00:00Z" {
		t.Errorf("pushes per hour: %d hours, last %+v: want the 24 up to --now's", len(sum.PushesPerHour), sum.PushesPerHour[len(sum.PushesPerHour)-1])
	}
	days := map[string]int64{}
	for _, d := range sum.BytesPerDay {
		days[d.Day] = d.Pushed
	}
	wantDays := map[string]int64{"2026-04-17": bits(1, 2, 3, 4, 9), "2026-04-16": bits(11)}
	for d := range wantDays {
		if _, ok := days[d]; !ok {
			t.Errorf("no bucket for %s", d)
		}
	}
	for d, n := range days {
		if n != wantDays[d] {
			t.Errorf("bytes pushed on %s: %b, want %b (a bit per line)", d, n, wantDays[d])
		}
	}
	if len(sum.Machines) != 1 || sum.Machines[0].LastSuccess != "2026-04-17T23:59:59.999Z" {
		t.Errorf("last success %+v: want line 9's 2026-04-17T23:59:59.999Z, the latest at or before now", sum.Machines)
	}

	// cost: no period of a future row; the day of line 11 is its UTC day.
	res = r.run(t, args("cost", "--out", "-")...)
	if res.code != 0 {
		t.Fatalf("cost: exit %d: %s", res.code, res.stderr)
	}
	periods := map[string]int64{}
	for _, l := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var row struct {
			Period      string
			BytesPushed int64 `json:"bytes_pushed"`
		}
		relMust(t, json.Unmarshal([]byte(l), &row))
		periods[row.Period] += row.BytesPushed
	}
	wantPeriods := map[string]int64{"0001-01-01": bits(8), "1969-12-31": bits(7), "2026-04-16": bits(11), "2026-04-17": bits(1, 2, 3, 4, 9)}
	if fmt.Sprint(periods) != fmt.Sprint(wantPeriods) {
		t.Errorf("cost periods and bytes %v, want %v", periods, wantPeriods)
	}

	// alert: the failures after now are not a cluster yet.
	res = r.run(t, args("alert", "--dir", filepath.Join(root, "alerts"), "--status-file", filepath.Join(root, "status.json"), "--format", "json")...)
	if res.code != 0 {
		t.Fatalf("alert: exit %d: %s", res.code, res.stderr)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "alerts")); len(ents) != 0 {
		t.Errorf("alert raised a cluster of failures that are after now: %v", ents)
	}

	// query: --since and --until compare instants, offsets included.
	for _, q := range []struct {
		since, until string
		want         int64
	}{
		{"2026-04-17T09:30:00Z", "2026-04-17T10:00:00Z", bits(1, 3, 4)},
		{"2026-04-16T23:00:00Z", "2026-04-17T00:00:00Z", bits(11)},
		{"24h", "0s", bits(1, 2, 3, 4, 9)},
		{"1960-01-01T00:00:00Z", "1970-01-01T00:00:00Z", bits(7)},
	} {
		res := r.run(t, args("query", "-c", ".bytes", "--since", q.since, "--until", q.until)...)
		var got int64
		for _, f := range strings.Fields(res.stdout) {
			var n int64
			fmt.Sscan(f, &n)
			got |= n
		}
		if res.code != 0 || got != q.want {
			t.Errorf("query --since %s --until %s: exit %d, rows %b, want %b (a bit per line); %s", q.since, q.until, res.code, got, q.want, res.stderr)
		}
	}

	// lint
	res = r.run(t, args("lint", "--format", "json", "--min-severity", "info", "--max-per-rule", "0", "--summary", filepath.Join(root, "none.md"))...)
	var finds []struct {
		Line          int
		Rule, Message string
	}
	if err := json.Unmarshal([]byte(res.stdout), &finds); err != nil || res.code != 1 {
		t.Fatalf("lint: exit %d, %v: %s %s", res.code, err, res.stdout, res.stderr)
	}
	byRule := map[string][]int{}
	for _, f := range finds {
		byRule[f.Rule] = append(byRule[f.Rule], f.Line)
		if strings.Contains(f.Message, "2562047h") {
			t.Errorf("line %d: %q states the saturated time.Duration, not the gap", f.Line, f.Message)
		}
		if f.Line == 8 && f.Rule == "out-of-order" {
			// 1969-12-31T23:59:59Z back to 0001-01-01: 17259 years.
			gap := (time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC).Unix() - time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) / 3600
			if !strings.Contains(f.Message, fmt.Sprintf("%dh earlier", gap)) {
				t.Errorf("line 8: %q: want the gap, %dh", f.Message, gap)
			}
		}
	}
	for _, ls := range byRule {
		sort.Ints(ls)
	}
	want := map[string][]int{
		"future-ts":       {5, 6, 12, 13, 14},
		"out-of-order":    {2, 7, 8, 11},
		"ts-not-utc":      {3, 4, 9, 11, 14},
		"missing-summary": {0},
	}
	if fmt.Sprint(byRule) != fmt.Sprint(want) {
		t.Errorf("lint findings by rule %v, want %v\n%s", byRule, want, res.stdout)
	}
	t.Logf("%d rows, %d out of order, %d in the future, 2 before 1970, %d with offsets: summarize, cost, alert and query kept the future out; lint found %v",
		len(rows), len(want["out-of-order"]), len(want["future-ts"])+1, len(want["ts-not-utc"]), byRule)
}
