package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

var t0 = time.Date(2026, 4, 16, 10, 0, 0, 0, time.UTC)

// row is one test row: at t0+at, in group repo/machine, failed or not.
type row struct {
	at      time.Duration
	repo    string
	machine string
	failed  bool
}

func fail(at time.Duration, repo string) row { return row{at, repo, "m1", true} }
func ok(at time.Duration, repo string) row   { return row{at, repo, "m1", false} }

func (r row) event() ndjson.Event {
	e := ndjson.Event{
		TS: t0.Add(r.at), Op: "push", Repo: r.repo, Scope: "state", Trigger: "cron", Machine: r.machine,
	}
	if r.failed {
		e.Status = ndjson.StatusError
		e.Error = fmt.Sprintf("ob sync: push state: fail at %s", r.at)
	}
	return e
}

// want is a cluster expected: its id, repo, failures, first and last (as
// offsets from t0), and resolved_at (-1: firing).
type want struct {
	id          string
	repo        string
	count       int
	first, last time.Duration
	resolved    time.Duration
}

const firing = -1

func detect(rows []row, now time.Time, lookback, window time.Duration, minFailures int) []Cluster {
	d := NewDetector(DefaultGroupBy, now, lookback)
	for _, r := range rows {
		e := r.event()
		d.Add(&e)
	}
	return d.Clusters(window, minFailures)
}

func TestClusterRules(t *testing.T) {
	m := time.Minute
	s := time.Second
	cases := []struct {
		name     string
		rows     []row // in log order
		now      time.Duration
		lookback time.Duration
		window   time.Duration
		min      int
		want     []want
	}{
		{
			name: "3 failures in 9 minutes fire",
			rows: []row{fail(0, "r"), fail(4*m+30*s, "r"), fail(9*m, "r")},
			want: []want{{"20260416T100000Z", "r", 3, 0, 9 * m, firing}},
		},
		{
			name: "3 failures in 11 minutes do not",
			rows: []row{fail(0, "r"), fail(5*m, "r"), fail(11*m, "r")},
		},
		{
			name: "failures 9 minutes apart three times do not",
			rows: []row{fail(0, "r"), fail(9*m, "r"), fail(18*m, "r"), fail(27*m, "r")},
		},
		{
			name: "4 failures then a success: resolved at the success",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), fail(3*m, "r"), ok(5*m, "r"), ok(6*m, "r")},
			want: []want{{"20260416T100000Z", "r", 4, 0, 3 * m, 5 * m}},
		},
		{
			name: "a success between failures splits the run",
			rows: []row{fail(0, "r"), fail(1*m, "r"), ok(2*m, "r"), fail(3*m, "r"), fail(4*m, "r")},
		},
		{
			name: "the same failures without the success fire",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(3*m, "r"), fail(4*m, "r")},
			want: []want{{"20260416T100000Z", "r", 4, 0, 4 * m, firing}},
		},
		{
			name: "split runs are clusters of their own; the first resolves at the split",
			rows: []row{fail(0, "r"), fail(1*m, "r"), ok(2*m, "r"), fail(3*m, "r"), fail(4*m, "r")},
			min:  2,
			want: []want{
				{"20260416T100000Z", "r", 2, 0, 1 * m, 2 * m},
				{"20260416T100300Z", "r", 2, 3 * m, 4 * m, firing},
			},
		},
		{
			name: "out-of-order rows are put in ts order",
			rows: []row{fail(9*m, "r"), ok(20*m, "r"), fail(0, "r"), fail(4*m, "r")},
			want: []want{{"20260416T100000Z", "r", 3, 0, 9 * m, 20 * m}},
		},
		{
			name: "a late success splits a run where its ts puts it",
			rows: []row{fail(0, "r"), fail(2*m, "r"), fail(4*m, "r"), ok(1*m, "r")},
		},
		{
			name: "a late failure joins the run its ts puts it in",
			rows: []row{fail(0, "r"), fail(8*m, "r"), ok(30*m, "r"), fail(4*m, "r")},
			want: []want{{"20260416T100000Z", "r", 3, 0, 8 * m, 30 * m}},
		},
		{
			name: "two groups starting in one second: the later group in sort order gets -2, -3",
			rows: []row{
				fail(900*time.Millisecond, "a"), fail(1*m, "a"), fail(2*m, "a"),
				fail(100*time.Millisecond, "c"), fail(1*m, "c"), fail(2*m, "c"),
				fail(500*time.Millisecond, "b"), fail(1*m, "b"), fail(2*m, "b"),
			},
			want: []want{
				{"20260416T100000Z", "a", 3, 900 * time.Millisecond, 2 * m, firing},
				{"20260416T100000Z-2", "b", 3, 500 * time.Millisecond, 2 * m, firing},
				{"20260416T100000Z-3", "c", 3, 100 * time.Millisecond, 2 * m, firing},
			},
		},
		{
			name: "a gap of exactly the window keeps the run, a span of exactly the window fires",
			rows: []row{fail(0, "r"), fail(10*m, "r"), fail(10*m, "r")},
			want: []want{{"20260416T100000Z", "r", 3, 0, 10 * m, firing}},
		},
		{
			name: "a gap longer than the window splits the run; both stay firing",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), fail(20*m, "r"), fail(21*m, "r"), fail(22*m, "r")},
			want: []want{
				{"20260416T100000Z", "r", 3, 0, 2 * m, firing},
				{"20260416T102000Z", "r", 3, 20 * m, 22 * m, firing},
			},
		},
		{
			name: "one success resolves every cluster before it",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), fail(20*m, "r"), fail(21*m, "r"), fail(22*m, "r"), ok(40*m, "r")},
			want: []want{
				{"20260416T100000Z", "r", 3, 0, 2 * m, 40 * m},
				{"20260416T102000Z", "r", 3, 20 * m, 22 * m, 40 * m},
			},
		},
		{
			name: "a success at the same ts as a failure counts in log order (after)",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), ok(2*m, "r")},
			want: []want{{"20260416T100000Z", "r", 3, 0, 2 * m, 2 * m}},
		},
		{
			name: "a success at the same ts as a failure counts in log order (before)",
			rows: []row{fail(0, "r"), fail(1*m, "r"), ok(2*m, "r"), fail(2*m, "r")},
		},
		{
			name: "another group's success resolves nothing",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), ok(3*m, "other")},
			want: []want{{"20260416T100000Z", "r", 3, 0, 2 * m, firing}},
		},
		{
			name: "another machine is another group",
			rows: []row{fail(0, "r"), fail(1*m, "r"), {2 * m, "r", "m2", true}},
		},
		{
			name: "rows after now are ignored, even a success",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), ok(3*time.Hour, "r")},
			now:  2 * time.Hour,
			want: []want{{"20260416T100000Z", "r", 3, 0, 2 * m, firing}},
		},
		{
			name: "failures stop but the cluster fires until a success",
			rows: []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r")},
			now:  6 * 24 * time.Hour,
			want: []want{{"20260416T100000Z", "r", 3, 0, 2 * m, firing}},
		},
		{
			name:     "rows before the lookback are not looked at",
			rows:     []row{fail(0, "r"), fail(1*m, "r"), fail(2*m, "r"), fail(3*m, "r")},
			now:      time.Hour + 90*s,
			lookback: time.Hour,
			want:     []want{{"20260416T100200Z", "r", 2, 2 * m, 3 * m, firing}},
			min:      2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now, lookback, window, min := tc.now, tc.lookback, tc.window, tc.min
			if now == 0 {
				now = 2 * time.Hour
			}
			if lookback == 0 {
				lookback = DefaultLookback
			}
			if window == 0 {
				window = DefaultWindow
			}
			if min == 0 {
				min = DefaultMinFailures
			}
			got := detect(tc.rows, t0.Add(now), lookback, window, min)
			var gotW []want
			for _, c := range got {
				w := want{c.ID, c.Group[0].Value, c.Count, c.First.Sub(t0), c.Last.Sub(t0), firing}
				if !c.Firing() {
					w.resolved = c.ResolvedAt.Sub(t0)
				}
				if c.Count != len(c.Failures) {
					t.Errorf("cluster %s: count %d, %d failures", c.ID, c.Count, len(c.Failures))
				}
				if c.Group[1] != (Label{"machine", "m1"}) {
					t.Errorf("cluster %s: group %v", c.ID, c.Group)
				}
				gotW = append(gotW, w)
			}
			if !slices.Equal(gotW, tc.want) {
				t.Errorf("clusters:\n got %+v\nwant %+v", gotW, tc.want)
			}
		})
	}
}

// The failures of a cluster are its error chain, in ts order.
func TestClusterFailures(t *testing.T) {
	rows := []row{fail(2*time.Minute, "r"), fail(0, "r"), fail(time.Minute, "r")}
	cs := detect(rows, t0.Add(time.Hour), DefaultLookback, DefaultWindow, 3)
	if len(cs) != 1 {
		t.Fatalf("%d clusters", len(cs))
	}
	var errs []string
	for _, f := range cs[0].Failures {
		errs = append(errs, f.Error)
	}
	want := "ob sync: push state: fail at 0s|ob sync: push state: fail at 1m0s|ob sync: push state: fail at 2m0s"
	if got := strings.Join(errs, "|"); got != want {
		t.Errorf("chain %q, want %q", got, want)
	}
	if cs[0].LastError() != "ob sync: push state: fail at 2m0s" {
		t.Errorf("last error %q", cs[0].LastError())
	}
}

// Clusters can be asked for again with other thresholds (the backtest
// does), from the same rows.
func TestClustersAgain(t *testing.T) {
	d := NewDetector([]string{"repo"}, t0.Add(time.Hour), DefaultLookback)
	for _, r := range []row{fail(0, "r"), fail(4*time.Minute, "r"), fail(8*time.Minute, "r")} {
		e := r.event()
		d.Add(&e)
	}
	for _, tc := range []struct {
		window time.Duration
		min    int
		want   int
	}{{10 * time.Minute, 3, 1}, {5 * time.Minute, 3, 0}, {5 * time.Minute, 2, 1}, {3 * time.Minute, 2, 0}, {30 * time.Minute, 5, 0}} {
		if got := len(d.Clusters(tc.window, tc.min)); got != tc.want {
			t.Errorf("window %s min %d: %d clusters, want %d", tc.window, tc.min, got, tc.want)
		}
	}
}

func TestGroupByFields(t *testing.T) {
	e := ndjson.Event{TS: t0, Op: "pull", Repo: "r", Scope: "s", Trigger: "cron", Machine: "m", Status: ndjson.StatusError}
	d := NewDetector([]string{"tenant", "op", "scope", "trigger"}, t0.Add(time.Hour), DefaultLookback)
	for range 3 {
		d.Add(&e)
	}
	cs := d.Clusters(DefaultWindow, 3)
	if len(cs) != 1 {
		t.Fatalf("%d clusters", len(cs))
	}
	want := []Label{{"tenant", "default"}, {"op", "pull"}, {"scope", "s"}, {"trigger", "cron"}}
	if !slices.Equal(cs[0].Group, want) {
		t.Errorf("group %v, want %v", cs[0].Group, want)
	}
}

func TestParseGroupBy(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
		err  string
	}{
		{[]string{"repo", "machine"}, []string{"repo", "machine"}, ""},
		{[]string{"repo,machine"}, []string{"repo", "machine"}, ""},
		{[]string{" machine , repo "}, []string{"machine", "repo"}, ""},
		{[]string{"tenant", "op,scope", "trigger"}, []string{"tenant", "op", "scope", "trigger"}, ""},
		{[]string{"repo", "host"}, nil, `unknown group field "host"`},
		{[]string{"repo,repo"}, nil, "given twice"},
		{[]string{""}, nil, "no group field"},
		{nil, nil, "no group field"},
	}
	for _, tc := range cases {
		got, err := ParseGroupBy(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 10 * time.Minute: "10m", 90 * time.Minute: "1h30m",
		7 * 24 * time.Hour: "7d", 26*time.Hour + 5*time.Second: "1d2h5s", 1500 * time.Millisecond: "2s",
		-5 * time.Minute: "-5m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
