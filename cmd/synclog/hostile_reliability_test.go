//go:build reliability

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// suiteHostileLog writes a log of rows good rows with hostile lines among
// them: a BOM, CRLF, blank and whitespace lines, NUL bytes, invalid UTF-8,
// torn rows, garbage, a 10 MB row and a 10 MB garbage line, and a torn
// last line without its newline. It returns the numbers of the lines that
// are not valid rows (the last one left out) and the counts.
func suiteHostileLog(t *testing.T, path string, rows int) (bad []int, good, blank int) {
	t.Helper()
	f, err := os.Create(path)
	relMust(t, err)
	w := bufio.NewWriterSize(f, 1<<20)
	line := 0
	put := func(s string, kind byte) {
		line++
		w.WriteString(s)
		w.WriteByte('\n')
		switch kind {
		case 'g':
			good++
		case 'b':
			bad = append(bad, line)
		default:
			blank++
		}
	}
	base := time.Date(2026, 4, 17, 0, 0, 0, 0, time.UTC)
	step := 24 * time.Hour / time.Duration(rows+1)
	row := func(i int, extra string) string {
		ts := base.Add(time.Duration(i) * step).Format("2006-01-02T15:04:05.000000000Z")
		return fmt.Sprintf(`{"ts":"%s","op":"pull","repo":"r%d","scope":"s","files":%d,"bytes":%d,"dur_ms":%d,"manifest_before":"","manifest_after":"m%d","trigger":"cron","machine":"m%d","session_id":"%d"%s}`,
			ts, i%5, i%10, i*7, i%1000, i, i%8, i, extra)
	}
	w.WriteString("\xEF\xBB\xBF")
	put(row(0, "")+"\r", 'g')
	for i := 1; i < rows; i++ {
		if i%1000 == 0 {
			switch i / 1000 % 8 {
			case 0:
				put(strings.Replace(row(i, ""), `"r`, "\"r\x00", 1), 'b') // NUL
			case 1:
				put(strings.Replace(row(i, ""), `"r`, "\"r\xff\xfe", 1), 'b') // invalid UTF-8
			case 2:
				put(row(i, "")[:90], 'b') // torn
			case 3:
				put("not json \x00 \xc3\x28", 'b')
			case 4:
				put("", ' ')
			case 5:
				put(" \t \r", ' ')
			case 6:
				put("\xEF\xBB\xBF"+row(i, ""), 'b') // a BOM inside the log
			case 7:
				put(`{"ts":"2026-04-17T00:00:00Z","op":"push"}`, 'b') // keys missing
			}
		}
		switch i {
		case rows / 3:
			put(row(i, `,"status":"error","error":"`+strings.Repeat("e", 10<<20)+`"`), 'g')
			continue
		case 2 * rows / 3:
			put(strings.Repeat("\xff[", 5<<20), 'b')
		}
		if i%3 == 0 {
			put(row(i, "")+"\r", 'g') // CRLF
		} else {
			put(row(i, ""), 'g')
		}
	}
	w.WriteString(row(rows, "")[:120]) // a torn last line, no newline
	relMust(t, w.Flush())
	relMust(t, f.Close())
	return bad, good, blank
}

// Item 9, on the real binary: summarize, lint, query and metrics over a
// hostile log (see suiteHostileLog), at 400 x SYNCLOG_RELIABILITY_ROWS rows
// and at a tenth of that. Pass: each counts exactly the good rows and the
// bad lines (lint names each bad line by number, and the torn last line),
// and the peak resident memory of each (from the child's rusage) is under
// 256 MB and grows by less than 64 MB from the small log to the ten times
// larger one: memory is set by the longest line, not by the rows.
func TestSuiteHostileLog(t *testing.T) {
	bin := relBinary(t)
	root := relDir(t)
	r := relRun{bin: bin, dir: root, env: relEnv(root), timeout: 5 * time.Minute}
	const maxRSS, maxGrowth = 256 << 20, 64 << 20
	big := 400 * suiteRows(t)
	rss := map[string][2]int64{}
	for k, rows := range []int{big / 10, big} {
		log := filepath.Join(root, fmt.Sprintf("hostile-%d.ndjson", rows))
		bad, good, blank := suiteHostileLog(t, log, rows)
		fi, err := os.Stat(log)
		relMust(t, err)
		args := func(a ...string) []string { return append(a, "--log", log, "--now", "2026-04-18T00:00:00Z") }
		note := func(name string, res relResult) {
			v := rss[name]
			v[k] = res.maxRSS
			rss[name] = v
			t.Logf("%d rows, %d MB: %s exit %d in %v, peak RSS %d MB", rows, fi.Size()>>20, name, res.code, res.dur.Round(time.Millisecond), res.maxRSS>>20)
			if res.maxRSS > maxRSS {
				t.Errorf("%s: peak RSS %d MB, over %d MB", name, res.maxRSS>>20, maxRSS>>20)
			}
		}

		res := r.run(t, args("summarize", "--out", "-", "--format", "json", "--quiet")...)
		note("summarize", res)
		var sum struct {
			Rows, Skipped int64
			Sources       []struct{ Partial bool }
		}
		if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil || res.code != 0 {
			t.Fatalf("summarize: exit %d, %v: %s", res.code, err, res.stderr)
		}
		if sum.Rows != int64(good) || sum.Skipped != int64(len(bad)) || !sum.Sources[0].Partial {
			t.Errorf("summarize: rows %d, skipped %d, partial %v; want %d, %d, true", sum.Rows, sum.Skipped, sum.Sources[0].Partial, good, len(bad))
		}

		res = r.run(t, args("query", "-r", ".machine")...)
		note("query", res)
		if n := strings.Count(res.stdout, "\n"); res.code != 0 || n != good {
			t.Errorf("query: exit %d, %d rows, want %d: %.300s", res.code, n, good, res.stderr)
		}

		res = r.run(t, args("lint", "--format", "json", "--max-per-rule", "0", "--min-severity", "error", "--summary", filepath.Join(root, "none.md"))...)
		note("lint", res)
		var finds []struct {
			Line int
			Rule string
		}
		if err := json.Unmarshal([]byte(res.stdout), &finds); err != nil || res.code != 1 {
			t.Fatalf("lint: exit %d, %v: %.300s", res.code, err, res.stderr)
		}
		var got []int
		for _, f := range finds {
			got = append(got, f.Line)
		}
		sort.Ints(got)
		want := append(append([]int{}, bad...), len(bad)+good+blank+1)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("lint found lines %v, want %v; %s", suiteHead(got), suiteHead(want), suiteLineDiff(got, want, finds))
		}

		res = r.run(t, args("metrics")...)
		note("metrics", res)
		skipped := regexp.MustCompile(`(?m)^writestead_sync_log_rows_skipped_total (\d+)$`).FindStringSubmatch(res.stdout)
		runs := int64(0)
		for _, m := range regexp.MustCompile(`(?m)^writestead_sync_runs_total\{[^}]*\} (\d+)$`).FindAllStringSubmatch(res.stdout, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			runs += n
		}
		if res.code != 0 || skipped == nil || skipped[1] != strconv.Itoa(len(bad)) || runs != int64(good) {
			t.Errorf("metrics: exit %d, skipped %v, runs %d; want %d skipped, %d runs: %.300s", res.code, skipped, runs, len(bad), good, res.stderr)
		}
		t.Logf("%d rows: %d good, %d bad, %d blank lines and a torn last line, %d MB", rows, good, len(bad), blank, fi.Size()>>20)
		relMust(t, os.Remove(log))
	}
	for name, v := range rss {
		if v[1]-v[0] > maxGrowth {
			t.Errorf("%s: peak RSS %d MB on the small log, %d MB on the ten times larger one", name, v[0]>>20, v[1]>>20)
		}
	}
}

// suiteHead is the first few of a list of line numbers, for a message.
func suiteHead(l []int) string {
	if len(l) > 12 {
		return fmt.Sprintf("%v ... (%d)", l[:12], len(l))
	}
	return fmt.Sprint(l)
}

// suiteLineDiff says which line numbers got has and want has not, with the
// finding's rule, and the reverse.
func suiteLineDiff(got, want []int, finds []struct {
	Line int
	Rule string
}) string {
	in := func(l []int, n int) bool {
		i := sort.SearchInts(l, n)
		return i < len(l) && l[i] == n
	}
	var extra, missing []string
	for _, f := range finds {
		if !in(want, f.Line) {
			extra = append(extra, fmt.Sprintf("%d %s", f.Line, f.Rule))
		}
	}
	for _, n := range want {
		if !in(got, n) {
			missing = append(missing, strconv.Itoa(n))
		}
	}
	return fmt.Sprintf("extra %v, missing %v", extra, missing)
}
