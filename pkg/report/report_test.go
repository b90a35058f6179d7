package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/cost"
	"github.com/synclog/synclog/pkg/ndjson"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// line builds a valid row.
func line(ts, op, repo, machine, trigger, status string, bytes int64) string {
	e := ndjson.Event{Op: op, Repo: repo, Scope: "s", Bytes: bytes, Files: 1, DurMS: 5,
		ManifestBefore: "sha256:a", ManifestAfter: "sha256:b", Trigger: trigger, Machine: machine, Status: status}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		panic(err)
	}
	e.TS = at
	if status == ndjson.StatusError {
		e.Error = "failed at " + ts
	}
	// Keep ts as written, offsets and all.
	b := strings.TrimSuffix(string(e.AppendJSON(nil)), "\n")
	return strings.Replace(b, `"ts":"`+ndjson.FormatTS(at)+`"`, `"ts":"`+ts+`"`, 1)
}

func build(t *testing.T, now string, loc *time.Location, lines ...string) *Summary {
	t.Helper()
	s, err := Build(context.Background(), []string{"-"}, Options{
		Now: mustTime(t, now), Loc: loc, Prices: cost.DefaultPriceModel(),
		Stdin: strings.NewReader(strings.Join(lines, "\n") + "\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBucketEdges pins each window's edges: inclusive starts, now itself
// included, a second after now ignored everywhere.
func TestBucketEdges(t *testing.T) {
	const now = "2026-04-16T20:30:00Z"
	tests := []struct {
		name     string
		row      string
		hour     int // bucket of the push, -1 none
		day      int // bucket of the bytes, -1 none
		inWindow bool
		machine  bool   // listed under machines
		now      string // when not the default
	}{
		{"exactly at the first hour's start", line("2026-04-15T21:00:00Z", "push", "r", "m", "cli", "ok", 10), 0, 5, true, true, ""},
		{"a second before the first hour", line("2026-04-15T20:59:59Z", "push", "r", "m", "cli", "ok", 10), -1, 5, true, true, ""},
		{"exactly at now", line(now, "push", "r", "m", "cli", "ok", 10), 23, 6, true, true, ""},
		{"exactly at the last hour's start", line("2026-04-16T20:00:00Z", "push", "r", "m", "cli", "ok", 10), 23, 6, true, true, ""},
		{"one second after now", line("2026-04-16T20:30:01Z", "push", "r", "m", "cli", "ok", 10), -1, -1, false, false, ""},
		{"one nanosecond after now", line("2026-04-16T20:30:00.000000001Z", "push", "r", "m", "cli", "ok", 10), -1, -1, false, false, ""},
		{"7 days ago to the second", line("2026-04-09T20:30:00Z", "push", "r", "m", "cli", "ok", 10), -1, -1, true, true, ""},
		{"7 days and a second ago", line("2026-04-09T20:29:59Z", "push", "r", "m", "cli", "ok", 10), -1, -1, false, true, ""},
		{"the first day's midnight", line("2026-04-10T00:00:00Z", "push", "r", "m", "cli", "ok", 10), -1, 0, true, true, ""},
		{"a second before the first day", line("2026-04-09T23:59:59Z", "push", "r", "m", "cli", "ok", 10), -1, -1, true, true, ""},
		{"another zone's offset", line("2026-04-16T16:30:00-04:00", "push", "r", "m", "cli", "ok", 10), 23, 6, true, true, ""},
		// Here the 7 days start before the week's cost does (May 1st):
		// they are the earliest window, and rows before them count for
		// machines only.
		{"7 days ago to the second, the earliest window", line("2026-04-30T12:00:00Z", "push", "r", "m", "cli", "ok", 10), -1, -1, true, true, "2026-05-07T12:00:00Z"},
		{"a second before the earliest window", line("2026-04-30T11:59:59Z", "push", "r", "m", "cli", "ok", 10), -1, -1, false, true, "2026-05-07T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if tt.now != "" {
				at = tt.now
			}
			s := build(t, at, time.UTC, tt.row)
			if s.Rows != 1 {
				t.Fatalf("rows = %d, want 1 (every valid row counts, future ones too)", s.Rows)
			}
			for i, h := range s.PushesPerHour {
				want := int64(0)
				if i == tt.hour {
					want = 1
				}
				if h.Pushes != want {
					t.Errorf("hour %d (%s): %d pushes, want %d", i, h.Start.Format(time.RFC3339), h.Pushes, want)
				}
			}
			for i, d := range s.BytesPerDay {
				want := int64(0)
				if i == tt.day {
					want = 10
				}
				if d.Pushed != want {
					t.Errorf("day %d (%s): %d pushed, want %d", i, d.Day(), d.Pushed, want)
				}
			}
			if got := len(s.Repos) == 1 && s.Repos[0].Runs == 1 && s.Repos[0].Name == "r"; got != tt.inWindow {
				t.Errorf("repos %+v, want in window %v", s.Repos, tt.inWindow)
			}
			if got := len(s.Triggers) == 1 && s.Triggers[0].Runs == 1 && s.Triggers[0].Name == "cli"; got != tt.inWindow {
				t.Errorf("triggers %+v, want in window %v", s.Triggers, tt.inWindow)
			}
			if got := len(s.Machines) == 1 && s.Machines[0].Name == "m"; got != tt.machine {
				t.Errorf("machines %+v, want listed %v", s.Machines, tt.machine)
			}
		})
	}
}

func TestHourAndDayBuckets(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		now       string
		loc       *time.Location
		firstHour string
		lastHour  string
		days      []string // first and last day
		lastLen   time.Duration
	}{
		{"utc", "2026-04-16T20:30:00Z", time.UTC, "2026-04-15T21:00:00Z", "2026-04-16T20:00:00Z", []string{"2026-04-10", "2026-04-16"}, 24 * time.Hour},
		{"fall back", "2026-11-01T12:00:00-05:00", ny, "2026-10-31T14:00:00-04:00", "2026-11-01T12:00:00-05:00", []string{"2026-10-26", "2026-11-01"}, 25 * time.Hour},
		{"spring forward", "2026-03-08T12:00:00-04:00", ny, "2026-03-07T12:00:00-05:00", "2026-03-08T12:00:00-04:00", []string{"2026-03-02", "2026-03-08"}, 23 * time.Hour},
		// The first 01:00 of the repeated hour: the bucket is the real hour
		// containing now, not the later 01:00.
		{"in the repeated hour, first time", "2026-11-01T01:30:00-04:00", ny, "2026-10-31T02:00:00-04:00", "2026-11-01T01:00:00-04:00", []string{"2026-10-26", "2026-11-01"}, 25 * time.Hour},
		{"in the repeated hour, second time", "2026-11-01T01:30:00-05:00", ny, "2026-10-31T03:00:00-04:00", "2026-11-01T01:00:00-05:00", []string{"2026-10-26", "2026-11-01"}, 25 * time.Hour},
		// 20:10Z is 01:40 in Kolkata: the wall-clock hour 01:00-02:00.
		{"half-hour offset", "2026-04-16T20:10:00Z", kolkata, "2026-04-16T02:00:00+05:30", "2026-04-17T01:00:00+05:30", []string{"2026-04-11", "2026-04-17"}, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t, tt.now, tt.loc)
			hours := s.PushesPerHour
			if got := hours[0].Start.Format(time.RFC3339); got != tt.firstHour {
				t.Errorf("first hour %s, want %s", got, tt.firstHour)
			}
			if got := hours[23].Start.Format(time.RFC3339); got != tt.lastHour {
				t.Errorf("last hour %s, want %s", got, tt.lastHour)
			}
			for i := 1; i < 24; i++ {
				if d := hours[i].Start.Sub(hours[i-1].Start); d != time.Hour {
					t.Errorf("hour %d starts %s after the one before", i, d)
				}
			}
			now := mustTime(t, tt.now)
			if now.Before(hours[23].Start) || !now.Before(hours[23].Start.Add(time.Hour)) {
				t.Errorf("now %s is not in the last hour %s", tt.now, hours[23].Start)
			}
			days := s.BytesPerDay
			if days[0].Day() != tt.days[0] || days[6].Day() != tt.days[1] {
				t.Errorf("days %s..%s, want %s..%s", days[0].Day(), days[6].Day(), tt.days[0], tt.days[1])
			}
			if got := days[6].End.Sub(days[6].Start); got != tt.lastLen {
				t.Errorf("last day is %s long, want %s", got, tt.lastLen)
			}
		})
	}
}

func TestMachinesAndLastError(t *testing.T) {
	const now = "2026-04-16T20:00:00Z"
	s := build(t, now, time.UTC,
		line("2026-04-15T20:00:00Z", "push", "r", "exactly-stale-after", "cli", "ok", 1),
		line("2026-04-15T19:59:59Z", "push", "r", "a-second-more", "cli", "ok", 1),
		line("2026-04-16T19:00:00Z", "push", "r", "only-failures", "cli", "error", 1),
		line("2026-04-16T19:00:00Z", "pull", "r", "only-pulls", "cli", "ok", 1),
		line("2026-04-16T21:00:00Z", "push", "r", "only-future", "cli", "ok", 1),
		line("2026-04-16T19:00:00Z", "push", "r", "fresh", "cli", "ok", 1),
		line("2026-04-16T18:00:00Z", "push", "r", "fresh", "cli", "ok", 1), // older, later in the log
		line("2026-04-16T21:00:00Z", "push", "r", "fresh", "cli", "ok", 1), // future
	)
	got := map[string]string{}
	for _, m := range s.Machines {
		got[m.Name] = fmt.Sprintf("%s stale=%v", m.LastSuccess.Format(time.RFC3339), m.Stale)
	}
	want := map[string]string{
		"exactly-stale-after": "2026-04-15T20:00:00Z stale=false",
		"a-second-more":       "2026-04-15T19:59:59Z stale=true",
		"only-failures":       "0001-01-01T00:00:00Z stale=true",
		"only-pulls":          "0001-01-01T00:00:00Z stale=true",
		"fresh":               "2026-04-16T19:00:00Z stale=false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("machines:\n got %v\nwant %v", got, want)
	}

	// The last error is the latest failed run; equal ts: the later line.
	s = build(t, now, time.UTC,
		strings.Replace(line("2026-04-16T10:00:00Z", "push", "r", "m", "cli", "error", 1), "failed at", "first at", 1),
		strings.Replace(line("2026-04-16T10:00:00Z", "push", "r", "m", "cli", "error", 1), "failed at", "second at", 1),
		line("2026-04-16T09:00:00Z", "push", "r", "m", "cli", "error", 1),
		line("2026-04-16T11:00:00Z", "push", "r", "m", "cli", "ok", 1),
	)
	if len(s.Repos) != 1 || s.Repos[0].LastError != "second at 2026-04-16T10:00:00Z" || s.Repos[0].Errors != 3 || s.Repos[0].Runs != 4 {
		t.Errorf("repos %+v", s.Repos)
	}
}

// TestBadLinesReported checks that lines that are not rows are counted per
// source and reason, named by file:line, and that the rest is summarised.
func TestBadLinesReported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.ndjson")
	good := line("2026-04-16T19:00:00Z", "push", "r", "m", "cli", "ok", 1)
	data := strings.Join([]string{good, `{"ts":`, good, `{"op":"push"}`, "", good, `[1]`}, "\n") + "\n" + `{"partial`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Build(context.Background(), []string{path}, Options{Now: mustTime(t, "2026-04-16T20:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 3 || s.Skipped != 3 {
		t.Fatalf("rows %d skipped %d, want 3 and 3", s.Rows, s.Skipped)
	}
	src := s.Sources[0]
	if !src.Partial {
		t.Error("the unterminated last line is not marked as a write in flight")
	}
	var where []string
	for _, ex := range src.Examples {
		where = append(where, fmt.Sprintf("%s:%d %s", filepath.Base(ex.Path), ex.Line, ex.Reason))
	}
	want := []string{"log.ndjson:2 invalid-json", "log.ndjson:4 missing-field", "log.ndjson:7 invalid-json"}
	if !reflect.DeepEqual(where, want) {
		t.Errorf("skipped %v, want %v", where, want)
	}
	if s.PushesPerHour[22].Pushes != 3 {
		t.Errorf("pushes in hour 19:00: %d, want 3", s.PushesPerHour[22].Pushes)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| 3 | 3 | 2 invalid-json, 1 missing-field; ends in a write in flight |") {
		t.Errorf("markdown header does not report the skipped lines:\n%s", md.String())
	}
}

// naive recomputes the sections row by row, without buckets arithmetic or
// chunks, as the reference the parallel pass must agree with.
func naive(t *testing.T, path string, now time.Time, loc *time.Location) *JSON {
	t.Helper()
	j := &JSON{}
	var rows []ndjson.Event
	_, err := ndjson.ReadEvents(context.Background(), []string{path}, ndjson.ReadOptions{ScanOptions: ndjson.ScanOptions{Workers: 1}}, func(r *ndjson.Row) error {
		rows = append(rows, r.Event)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := now.In(loc)
	lastHour := time.Date(n.Year(), n.Month(), n.Day(), n.Hour(), 0, 0, 0, loc)
	for lastHour.After(now) {
		lastHour = lastHour.Add(-time.Hour)
	}
	for h := 0; h < 24; h++ {
		start := lastHour.Add(time.Duration(h-23) * time.Hour)
		var jh JSONHour
		jh.Hour = start.In(loc).Format(time.RFC3339Nano)
		for _, e := range rows {
			if e.Op == "push" && !e.TS.Before(start) && e.TS.Before(start.Add(time.Hour)) && !e.TS.After(now) {
				jh.Pushes++
				if e.Status == "error" {
					jh.Failed++
				}
			}
		}
		j.PushesPerHour = append(j.PushesPerHour, jh)
	}
	for d := 6; d >= 0; d-- {
		start := time.Date(n.Year(), n.Month(), n.Day()-d, 0, 0, 0, 0, loc)
		end := time.Date(n.Year(), n.Month(), n.Day()-d+1, 0, 0, 0, 0, loc)
		jd := JSONDay{Day: start.Format(time.DateOnly)}
		for _, e := range rows {
			if e.Status != "error" && !e.TS.Before(start) && e.TS.Before(end) && !e.TS.After(now) {
				if e.Op == "push" {
					jd.Pushed += e.Bytes
				} else if e.Op == "pull" {
					jd.Pulled += e.Bytes
				}
			}
		}
		j.BytesPerDay = append(j.BytesPerDay, jd)
	}
	repos := map[string]*JSONRepo{}
	triggers := map[string]*JSONTrigger{}
	lastErrAt := map[string]time.Time{}
	machines := map[string]*JSONMachine{}
	for _, e := range rows {
		if e.TS.After(now) {
			continue
		}
		if !e.TS.Before(now.Add(-Window)) {
			r := repos[e.Repo]
			if r == nil {
				r = &JSONRepo{Repo: e.Repo}
				repos[e.Repo] = r
			}
			tr := triggers[e.Trigger]
			if tr == nil {
				tr = &JSONTrigger{Trigger: e.Trigger}
				triggers[e.Trigger] = tr
			}
			r.Runs++
			tr.Runs++
			if e.Status == "error" {
				r.Errors++
				tr.Errors++
				if r.LastError == nil || !e.TS.Before(lastErrAt[e.Repo]) {
					msg := e.Error
					r.LastError, lastErrAt[e.Repo] = &msg, e.TS
				}
			}
		}
		m := machines[e.Machine]
		if m == nil {
			m = &JSONMachine{Machine: e.Machine, Stale: true}
			machines[e.Machine] = m
		}
		if e.Op == "push" && e.Status != "error" {
			if m.LastSuccess == nil || e.TS.After(mustTime(t, *m.LastSuccess)) {
				ls := e.TS.UTC().Format(time.RFC3339Nano)
				age := int64(now.Sub(e.TS) / time.Second)
				m.LastSuccess, m.AgeSeconds, m.Stale = &ls, &age, now.Sub(e.TS) > DefaultStaleAfter
			}
		}
	}
	// Empty sections are empty arrays, as in the JSON output.
	j.Repos, j.Triggers, j.Machines = []JSONRepo{}, []JSONTrigger{}, []JSONMachine{}
	for _, k := range sortedKeys(repos) {
		r := repos[k]
		r.FailureRate = float64(int64(float64(r.Errors)/float64(r.Runs)*1e4+0.5)) / 1e4
		j.Repos = append(j.Repos, *r)
	}
	for _, k := range sortedKeys(triggers) {
		j.Triggers = append(j.Triggers, *triggers[k])
	}
	for _, k := range sortedKeys(machines) {
		j.Machines = append(j.Machines, *machines[k])
	}
	return j
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestParallelPassMatchesNaive runs the parallel pass over a log of many
// chunks, with rows out of order and bad lines, with 1 to 4 workers, and
// compares every section with the row-by-row reference.
func TestParallelPassMatchesNaive(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sample), "\n"), "\n")
	var b strings.Builder
	for rep := 0; rep < 12; rep++ { // ~2 MB: several 1 MiB chunks
		for i, l := range lines {
			switch {
			case rep%3 == 1 && i%50 == 0:
				b.WriteString("{not json\n")
			case rep%2 == 1:
				b.WriteString(lines[len(lines)-1-i] + "\n") // reversed: out of order
			default:
				b.WriteString(l + "\n")
			}
		}
	}
	path := filepath.Join(t.TempDir(), "big.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	badLines := strings.Count(b.String(), "{not json\n")
	// The same rows 20 days later (2026-04-23 to 05-06): with now in May,
	// the April rows are before every window and count for machines only,
	// and the parser leaves their other names out.
	shifted := regexp.MustCompile(`"ts":"[^"]*"`).ReplaceAllStringFunc(b.String(), func(m string) string {
		return `"ts":"` + mustTime(t, m[6:len(m)-1]).Add(20*24*time.Hour).Format(time.RFC3339) + `"`
	})
	later := filepath.Join(t.TempDir(), "later.ndjson")
	if err := os.WriteFile(later, []byte(shifted), 0o644); err != nil {
		t.Fatal(err)
	}
	data := map[string]string{path: b.String(), later: shifted}
	ny, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct{ path, now string }{
		{path, "2026-04-16T20:00:00Z"}, {path, "2026-04-12T03:17:00Z"}, {path, "2026-05-09T12:00:00Z"},
		{later, "2026-05-06T20:00:00Z"}, {later, "2026-05-02T03:17:00Z"},
	} {
		path, now := c.path, c.now
		for _, loc := range []*time.Location{time.UTC, ny} {
			want := naive(t, path, mustTime(t, now), loc)
			for workers := 1; workers <= 4; workers++ {
				s, err := Build(context.Background(), []string{path}, Options{Now: mustTime(t, now), Loc: loc, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				// Skipped lines are named by their number in the file.
				fileLines := strings.Split(string(data[path]), "\n")
				if src := s.Sources[0]; src.Skipped != int64(badLines) || len(src.Examples) != ndjson.MaxExamples {
					t.Fatalf("%d lines skipped, %d examples; want %d, %d", src.Skipped, len(src.Examples), badLines, ndjson.MaxExamples)
				}
				for _, ex := range s.Sources[0].Examples {
					if l := fileLines[ex.Line-1]; l != "{not json" {
						t.Fatalf("%s: skipped line %d is %.40q", filepath.Base(path), ex.Line, l)
					}
				}
				got := s.ToJSON()
				for _, sec := range []struct {
					name      string
					got, want any
				}{
					{"pushes_per_hour", got.PushesPerHour, want.PushesPerHour},
					{"bytes_per_day", got.BytesPerDay, want.BytesPerDay},
					{"repos", got.Repos, want.Repos},
					{"triggers", got.Triggers, want.Triggers},
					{"machines", got.Machines, want.Machines},
				} {
					if !reflect.DeepEqual(sec.got, sec.want) {
						t.Errorf("%s, now %s tz %s workers %d: %s differs:\n got %+v\nwant %+v", filepath.Base(path), now, loc, workers, sec.name, sec.got, sec.want)
					}
				}
			}
		}
	}
}

// TestWeekCostTwoPass prices the sample with a small egress allowance, so
// that April's pulls cross it mid-day: a file, whose crossing day's chunks
// are read again, and the same file read again whole must give the week's
// cost that the one-pass read of stdin (every pull kept) and a plain
// cost.Aggregator give.
func TestWeekCostTwoPass(t *testing.T) {
	data, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "log.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m := cost.DefaultPriceModel()
	if err := m.Set(cost.KeyIncludedEgressGiB, "0.004"); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(cost.KeyEgressCentsPerGiB, "700"); err != nil {
		t.Fatal(err)
	}
	now := mustTime(t, "2026-04-16T20:00:00Z")

	ref := cost.NewAggregator(m, now)
	_, err = ndjson.ReadEvents(context.Background(), []string{path}, ndjson.ReadOptions{}, func(r *ndjson.Row) error {
		ref.Add(&r.Event)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if days := ref.CrossingDays(); len(days) != 1 {
		t.Fatalf("crossing days %v, want one in April", days)
	}
	wantCents, wantExact := cost.WeekTotal(ref)

	file, err := Build(context.Background(), []string{path}, Options{Now: now, Prices: m})
	if err != nil {
		t.Fatal(err)
	}
	rangeRereads = false
	twice, err := Build(context.Background(), []string{path}, Options{Now: now, Prices: m})
	rangeRereads = true
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := Build(context.Background(), []string{"-"}, Options{Now: now, Prices: m, Stdin: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Summary{"file": file, "file read again whole": twice, "stdin": stdin} {
		if s.WeekCents != wantCents || s.WeekExact.Cmp(wantExact) != 0 {
			t.Errorf("%s: week %d (%s), want %d (%s)", name, s.WeekCents, s.WeekExact.RatString(), wantCents, wantExact.RatString())
		}
	}
	// The allowance does bite: the week costs more than with the defaults.
	def, err := Build(context.Background(), []string{path}, Options{Now: now, Prices: cost.DefaultPriceModel()})
	if err != nil {
		t.Fatal(err)
	}
	if def.WeekExact.Cmp(wantExact) >= 0 {
		t.Errorf("egress beyond the allowance costs nothing: %s vs %s", wantExact.RatString(), def.WeekExact.RatString())
	}
}

// TestCacheNames: the cache in front of a map of names gives a name's one
// value whether the name comes interned or as a fresh copy, across far more
// names than it holds, and creates each value once.
func TestCacheNames(t *testing.T) {
	var c cache[RunStat]
	m := map[string]*RunStat{}
	created := 0
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("repo-%02d", i)
	}
	want := map[string]*RunStat{}
	for round := range 5 {
		for i, name := range names[:10+round*20] {
			if i%3 == 0 {
				name = strings.Clone(name) // same bytes, another address
			}
			v := c.get(m, name, func() *RunStat { created++; return &RunStat{Name: name} })
			if v.Name != name {
				t.Fatalf("round %d: %q gave the value of %q", round, name, v.Name)
			}
			if w, ok := want[name]; ok && w != v {
				t.Fatalf("round %d: %q gave a second value", round, name)
			}
			want[name] = v
		}
	}
	if created != len(want) {
		t.Errorf("%d values created for %d names", created, len(want))
	}
}

// TestBuildReusesPartials summarizes a log of about ten 1 MiB chunks with
// 1 and 2 workers, with merged partials handed back to the workers and
// without: the summaries must be the same, and partials must have been
// reused. Egress is priced from the first byte, so that the cost counts
// every pull.
func TestBuildReusesPartials(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.ndjson")
	if err := os.WriteFile(path, bytes.Repeat(sample, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	prices := cost.DefaultPriceModel()
	prices.IncludedEgressGiB = new(big.Rat)
	prices.EgressCentsPerGiB = big.NewRat(1000000, 1)
	defer func(was bool) { reusePartials = was }(reusePartials)
	for _, workers := range []int{1, 2} {
		o := Options{Now: mustTime(t, "2026-04-16T20:00:00Z"), Prices: prices, Workers: workers}
		reusePartials = false
		want, err := Build(context.Background(), []string{path}, o)
		if err != nil {
			t.Fatal(err)
		}
		reusePartials = true
		before := partialsReused.Load()
		got, err := Build(context.Background(), []string{path}, o)
		if err != nil {
			t.Fatal(err)
		}
		if n := partialsReused.Load() - before; n == 0 {
			t.Errorf("%d workers: no partial reused over %d rows", workers, got.Rows)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: with partials reused\n%+v\nwithout\n%+v", workers, got, want)
		}
	}
}

// TestPullDetailRanges prices a month of pulls, 30 days of about 250 KiB of
// rows in about eight 1 MiB chunks, with an allowance the month crosses on
// the 27th, in the priced week: the week's cost must be the same whether
// the chunks of that day are read again, the whole file is, the log comes
// through stdin (every pull kept) or gzip (no ranges, read again whole),
// or a plain cost.Aggregator counts every row; and reading the ranges must
// read only a few chunks.
func TestPullDetailRanges(t *testing.T) {
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(8, 9))
	for day := 1; day <= 30; day++ {
		for i := range 1000 {
			op, size := "push", 1000+rng.IntN(1000)
			if i%2 == 0 {
				op, size = "pull", 1<<20
			}
			ts := time.Date(2026, 4, day, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*86) * time.Second)
			fmt.Fprintf(&b, `{"ts":"%s","op":"%s","repo":"r-%d","scope":"state","files":1,"bytes":%d,"dur_ms":5,`+
				`"manifest_before":"sha-a","manifest_after":"sha-b","trigger":"cron","machine":"m-%d","status":"ok","tenant_id":"t-%d"}`+"\n",
				ts.Format(time.RFC3339), op, i%7, size, i%3, i%4)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "log.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "log.ndjson.gz")
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	if err := os.WriteFile(gz, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// 500 pulls of 1 MiB a day: 26 days are 12.7 GiB, 27 are 13.2.
	m := cost.DefaultPriceModel()
	if err := m.Set(cost.KeyIncludedEgressGiB, "13"); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(cost.KeyEgressCentsPerGiB, "100"); err != nil {
		t.Fatal(err)
	}
	now := mustTime(t, "2026-04-30T12:00:00Z")
	ref := cost.NewAggregator(m, now)
	_, err := ndjson.ReadEvents(context.Background(), []string{path}, ndjson.ReadOptions{}, func(r *ndjson.Row) error {
		ref.Add(&r.Event)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if days := ref.CrossingDays(); len(days) != 1 || days[0].Day() != 27 {
		t.Fatalf("crossing days %v, want April 27", days)
	}
	wantCents, wantExact := cost.WeekTotal(ref)

	build := func(path string, stdin io.Reader) *Summary {
		t.Helper()
		s, err := Build(context.Background(), []string{path}, Options{Now: now, Prices: m, Stdin: stdin})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := rangeBytes.Load()
	ranges := build(path, nil)
	read := rangeBytes.Load() - before
	rangeRereads = false
	whole := build(path, nil)
	rangeRereads = true
	for name, s := range map[string]*Summary{"ranges": ranges, "whole": whole, "stdin": build("-", bytes.NewReader(b.Bytes())), "gzip": build(gz, nil)} {
		if s.WeekCents != wantCents || s.WeekExact.Cmp(wantExact) != 0 {
			t.Errorf("%s: week %d (%s), want %d (%s)", name, s.WeekCents, s.WeekExact.RatString(), wantCents, wantExact.RatString())
		}
	}
	t.Logf("read %d of %d", read, b.Len())
	if read == 0 || read > int64(b.Len())/4 {
		t.Errorf("read %d bytes again of %d, want a few chunks", read, b.Len())
	}
	if rangeBytes.Load() != before+read {
		t.Errorf("the whole-file and gzip reads went through ranges")
	}
}

// TestLastErrorOutlivesChunk: the parser leaves error messages in the
// chunk's buffer, which later chunks reuse; a repo whose last error is in
// the first of about twelve chunks must still show it.
func TestLastErrorOutlivesChunk(t *testing.T) {
	var b bytes.Buffer
	row := func(ts time.Time, repo, status, msg string) {
		fmt.Fprintf(&b, `{"ts":"%s","op":"push","repo":"%s","scope":"state","files":1,"bytes":10,"dur_ms":5,`+
			`"manifest_before":"sha-a","manifest_after":"sha-b","trigger":"cron","machine":"m","status":"%s"%s}`+"\n",
			ts.Format(time.RFC3339), repo, status, msg)
	}
	start := mustTime(t, "2026-04-10T00:00:00Z")
	for i := range 3 {
		row(start.Add(time.Duration(i)*time.Minute), "flaky", "error", fmt.Sprintf(`,"error":"disk full on /dev/sd%c"`, 'a'+i))
	}
	for i := 0; b.Len() < 12<<20; i++ {
		row(start.Add(time.Hour+time.Duration(i)*time.Second), fmt.Sprintf("steady-%d", i%5), "error",
			`,"error":"`+strings.Repeat("z", 40)+`"`)
	}
	path := filepath.Join(t.TempDir(), "log.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Build(context.Background(), []string{path}, Options{Now: mustTime(t, "2026-04-12T00:00:00Z"), Prices: cost.DefaultPriceModel()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Repos {
		want := strings.Repeat("z", 40)
		if r.Name == "flaky" {
			want = "disk full on /dev/sdc"
		}
		if r.LastError != want {
			t.Errorf("repo %s: last error %q, want %q", r.Name, r.LastError, want)
		}
	}
	if len(s.Repos) != 6 {
		t.Errorf("%d repos, want 6", len(s.Repos))
	}
}
