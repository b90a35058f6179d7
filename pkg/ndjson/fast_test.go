package ndjson

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fastLines are rows the fast path must take, and rows it must leave to
// the general parser (which then accepts or rejects them).
var fastLines = []struct {
	line string
	fast bool
}{
	{row(), true},
	{row("status", `"error"`, "error", `"disk full"`, "tenant_id", `"t-1"`, "files_total", `9`, "session_id", `"s-1"`), true},
	{row("files", `0`, "bytes", `999999999999999999`), true},
	{strings.TrimSuffix(strings.Replace(row(), `"files":7,`, "", 1), "}") + `,"files":0}`, true}, // 10 bytes of key and value
	{row("ts", `"2024-02-29T23:59:59z"`), true},
	{row("ts", `"2026-04-16t19:10:38Z"`), true},
	{row("repo", `""`, "scope", `""`), true},
	// Left to the general parser.
	{row("bytes", `1000000000000000000`), false}, // 19 digits
	{row("bytes", `01`), false},
	{row("bytes", `-0`), false},
	{row("bytes", `7.0`), false},
	{row("bytes", `7e2`), false},
	{row("bytes", `"7"`), false},
	{row("repo", `"a\"b"`), false},
	{row("repo", `"café"`), false},
	{row("repo", "\"a\tb\""), false},
	{row("repo", `null`), false},
	{row("status", `null`), false},
	{row("status", `"OK"`), false},
	{row("op", `"sync"`), false},
	{row("files", `3`, "files_total", `2`), false},
	{row("ts", `"2026-04-16T19:10:38+00:00"`), false},
	{row("ts", `"2026-04-16T19:10:38.5Z"`), false},
	{row("ts", `"2026-02-29T00:00:00Z"`), false},
	{row("ts", `"2026-04-31T00:00:00Z"`), false},
	{row("ts", `"2026-04-16T24:00:00Z"`), false},
	{row("x", `1`), false},
	{strings.Replace(row(), `"op":`, `"op" :`, 1), false},
	{strings.Replace(row(), `,"repo"`, `, "repo"`, 1), false},
	{strings.TrimSuffix(row(), "}") + `,"repo":"again"}`, false},
	{row() + " ", false},
	{row()[:len(row())-1], false},
	{row()[1:], false},
	{`{}`, false},
	{`{"manifest_after":`, false},
	{`{"files_total"`, false},
	{`{"ts":"2026-04-16T19:10:38Z"}`, false},
}

// walks are parseFast's three ways over a row: with the list of its
// quotes (where AVX-512 is, the default, for rows of up to qposMax bytes),
// with quote marks (AVX2), and byte by byte.
var walks = []struct {
	name            string
	noQPos, noMasks bool
}{{"quotes", false, false}, {"marks", true, false}, {"bytes", true, true}}

func TestParseFast(t *testing.T) {
	for _, c := range fastLines {
		for _, w := range walks {
			var fast, slow Event
			p := NewParser()
			p.noQPos, p.noMasks = w.noQPos, w.noMasks
			got := p.parseFast([]byte(c.line), &fast)
			if got != c.fast {
				t.Errorf("parseFast(%s), walk %s = %v, want %v", c.line, w.name, got, c.fast)
				continue
			}
			err := NewParser().parse([]byte(c.line), &slow)
			if got && (err != nil || !reflect.DeepEqual(fast, slow)) {
				t.Errorf("%s: fast %+v, general %+v (%v)", c.line, fast, slow, err)
			}
		}
	}
}

var quotesLine = []byte("{" + strings.Repeat(`"",`, 32*maskWords/3-1))

// shortQuotesLine is quotesLine as long as walkQuotes takes: it leaves
// quote positions past the end of shorter lines' lists.
var shortQuotesLine = quotesLine[:qposMax]

// FuzzParseFast checks that the fast path accepts only what the general
// parser accepts, into the same Event, in every parser mode.
func FuzzParseFast(f *testing.F) {
	for _, c := range fastLines {
		f.Add([]byte(c.line))
	}
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	// DetailFrom at the seeds' ts: mutated ones fall on either side.
	from := time.Date(2026, 4, 16, 19, 10, 38, 0, time.UTC)
	modes := []Parser{{}, {Lean: true}, {KeepExtra: true, KeepRawTS: true}, {noQPos: true}, {noQPos: true, Lean: true},
		{noQPos: true, noMasks: true}, {noQPos: true, noMasks: true, Lean: true},
		{Lean: true, DetailFrom: from}, {noQPos: true, noMasks: true, DetailFrom: from}, {Lean: true, BorrowError: true}}
	// A row of the usual shape, parsed first so that the parser expects
	// its keys in that order.
	usual := []byte(row("status", `"error"`, "error", `"disk full"`, "tenant_id", `"t-1"`, "files_total", `9`))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, mode := range modes {
			fp, sp := mode, mode
			var fast, again, slow Event
			// A long line of quotes first leaves marks past the end of
			// shorter lines, which must not be read.
			fp.parseFast(quotesLine, &fast)
			fp.parseFast(shortQuotesLine, &fast)
			fp.parseFast(usual, &fast)
			took := fp.parseFast(line, &fast)
			// Again, from the caches the first parse filled.
			if fp.parseFast(line, &again) != took {
				t.Fatalf("%q: the fast path took it %v, then %v", line, took, !took)
			}
			if !took {
				continue
			}
			if err := sp.parse(line, &slow); err != nil {
				t.Fatalf("fast path accepted %q, the general parser refused it: %v", line, err)
			}
			if !reflect.DeepEqual(fast, slow) || !reflect.DeepEqual(again, slow) {
				t.Fatalf("%q: fast %+v, again %+v, general %+v", line, fast, again, slow)
			}
		}
	})
}

// TestParseTSZ checks the calendar arithmetic against time.Date on every
// day of years around each rule of the leap-year cycle, and at the ends of
// the range.
func TestParseTSZ(t *testing.T) {
	for _, y := range []int{0, 1, 4, 99, 100, 399, 400, 1582, 1899, 1900, 1969, 1970, 1972, 2000, 2024, 2025, 2026, 2100, 2400, 9998, 9999} {
		for d := time.Date(y, 1, 1, 23, 59, 58, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			s := d.Format("2006-01-02T15:04:05Z")
			got, ok := parseTSZ([]byte(s))
			if !ok || !got.Equal(d) || got != d {
				t.Fatalf("parseTSZ(%s) = %v %v, want %v", s, got, ok, d)
			}
			if d.Day() == monthDays(int(d.Month()), y) {
				next := []byte(fmt.Sprintf("%04d-%02d-%02dT00:00:00Z", y, d.Month(), d.Day()+1))
				if _, ok := parseTSZ(next); ok {
					t.Fatalf("parseTSZ(%s) accepted a day past the month's end", next)
				}
			}
		}
	}
}

// TestInternAtAcrossRows runs rows through one Parser, as a worker does,
// with names that share lengths, first and last bytes and cache slots, so
// that a stale entry of its caches would show as a wrong name.
func TestInternAtAcrossRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	name := func() string {
		b := make([]byte, 1+rng.IntN(20))
		for i := range b {
			b[i] = "ab"[rng.IntN(2)]
		}
		return string(b)
	}
	p := NewParser()
	for i := range 20000 {
		line := row("repo", strconv.Quote(name()), "machine", strconv.Quote(name()), "scope", strconv.Quote(name()),
			"trigger", strconv.Quote(name()), "tenant_id", strconv.Quote(name()))
		if i%7 == 0 {
			line = strings.Replace(line, `{`, `{"x":1,`, 1) // now and then a row for the general parser
		}
		var got, want Event
		if err := p.Parse([]byte(line), &got); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if err := NewParser().parse([]byte(line), &want); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if got.Repo != want.Repo || got.Machine != want.Machine || got.Scope != want.Scope ||
			got.Trigger != want.Trigger || got.TenantID != want.TenantID {
			t.Fatalf("row %d %s: got %q %q %q %q %q", i, line, got.Repo, got.Machine, got.Scope, got.Trigger, got.TenantID)
		}
	}
}

// TestTSZDayCache runs timestamps through one Parser, so that most find
// their date in its cache, and checks each against parseTSZ: valid times,
// times of day out of range or malformed on a cached date, and dates
// before 1970.
func TestTSZDayCache(t *testing.T) {
	p := NewParser()
	days := []string{"1969-12-31", "2026-03-18", "0000-01-01", "2024-02-29", "9999-12-31", "2025-02-29"}
	times := []string{"T00:00:00Z", "T23:59:59Z", "t12:34:56z", "T24:00:00Z", "T23:60:00Z", "T23:59:60Z",
		"T1a:00:00Z", "T10:00:00X", "T10-00:00Z", "T10:00-00Z", "X10:00:00Z", "T10:00:00", "T09:05:07Z"}
	for _, d := range days {
		for range 2 {
			for _, tm := range times {
				ts := []byte(d + tm)
				got, gotOK := p.tsz(ts)
				want, wantOK := parseTSZ(ts)
				if gotOK != wantOK || got != want {
					t.Fatalf("tsz(%s) = %v %v, want %v %v", ts, got, gotOK, want, wantOK)
				}
			}
		}
	}
}

// TestUintAt checks uintAt against strconv on numbers of every length up
// to its bound, followed by what follows a value in a row or by the end of
// the line, and on what it must refuse.
func TestUintAt(t *testing.T) {
	ref := func(b []byte, i int) (int64, int) {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if d := j - i; d == 0 || d > 18 || (d > 1 && b[i] == '0') {
			return 0, -1
		}
		v, err := strconv.ParseInt(string(b[i:j]), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v, j
	}
	rng := rand.New(rand.NewPCG(3, 4))
	tails := []string{"", ",", "}", `,"bytes":1}`, "x", ".5", "e3", "/", ":", "\x80", "0"}
	for d := 0; d <= 20; d++ {
		for range 200 {
			num := make([]byte, d)
			for k := range num {
				num[k] = byte('0' + rng.IntN(10))
			}
			for _, tail := range tails {
				b := append([]byte(`"bytes":`), num...)
				b = append(b, tail...)
				gv, gj := uintAt(b, 8)
				wv, wj := ref(b, 8)
				if gv != wv || gj != wj {
					t.Fatalf("uintAt(%q) = %d, %d; want %d, %d", b, gv, gj, wv, wj)
				}
			}
		}
	}
}

// TestParseFastStaleMarks: a line cut right after the quote that opens a
// value, its length a multiple of 32, after a longer line: the quote
// marks past its end are the longer line's, and the fast path must leave
// the line alone rather than read them.
func TestParseFastStaleMarks(t *testing.T) {
	for _, size := range []int{64, 96, 128, 1024} {
		head, tail := `{"error":"`, `","repo":"`
		line := head + strings.Repeat("x", size-len(head)-len(tail)) + tail
		if len(line) != size {
			t.Fatalf("line of %d bytes, want %d", len(line), size)
		}
		for _, w := range walks {
			p := NewParser()
			p.noQPos, p.noMasks = w.noQPos, w.noMasks
			var e Event
			p.parseFast(quotesLine, &e)
			p.parseFast(shortQuotesLine, &e)
			if p.parseFast([]byte(line), &e) {
				t.Errorf("parseFast, walk %s, took %s", w.name, line)
			}
		}
	}
}

// TestDetailFrom parses rows before, at and after DetailFrom with the fast
// path (with and without quote marks) and the general parser, ts first and
// ts last: a row before it comes back without its names and error, with
// everything else as parsed without DetailFrom, and rows are valid or not
// exactly as without it.
func TestDetailFrom(t *testing.T) {
	from := time.Date(2026, 4, 16, 19, 10, 38, 0, time.UTC)
	tsLast := func(line string) string { // the same row, ts moved to the end
		i := strings.Index(line, `"ts":`)
		j := i + strings.Index(line[i:], `,`)
		return "{" + line[j+1:len(line)-1] + "," + line[i:j] + "}"
	}
	full := row("status", `"error"`, "error", `"disk full"`, "tenant_id", `"t-1"`)
	cases := []struct {
		name string
		line string
		skim bool // the names are left out
		bad  bool // refused, with or without DetailFrom
	}{
		{"a second before", row("ts", `"2026-04-16T19:10:37Z"`, "status", `"error"`, "error", `"disk full"`, "tenant_id", `"t-1"`), true, false},
		{"at it", full, false, false},
		{"a second after", row("ts", `"2026-04-16T19:10:39Z"`, "tenant_id", `"t-1"`), false, false},
		{"before, with an offset", row("ts", `"2026-04-16T21:10:37+02:00"`, "tenant_id", `"t-1"`), true, false},
		{"before, escaped name", row("ts", `"2026-01-01T00:00:00Z"`, "repo", `"no\u0074es"`), true, false},
		{"before, unknown key", row("ts", `"2026-01-01T00:00:00Z"`, "x", `1`), true, false},
		{"before, repo not a string", row("ts", `"2026-01-01T00:00:00Z"`, "repo", `5`), true, true},
		{"before, control byte in repo", row("ts", `"2026-01-01T00:00:00Z"`, "repo", "\"a\x01b\""), true, true},
		{"before, bad error type", row("ts", `"2026-01-01T00:00:00Z"`, "error", `[]`), true, true},
	}
	for _, c := range cases {
		for _, line := range []string{c.line, tsLast(c.line)} {
			for _, mode := range []Parser{{}, {Lean: true}, {noQPos: true}, {noQPos: true, noMasks: true}, {KeepExtra: true, KeepRawTS: true}} {
				plain, skimming := mode, mode
				plain.intern, skimming.intern = map[string]string{}, map[string]string{}
				skimming.DetailFrom = from
				for name, parse := range map[string]func(*Parser, []byte, *Event) error{
					"Parse":   (*Parser).Parse,
					"general": (*Parser).parse,
				} {
					var want, got Event
					wantErr := parse(&plain, []byte(line), &want)
					gotErr := parse(&skimming, []byte(line), &got)
					if (wantErr != nil) != c.bad || (gotErr != nil) != c.bad {
						t.Fatalf("%s, %s %+v: errors %v without DetailFrom, %v with it", c.name, name, mode, wantErr, gotErr)
					}
					if c.bad {
						if wantErr.Error() != gotErr.Error() {
							t.Errorf("%s, %s: error %q with DetailFrom, %q without", c.name, name, gotErr, wantErr)
						}
						continue
					}
					if c.skim {
						if want.Repo == "" || want.Scope == "" || want.Trigger == "" {
							t.Fatalf("%s: the row has no names to leave out: %+v", c.name, want)
						}
						want.Repo, want.Scope, want.Trigger, want.TenantID, want.Error = "", "", "", "", ""
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s, %s %+v, %s:\ngot  %+v\nwant %+v", c.name, name, mode, line, got, want)
					}
				}
			}
		}
	}
}
