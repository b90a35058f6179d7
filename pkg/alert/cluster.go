// Package alert finds failure clusters in the sync-event log, keeps one alert
// file per cluster, computes the tenant-level status and posts alerts to
// Alertmanager.
package alert

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Defaults of the cluster rules and of the status.
const (
	DefaultWindow       = 10 * time.Minute
	DefaultMinFailures  = 3
	DefaultLookback     = 7 * 24 * time.Hour
	DefaultStatusWindow = time.Hour
	DefaultThreshold    = 0.05
)

// Fields are the row fields a group can be keyed by; a group label carries
// the field's name. tenant is the row's tenant_id (default when absent).
var Fields = []string{"repo", "machine", "scope", "op", "trigger", "tenant"}

// DefaultGroupBy is the default group: one repo on one machine.
var DefaultGroupBy = []string{"repo", "machine"}

// ParseGroupBy reads a list of group fields; each element may itself be a
// comma-separated list (as a config file or the environment gives it).
func ParseGroupBy(list []string) ([]string, error) {
	var out []string
	for _, item := range list {
		for _, f := range strings.Split(item, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if !slices.Contains(Fields, f) {
				return nil, fmt.Errorf("unknown group field %q: want %s", f, strings.Join(Fields, ", "))
			}
			if slices.Contains(out, f) {
				return nil, fmt.Errorf("group field %q given twice", f)
			}
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no group field: want some of %s", strings.Join(Fields, ", "))
	}
	return out, nil
}

func fieldValue(e *ndjson.Event, field string) string {
	switch field {
	case "repo":
		return e.Repo
	case "machine":
		return e.Machine
	case "scope":
		return e.Scope
	case "op":
		return e.Op
	case "trigger":
		return e.Trigger
	case "tenant":
		return e.Tenant()
	}
	return ""
}

// Label is one field of a group and its value.
type Label struct {
	Name, Value string
}

// Failure is one failed row of a cluster.
type Failure struct {
	TS      time.Time
	Machine string
	Trigger string
	Op      string
	Error   string
	point   point
}

// Cluster is a failure run that fired: at least MinFailures of its failures
// fall within one Window.
type Cluster struct {
	// ID is the UTC time of the first failure in basic format
	// (20260416T191038Z), with -2, -3, … when clusters start in one second.
	ID    string
	Group []Label // in group-by order
	First time.Time
	Last  time.Time
	Count int // failed runs, Earlier lines included
	// Failures are the failed rows inside the lookback, oldest first.
	Failures []Failure
	// Earlier are error chain lines kept verbatim from the cluster's alert
	// file for failures that fell out of the lookback (see Reconcile).
	Earlier []string
	// ResolvedAt is the ts of the group's first successful row after the
	// cluster; zero while it fires.
	ResolvedAt time.Time

	// cut: no row of the group in the lookback comes before the cluster, so
	// it may have started before the lookback.
	cut bool
	// lastError is the last error of a cluster whose failures all lie
	// before the lookback, as its file says.
	lastError string
}

// Firing reports whether no successful row of the group followed the cluster.
func (c *Cluster) Firing() bool { return c.ResolvedAt.IsZero() }

// Status is "firing" or "resolved".
func (c *Cluster) Status() string {
	if c.Firing() {
		return "firing"
	}
	return "resolved"
}

// LastError is the error of the cluster's last failed row.
func (c *Cluster) LastError() string {
	if len(c.Failures) == 0 {
		return c.lastError
	}
	return c.Failures[len(c.Failures)-1].Error
}

// point orders rows: nanoseconds after the lookback's start, then log order.
type point struct{ at, seq int64 }

func (p point) less(q point) bool { return p.at < q.at || p.at == q.at && p.seq < q.seq }

func comparePoints(a, b point) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// timeline is every row of one group inside the lookback.
type timeline struct {
	values   []string
	failures []Failure
	oks      []point // successful rows: only where they are matters
	sorted   bool
}

func (tl *timeline) sort() {
	if tl.sorted {
		return
	}
	slices.SortFunc(tl.failures, func(a, b Failure) int { return comparePoints(a.point, b.point) })
	slices.SortFunc(tl.oks, comparePoints)
	tl.sorted = true
}

// firstOKAfter is the index of the first successful row after p.
func (tl *timeline) firstOKAfter(p point) int {
	return sort.Search(len(tl.oks), func(i int) bool { return p.less(tl.oks[i]) })
}

// Detector collects the rows of every group inside the lookback; Clusters
// then applies the cluster rules, as often as asked (the backtest asks
// once per grid cell). Memory grows with the groups, the failed rows and,
// at 16 bytes each, the successful rows inside the lookback: rows may come
// in any order, and a late row can split a run anywhere.
type Detector struct {
	groupBy []string
	now     time.Time
	start   time.Time // now - lookback
	groups  map[string]*timeline
	key     []byte
	seq     int64

	// Rows and Failed count the rows taken (inside the lookback).
	Rows, Failed int64
	// Earliest is the ts of the earliest row taken.
	Earliest time.Time
}

// NewDetector returns a Detector for the rows of [now-lookback, now],
// grouped by groupBy (fields of Fields).
func NewDetector(groupBy []string, now time.Time, lookback time.Duration) *Detector {
	return &Detector{
		groupBy: slices.Clone(groupBy),
		now:     now,
		start:   now.Add(-lookback),
		groups:  make(map[string]*timeline),
	}
}

// Start is the lookback's start: rows before it are not looked at.
func (d *Detector) Start() time.Time { return d.start }

// Now is the present: rows after it are ignored.
func (d *Detector) Now() time.Time { return d.now }

// GroupBy is the group fields.
func (d *Detector) GroupBy() []string { return slices.Clone(d.groupBy) }

// Add takes one row; rows must come in log order (ties in ts keep it).
// Rows outside [now-lookback, now] are ignored.
func (d *Detector) Add(e *ndjson.Event) {
	d.seq++
	if e.TS.After(d.now) || e.TS.Before(d.start) {
		return
	}
	d.key = d.key[:0]
	for _, f := range d.groupBy {
		d.key = append(d.key, fieldValue(e, f)...)
		d.key = append(d.key, 0)
	}
	tl := d.groups[string(d.key)]
	if tl == nil {
		tl = &timeline{values: make([]string, len(d.groupBy))}
		for i, f := range d.groupBy {
			tl.values[i] = strings.Clone(fieldValue(e, f))
		}
		d.groups[string(d.key)] = tl
	}
	p := point{at: int64(e.TS.Sub(d.start)), seq: d.seq}
	if e.Failed() {
		tl.failures = append(tl.failures, Failure{
			TS: e.TS, Machine: e.Machine, Trigger: e.Trigger, Op: e.Op, Error: e.Error, point: p,
		})
		d.Failed++
	} else {
		tl.oks = append(tl.oks, p)
	}
	tl.sorted = false
	if d.Rows == 0 || e.TS.Before(d.Earliest) {
		d.Earliest = e.TS
	}
	d.Rows++
}

// Clusters applies the cluster rules to the rows taken:
//
//   - Per group, rows in ts order (ties in log order). A failure run is a
//     maximal sequence of failed rows with no successful row of the group
//     between them and no gap longer than window between consecutive
//     failures.
//   - A run is a cluster when some window-long span (ends included) holds
//     at least minFailures of its failures.
//   - A cluster is resolved by the first successful row of its group after
//     it; otherwise it stays firing, even when failures stop.
//
// Clusters come in the order of their IDs (see AssignIDs).
func (d *Detector) Clusters(window time.Duration, minFailures int) []Cluster {
	if minFailures < 1 {
		minFailures = 1
	}
	var out []Cluster
	for _, tl := range d.groups {
		if len(tl.failures) == 0 {
			continue
		}
		tl.sort()
		f := tl.failures
		start := 0
		for k := range f {
			if k+1 < len(f) && !tl.splits(k, window) {
				continue
			}
			if c, ok := d.cluster(tl, start, k, window, minFailures); ok {
				out = append(out, c)
			}
			start = k + 1
		}
	}
	AssignIDs(out)
	return out
}

// splits reports whether the failures k and k+1 of tl are in different runs.
func (tl *timeline) splits(k int, window time.Duration) bool {
	a, b := tl.failures[k].point, tl.failures[k+1].point
	if b.at-a.at > int64(window) {
		return true
	}
	j := tl.firstOKAfter(a)
	return j < len(tl.oks) && tl.oks[j].less(b)
}

// cluster makes the run of failures [i, k] of tl a cluster, if it is one.
func (d *Detector) cluster(tl *timeline, i, k int, window time.Duration, minFailures int) (Cluster, bool) {
	f := tl.failures
	for s := i; s+minFailures-1 <= k; s++ {
		if f[s+minFailures-1].point.at-f[s].point.at <= int64(window) {
			return d.run(tl, i, k), true
		}
	}
	return Cluster{}, false
}

// run makes the failures [i, k] of tl a Cluster, dense or not.
func (d *Detector) run(tl *timeline, i, k int) Cluster {
	f := tl.failures
	c := Cluster{
		Group:    make([]Label, len(d.groupBy)),
		First:    f[i].TS,
		Last:     f[k].TS,
		Count:    k - i + 1,
		Failures: f[i : k+1 : k+1],
		cut:      i == 0 && (len(tl.oks) == 0 || f[0].point.less(tl.oks[0])),
	}
	for n, name := range d.groupBy {
		c.Group[n] = Label{Name: name, Value: tl.values[n]}
	}
	if j := tl.firstOKAfter(f[k].point); j < len(tl.oks) {
		c.ResolvedAt = d.start.Add(time.Duration(tl.oks[j].at))
	}
	return c
}

// leading returns what the lookback shows of a group at its start: the
// group's first failure run when no successful row comes before it (a run
// that may have begun before the lookback; nil otherwise), and the ts of
// the group's first successful row (zero when none).
func (d *Detector) leading(group []Label, window time.Duration) (run *Cluster, firstOK time.Time) {
	tl := d.groups[groupKey(group)]
	if tl == nil {
		return nil, time.Time{}
	}
	tl.sort()
	if len(tl.oks) > 0 {
		firstOK = d.start.Add(time.Duration(tl.oks[0].at))
	}
	f := tl.failures
	if len(f) == 0 || len(tl.oks) > 0 && tl.oks[0].less(f[0].point) {
		return nil, firstOK
	}
	k := 0
	for k+1 < len(f) && !tl.splits(k, window) {
		k++
	}
	c := d.run(tl, 0, k)
	return &c, firstOK
}

// groupKey is the map key of a group's values.
func groupKey(group []Label) string {
	var b strings.Builder
	for _, l := range group {
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}

// IDFormat is the layout of a cluster ID: UTC in ISO 8601 basic format.
const IDFormat = "20060102T150405Z"

// AssignIDs sorts clusters by first failure (then group, in sort order) and
// gives every cluster without an ID the UTC second of its first failure;
// when that ID is taken (clusters starting in one second), the later ones
// get -2, -3, …. IDs already set are kept.
func AssignIDs(cs []Cluster) {
	slices.SortStableFunc(cs, compareClusters)
	used := make(map[string]bool, len(cs))
	for i := range cs {
		if cs[i].ID != "" {
			used[cs[i].ID] = true
		}
	}
	for i := range cs {
		if cs[i].ID != "" {
			continue
		}
		base := cs[i].First.UTC().Format(IDFormat)
		id := base
		for n := 2; used[id]; n++ {
			id = base + "-" + strconv.Itoa(n)
		}
		used[id] = true
		cs[i].ID = id
	}
}

// compareClusters orders by the second of the first failure, then group,
// then the exact first failure.
func compareClusters(a, b Cluster) int {
	as, bs := a.First.Truncate(time.Second), b.First.Truncate(time.Second)
	if c := as.Compare(bs); c != 0 {
		return c
	}
	if c := compareGroups(a.Group, b.Group); c != 0 {
		return c
	}
	if c := a.First.Compare(b.First); c != 0 {
		return c
	}
	if len(a.Failures) > 0 && len(b.Failures) > 0 {
		return cmp.Compare(a.Failures[0].point.seq, b.Failures[0].point.seq)
	}
	return 0
}

func compareGroups(a, b []Label) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := cmp.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := cmp.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func sameGroup(a, b []Label) bool { return compareGroups(a, b) == 0 }

// FormatDuration writes d compactly in days, hours, minutes and seconds
// (7d, 1h30m, 45s; 0s for zero), rounded to the second.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.s)
			d -= n * u.d
		}
	}
	return b.String()
}
