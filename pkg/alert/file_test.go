package alert

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/synclog/synclog/pkg/ndjson"
)

var testRules = Rules{Window: DefaultWindow, MinFailures: DefaultMinFailures}

func sampleCluster(resolved bool) Cluster {
	rows := []row{fail(0, "snappy-os"), fail(time.Minute, "snappy-os"), fail(2*time.Minute, "snappy-os")}
	if resolved {
		rows = append(rows, ok(5*time.Minute, "snappy-os"))
	}
	cs := detect(rows, t0.Add(time.Hour), DefaultLookback, DefaultWindow, 3)
	return cs[0]
}

func TestRenderParse(t *testing.T) {
	for _, resolved := range []bool{false, true} {
		c := sampleCluster(resolved)
		data := Render(&c, testRules)
		h, chain, err := ParseFile(data)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		if h.ID != c.ID || h.Status != c.Status() || !slices.Equal(h.Group, c.Group) || !h.First.Equal(c.First) ||
			!h.Last.Equal(c.Last) || h.Failures != c.Count || !h.ResolvedAt.Equal(c.ResolvedAt) {
			t.Errorf("header %+v does not match cluster %+v", h, c)
		}
		if len(chain) != len(c.Failures) {
			t.Fatalf("%d chain lines, want %d", len(chain), len(c.Failures))
		}
		for i, l := range chain {
			if !l.TS.Equal(c.Failures[i].TS) || !strings.Contains(l.Text, c.Failures[i].Error) {
				t.Errorf("chain line %d: %+v", i, l)
			}
		}
		text := string(data)
		for _, s := range []string{"# Sync degraded: repo snappy-os, machine m1", "## Error chain", "## What to look at next",
			"synclog query -c --repo snappy-os --machine m1 --since 2026-04-16T09:50:00Z"} {
			if !strings.Contains(text, s) {
				t.Errorf("file lacks %q:\n%s", s, text)
			}
		}
		if resolved != strings.Contains(text, "**Resolved** at 2026-04-16T10:05:00Z by a successful run, after firing for 5m") {
			t.Errorf("resolved %v:\n%s", resolved, text)
		}
	}
}

// Values that would break the front matter or the table are escaped, and
// read back as they were.
func TestRenderHostileValues(t *testing.T) {
	d := NewDetector([]string{"repo", "scope"}, t0.Add(time.Hour), DefaultLookback)
	for i := range 3 {
		e := ndjson.Event{TS: t0.Add(time.Duration(i) * time.Minute), Op: "push", Repo: "a: \"b\"\n---\n",
			Scope: "x|y", Trigger: "cli", Machine: "m|1", Status: ndjson.StatusError,
			Error: "line one\nline two | <script> \\| end"}
		d.Add(&e)
	}
	cs := d.Clusters(DefaultWindow, 3)
	data := Render(&cs[0], testRules)
	h, chain, err := ParseFile(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !slices.Equal(h.Group, cs[0].Group) {
		t.Errorf("group %q, want %q", h.Group, cs[0].Group)
	}
	if len(chain) != 3 {
		t.Errorf("%d chain lines:\n%s", len(chain), data)
	}
	text := string(data)
	if strings.Contains(text, "<script>") || !strings.Contains(text, `line one line two \| &lt;script> \\\| end`) {
		t.Errorf("error not escaped:\n%s", text)
	}
	if !strings.Contains(text, `'select(.scope == "x\|y")'`) {
		t.Errorf("query for scope missing:\n%s", text)
	}
}

func TestParseFileErrors(t *testing.T) {
	c := sampleCluster(true)
	good := string(Render(&c, testRules))
	for name, data := range map[string]string{
		"no front matter":   "# hello\n",
		"not closed":        "---\nalert: SyncDegraded\n",
		"other alert":       strings.Replace(good, "alert: SyncDegraded", "alert: Other", 1),
		"bad id":            strings.Replace(good, "id: 20260416T100000Z", "id: yesterday", 1),
		"bad status":        strings.Replace(good, "status: resolved", "status: maybe", 1),
		"resolved_at alone": strings.Replace(good, "status: resolved", "status: firing", 1),
		"bad label":         strings.Replace(good, `repo: "snappy-os"`, `repo: snappy-os`, 1),
		"unknown key":       strings.Replace(good, `repo: "snappy-os"`, `host: "x"`, 1),
		"no count":          strings.Replace(good, "failures: 3\n", "", 1),
		"twice":             strings.Replace(good, "failures: 3\n", "failures: 3\nfailures: 4\n", 1),
		"not key value":     strings.Replace(good, "failures: 3\n", "failures\n", 1),
	} {
		if _, _, err := ParseFile([]byte(data)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	for _, id := range []string{"20260416T100000Z", "20260416T100000Z-2", "20260416T100000Z-13"} {
		if !validID(id) {
			t.Errorf("%s: not valid", id)
		}
	}
	for _, id := range []string{"20260416T100000Z-1", "20260416T100000Z-02", "20260416T100000", "x", "20260416T100000Z-"} {
		if validID(id) {
			t.Errorf("%s: valid", id)
		}
	}
}

// writeLog writes rows as a log file and returns its path.
func writeLog(t *testing.T, dir string, rows []row) string {
	t.Helper()
	var b []byte
	for _, r := range rows {
		e := r.event()
		e.ManifestAfter = "m"
		b = e.AppendJSON(b)
	}
	path := filepath.Join(dir, "log.ndjson")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runAt(t *testing.T, dir, log string, now time.Time, lookback time.Duration) *Result {
	t.Helper()
	res, err := Run(context.Background(), &Options{
		Paths: []string{log}, Now: now, GeneratedAt: now,
		Window: DefaultWindow, MinFailures: DefaultMinFailures, GroupBy: DefaultGroupBy,
		Lookback: lookback, StatusWindow: DefaultStatusWindow, Threshold: DefaultThreshold,
		Dir: filepath.Join(dir, "alerts"), StatusFile: filepath.Join(dir, "status.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func alertFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, _ := os.ReadDir(filepath.Join(dir, "alerts"))
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, "alerts", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func kinds(res *Result) string {
	var s []string
	for _, c := range res.Changes {
		s = append(s, c.Kind+" "+c.Cluster.ID)
	}
	return strings.Join(s, ", ")
}

// A rerun writes nothing: every file keeps its bytes and its mtime. A
// cluster that grows, then resolves, is rewritten each time.
func TestRunRerunChangesNothing(t *testing.T) {
	dir := t.TempDir()
	m := time.Minute
	rows := []row{fail(0, "r"), fail(m, "r"), fail(2*m, "r"), fail(0, "q"), fail(m, "q"), fail(2*m, "q"), ok(3*m, "q")}
	log := writeLog(t, dir, rows)
	now := t0.Add(time.Hour)
	res := runAt(t, dir, log, now, DefaultLookback)
	if got := kinds(res); got != "new 20260416T100000Z, new 20260416T100000Z-2" {
		t.Fatalf("first run: %s", got)
	}
	if res.Firing() != 1 || !res.StatusChanged {
		t.Errorf("firing %d, status written %v", res.Firing(), res.StatusChanged)
	}
	// Age every file so a rewrite, even within the same second, shows.
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	paths := []string{filepath.Join(dir, "status.json")}
	for name := range alertFiles(t, dir) {
		paths = append(paths, filepath.Join(dir, "alerts", name))
	}
	for _, p := range paths {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	before := alertFiles(t, dir)
	res = runAt(t, dir, log, now, DefaultLookback)
	if len(res.Changes) != 0 || res.StatusChanged {
		t.Errorf("rerun changed %s, status %v", kinds(res), res.StatusChanged)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(old) {
			t.Errorf("%s: mtime %s, want it untouched", p, fi.ModTime())
		}
	}
	if after := alertFiles(t, dir); !mapsEqual(before, after) {
		t.Errorf("files changed")
	}

	// r's cluster is "-2" (same second, later group); it grows, then resolves.
	log = writeLog(t, dir, append(rows, fail(4*m, "r")))
	if got := kinds(runAt(t, dir, log, now, DefaultLookback)); got != "grown 20260416T100000Z-2" {
		t.Errorf("grown: %s", got)
	}
	log = writeLog(t, dir, append(rows, fail(4*m, "r"), ok(5*m, "r")))
	res = runAt(t, dir, log, now, DefaultLookback)
	if got := kinds(res); got != "resolved 20260416T100000Z-2" {
		t.Errorf("resolved: %s", got)
	}
	if res.Firing() != 0 {
		t.Errorf("%d firing", res.Firing())
	}
	// Other rules rewrite the files: updated.
	res, err := Run(context.Background(), &Options{
		Paths: []string{log}, Now: now, GeneratedAt: now, Window: 5 * m, MinFailures: 3, GroupBy: DefaultGroupBy,
		Lookback: DefaultLookback, StatusWindow: time.Hour, Threshold: 0.05,
		Dir: filepath.Join(dir, "alerts"), StatusFile: filepath.Join(dir, "status.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(res); got != "updated 20260416T100000Z, updated 20260416T100000Z-2" {
		t.Errorf("other rules: %s", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A cluster that outlives the lookback keeps its file: no new file appears
// as its first failures fall out of the lookback, firing or resolved.
func TestRunClusterOutlivesLookback(t *testing.T) {
	m := time.Minute
	lookback := 2 * time.Hour

	t.Run("firing", func(t *testing.T) {
		dir := t.TempDir()
		var rows []row
		for at := time.Duration(0); at <= 3*time.Hour; at += 2 * m {
			rows = append(rows, fail(at, "r"))
		}
		log := writeLog(t, dir, rows)
		res := runAt(t, dir, log, t0.Add(time.Hour), lookback)
		if got := kinds(res); got != "new 20260416T100000Z" || res.Clusters[0].Count != 31 {
			t.Fatalf("first run: %s, %d failures", got, res.Clusters[0].Count)
		}
		// Two hours later the first hour is out of the lookback.
		res = runAt(t, dir, log, t0.Add(3*time.Hour), lookback)
		if got := kinds(res); got != "grown 20260416T100000Z" {
			t.Fatalf("later run: %s", got)
		}
		c := res.Clusters[0]
		if c.Count != 91 || !c.First.Equal(t0) || len(c.Earlier) != 30 || len(c.Failures) != 61 {
			t.Errorf("continued cluster: count %d first %s earlier %d visible %d", c.Count, c.First, len(c.Earlier), len(c.Failures))
		}
		files := alertFiles(t, dir)
		if len(files) != 1 {
			t.Fatalf("files %v", slices.Collect(mapKeys(files)))
		}
		h, chain, err := ParseFile([]byte(files[FileName("20260416T100000Z")]))
		if err != nil || h.Failures != 91 || len(chain) != 91 {
			t.Errorf("file: %v, %+v, %d chain lines", err, h, len(chain))
		}
		// Again, a minute later: nothing changes.
		res = runAt(t, dir, log, t0.Add(3*time.Hour+m), lookback)
		if len(res.Changes) != 0 {
			t.Errorf("a minute later: %s", kinds(res))
		}
		// Without its file, the cluster is seen from the lookback's start.
		other := t.TempDir()
		res = runAt(t, other, log, t0.Add(3*time.Hour), lookback)
		if got := kinds(res); got != "new 20260416T110000Z" {
			t.Errorf("without the file: %s", got)
		}
	})

	t.Run("resolved", func(t *testing.T) {
		dir := t.TempDir()
		rows := []row{fail(0, "r"), fail(2*m, "r"), fail(4*m, "r"), fail(6*m, "r"), ok(8*m, "r"), ok(time.Hour, "r")}
		log := writeLog(t, dir, rows)
		runAt(t, dir, log, t0.Add(time.Hour), lookback)
		before := alertFiles(t, dir)
		// The failures drop out of the lookback one by one: no file changes
		// and none appears, until the whole cluster has left it.
		for _, now := range []time.Duration{lookback + m, lookback + 3*m, lookback + 5*m, lookback + 7*m} {
			res := runAt(t, dir, log, t0.Add(now), lookback)
			if len(res.Changes) != 0 {
				t.Errorf("now t0+%s: %s", now, kinds(res))
			}
			if after := alertFiles(t, dir); !mapsEqual(before, after) {
				t.Errorf("now t0+%s: files %v", now, slices.Collect(mapKeys(after)))
			}
		}
	})

	t.Run("a new run after a resolved file is not a continuation", func(t *testing.T) {
		dir := t.TempDir()
		rows := []row{fail(0, "r"), fail(2*m, "r"), fail(4*m, "r"), ok(5*m, "r"),
			fail(2*time.Hour+m, "r"), fail(2*time.Hour+2*m, "r"), fail(2*time.Hour+3*m, "r")}
		log := writeLog(t, dir, rows)
		runAt(t, dir, log, t0.Add(time.Hour), lookback)
		res := runAt(t, dir, log, t0.Add(2*time.Hour+10*m), lookback)
		if got := kinds(res); got != "new 20260416T120100Z" {
			t.Errorf("%s", got)
		}
	})
}

// A firing cluster whose rows have all left the lookback (a machine off
// for longer than the lookback) stays firing, from its file, until the
// group's next success resolves it.
func TestRunFiringOutlivesItsRows(t *testing.T) {
	m := time.Minute
	lookback := 2 * time.Hour
	dir := t.TempDir()
	rows := []row{fail(0, "r"), fail(m, "r"), fail(2*m, "r"), fail(30*m, "q"), fail(31*m, "q"), fail(32*m, "q"), fail(50*m, "q"), fail(51*m, "q"), fail(52*m, "q")}
	log := writeLog(t, dir, rows)
	res := runAt(t, dir, log, t0.Add(time.Hour), lookback)
	if got := kinds(res); got != "new 20260416T100000Z, new 20260416T103000Z, new 20260416T105000Z" || res.Firing() != 3 {
		t.Fatalf("first run: %s, %d firing", got, res.Firing())
	}
	before := alertFiles(t, dir)

	// Five hours on, no row of either group is in the lookback: the three
	// clusters still fire, and nothing is rewritten.
	res = runAt(t, dir, log, t0.Add(5*time.Hour), lookback)
	if len(res.Changes) != 0 || res.Firing() != 3 || len(res.Clusters) != 3 {
		t.Fatalf("five hours on: %s, %d firing of %d", kinds(res), res.Firing(), len(res.Clusters))
	}
	if !mapsEqual(before, alertFiles(t, dir)) {
		t.Error("files changed")
	}
	alerts := Postable(res.Clusters, t0.Add(5*time.Hour), nil)
	if len(alerts) != 3 || alerts[0].EndsAt != "2026-04-16T16:00:00Z" || alerts[0].Annotations["last_error"] != "ob sync: push state: fail at 2m0s" {
		t.Errorf("alerts %+v", alerts)
	}

	// r succeeds at t0+6h: its cluster resolves there, whole. q's two
	// clusters (split by a gap) both still fire.
	log = writeLog(t, dir, append(rows, ok(6*time.Hour, "r")))
	res = runAt(t, dir, log, t0.Add(6*time.Hour+m), lookback)
	if got := kinds(res); got != "resolved 20260416T100000Z" || res.Firing() != 2 {
		t.Fatalf("after r's success: %s, %d firing", got, res.Firing())
	}
	h, chain, err := ParseFile([]byte(alertFiles(t, dir)[FileName("20260416T100000Z")]))
	if err != nil || h.Status != "resolved" || !h.ResolvedAt.Equal(t0.Add(6*time.Hour)) || h.Failures != 3 || len(chain) != 3 ||
		h.LastError != "ob sync: push state: fail at 2m0s" {
		t.Errorf("resolved file: %v %+v, %d chain lines", err, h, len(chain))
	}
	if c := alertFiles(t, dir)[FileName("20260416T100000Z")]; !strings.Contains(c, "innermost cause: `fail at 2m0s`") {
		t.Errorf("resolved file lost its last error:\n%s", c)
	}
	if res := runAt(t, dir, log, t0.Add(6*time.Hour+m), lookback); len(res.Changes) != 0 {
		t.Errorf("rerun: %s", kinds(res))
	}

	// One success of q resolves both of its clusters.
	log = writeLog(t, dir, append(rows, ok(6*time.Hour, "r"), ok(7*time.Hour, "q")))
	res = runAt(t, dir, log, t0.Add(7*time.Hour+m), lookback)
	if got := kinds(res); got != "resolved 20260416T103000Z, resolved 20260416T105000Z" || res.Firing() != 0 {
		t.Errorf("after q's success: %s, %d firing", got, res.Firing())
	}

	// Once the resolutions leave the lookback, the files are history.
	before = alertFiles(t, dir)
	res = runAt(t, dir, log, t0.Add(10*time.Hour), lookback)
	if len(res.Changes) != 0 || len(res.Clusters) != 0 || !mapsEqual(before, alertFiles(t, dir)) {
		t.Errorf("ten hours on: %s, %d clusters", kinds(res), len(res.Clusters))
	}
}

// A firing cluster whose rows still in the lookback are too few to be a
// cluster on their own keeps its file.
func TestRunContinuesASparseTail(t *testing.T) {
	m := time.Minute
	dir := t.TempDir()
	log := writeLog(t, dir, []row{fail(0, "r"), fail(m, "r"), fail(2*m, "r"), fail(8*m, "r")})
	runAt(t, dir, log, t0.Add(time.Hour), 2*time.Hour)
	before := alertFiles(t, dir)
	res := runAt(t, dir, log, t0.Add(2*time.Hour+3*m), 2*time.Hour)
	if len(res.Changes) != 0 || res.Firing() != 1 || res.Clusters[0].Count != 4 || len(res.Clusters[0].Failures) != 1 {
		t.Errorf("%s, %d firing, %+v", kinds(res), res.Firing(), res.Clusters)
	}
	if !mapsEqual(before, alertFiles(t, dir)) {
		t.Error("files changed")
	}
	// Other group fields: the file is not this group's, and is left alone.
	res, err := Run(context.Background(), &Options{
		Paths: []string{log}, Now: t0.Add(2*time.Hour + 3*m), GeneratedAt: t0, Window: DefaultWindow, MinFailures: 3,
		GroupBy: []string{"repo"}, Lookback: 2 * time.Hour, StatusWindow: time.Hour, Threshold: 0.05,
		Dir: filepath.Join(dir, "alerts"), StatusFile: filepath.Join(dir, "status.json"),
	})
	if err != nil || len(res.Clusters) != 0 || !mapsEqual(before, alertFiles(t, dir)) {
		t.Errorf("group by repo: %v, %d clusters", err, len(res.Clusters))
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// FuzzParseFile: any bytes parse or fail, never panic; what parses is sane.
func FuzzParseFile(f *testing.F) {
	for _, resolved := range []bool{false, true} {
		c := sampleCluster(resolved)
		f.Add(Render(&c, testRules))
	}
	f.Add([]byte("---\nalert: SyncDegraded\n---\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, chain, err := ParseFile(data)
		if err != nil {
			return
		}
		if !validID(h.ID) || h.Failures < 1 || len(h.Group) == 0 || h.Last.Before(h.First) {
			t.Errorf("parsed an invalid header: %+v", h)
		}
		if h.Status != "firing" && h.Status != "resolved" {
			t.Errorf("status %q", h.Status)
		}
		for _, l := range chain {
			if strings.Contains(l.Text, "\n") || !strings.HasPrefix(l.Text, "| ") {
				t.Errorf("chain line %q", l.Text)
			}
		}
	})
}

// FuzzRenderRoundTrip: whatever the rows hold, the file reads back with
// the same group, one chain line per failure, in order.
func FuzzRenderRoundTrip(f *testing.F) {
	f.Add("snappy-os", "nuc", "ob sync: push: dial tcp: i/o timeout", int64(0))
	f.Add("a\nb", "m|x", "x\r\ny | `z` \\", int64(1500))
	f.Add("", "\u2028", "\x00\x7f", int64(-1))
	f.Fuzz(func(t *testing.T, repo, machine, errText string, nanos int64) {
		if !utf8.ValidString(repo) || !utf8.ValidString(machine) || !utf8.ValidString(errText) {
			return // the reader skips such rows: they never reach a cluster
		}
		d := NewDetector(DefaultGroupBy, t0.Add(time.Hour), DefaultLookback)
		for i := range 3 {
			e := ndjson.Event{TS: t0.Add(time.Duration(i)*time.Second + time.Duration(nanos%1e9)), Op: "push",
				Repo: repo, Scope: "s", Trigger: "cli", Machine: machine, Status: ndjson.StatusError, Error: errText}
			d.Add(&e)
		}
		cs := d.Clusters(DefaultWindow, 3)
		if len(cs) != 1 {
			t.Fatalf("%d clusters", len(cs))
		}
		data := Render(&cs[0], testRules)
		h, chain, err := ParseFile(data)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		if !slices.Equal(h.Group, cs[0].Group) || h.ID != cs[0].ID || h.Failures != 3 {
			t.Errorf("header %+v, cluster %+v", h, cs[0])
		}
		if len(chain) != 3 {
			t.Fatalf("%d chain lines:\n%s", len(chain), data)
		}
		for i, l := range chain {
			if !l.TS.Equal(cs[0].Failures[i].TS) {
				t.Errorf("line %d: ts %s, want %s", i, l.TS, cs[0].Failures[i].TS)
			}
		}
	})
}

// ReadDir reads alert files only: not other files, files that do not
// parse, a file whose id is not its name's, directories or symbolic links.
func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	c := sampleCluster(false)
	good := Render(&c, testRules)
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(FileName(c.ID), good)
	write(FileName("20260416T110000Z"), good) // id and name disagree
	write(FileName("20260416T120000Z"), []byte("# notes\n"))
	write("notes.md", good)
	if err := os.Mkdir(filepath.Join(dir, FileName("20260416T130000Z")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, FileName(c.ID)), filepath.Join(dir, FileName("20260416T140000Z"))); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Header.ID != c.ID || len(got[0].Chain) != 3 {
		t.Errorf("ReadDir: %+v", got)
	}
	if got, err := ReadDir(filepath.Join(dir, "missing")); err != nil || got != nil {
		t.Errorf("missing dir: %v, %v", got, err)
	}
}
