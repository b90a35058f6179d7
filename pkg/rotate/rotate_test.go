package rotate

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

func row(ts string, id string) string {
	return fmt.Sprintf(`{"ts":%q,"op":"push","repo":"r","scope":"s","files":1,"bytes":2,"dur_ms":3,"manifest_before":"","manifest_after":"m","trigger":"cli","machine":"m","session_id":%q}`, ts, id) + "\n"
}

var cutoff = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// sampleLog has rows of February, March and April 2026 (the last newer than
// cutoff), a malformed line, a blank line, an old row with an offset that
// is in March in UTC, and a torn last line.
func sampleLog() (log string, moved map[string][]string, kept string) {
	feb1, mar1, mar2 := row("2026-02-10T10:00:00Z", "feb1"), row("2026-03-05T10:00:00Z", "mar1"), row("2026-04-01T01:00:00+02:00", "mar2")
	apr1, apr2 := row("2026-04-01T00:00:00Z", "apr1"), row("2026-04-16T10:00:00Z", "apr2")
	bad := `{"ts":"2026-01-01T00:00:00Z","op":"push"}` + "\n"
	torn := row("2026-01-02T00:00:00Z", "torn")[:50]
	log = feb1 + bad + mar1 + "\n" + apr1 + mar2 + apr2 + torn
	kept = bad + "\n" + apr1 + apr2 + torn
	return log, map[string][]string{"2026-02": {feb1}, "2026-03": {mar1, mar2}}, kept
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestRotateMovesOldRows(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	content, moved, kept := sampleLog()
	if err := os.WriteFile(log, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := Rotate(context.Background(), Options{Log: log, Before: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, log)); got != kept {
		t.Errorf("log is\n%q\nwant\n%q", got, kept)
	}
	for month, rows := range moved {
		p := filepath.Join(dir, "sync-events-"+month+".ndjson.gz")
		if got := gunzip(t, p); got != strings.Join(rows, "") {
			t.Errorf("%s holds %q", p, got)
		}
	}
	if res.Moved != 3 || res.Kept != 2 || res.Bad != 1 || res.Blank != 1 || !res.Torn || len(res.Archives) != 2 {
		t.Errorf("result %+v", res)
	}
	if len(res.Examples) != 1 || res.Examples[0].Line != 2 || res.Examples[0].Path != log {
		t.Errorf("examples %v, want line 2", res.Examples)
	}
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("log mode %v (%v), want 0640", fi.Mode(), err)
	}
	want := []string{".sync-events.ndjson.rotate.lock", ".sync-events.ndjson.rotated", "sync-events-2026-02.ndjson.gz", "sync-events-2026-03.ndjson.gz", "sync-events.ndjson", "sync-events.ndjson.lock"}
	if got := dirNames(t, dir); !equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}

	// Again: nothing is old enough, so nothing changes, the log's inode included.
	before, _ := os.Stat(log)
	res, err = Rotate(context.Background(), Options{Log: log, Before: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(log)
	if res.Moved != 0 || !os.SameFile(before, after) {
		t.Errorf("a rotation with nothing to move replaced the log (moved %d)", res.Moved)
	}
	if got := dirNames(t, dir); !equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

// A second rotation into an archive that exists adds a gzip member; the
// reader sees the rows of both.
func TestRotateAppendsMember(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	r1, r2, r3 := row("2026-03-01T00:00:00Z", "a"), row("2026-03-20T00:00:00Z", "b"), row("2026-03-30T00:00:00Z", "c")
	write(t, log, r1+r2+r3)
	if _, err := Rotate(context.Background(), Options{Log: log, Before: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Rotate(context.Background(), Options{Log: log, Before: cutoff}); err != nil {
		t.Fatal(err)
	}
	arch := filepath.Join(dir, "sync-events-2026-03.ndjson.gz")
	if got := gunzip(t, arch); got != r1+r2+r3 {
		t.Errorf("archive holds %q", got)
	}
	if members := bytes.Count(readFile(t, arch), []byte{0x1f, 0x8b, 8}); members != 2 {
		t.Errorf("%d gzip members, want 2", members)
	}
	if got := readFile(t, log); len(got) != 0 {
		t.Errorf("log holds %q", got)
	}
	ids := readIDs(t, dir)
	if strings.Join(ids, " ") != "a b c" {
		t.Errorf("readers see %v", ids)
	}
}

func TestRotateDryRun(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	content, _, _ := sampleLog()
	write(t, log, content)
	res, err := Rotate(context.Background(), Options{Log: log, Before: cutoff, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 3 || res.Kept != 2 || res.Bad != 1 || len(res.Archives) != 2 || res.Archives[1].Rows != 2 ||
		res.Archives[0].Path != filepath.Join(dir, "sync-events-2026-02.ndjson.gz") {
		t.Errorf("result %+v", res)
	}
	if got := string(readFile(t, log)); got != content {
		t.Error("a dry run changed the log")
	}
	if got := dirNames(t, dir); !equal(got, []string{"sync-events.ndjson"}) {
		t.Errorf("a dry run left %v", got)
	}
}

func TestRotateRefusesHostileFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir, log string) string // what must name the error
	}{
		{"log is a symlink", func(t *testing.T, dir, log string) string {
			victim := filepath.Join(dir, "victim")
			write(t, victim, row("2026-01-01T00:00:00Z", "v"))
			if err := os.Symlink(victim, log); err != nil {
				t.Fatal(err)
			}
			return log
		}},
		{"archive is a symlink", func(t *testing.T, dir, log string) string {
			write(t, log, row("2026-01-01T00:00:00Z", "x"))
			victim := filepath.Join(dir, "victim")
			write(t, victim, "precious\n")
			arch := filepath.Join(dir, "sync-events-2026-01.ndjson.gz")
			if err := os.Symlink(victim, arch); err != nil {
				t.Fatal(err)
			}
			return arch
		}},
		{"missing log", func(t *testing.T, dir, log string) string { return log }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "sync-events.ndjson")
			want := tc.setup(t, dir, log)
			before := snapshot(t, dir)
			_, err := Rotate(context.Background(), Options{Log: log, Before: cutoff})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want one naming %s", err, want)
			}
			after := snapshot(t, dir)
			delete(after, "sync-events.ndjson.lock")
			delete(after, ".sync-events.ndjson.rotate.lock")
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Errorf("changed:\n%v\n%v", before, after)
			}
		})
	}
}

// A rotation that dies at any step, followed by a record and the next
// rotation: every row is in the log or an archive exactly once, and nothing
// staged is left behind.
func TestRotateCrashRecovery(t *testing.T) {
	points := []string{"start", "read", "tail", "staged", "committed", "archives", "carried", "renamed"}
	for _, point := range points {
		for _, torn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/torn=%v", point, torn), func(t *testing.T) {
				dir := t.TempDir()
				log := filepath.Join(dir, "sync-events.ndjson")
				arch := filepath.Join(dir, "sync-events-2026-03.ndjson.gz")
				// An archive from an earlier rotation.
				var zb bytes.Buffer
				zw := gzip.NewWriter(&zb)
				io.WriteString(zw, row("2026-03-01T00:00:00Z", "old"))
				zw.Close()
				write(t, arch, zb.String())
				content := row("2026-02-01T00:00:00Z", "feb") + row("2026-03-02T00:00:00Z", "mar") + row("2026-04-02T00:00:00Z", "apr")
				if torn {
					content += `{"ts":"2026-0`
				}
				write(t, log, content)
				before := string(readFile(t, log))
				archBefore := string(readFile(t, arch))

				crashAt = func(p string) bool { return p == point }
				_, err := Rotate(context.Background(), Options{Log: log, Before: cutoff})
				crashAt = nil
				if !errors.Is(err, errCrash) {
					t.Fatalf("err = %v, want the simulated crash", err)
				}
				_, journaled := os.Lstat(journalPath(log))
				committed := journaled == nil
				if want := point == "committed" || point == "archives" || point == "carried" || point == "renamed"; committed != want && point != "renamed" {
					t.Errorf("journal present %v after a crash at %s", committed, point)
				}
				if !committed || point == "committed" {
					if got := string(readFile(t, log)); got != before {
						t.Errorf("the log changed before the commit took effect")
					}
					if got := string(readFile(t, arch)); got != archBefore {
						t.Errorf("the archive changed before the commit took effect")
					}
				}
				// record runs before the next rotation.
				if err := (&ndjson.Appender{Path: log, NoSync: true}).Append(context.Background(), []byte(row("2026-04-03T00:00:00Z", "after"))); err != nil {
					t.Fatal(err)
				}
				res, err := Rotate(context.Background(), Options{Log: log, Before: cutoff})
				if err != nil {
					t.Fatal(err)
				}
				if res.Recovered != committed {
					t.Errorf("recovered %v, want %v", res.Recovered, committed)
				}
				ids := readIDs(t, dir)
				if got := strings.Join(ids, " "); got != "after apr feb mar old" {
					t.Errorf("rows after recovery: %s", got)
				}
				if got := dirNames(t, dir); !equal(got, []string{".sync-events.ndjson.rotate.lock", ".sync-events.ndjson.rotated", "sync-events-2026-02.ndjson.gz", "sync-events-2026-03.ndjson.gz", "sync-events.ndjson", "sync-events.ndjson.lock"}) {
					t.Errorf("directory holds %v", got)
				}
				if torn && !strings.Contains(string(readFile(t, log)), "\n"+`{"ts":"2026-0`+"\n") {
					t.Errorf("the torn fragment is not alone on its line: %q", readFile(t, log))
				}
			})
		}
	}
}

// Appenders and rotations at once, in one process: every row appended is
// in the log or an archive exactly once.
func TestRotateConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	const writers, perWriter, rotations = 4, 150, 15
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &ndjson.Appender{Path: log, NoSync: true}
			for i := range perWriter {
				// Times spread over four months, so rotations move some.
				ts := base.Add(time.Duration(i*writers+w) * 17 * time.Hour).Format(time.RFC3339)
				if err := a.Append(context.Background(), []byte(row(ts, fmt.Sprintf("w%d-%d", w, i)))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range rotations {
			time.Sleep(2 * time.Millisecond)
			if _, err := Rotate(context.Background(), Options{Log: log, Before: base.Add(time.Duration(i) * 10 * 24 * time.Hour)}); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ids := readIDs(t, dir)
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	for w := range writers {
		for i := range perWriter {
			if id := fmt.Sprintf("w%d-%d", w, i); seen[id] != 1 {
				t.Errorf("row %s present %d times", id, seen[id])
			}
		}
	}
	if len(ids) != writers*perWriter {
		t.Errorf("%d rows, want %d", len(ids), writers*perWriter)
	}
	if archives, _ := filepath.Glob(filepath.Join(dir, "*.gz")); len(archives) == 0 {
		t.Error("no rotation moved a row")
	}
}

// The first pass over the log runs without the appender's lock: a record
// made then neither waits nor is lost, and one that ends a torn line is
// read whole in the second pass.
func TestRotateFirstPassWithoutLock(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	write(t, log, row("2026-02-01T00:00:00Z", "feb")+row("2026-04-02T00:00:00Z", "apr")+`{"ts":"2026-0`)
	a := &ndjson.Appender{Path: log, NoSync: true, LockTimeout: 50 * time.Millisecond}
	crashAt = func(p string) bool {
		if p == "read" {
			for _, id := range []string{"during1", "during2"} {
				if err := a.Append(context.Background(), []byte(row("2026-03-01T00:00:00Z", id))); err != nil {
					t.Errorf("append during the first pass: %v", err)
				}
			}
		}
		return false
	}
	t.Cleanup(func() { crashAt = nil })
	res, err := Rotate(context.Background(), Options{Log: log, Before: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 3 || res.Kept != 1 || res.Bad != 1 || res.Torn {
		t.Errorf("result %+v", res)
	}
	if got := strings.Join(readIDs(t, dir), " "); got != "apr during1 during2 feb" {
		t.Errorf("rows: %s", got)
	}
	if got, want := string(readFile(t, log)), row("2026-04-02T00:00:00Z", "apr")+`{"ts":"2026-0`+"\n"; got != want {
		t.Errorf("log is %q, want %q", got, want)
	}
}

func TestArchivePath(t *testing.T) {
	m := time.Date(2026, 3, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)) // April in UTC
	for log, want := range map[string]string{
		"state/log/sync-events.ndjson": "state/log/sync-events-2026-04.ndjson.gz",
		"/x/events.log":                "/x/events.log-2026-04.gz",
	} {
		if got := ArchivePath(log, m); got != want {
			t.Errorf("ArchivePath(%q) = %q, want %q", log, got, want)
		}
	}
}

// readIDs reads the session ids of every row in the log and its archives
// through the reader the reporting commands use, sorted.
func readIDs(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := ndjson.ExpandPaths(dir, []string{"sync-events*"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	_, err = ndjson.ReadEvents(context.Background(), paths, ndjson.ReadOptions{}, func(r *ndjson.Row) error {
		ids = append(ids, r.Event.SessionID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range dirNames(t, dir) {
		p := filepath.Join(dir, n)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out[n] = "-> " + target
			continue
		}
		out[n] = string(readFile(t, p))
	}
	return out
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }
