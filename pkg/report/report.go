// Package report builds the sync dashboard: one streaming pass over the
// event logs, on every core, into a Summary that renders as markdown, JSON
// or terminal tables.
package report

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/synclog/synclog/pkg/cost"
	"github.com/synclog/synclog/pkg/ndjson"
)

// DefaultStaleAfter is how old a machine's last successful push may be
// before the machine is stale.
const DefaultStaleAfter = 24 * time.Hour

// Window is "the last 7 days" of the per-repo and per-trigger sections.
const Window = 7 * 24 * time.Hour

// Options is one summary.
type Options struct {
	Now         time.Time      // the present; rows after it are ignored
	GeneratedAt time.Time      // the real clock, or Now when the user gave it
	Loc         *time.Location // zone of the hour and day buckets (nil: UTC)
	StaleAfter  time.Duration  // 0: DefaultStaleAfter
	Prices      cost.PriceModel
	Workers     int       // 0: every core
	Stdin       io.Reader // read for the path "-"
	// OnProgress, when set, is called with the bytes read so far.
	OnProgress func(read int64)
}

// Summary is the dashboard's content.
type Summary struct {
	GeneratedAt time.Time
	Now         time.Time
	Loc         *time.Location
	StaleAfter  time.Duration
	Sources     []*ndjson.SourceStats
	Rows        int64 // valid rows read, future ones too
	Skipped     int64 // lines that were not valid rows

	PushesPerHour [24]HourBucket
	BytesPerDay   [7]DayBucket
	Repos         []RunStat // by name
	Machines      []Machine // by name
	Triggers      []RunStat // by name

	WeekCents int64    // the week's cost, the sum of rounded (tenant, day) amounts
	WeekExact *big.Rat // its exact sum, in cents
}

// HourBucket is one real hour [Start, Start+1h).
type HourBucket struct {
	Start  time.Time // in the summary's zone
	Pushes int64
	Failed int64
}

// DayBucket is one calendar day in the summary's zone (23 to 25 hours).
type DayBucket struct {
	Start, End     time.Time // End is the next day's start
	Pushed, Pulled int64     // bytes of successful rows
}

// Day is the bucket's date, YYYY-MM-DD.
func (d DayBucket) Day() string { return d.Start.Format(time.DateOnly) }

// RunStat counts the runs of one repo or trigger over the last 7 days.
type RunStat struct {
	Name      string
	Runs      int64
	Errors    int64
	LastError string // the error of the latest failed run; "" when none
	HasError  bool   // some run failed (LastError may still be "")
	lastErrAt time.Time
}

// FailureRate is Errors/Runs, 0 without runs.
func (r RunStat) FailureRate() float64 {
	if r.Runs == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Runs)
}

// Machine is one machine seen in the log and its last successful push.
type Machine struct {
	Name        string
	LastSuccess time.Time     // zero: never
	Age         time.Duration // Now - LastSuccess
	Stale       bool          // no successful push, or older than StaleAfter
}

// Build reads the logs at paths once and summarises them.
func Build(ctx context.Context, paths []string, o Options) (*Summary, error) {
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.GeneratedAt.IsZero() {
		o.GeneratedAt = o.Now
	}
	fr := newFrame(o.Now, o.Loc)
	// Egress past a month's allowance is priced pull by pull, in log order,
	// on the day the month crosses it. Files can be read again, so nothing
	// is kept per pull: each chunk notes the time span of its pulls, and if
	// a crossing day is one to price, the chunks whose span meets it are
	// read again. Stdin cannot be: there every pull is kept.
	fr.twoPass = !slices.Contains(paths, "-")
	total := newPartial(fr, o.Prices)
	var spans []pullSpan
	ranged := true // every chunk with pulls to price can be read again
	parsers := make(chan *ndjson.Parser, 16)
	// Partials go back to the workers once merged, so that a chunk's
	// tables reuse the room earlier chunks' grew rather than fresh memory.
	merged := make(chan *partial, 16)
	stats, err := ndjson.Scan(ctx, paths, ndjson.ScanOptions{Workers: o.Workers, Stdin: o.Stdin, OnProgress: o.OnProgress,
		// Lines are numbered only in the skipped lines' examples.
		RelativeLines: true},
		func(c *ndjson.Chunk, st *ndjson.ChunkStats) *partial {
			var p *ndjson.Parser
			select {
			case p = <-parsers:
			default:
				p = ndjson.NewParser()
				p.Lean = true
				// Rows before every window count for machines only.
				p.DetailFrom = fr.early
				// Error messages stay in the chunk; ownErrors copies the
				// last ones before it goes.
				p.BorrowError = true
			}
			var part *partial
			select {
			case part = <-merged:
				part.reset()
				partialsReused.Add(1)
			default:
				part = newPartial(fr, o.Prices)
			}
			part.chunk, part.source = ndjson.Range{Off: c.Offset, Len: int64(len(c.Data))}, c.Source
			var e ndjson.Event
			st.Blank += c.Lines(func(n int64, line []byte) {
				if err := p.Parse(line, &e); err != nil {
					st.Skip(c.Path, n, err)
					return
				}
				st.Rows++
				part.add(&e)
			})
			part.ownErrors()
			select {
			case parsers <- p:
			default:
			}
			return part
		},
		func(part *partial) error {
			total.merge(part)
			if lo, hi, ok := part.cost.PullSpan(); ok {
				if part.chunk.Off < 0 {
					ranged = false
				} else {
					spans = append(spans, pullSpan{source: part.source, chunk: part.chunk, lo: lo, hi: hi})
				}
			}
			if reusePartials {
				select {
				case merged <- part:
				default:
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if total.cost.NeedsPullDetail() {
		err := ndjson.ErrSourceChanged
		if ranged && rangeRereads {
			err = pullDetailRanges(stats.Sources, spans, total.cost)
		}
		if errors.Is(err, ndjson.ErrSourceChanged) {
			// A log rotated away since, or read from gzip: read it all.
			err = pullDetail(ctx, paths, o, fr, total.cost)
		}
		if err != nil {
			return nil, err
		}
	}
	s := total.summary(o)
	s.Sources = stats.Sources
	s.Rows, s.Skipped = stats.Rows(), stats.Skipped()
	return s, nil
}

// rangeRereads lets Build read again only the chunks that hold pulls of a
// crossing day; tests turn it off to compare with reading every log again.
var rangeRereads = true

// pullSpan is the span of the pulls to price in one chunk of a source, in
// Unix seconds.
type pullSpan struct {
	source int
	chunk  ndjson.Range
	lo, hi int64
}

// pullDetailRanges reads again the chunks whose pulls span a day on which
// a month crosses its included egress, and hands their pulls to agg, in log
// order. Every source is opened, and checked to be the file read, before
// any is read: one that changed gives ndjson.ErrSourceChanged, with agg as
// it was.
func pullDetailRanges(srcs []*ndjson.SourceStats, spans []pullSpan, agg *cost.Aggregator) error {
	days := agg.CrossingDays()
	ranges := make([][]ndjson.Range, len(srcs))
	for _, s := range spans {
		for _, d := range days {
			if start := d.Unix(); s.lo < start+24*60*60 && s.hi >= start {
				ranges[s.source] = append(ranges[s.source], s.chunk)
				break
			}
		}
	}
	rereads := make([]*ndjson.Reread, len(srcs))
	defer func() {
		for _, r := range rereads {
			if r != nil {
				r.Close()
			}
		}
	}()
	for i, src := range srcs {
		if len(ranges[i]) == 0 {
			continue
		}
		r, err := ndjson.Reopen(src)
		if err != nil {
			return err
		}
		rereads[i] = r
	}
	p := ndjson.NewParser()
	p.Lean = true
	var e ndjson.Event
	for i, r := range rereads {
		if r == nil {
			continue
		}
		err := r.Lines(ranges[i], func(line []byte) {
			if !mayBePull(line) {
				return
			}
			if p.Parse(line, &e) == nil {
				agg.AddPullDetail(&e)
			}
		})
		if err != nil {
			return err
		}
		rangeBytes.Add(rangesLen(ranges[i]))
	}
	return nil
}

// pullBytes is what every pull row holds, unless it escapes it.
var pullBytes = []byte(ndjson.OpPull)

// mayBePull reports whether line can be a pull row: one that holds the bytes
// "pull", or escapes them.
func mayBePull(line []byte) bool {
	return bytes.Contains(line, pullBytes) || bytes.IndexByte(line, '\\') >= 0
}

// rangeBytes counts the bytes pullDetailRanges read, for tests.
var rangeBytes atomic.Int64

func rangesLen(rs []ndjson.Range) (n int64) {
	for _, r := range rs {
		n += r.Len
	}
	return n
}

// pullDetail reads the logs again and hands the pulls of the days on which
// a month crosses its included egress to agg, in log order. Workers keep
// only those rows, so memory stays with the chunks in flight.
func pullDetail(ctx context.Context, paths []string, o Options, fr *frame, agg *cost.Aggregator) error {
	days := make(map[string]bool)
	for _, d := range agg.CrossingDays() {
		days[d.Format(time.DateOnly)] = true
	}
	parsers := make(chan *ndjson.Parser, 16)
	_, err := ndjson.Scan(ctx, paths, ndjson.ScanOptions{Workers: o.Workers, RelativeLines: true},
		func(c *ndjson.Chunk, _ *ndjson.ChunkStats) []ndjson.Event {
			var p *ndjson.Parser
			select {
			case p = <-parsers:
			default:
				p = ndjson.NewParser()
				p.Lean = true
			}
			var keep []ndjson.Event
			var e ndjson.Event
			c.Lines(func(_ int64, line []byte) {
				if !mayBePull(line) {
					return
				}
				if p.Parse(line, &e) != nil || e.Op != ndjson.OpPull || e.TS.Before(fr.costFrom) {
					return
				}
				if days[e.TS.UTC().Format(time.DateOnly)] {
					keep = append(keep, e)
				}
			})
			select {
			case parsers <- p:
			default:
			}
			return keep
		},
		func(rows []ndjson.Event) error {
			for i := range rows {
				agg.AddPullDetail(&rows[i])
			}
			return nil
		})
	return err
}

// frame holds the bucket edges every chunk shares.
type frame struct {
	now       time.Time
	hourStart time.Time    // start of the first of the 24 hours
	days      [8]time.Time // starts of the 7 days, then the end of the last
	since     time.Time    // now - 7 days: start of the repo and trigger window
	costFrom  time.Time    // first instant that can change the week's cost
	priceFrom time.Time    // first instant of the week's cost: pulls before it keep no record
	early     time.Time    // the earliest of the above: rows before it count for machines only
	twoPass   bool         // the sources can be read again (none is stdin)
}

func newFrame(now time.Time, loc *time.Location) *frame {
	now = now.In(loc)
	f := &frame{now: now, since: now.Add(-Window)}
	// The hour containing now, in loc: wall-clock truncation handles zones
	// whose offset is not a whole number of hours.
	last := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, loc)
	if last.After(now) { // a wall hour that starts twice (DST): take the real one
		last = last.Add(-time.Hour)
	}
	for last.Add(time.Hour).Compare(now) <= 0 {
		last = last.Add(time.Hour)
	}
	f.hourStart = last.Add(-23 * time.Hour)
	y, m, d := now.Date()
	for i := range 8 {
		f.days[i] = time.Date(y, m, d-6+i, 0, 0, 0, 0, loc)
	}
	// The week's cost covers 7 UTC days ending today (UTC); egress inside
	// them depends on every pull since the start of their first month.
	u := now.UTC()
	first := time.Date(u.Year(), u.Month(), u.Day()-6, 0, 0, 0, 0, time.UTC)
	f.costFrom = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	f.priceFrom = first
	f.early = f.costFrom
	for _, t := range []time.Time{f.hourStart, f.days[0], f.since} {
		if t.Before(f.early) {
			f.early = t
		}
	}
	return f
}

// partial is what one chunk counted; partials merge in log order.
type partial struct {
	fr       *frame
	hours    [24]HourBucket
	days     [7]DayBucket
	repos    map[string]*RunStat
	triggers map[string]*RunStat
	machines map[string]*lastPush
	cost     *cost.Aggregator
	// The chunk counted and the index of its source, for pullSpan.
	chunk  ndjson.Range
	source int
	// Caches in front of the maps: a chunk's names come from one parser,
	// which interns them, so a hit compares equal pointers.
	repoC, triggerC cache[RunStat]
	machineC        cache[lastPush]
}

// cache is a small table in front of a map of names. A chunk's names come
// from one parser, which interns them, so a name is looked up by where its
// bytes are and its length, without reading the bytes; the same name at
// another address is only a miss. Open addressing, so that a few busy
// names never evict each other.
type cache[T any] struct {
	ptrs [cacheSlots]*byte
	lens [cacheSlots]int
	vals [cacheSlots]*T
	used int
}

const cacheSlots = 32

// get returns m[name], created when missing.
func (c *cache[T]) get(m map[string]*T, name string, create func() *T) *T {
	p := unsafe.StringData(name)
	h := int(uint64(uintptr(unsafe.Pointer(p))) * 0x9E3779B97F4A7C15 >> 59) // 5 bits: cacheSlots
	i := h
	for c.vals[i] != nil {
		if c.ptrs[i] == p && c.lens[i] == len(name) {
			return c.vals[i]
		}
		i = (i + 1) & (cacheSlots - 1)
	}
	v := m[name]
	if v == nil {
		v = create()
		m[name] = v
	}
	if c.used == cacheSlots*3/4 {
		*c = cache[T]{}
		i = h
	}
	c.ptrs[i], c.lens[i], c.vals[i] = p, len(name), v
	c.used++
	return v
}

func newPartial(fr *frame, prices cost.PriceModel) *partial {
	p := &partial{
		fr:       fr,
		repos:    make(map[string]*RunStat),
		triggers: make(map[string]*RunStat),
		machines: make(map[string]*lastPush),
		cost:     cost.NewAggregator(prices, fr.now),
	}
	p.cost.PriceFrom(fr.priceFrom)
	if fr.twoPass {
		p.cost.SkipPullDetail()
	}
	return p
}

// reusePartials lets Build hand merged partials back to its workers; tests
// turn it off to compare.
var reusePartials = true

// partialsReused counts the partials Build's workers took back, for tests.
var partialsReused atomic.Int64

// reset readies p, merged into another partial, to count a new chunk: the
// values its maps held may now be the other's, so only the maps and their
// room are kept.
func (p *partial) reset() {
	p.hours, p.days = [24]HourBucket{}, [7]DayBucket{}
	clear(p.repos)
	clear(p.triggers)
	clear(p.machines)
	p.repoC, p.triggerC, p.machineC = cache[RunStat]{}, cache[RunStat]{}, cache[lastPush]{}
	p.cost.Reset()
}

func (p *partial) add(e *ndjson.Event) {
	fr := p.fr
	if e.TS.After(fr.now) {
		return
	}
	failed := e.Failed()
	m := p.machineC.get(p.machines, e.Machine, newLastPush)
	if e.Op == ndjson.OpPush && !failed && (!m.ok || e.TS.After(m.at)) {
		m.at, m.ok = e.TS, true
	}
	if e.TS.Before(fr.early) {
		// Only machines go back that far; the parser may have left the
		// other names out (ndjson.Parser.DetailFrom).
		return
	}
	if e.Op == ndjson.OpPush && !e.TS.Before(fr.hourStart) {
		h := &p.hours[e.TS.Sub(fr.hourStart)/time.Hour]
		h.Pushes++
		if failed {
			h.Failed++
		}
	}
	if !failed && !e.TS.Before(fr.days[0]) {
		i := 6
		for e.TS.Before(fr.days[i]) {
			i--
		}
		switch e.Op {
		case ndjson.OpPush:
			p.days[i].Pushed += e.Bytes
		case ndjson.OpPull:
			p.days[i].Pulled += e.Bytes
		}
	}
	if !e.TS.Before(fr.since) {
		count(p.repoC.get(p.repos, e.Repo, func() *RunStat { return &RunStat{Name: e.Repo} }), e, failed)
		count(p.triggerC.get(p.triggers, e.Trigger, func() *RunStat { return &RunStat{Name: e.Trigger} }), e, failed)
	}
	if !e.TS.Before(fr.costFrom) {
		p.cost.Add(e)
	}
}

// ownErrors copies the last error messages p keeps, which its parser left
// in the chunk's buffer (ndjson.Parser.BorrowError): every value in p's
// maps was made for this chunk.
func (p *partial) ownErrors() {
	for _, m := range []map[string]*RunStat{p.repos, p.triggers} {
		for _, r := range m {
			r.LastError = strings.Clone(r.LastError)
		}
	}
}

// lastPush is a machine's last successful push, if any.
type lastPush struct {
	at time.Time
	ok bool
}

func newLastPush() *lastPush { return &lastPush{} }

func count(r *RunStat, e *ndjson.Event, failed bool) {
	r.Runs++
	if failed {
		r.Errors++
		// A later row with the same ts wins: log order breaks ties.
		if !r.HasError || !e.TS.Before(r.lastErrAt) {
			r.HasError, r.lastErrAt, r.LastError = true, e.TS, e.Error
		}
	}
}

// merge adds q, whose rows come after p's in the log.
func (p *partial) merge(q *partial) {
	for i := range p.hours {
		p.hours[i].Pushes += q.hours[i].Pushes
		p.hours[i].Failed += q.hours[i].Failed
	}
	for i := range p.days {
		p.days[i].Pushed += q.days[i].Pushed
		p.days[i].Pulled += q.days[i].Pulled
	}
	mergeRuns(p.repos, q.repos)
	mergeRuns(p.triggers, q.triggers)
	for name, t := range q.machines {
		m := p.machines[name]
		if m == nil {
			p.machines[name] = t
		} else if t.ok && (!m.ok || t.at.After(m.at)) {
			*m = *t
		}
	}
	p.cost.Merge(q.cost)
}

func mergeRuns(dst, src map[string]*RunStat) {
	for name, s := range src {
		d := dst[name]
		if d == nil {
			dst[name] = s
			continue
		}
		d.Runs += s.Runs
		d.Errors += s.Errors
		if s.HasError && (!d.HasError || !s.lastErrAt.Before(d.lastErrAt)) {
			d.HasError, d.lastErrAt, d.LastError = true, s.lastErrAt, s.LastError
		}
	}
}

func (p *partial) summary(o Options) *Summary {
	fr := p.fr
	s := &Summary{
		GeneratedAt: o.GeneratedAt,
		Now:         fr.now,
		Loc:         o.Loc,
		StaleAfter:  o.StaleAfter,
		Repos:       sortedRuns(p.repos),
		Triggers:    sortedRuns(p.triggers),
	}
	for i := range s.PushesPerHour {
		s.PushesPerHour[i] = p.hours[i]
		s.PushesPerHour[i].Start = fr.hourStart.Add(time.Duration(i) * time.Hour).In(o.Loc)
	}
	for i := range s.BytesPerDay {
		s.BytesPerDay[i] = p.days[i]
		s.BytesPerDay[i].Start, s.BytesPerDay[i].End = fr.days[i], fr.days[i+1]
	}
	for name, t := range p.machines {
		m := Machine{Name: name, Stale: true}
		if t.ok {
			m.LastSuccess = t.at
			m.Age = fr.now.Sub(t.at)
			m.Stale = m.Age > o.StaleAfter
		}
		s.Machines = append(s.Machines, m)
	}
	slices.SortFunc(s.Machines, func(a, b Machine) int { return cmp.Compare(a.Name, b.Name) })
	s.WeekCents, s.WeekExact = cost.WeekTotal(p.cost)
	return s
}

func sortedRuns(m map[string]*RunStat) []RunStat {
	out := make([]RunStat, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b RunStat) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
