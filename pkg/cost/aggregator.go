package cost

import (
	"cmp"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

const secondsPerDay = 24 * 60 * 60

// Aggregate is the cost of one tenant over one period.
type Aggregate struct {
	Period      string    // label: "2026-04-16", "2026-W16" or "2026-04"
	Start, End  time.Time // UTC; Start inclusive, End exclusive
	Tenant      string    // tenant_id, or "default"
	Runs        int64     // rows, whatever their status
	BytesPushed int64
	BytesPulled int64
	Exact       *big.Rat // exact cents: the sum of the tenant's day amounts in the period
	Cents       int64    // RoundCents(Exact)
	Closed      bool     // End <= now: no later row can change the period
}

// Aggregator accumulates sync-event rows and prices them with a PriceModel.
//
// Each UTC day carries BaseCentsPerMonth/(days in its month) plus, when
// StoredGiB exceeds IncludedStorageGiB, (StoredGiB-IncludedStorageGiB) *
// StorageCentsPerGiB/(days in its month). That day amount is shared among the
// tenants with rows on the day in proportion to their bytes (pushed + pulled)
// that day, or equally when the day moved no bytes; a day without rows is
// charged to nobody. Within each calendar month, pulls are taken in ts order
// (ties in log order) and the bytes beyond IncludedEgressGiB cost
// EgressCentsPerGiB per GiB, charged to the tenant and day of the row that
// pulled them.
//
// Memory: Add keeps one small record per (tenant, day) group, and, unless
// SkipPullDetail was called, a 24-byte record (seconds, nanoseconds, bytes,
// group index) per pull with bytes > 0: which pull crosses a month's
// allowance depends on ts order, and rows may come out of order. Across
// days ts order is day order, so only the pulls of the one day per month
// that crosses the allowance are ever sorted and walked.
// The day-level base, storage and egress amounts are computed when
// Aggregates or WeekTotal is called, so rows may be added afterwards.
//
// An Aggregator is not safe for concurrent use.
type Aggregator struct {
	model  PriceModel // deep copy, no nil fields
	now    time.Time
	nowDay int64

	tenants   []string
	tenantIdx map[string]uint32

	groups   []group
	groupIdx map[groupKey]uint32
	// recent caches the groups of recent rows, by tenant: rows of a few
	// tenants interleave, each on the same day as its last one. Tenants
	// are kept as the caller gave them, so that a parser's interned names
	// compare by pointer.
	recent [16]recentGroup

	months    map[int64]*monthPulls
	lastMonth *monthPulls
	lastMKey  int64

	skipDetail bool           // see SkipPullDetail
	skipAsked  bool           // SkipPullDetail was called, not only the budget passed
	detailDays map[int64]bool // with skipDetail: the crossing days, once asked
	budget     int            // see LimitPullDetail; 0: no limit
	kept       int            // pulls kept by Add and Merge
	fromDay    int64          // see PriceFrom; math.MinInt64: every day
	// The earliest and latest second of the pulls Add counted from
	// fromDay on (see PullSpan); pullHi < pullLo: none.
	pullLo, pullHi int64
}

type recentGroup struct {
	tenant string
	day    int64
	gi     uint32
	ok     bool
}

type groupKey struct {
	day    int64 // days since 1970-01-01 UTC
	tenant uint32
}

type group struct {
	groupKey
	month  int64 // year*12 + month-1
	runs   int64
	pushed int64
	pulled int64
}

// pull is one pull row with bytes > 0, kept for egress ordering.
type pull struct {
	sec   int64 // ts, Unix seconds
	bytes int64
	nsec  int32 // ts, nanoseconds within the second
	group uint32
}

// monthPulls holds a month's pull records in log order, in blocks, so
// that neither growth nor a Merge ever copies the records kept so far: a
// Merge takes over the other Aggregator's blocks whole.
type monthPulls struct {
	blocks [][]pull
	n      int // records in all blocks
}

// maxPullBlock bounds a block's capacity (192 KiB of records).
const maxPullBlock = 8192

func (mp *monthPulls) add(p pull) {
	last := len(mp.blocks) - 1
	if last < 0 || len(mp.blocks[last]) == cap(mp.blocks[last]) {
		size := 64
		if last >= 0 {
			size = min(2*cap(mp.blocks[last]), maxPullBlock)
		}
		mp.blocks = append(mp.blocks, make([]pull, 0, size))
		last++
	}
	mp.blocks[last] = append(mp.blocks[last], p)
	mp.n++
}

// NewAggregator returns an Aggregator pricing rows with m (copied; nil fields
// count as 0) and ignoring rows whose ts is after now. Call m.Validate first:
// negative prices are not rejected here.
func NewAggregator(m PriceModel, now time.Time) *Aggregator {
	now = now.UTC()
	return &Aggregator{
		model:     m.Clone(),
		now:       now,
		nowDay:    floorDiv(now.Unix(), secondsPerDay),
		tenantIdx: make(map[string]uint32),
		groupIdx:  make(map[groupKey]uint32),
		months:    make(map[int64]*monthPulls),
		fromDay:   math.MinInt64,
		pullLo:    math.MaxInt64,
		pullHi:    math.MinInt64,
	}
}

// Now returns the time the Aggregator was created with, in UTC.
func (a *Aggregator) Now() time.Time { return a.now }

// Model returns a copy of the price model.
func (a *Aggregator) Model() PriceModel { return a.model.Clone() }

// Add counts one row. Call it in log order: equal timestamps are ordered by
// the order of the calls. Rows with TS after now are ignored; every other row
// counts whatever its status. Negative bytes count as 0; an op other than
// push or pull counts as a run with no bytes.
func (a *Aggregator) Add(e *ndjson.Event) {
	if e == nil || e.TS.After(a.now) {
		return
	}
	sec := e.TS.Unix()
	day := floorDiv(sec, secondsPerDay)
	gi := a.group(day, e.Tenant())
	g := &a.groups[gi]
	g.runs++
	b := max(e.Bytes, 0)
	switch e.Op {
	case ndjson.OpPush:
		g.pushed += b
	case ndjson.OpPull:
		g.pulled += b
		if b > 0 && day >= a.fromDay {
			a.pullLo, a.pullHi = min(a.pullLo, sec), max(a.pullHi, sec)
			a.keepPull(g.month, pull{sec: sec, bytes: b, nsec: int32(e.TS.Nanosecond()), group: gi})
		}
	}
}

// Merge adds what b counted to a, as if b's rows had been added to a after
// a's own: the merged Aggregator prices them exactly as one that saw every
// row in that order. b must have the same now, model and PriceFrom; it is left empty
// of meaning afterwards and must not be used again. Scans that count chunks
// of a log in parallel merge the per-chunk Aggregators in log order.
func (a *Aggregator) Merge(b *Aggregator) {
	if b == nil {
		return
	}
	remap := make([]uint32, len(b.groups))
	for i := range b.groups {
		g := &b.groups[i]
		gi := a.group(g.day, b.tenants[g.tenant])
		ag := &a.groups[gi]
		ag.runs += g.runs
		ag.pushed += g.pushed
		ag.pulled += g.pulled
		remap[i] = gi
	}
	months := make([]int64, 0, len(b.months))
	for k := range b.months {
		months = append(months, k)
	}
	slices.Sort(months)
	for _, k := range months {
		bm := b.months[k]
		if !a.reserve(bm.n) {
			continue
		}
		for _, blk := range bm.blocks {
			for i := range blk {
				blk[i].group = remap[blk[i].group]
			}
		}
		am := a.month(k)
		am.blocks = append(am.blocks, bm.blocks...)
		am.n += bm.n
	}
}

func (a *Aggregator) group(day int64, tenant string) uint32 {
	h := len(tenant)
	if h >= 2 {
		h += int(tenant[h-1]) + 3*int(tenant[h-2])
	}
	h &= len(a.recent) - 1
	c := &a.recent[h]
	if c.ok && c.day == day && c.tenant == tenant {
		return c.gi
	}
	key := tenant
	ti, ok := a.tenantIdx[tenant]
	if !ok {
		tenant = strings.Clone(tenant)
		ti = uint32(len(a.tenants))
		a.tenants = append(a.tenants, tenant)
		a.tenantIdx[tenant] = ti
	}
	k := groupKey{day: day, tenant: ti}
	gi, ok := a.groupIdx[k]
	if !ok {
		gi = uint32(len(a.groups))
		y, m, _ := dayTime(day).Date()
		a.groups = append(a.groups, group{groupKey: k, month: int64(y)*12 + int64(m) - 1})
		a.groupIdx[k] = gi
	}
	*c = recentGroup{tenant: key, day: day, gi: gi, ok: true}
	return gi
}

// keepPull keeps the record of a pull counted by Add or Merge, unless detail
// is off or goes over its budget.
func (a *Aggregator) keepPull(month int64, p pull) {
	if a.reserve(1) {
		a.addPull(month, p)
	}
}

// reserve makes room for n more kept pull records and reports whether
// they may be kept: not when detail is off, nor when they would go over
// the budget, which turns detail off and drops every record (the caller
// then reads the crossing days again: NeedsPullDetail).
func (a *Aggregator) reserve(n int) bool {
	if a.skipDetail {
		return false
	}
	if a.budget > 0 && a.kept+n > a.budget {
		a.skipDetail = true
		a.months = make(map[int64]*monthPulls)
		a.lastMonth = nil
		return false
	}
	a.kept += n
	return true
}

// month returns the records of month, creating them.
func (a *Aggregator) month(month int64) *monthPulls {
	mp := a.lastMonth
	if mp == nil || a.lastMKey != month {
		mp = a.months[month]
		if mp == nil {
			mp = &monthPulls{}
			a.months[month] = mp
		}
		a.lastMonth, a.lastMKey = mp, month
	}
	return mp
}

func (a *Aggregator) addPull(month int64, p pull) { a.month(month).add(p) }

func comparePulls(x, y pull) int {
	if c := cmp.Compare(x.sec, y.sec); c != 0 {
		return c
	}
	return cmp.Compare(x.nsec, y.nsec)
}

// Aggregates returns one Aggregate per (period of kind, tenant) with rows,
// sorted by period start, then tenant. Each Exact is the exact sum of the
// tenant's day amounts in the period, rounded once into Cents. It panics if
// kind is not Day, Week or Month.
func (a *Aggregator) Aggregates(kind PeriodKind) []Aggregate {
	if a.fromDay != math.MinInt64 {
		panic("cost: Aggregates of an Aggregator that prices only from a day on (PriceFrom)")
	}
	exact := a.dayAmounts()
	type periodKey struct {
		start  int64
		tenant uint32
	}
	idx := make(map[periodKey]int)
	var out []Aggregate
	for gi := range a.groups {
		g := &a.groups[gi]
		start, end := periodBounds(kind, dayTime(g.day))
		k := periodKey{start: start.Unix(), tenant: g.tenant}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Aggregate{
				Period: periodLabel(kind, start),
				Start:  start,
				End:    end,
				Tenant: a.tenants[g.tenant],
				Exact:  new(big.Rat),
				Closed: !end.After(a.now),
			})
		}
		ag := &out[i]
		ag.Runs += g.runs
		ag.BytesPushed += g.pushed
		ag.BytesPulled += g.pulled
		ag.Exact.Add(ag.Exact, &exact[gi])
	}
	for i := range out {
		out[i].Cents = RoundCents(out[i].Exact)
	}
	slices.SortFunc(out, func(x, y Aggregate) int {
		if c := x.Start.Compare(y.Start); c != 0 {
			return c
		}
		return strings.Compare(x.Tenant, y.Tenant)
	})
	return out
}

// WeekTotal returns the cost of the 7 UTC days ending with the day that
// contains a's now: cents is the sum of the rounded per-(tenant, day)
// amounts, exact the exact sum. cents may therefore exceed exact slightly.
// It panics if a was told by PriceFrom to price only a later day on.
func WeekTotal(a *Aggregator) (cents int64, exact *big.Rat) {
	exact = new(big.Rat)
	if a == nil {
		return 0, exact
	}
	if a.nowDay-6 < a.fromDay {
		panic("cost: WeekTotal of a week that starts before the Aggregator's PriceFrom day")
	}
	amounts := a.dayAmounts()
	for gi := range a.groups {
		if d := a.groups[gi].day; d < a.nowDay-6 || d > a.nowDay {
			continue
		}
		cents += RoundCents(&amounts[gi])
		exact.Add(exact, &amounts[gi])
	}
	return cents, exact
}

// Totals returns the sum of the rounded cents of aggs and their exact sum,
// the two totals an output shows side by side.
func Totals(aggs []Aggregate) (cents int64, exact *big.Rat) {
	exact = new(big.Rat)
	for i := range aggs {
		cents += aggs[i].Cents
		if aggs[i].Exact != nil {
			exact.Add(exact, aggs[i].Exact)
		}
	}
	return cents, exact
}

// dayAmounts returns the exact cents of each group, indexed like a.groups.
func (a *Aggregator) dayAmounts() []big.Rat {
	exact := make([]big.Rat, len(a.groups))
	a.addShared(exact)
	a.addEgress(exact)
	return exact
}

// addShared adds each group's share of its day's base fee and storage overage.
func (a *Aggregator) addShared(exact []big.Rat) {
	m := &a.model
	monthly := new(big.Rat).Set(m.BaseCentsPerMonth)
	over := new(big.Rat).Sub(m.StoredGiB, m.IncludedStorageGiB)
	if over.Sign() > 0 {
		monthly.Add(monthly, over.Mul(over, m.StorageCentsPerGiB))
	}
	if monthly.Sign() == 0 || len(a.groups) == 0 {
		return
	}
	order := make([]uint32, len(a.groups))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int { return cmp.Compare(a.groups[x].day, a.groups[y].day) })

	total, bytes, pulled := new(big.Int), new(big.Int), new(big.Int)
	dayShare, r := new(big.Rat), new(big.Rat)
	for i := 0; i < len(order); {
		day := a.groups[order[i]].day
		j := i
		total.SetInt64(0)
		for ; j < len(order) && a.groups[order[j]].day == day; j++ {
			g := &a.groups[order[j]]
			total.Add(total, bytes.SetInt64(g.pushed))
			total.Add(total, pulled.SetInt64(g.pulled))
		}
		dayShare.SetFrac64(1, daysInMonth(dayTime(day)))
		dayShare.Mul(dayShare, monthly)
		if total.Sign() == 0 {
			r.SetFrac64(1, int64(j-i))
			r.Mul(r, dayShare)
			for _, gi := range order[i:j] {
				exact[gi].Add(&exact[gi], r)
			}
		} else {
			for _, gi := range order[i:j] {
				g := &a.groups[gi]
				bytes.SetInt64(g.pushed)
				bytes.Add(bytes, pulled.SetInt64(g.pulled))
				r.SetFrac(bytes, total)
				r.Mul(r, dayShare)
				exact[gi].Add(&exact[gi], r)
			}
		}
		i = j
	}
}

// addEgress adds the cost of the pulled bytes beyond each month's allowance
// to the groups of the rows that pulled them. Across days, ts order is day
// order, so the day totals of the groups tell which days are wholly within
// the allowance, which wholly beyond it, and which one day crosses it; only
// that day's pulls are walked one by one, in ts order (ties in log order).
func (a *Aggregator) addEgress(exact []big.Rat) {
	m := &a.model
	if m.EgressCentsPerGiB.Sign() == 0 {
		return
	}
	perByte := new(big.Rat).SetFrac64(1, GiB)
	perByte.Mul(perByte, m.EgressCentsPerGiB)
	allow := new(big.Rat).Mul(m.IncludedEgressGiB, big.NewRat(GiB, 1))
	if allow.Sign() < 0 {
		allow.SetInt64(0)
	}

	full := make([]int64, len(a.groups)) // bytes wholly beyond the allowance, per group
	var partial map[uint32]*big.Rat      // beyond-allowance part of the crossing pull
	r := new(big.Rat)
	for _, cd := range a.crossings(allow) {
		for _, gi := range cd.after {
			full[gi] += a.groups[gi].pulled
		}
		if cd.day < 0 || cd.day < a.fromDay { // none, or a day not priced: see PriceFrom
			continue
		}
		pulls := a.dayPulls(cd.month, cd.day)
		cum := new(big.Int).Set(cd.before)
		crossed := false
		b := new(big.Int)
		for _, p := range pulls {
			if crossed {
				full[p.group] += p.bytes
				continue
			}
			cum.Add(cum, b.SetInt64(p.bytes))
			if r.SetInt(cum).Cmp(allow) <= 0 {
				continue
			}
			crossed = true
			if partial == nil {
				partial = make(map[uint32]*big.Rat)
			}
			part := partial[p.group]
			if part == nil {
				part = new(big.Rat)
				partial[p.group] = part
			}
			part.Add(part, r.Sub(r, allow))
		}
	}
	for gi, n := range full {
		if n != 0 {
			r.SetInt64(n)
			r.Mul(r, perByte)
			exact[gi].Add(&exact[gi], r)
		}
	}
	for gi, part := range partial {
		r.Mul(part, perByte)
		exact[gi].Add(&exact[gi], r)
	}
}

// crossing is one month's split: the groups of the days wholly beyond the
// allowance, and the day that crosses it (-1: none) with the bytes pulled
// in the month before that day.
type crossing struct {
	month  int64
	day    int64
	before *big.Int
	after  []uint32
}

// crossings splits every month whose pulls exceed allow, in month order.
func (a *Aggregator) crossings(allow *big.Rat) []crossing {
	var gs []uint32
	for gi := range a.groups {
		if a.groups[gi].pulled > 0 {
			gs = append(gs, uint32(gi))
		}
	}
	slices.SortFunc(gs, func(x, y uint32) int { return cmp.Compare(a.groups[x].day, a.groups[y].day) })
	var out []crossing
	cum, next, b := new(big.Int), new(big.Int), new(big.Int)
	r := new(big.Rat)
	var cur *crossing
	for i := 0; i < len(gs); {
		g0 := &a.groups[gs[i]]
		if cur == nil || cur.month != g0.month {
			out = append(out, crossing{month: g0.month, day: -1})
			cur = &out[len(out)-1]
			cum.SetInt64(0)
		}
		j := i
		next.Set(cum)
		for ; j < len(gs) && a.groups[gs[j]].day == g0.day; j++ {
			next.Add(next, b.SetInt64(a.groups[gs[j]].pulled))
		}
		switch {
		case r.SetInt(next).Cmp(allow) <= 0: // wholly within
		case r.SetInt(cum).Cmp(allow) >= 0: // wholly beyond
			cur.after = append(cur.after, gs[i:j]...)
		default:
			cur.day, cur.before = g0.day, new(big.Int).Set(cum)
		}
		cum.Set(next)
		i = j
	}
	return slices.DeleteFunc(out, func(c crossing) bool { return c.day < 0 && len(c.after) == 0 })
}

// dayPulls returns the pulls of one day in ts order, ties in log order.
func (a *Aggregator) dayPulls(month, day int64) []pull {
	if a.skipDetail && !a.detailDays[day] {
		panic("cost: the pulls of a day that crosses the egress allowance were not given to AddPullDetail")
	}
	var out []pull
	if mp := a.months[month]; mp != nil {
		for _, blk := range mp.blocks {
			for _, p := range blk {
				if a.groups[p.group].day == day {
					out = append(out, p)
				}
			}
		}
	}
	slices.SortStableFunc(out, comparePulls)
	return out
}

// SkipPullDetail makes Add keep nothing per pull, so memory grows with the
// (tenant, day) groups only, never with rows. Egress stays exact on one
// condition: once every row is added, the pulls of each day CrossingDays
// returns are given, in log order, to AddPullDetail (a second read of
// those days). Call it before the first Add.
func (a *Aggregator) SkipPullDetail() { a.skipDetail, a.skipAsked = true, true }

// Reset forgets every row a has counted and keeps its settings (price
// model, now, PriceFrom, LimitPullDetail, SkipPullDetail) and the room its
// tables grew to, so that one Aggregator can count chunk after chunk: after
// Reset it behaves as a new one with the same settings. Pull records that a
// Merge took over stay with the Aggregator that took them.
func (a *Aggregator) Reset() {
	a.tenants = a.tenants[:0]
	clear(a.tenantIdx)
	a.groups = a.groups[:0]
	clear(a.groupIdx)
	a.recent = [len(a.recent)]recentGroup{}
	clear(a.months)
	a.lastMonth, a.lastMKey = nil, 0
	a.skipDetail, a.detailDays, a.kept = a.skipAsked, nil, 0
	a.pullLo, a.pullHi = math.MaxInt64, math.MinInt64
}

// PullSpan returns the Unix seconds of the earliest and the latest pull
// Add counted from the PriceFrom day on (bytes above zero, not after now):
// the only pulls CrossingDays can ask for again. ok is false when there
// were none. Merge leaves it as it is.
func (a *Aggregator) PullSpan() (lo, hi int64, ok bool) {
	return a.pullLo, a.pullHi, a.pullLo <= a.pullHi
}

// LimitPullDetail lets Add and Merge keep at most n pull records (24 bytes
// each); past that the Aggregator drops them all and behaves as after
// SkipPullDetail. Logs that can be read again stay in one pass while they
// are small, and in bounded memory when they are not.
func (a *Aggregator) LimitPullDetail(n int) { a.budget = n }

// PriceFrom tells a that only the amounts of the UTC days from the one
// containing t on will be asked for: by WeekTotal, for a week that starts
// on that day or later. Pulls before that day then keep no record, and
// CrossingDays leaves their days out: they count towards each month's
// allowance through their day totals alone, which is all a later day's
// amount depends on. Aggregates panics afterwards. Call it before the
// first Add.
func (a *Aggregator) PriceFrom(t time.Time) {
	a.fromDay = floorDiv(t.Unix(), secondsPerDay)
}

// NeedsPullDetail reports whether pulls must be given again through
// AddPullDetail before the egress can be priced: detail was skipped and
// some month crosses its allowance.
func (a *Aggregator) NeedsPullDetail() bool {
	return a.skipDetail && a.detailDays == nil && len(a.CrossingDays()) > 0
}

// CrossingDays returns the UTC days on which a month's pulls go past the
// included egress: the only days whose pulls must be walked one by one.
// After PriceFrom, days before its day are left out.
func (a *Aggregator) CrossingDays() []time.Time {
	allow := new(big.Rat).Mul(a.model.IncludedEgressGiB, big.NewRat(GiB, 1))
	if allow.Sign() < 0 {
		allow.SetInt64(0)
	}
	var out []time.Time
	for _, c := range a.crossings(allow) {
		if c.day >= 0 && c.day >= a.fromDay {
			out = append(out, dayTime(c.day))
		}
	}
	return out
}

// AddPullDetail keeps the per-pull record of e, a row already counted by
// Add, when it is a pull with bytes on one of CrossingDays; other rows are
// ignored. Call it in log order.
func (a *Aggregator) AddPullDetail(e *ndjson.Event) {
	if e == nil || e.Op != ndjson.OpPull || e.Bytes <= 0 || e.TS.After(a.now) {
		return
	}
	sec := e.TS.Unix()
	day := floorDiv(sec, secondsPerDay)
	if a.detailDays == nil {
		a.detailDays = make(map[int64]bool)
		for _, d := range a.CrossingDays() {
			a.detailDays[floorDiv(d.Unix(), secondsPerDay)] = true
		}
	}
	if !a.detailDays[day] {
		return
	}
	gi := a.group(day, e.Tenant())
	a.addPull(a.groups[gi].month, pull{sec: sec, bytes: e.Bytes, nsec: int32(e.TS.Nanosecond()), group: gi})
}

// dayTime returns the UTC midnight starting day (days since 1970-01-01).
func dayTime(day int64) time.Time { return time.Unix(day*secondsPerDay, 0).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
