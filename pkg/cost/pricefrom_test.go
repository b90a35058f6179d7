package cost

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// randomLog returns n rows over the 70 days before now and a few after it,
// mostly in ts order with some late ones, pulls sized so that months cross
// an allowance of a few GiB on various days.
func randomLog(r *rand.Rand, now time.Time, n int) []ndjson.Event {
	tenants := []string{"t-a", "t-b", "t-c", ""}
	start := now.Add(-70 * 24 * time.Hour)
	step := 72 * 24 * time.Hour / time.Duration(n)
	rows := make([]ndjson.Event, n)
	for i := range rows {
		at := start.Add(time.Duration(i) * step)
		if r.IntN(8) == 0 { // logged late: up to three days early
			at = at.Add(-time.Duration(r.Int64N(int64(72 * time.Hour))))
		}
		if r.IntN(10) == 0 { // a tie with the row before
			at = rows[max(i-1, 0)].TS
		}
		op := "pull"
		if r.IntN(3) == 0 {
			op = "push"
		}
		rows[i] = ndjson.Event{TS: at.Truncate(time.Second), Op: op, TenantID: tenants[r.IntN(len(tenants))],
			Bytes: r.Int64N(gib / 2), Repo: "r", Scope: "s"}
	}
	return rows
}

// PriceFrom keeps no pull record before the week, yet WeekTotal is that of
// an Aggregator that kept every one: in one pass, merged from chunks, and
// with detail skipped and read again.
func TestPriceFromKeepsWeekTotal(t *testing.T) {
	m := model(t, KeyIncludedEgressGiB, "5", KeyEgressCentsPerGiB, "9", KeyStoredGiB, "120")
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))
		rows := randomLog(r, now, 400)
		wantCents, wantExact := WeekTotal(run(m, now, rows))
		week := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -6)

		priced := func() *Aggregator {
			a := NewAggregator(m, now)
			a.PriceFrom(week)
			return a
		}
		one := priced()
		for i := range rows {
			one.Add(&rows[i])
		}
		merged := priced()
		for lo := 0; lo < len(rows); {
			hi := min(lo+1+r.IntN(60), len(rows))
			part := priced()
			for i := range rows[lo:hi] {
				part.Add(&rows[lo+i])
			}
			merged.Merge(part)
			lo = hi
		}
		reused, part := priced(), priced()
		for lo := 0; lo < len(rows); {
			hi := min(lo+1+r.IntN(60), len(rows))
			part.Reset()
			for i := range rows[lo:hi] {
				part.Add(&rows[lo+i])
			}
			reused.Merge(part)
			lo = hi
		}
		twice := priced()
		twice.SkipPullDetail()
		for i := range rows {
			twice.Add(&rows[i])
		}
		for _, d := range twice.CrossingDays() {
			if d.Before(week) {
				t.Fatalf("seed %d: crossing day %s before the priced week %s", seed, d, week)
			}
		}
		for i := range rows {
			twice.AddPullDetail(&rows[i])
		}
		for name, a := range map[string]*Aggregator{"one pass": one, "merged": merged, "reused": reused, "second pass": twice} {
			cents, exact := WeekTotal(a)
			if cents != wantCents || exact.Cmp(wantExact) != 0 {
				t.Errorf("seed %d, %s: WeekTotal %d %s, want %d %s", seed, name, cents, exact.RatString(), wantCents, wantExact.RatString())
			}
		}
		// Only pulls from the week on were kept.
		kept, want := 0, 0
		for _, mp := range one.months {
			kept += mp.n
		}
		for i := range rows {
			if rows[i].Op == "pull" && rows[i].Bytes > 0 && !rows[i].TS.Before(week) && !rows[i].TS.After(now) {
				want++
			}
		}
		if kept != want {
			t.Errorf("seed %d: %d pull records kept, want the week's %d", seed, kept, want)
		}
	}
}

func TestPriceFromGuards(t *testing.T) {
	now := ts(t, "2026-05-20T12:00:00Z")
	a := NewAggregator(DefaultPriceModel(), now)
	a.PriceFrom(ts(t, "2026-05-14T23:59:59Z")) // the week's first day: WeekTotal is fine
	WeekTotal(a)
	for name, f := range map[string]func(){
		"Aggregates": func() { a.Aggregates(Day) },
		"WeekTotal of an earlier week": func() {
			b := NewAggregator(DefaultPriceModel(), now)
			b.PriceFrom(ts(t, "2026-05-15T00:00:00Z"))
			WeekTotal(b)
		},
	} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), "PriceFrom") {
					t.Errorf("%s: recovered %v, want a panic naming PriceFrom", name, v)
				}
			}()
			f()
		}()
	}
}
