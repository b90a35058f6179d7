package ndjson

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"weak"
)

// readAll reads paths with ReadEvents and returns the rows and stats.
func readAll(t *testing.T, paths []string, workers int) ([]Row, *Stats, error) {
	t.Helper()
	var rows []Row
	st, err := ReadEvents(context.Background(), paths, ReadOptions{ScanOptions: ScanOptions{Workers: workers}, KeepExtra: true},
		func(r *Row) error {
			rows = append(rows, *r)
			return nil
		})
	return rows, st, err
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// gz compresses each part as its own gzip member and concatenates them.
func gz(t testing.TB, parts ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, p := range parts {
		zw := gzip.NewWriter(&out)
		if _, err := zw.Write(p); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// numbered is a valid row that carries its line number in session_id.
func numbered(n int64) string {
	return row("session_id", fmt.Sprintf(`"L%d"`, n))
}

func lineNumbers(rows []Row) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.Line)
	}
	return out
}

// checkIdentity checks that every line of data is accounted for once:
// rows + skipped + blank (+1 for a partial last line) = lines.
func checkIdentity(t *testing.T, data []byte, src *SourceStats) {
	t.Helper()
	got := src.Rows + src.Skipped + src.Blank
	if src.Partial {
		got++
	}
	if want := countLines(data); got != want {
		t.Errorf("%s: rows %d + skipped %d + blank %d + partial %v = %d, want %d lines",
			src.Path, src.Rows, src.Skipped, src.Blank, src.Partial, got, want)
	}
	var byReason int64
	for _, n := range src.ByReason {
		byReason += n
	}
	if byReason != src.Skipped {
		t.Errorf("%s: ByReason sums to %d, skipped %d", src.Path, byReason, src.Skipped)
	}
}

func TestReaderRules(t *testing.T) {
	r1, r2, r3 := numbered(1), numbered(2), numbered(3)
	tests := []struct {
		name      string
		data      string
		rows      []int64 // line numbers of the rows read
		skipped   map[Reason][]int64
		blank     int64
		partial   bool
		wantLines int64
	}{
		{name: "plain", data: r1 + "\n" + r2 + "\n", rows: []int64{1, 2}, wantLines: 2},
		{name: "empty file", data: "", wantLines: 0},
		{name: "BOM at start", data: "\xEF\xBB\xBF" + r1 + "\n" + r2 + "\n", rows: []int64{1, 2}, wantLines: 2},
		{name: "BOM only", data: "\xEF\xBB\xBF", wantLines: 0},
		{name: "BOM then newline", data: "\xEF\xBB\xBF\n" + r2 + "\n", rows: []int64{2}, blank: 1, wantLines: 2},
		{name: "BOM then blank unterminated", data: "\xEF\xBB\xBF  ", blank: 1, wantLines: 1},
		{name: "CRLF", data: r1 + "\r\n" + r2 + "\r\n" + r3 + "\r\n", rows: []int64{1, 2, 3}, wantLines: 3},
		{name: "CRLF with BOM and blank CRLF lines", data: "\xEF\xBB\xBF" + r1 + "\r\n\r\n" + r3 + "\r\n", rows: []int64{1, 3}, blank: 1, wantLines: 3},
		{name: "blank lines", data: "\n" + r2 + "\n   \n\t\n" + numbered(5) + "\n\n", rows: []int64{2, 5}, blank: 4, wantLines: 6},
		{name: "only blank lines", data: "\n\n \n", blank: 3, wantLines: 3},
		{name: "blank unterminated last line", data: r1 + "\n  ", rows: []int64{1}, blank: 1, wantLines: 2},
		{name: "CR unterminated last line", data: r1 + "\n\r", rows: []int64{1}, blank: 1, wantLines: 2},
		{name: "invalid UTF-8", data: r1 + "\n" + row("repo", "\"\xc3\x28\"") + "\n" + r3 + "\n", rows: []int64{1, 3},
			skipped: map[Reason][]int64{ReasonBadEncoding: {2}}, wantLines: 3},
		{name: "NUL bytes", data: "\x00\x00\x00\n" + r2 + "\n" + strings.Replace(r3, "push", "pu\x00sh", 1) + "\n", rows: []int64{2},
			skipped: map[Reason][]int64{ReasonBadEncoding: {1, 3}}, wantLines: 3},
		{name: "latin-1 line", data: "caf\xe9\n" + r2 + "\n", rows: []int64{2}, skipped: map[Reason][]int64{ReasonBadEncoding: {1}}, wantLines: 2},
		{name: "unterminated last row is partial", data: r1 + "\n" + r2, rows: []int64{1}, partial: true, wantLines: 2},
		{name: "torn last line is partial", data: r1 + "\n" + r2[:30], rows: []int64{1}, partial: true, wantLines: 2},
		{name: "torn line in the middle is skipped", data: r1 + "\n" + r2[:30] + "\n" + r3 + "\n", rows: []int64{1, 3},
			skipped: map[Reason][]int64{ReasonInvalidJSON: {2}}, wantLines: 3},
		{name: "mixed reasons", data: strings.Join([]string{
			r1, "not json", row("repo", drop), row("op", `"sync"`), row("ts", `"now"`), row("status", `"meh"`), row("files", `-1`), "[]",
		}, "\n") + "\n", rows: []int64{1}, skipped: map[Reason][]int64{
			ReasonInvalidJSON: {2, 8}, ReasonMissingField: {3}, ReasonBadOp: {4}, ReasonBadTS: {5}, ReasonBadStatus: {6}, ReasonBadType: {7},
		}, wantLines: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			plain := writeFile(t, dir, "log.ndjson", []byte(tt.data))
			zipped := writeFile(t, dir, "log.ndjson.gz", gz(t, []byte(tt.data)))
			for _, p := range []string{plain, zipped} {
				rows, st, err := readAll(t, []string{p}, 0)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if len(st.Sources) != 1 {
					t.Fatalf("%d sources", len(st.Sources))
				}
				src := st.Sources[0]
				if got := lineNumbers(rows); !reflect.DeepEqual(got, tt.rows) {
					t.Errorf("%s: rows at lines %v, want %v", p, got, tt.rows)
				}
				for _, r := range rows {
					if want := fmt.Sprintf("L%d", r.Line); r.Event.SessionID != want {
						t.Errorf("%s: row at line %d carries %s", p, r.Line, r.Event.SessionID)
					}
				}
				if src.Rows != int64(len(tt.rows)) {
					t.Errorf("%s: Rows %d, want %d", p, src.Rows, len(tt.rows))
				}
				gotSkips := map[Reason][]int64{}
				for _, ex := range src.Examples {
					gotSkips[ex.Reason] = append(gotSkips[ex.Reason], ex.Line)
					if ex.Path != p || ex.Msg == "" || !strings.HasPrefix(ex.String(), fmt.Sprintf("%s:%d: ", p, ex.Line)) {
						t.Errorf("%s: bad example %+v (%s)", p, ex, ex)
					}
				}
				if len(gotSkips) == 0 {
					gotSkips = nil
				}
				if !reflect.DeepEqual(gotSkips, tt.skipped) {
					t.Errorf("%s: skipped %v, want %v", p, gotSkips, tt.skipped)
				}
				for r, lines := range tt.skipped {
					if src.ByReason[r] != int64(len(lines)) {
						t.Errorf("%s: ByReason[%s] = %d, want %d", p, r, src.ByReason[r], len(lines))
					}
				}
				if src.Blank != tt.blank {
					t.Errorf("%s: Blank %d, want %d", p, src.Blank, tt.blank)
				}
				if src.Partial != tt.partial {
					t.Errorf("%s: Partial %v, want %v", p, src.Partial, tt.partial)
				}
				if got := countLines([]byte(tt.data)); got != tt.wantLines {
					t.Fatalf("test data has %d lines, want %d", got, tt.wantLines)
				}
				checkIdentity(t, []byte(tt.data), src)
				if src.Bytes != int64(len(tt.data)) {
					t.Errorf("%s: Bytes %d, want %d", p, src.Bytes, len(tt.data))
				}
			}
		})
	}
}

// A line of 10 MB, valid or not, does not stop the rows after it.
func TestReaderLongLines(t *testing.T) {
	const size = 10 << 20
	big := row("blob", `"`+strings.Repeat("x", size)+`"`)
	junk := strings.Repeat("y", size)
	data := numbered(1) + "\n" + big + "\n" + numbered(3) + "\n" + junk + "\n" + numbered(5) + "\n" + big[:size/2] + "\n" + numbered(7) + "\n"
	p := writeFile(t, t.TempDir(), "long.ndjson", []byte(data))
	var rows []Row
	st, err := ReadEvents(context.Background(), []string{p}, ReadOptions{}, func(r *Row) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	src := st.Sources[0]
	if got, want := lineNumbers(rows), []int64{1, 2, 3, 5, 7}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows at lines %v, want %v", got, want)
	}
	if src.Skipped != 2 || len(src.Examples) != 2 || src.Examples[0].Line != 4 || src.Examples[1].Line != 6 {
		t.Errorf("skipped %d, examples %v; want lines 4 and 6", src.Skipped, src.Examples)
	}
	if src.Partial || src.LastLine != 7 {
		t.Errorf("Partial %v LastLine %d", src.Partial, src.LastLine)
	}
	checkIdentity(t, []byte(data), src)
}

// A log several chunks long: line numbers of rows and skips stay right
// across chunk boundaries, with CRLF, blank lines and a BOM, plain and gzip,
// with one worker or many.
func TestReaderLineNumbersAcrossChunks(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("\xEF\xBB\xBF")
	bad := map[int64]bool{}
	var wantRows, wantBad []int64
	var n int64
	var blank int64
	for buf.Len() < 3*ChunkSize+ChunkSize/3 {
		n++
		switch {
		case n%997 == 0 && len(wantBad) < MaxExamples-2:
			fmt.Fprintf(&buf, "{\"broken\": %d\n", n)
			bad[n] = true
			wantBad = append(wantBad, n)
		case n%101 == 0:
			buf.WriteString("  \r\n")
			blank++
		case n%2 == 0:
			buf.WriteString(numbered(n) + "\r\n")
			wantRows = append(wantRows, n)
		default:
			buf.WriteString(numbered(n) + "\n")
			wantRows = append(wantRows, n)
		}
	}
	data := buf.Bytes()
	dir := t.TempDir()
	plain := writeFile(t, dir, "big.ndjson", data)
	mid := len(data) / 2
	zipped := writeFile(t, dir, "big.ndjson.gz", gz(t, data[:mid], data[mid:]))
	for _, p := range []string{plain, zipped} {
		for _, workers := range []int{1, 4} {
			rows, st, err := readAll(t, []string{p}, workers)
			if err != nil {
				t.Fatal(err)
			}
			src := st.Sources[0]
			if got := lineNumbers(rows); !reflect.DeepEqual(got, wantRows) {
				t.Fatalf("%s workers=%d: %d rows, want %d (first difference near %v)", p, workers, len(got), len(wantRows), firstDiff(got, wantRows))
			}
			for _, r := range rows {
				if r.Event.SessionID != fmt.Sprintf("L%d", r.Line) {
					t.Fatalf("%s: row at line %d is %s", p, r.Line, r.Event.SessionID)
				}
			}
			var gotBad []int64
			for _, ex := range src.Examples {
				gotBad = append(gotBad, ex.Line)
			}
			if !reflect.DeepEqual(gotBad, wantBad) {
				t.Errorf("%s workers=%d: skips at %v, want %v", p, workers, gotBad, wantBad)
			}
			if src.Blank != blank || src.Partial || src.LastLine != n {
				t.Errorf("%s: Blank %d (want %d) Partial %v LastLine %d (want %d)", p, src.Blank, blank, src.Partial, src.LastLine, n)
			}
			checkIdentity(t, data, src)
		}
	}
	if len(wantBad) < 3 {
		t.Fatalf("test data has only %d bad lines", len(wantBad))
	}
}

func firstDiff(a, b []int64) any {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("index %d: %d vs %d", i, a[i], b[i])
		}
	}
	return "the end"
}

// Skips are numbered right when a bad line sits across each chunk boundary.
func TestReaderBadLineOnChunkBoundary(t *testing.T) {
	var buf bytes.Buffer
	var n int64
	var wantBad []int64
	for _, boundary := range []int{ChunkSize, 2 * ChunkSize} {
		for buf.Len() < boundary-20 {
			n++
			buf.WriteString(numbered(n) + "\n")
		}
		n++
		buf.WriteString("{\"torn\": " + strings.Repeat("z", 40) + "\n") // spans the boundary
		wantBad = append(wantBad, n)
		n++
		buf.WriteString(numbered(n) + "\n")
	}
	rows, st, err := readAll(t, []string{writeFile(t, t.TempDir(), "b.ndjson", buf.Bytes())}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, ex := range st.Sources[0].Examples {
		got = append(got, ex.Line)
	}
	if !reflect.DeepEqual(got, wantBad) {
		t.Errorf("skips at %v, want %v", got, wantBad)
	}
	if int64(len(rows)) != n-int64(len(wantBad)) {
		t.Errorf("%d rows, want %d", len(rows), n-int64(len(wantBad)))
	}
	for _, r := range rows {
		if r.Event.SessionID != fmt.Sprintf("L%d", r.Line) {
			t.Fatalf("row at line %d is %s", r.Line, r.Event.SessionID)
		}
	}
	checkIdentity(t, buf.Bytes(), st.Sources[0])
}

func TestReaderGzip(t *testing.T) {
	r1, r2, r3, r4 := numbered(1), numbered(2), numbered(3), numbered(4)
	dir := t.TempDir()
	cases := map[string][]byte{
		"one member":            gz(t, []byte(r1+"\n"+r2+"\n"+r3+"\n"+r4+"\n")),
		"two members":           gz(t, []byte(r1+"\n"+r2+"\n"), []byte(r3+"\n"+r4+"\n")),
		"member splits a line":  gz(t, []byte(r1+"\n"+r2[:17]), []byte(r2[17:]+"\n"+r3+"\n"+r4+"\n")),
		"three members, CRLF":   gz(t, []byte(r1+"\r\n"), []byte(r2+"\r\n"+r3+"\r\n"), []byte(r4+"\r\n")),
		"empty member in there": gz(t, []byte(r1+"\n"+r2+"\n"), nil, []byte(r3+"\n"+r4+"\n")),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			// The name need not end in .gz: the magic number decides.
			for _, fn := range []string{"x.ndjson.gz", "x.ndjson"} {
				p := writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+fn, data)
				rows, st, err := readAll(t, []string{p}, 2)
				if err != nil {
					t.Fatal(err)
				}
				if got := lineNumbers(rows); !reflect.DeepEqual(got, []int64{1, 2, 3, 4}) {
					t.Errorf("%s: rows %v", fn, got)
				}
				if src := st.Sources[0]; src.Skipped != 0 || src.Partial {
					t.Errorf("%s: %+v", fn, src)
				}
			}
		})
	}
	// A corrupt archive is an error naming the file, not a crash.
	good := gz(t, []byte(r1+"\n"))
	bad := append(append([]byte{}, good[:len(good)-6]...), 0, 1, 2, 3, 4, 5)
	p := writeFile(t, dir, "corrupt.gz", bad)
	if _, _, err := readAll(t, []string{p}, 1); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt gzip: err %v", err)
	}
}

func TestReaderSources(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.ndjson", []byte(numbered(1)+"\n"+numbered(2)+"\nbad\n"))
	b := writeFile(t, dir, "b.ndjson.gz", gz(t, []byte(numbered(1)+"\n"+numbered(2)[:10])))
	st, err := ReadEvents(context.Background(), []string{a, "-", b},
		ReadOptions{ScanOptions: ScanOptions{Stdin: strings.NewReader("\n" + numbered(2) + "\n")}}, func(r *Row) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sources) != 3 || st.Sources[0].Path != a || st.Sources[1].Path != "-" || st.Sources[2].Path != b {
		t.Fatalf("sources %v", st.Sources)
	}
	if st.Rows() != 4 || st.Skipped() != 1 || !st.Sources[2].Partial || st.Sources[0].Partial {
		t.Errorf("rows %d skipped %d; %+v %+v", st.Rows(), st.Skipped(), st.Sources[0], st.Sources[2])
	}
	if ex := st.Examples(5); len(ex) != 1 || ex[0].Path != a || ex[0].Line != 3 {
		t.Errorf("examples %v", ex)
	}
	// Rows come in source and line order.
	var order []string
	if _, err := ReadEvents(context.Background(), []string{a, b, a}, ReadOptions{}, func(r *Row) error {
		order = append(order, fmt.Sprintf("%s:%d", filepath.Base(r.Path), r.Line))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.ndjson:1", "a.ndjson:2", "b.ndjson.gz:1", "a.ndjson:1", "a.ndjson:2"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	// An error from fn stops the scan and is returned.
	stop := errors.New("stop")
	calls := 0
	if _, err := ReadEvents(context.Background(), []string{a, a}, ReadOptions{}, func(r *Row) error {
		calls++
		return stop
	}); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err %v after %d calls", err, calls)
	}
}

// Reading a missing file, a directory or a FIFO is an error, never a hang.
func TestReaderRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.ndjson"), dir, fifo} {
		done := make(chan error, 1)
		go func() {
			_, _, err := readAll(t, []string{p}, 1)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: err %v, want an error naming it", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: reading hangs", p)
		}
	}
}

func TestScanCancel(t *testing.T) {
	var buf bytes.Buffer
	for buf.Len() < 3*ChunkSize {
		buf.WriteString(row() + "\n")
	}
	p := writeFile(t, t.TempDir(), "c.ndjson", buf.Bytes())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	_, err := ReadEvents(ctx, []string{p}, ReadOptions{}, func(r *Row) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"sync-events.ndjson", "sync-events.ndjson.lock", "sync-events.ndjson.2.gz", "sync-events.ndjson.10.gz", "sync-events.ndjson.1.gz", "other.txt"} {
		writeFile(t, dir, n, nil)
	}
	j := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name     string
		root     string
		patterns []string
		want     []string
		err      string
	}{
		{"glob sorted, lock skipped", dir, []string{"sync-events.ndjson*"},
			[]string{j("sync-events.ndjson"), j("sync-events.ndjson.1.gz"), j("sync-events.ndjson.10.gz"), j("sync-events.ndjson.2.gz")}, ""},
		{"absolute glob", "/elsewhere", []string{j("*.gz")}, []string{j("sync-events.ndjson.1.gz"), j("sync-events.ndjson.10.gz"), j("sync-events.ndjson.2.gz")}, ""},
		{"literal missing path kept", dir, []string{"missing.ndjson"}, []string{j("missing.ndjson")}, ""},
		{"literal lock path kept", dir, []string{"sync-events.ndjson.lock"}, []string{j("sync-events.ndjson.lock")}, ""},
		{"stdin", dir, []string{"-", "other.txt"}, []string{"-", j("other.txt")}, ""},
		{"duplicates dropped", dir, []string{"other.txt", j("other.txt"), "o*.txt"}, []string{j("other.txt")}, ""},
		{"order of patterns kept", dir, []string{"other.txt", "*.gz"}, []string{j("other.txt"), j("sync-events.ndjson.1.gz"), j("sync-events.ndjson.10.gz"), j("sync-events.ndjson.2.gz")}, ""},
		{"empty root", "", []string{"rel/path.ndjson"}, []string{"rel/path.ndjson"}, ""},
		{"no match", dir, []string{"*.nothing"}, nil, "matches no file"},
		{"bad pattern", dir, []string{"[x"}, nil, "syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandPaths(tt.root, tt.patterns)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				if !strings.Contains(err.Error(), tt.patterns[0]) {
					t.Errorf("error %q does not name the pattern", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestScanLetsGoOfMergedChunks: once a chunk is merged, nothing of the
// scan keeps its result reachable, so memory follows the chunks in flight
// and not the size of the log.
func TestScanLetsGoOfMergedChunks(t *testing.T) {
	const chunks = 24
	path := writeFile(t, t.TempDir(), "log.ndjson", bytes.Repeat([]byte("x\n"), chunks*ChunkSize/2))
	type result [4 << 10]byte
	var merged []weak.Pointer[result]
	reachable := -1
	_, err := Scan(context.Background(), []string{path}, ScanOptions{Workers: 2},
		func(c *Chunk, _ *ChunkStats) *result { return new(result) },
		func(r *result) error {
			merged = append(merged, weak.Make(r))
			if len(merged) == chunks-2 {
				runtime.GC()
				reachable = 0
				for _, w := range merged[:chunks/2] {
					if w.Value() != nil {
						reachable++
					}
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if reachable != 0 {
		t.Errorf("after %d of %d chunks merged, the results of %d of the first %d are still reachable",
			chunks-2, len(merged), reachable, chunks/2)
	}
}
