package cost

import (
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// workedLog is priced with DefaultPriceModel (500¢/month, 1024 GiB egress
// included, 1¢ per GiB beyond, nothing stored) at workedNow. G = 2^30 bytes.
const workedNow = "2026-04-03T12:00:00Z"

func workedLog(t testing.TB) []ndjson.Event {
	return []ndjson.Event{
		// 2026-03-30, Monday (March: 31 days, 500/31 a day).
		failed(row(t, "2026-03-30T10:00:00Z", "push", "t-a", 8*gib)), // failed runs still cost
		row(t, "2026-03-30T11:00:00Z", "pull", "t-b", 1020*gib),
		row(t, "2026-03-30T12:00:00Z", "pull", "t-a", 12*gib), // crosses 1024 GiB mid-row
		// 2026-03-31: wholly beyond the allowance.
		row(t, "2026-03-31T09:00:00Z", "pull", "t-c", 5*gib),
		// 2026-04-01 (April: 30 days, 50/3 a day): the allowance starts again.
		row(t, "2026-04-01T00:00:00Z", "pull", "t-b", 1000*gib),
		row(t, "2026-04-01T01:00:00Z", "push", "t-c", 250*gib),
		row(t, "2026-04-01T02:00:00Z", "pull", "t-a", 30*gib), // crosses again
		// 2026-04-02: a day of zero bytes.
		failed(row(t, "2026-04-02T08:00:00Z", "push", "t-a", 0)),
		row(t, "2026-04-02T09:00:00Z", "pull", "", 0),
		// 2026-04-03: a tenant with one byte.
		row(t, "2026-04-03T10:00:00Z", "push", "t-a", gib-1),
		row(t, "2026-04-03T11:00:00Z", "push", "t-d", 1),
		// After now: ignored (it would cost t-a about 5000¢).
		row(t, "2026-04-03T13:00:00Z", "pull", "t-a", 5000*gib),
	}
}

// Day amounts of workedLog, worked by hand:
//
// 2026-03-30: bytes t-a 8G+12G = 20G, t-b 1020G, total 1040G.
//
//	Egress: cumulative 1020G after t-b, 1032G after t-a: t-a pays for
//	1032G-1024G = 8G, 8¢.
//	t-a: 500/31 × 20/1040 = 500/1612 = 125/403 ≈ 0.310174, + 8 = 3349/403 ≈ 8.310174 → 8
//	t-b: 500/31 × 1020/1040 = 6375/403 ≈ 15.818859 → 16
//
// 2026-03-31: t-c alone: 500/31 + 5¢ egress (5G, all beyond) = 655/31 ≈ 21.129032 → 21
//
// 2026-04-01: bytes t-b 1000G, t-c 250G, t-a 30G, total 1280G.
//
//	Egress (April starts from 0): 1000G after t-b, within the allowance;
//	1030G after t-a: t-a pays for 6G, 6¢. Had the allowance not reset,
//	t-b would pay 1000¢.
//	t-b: 50/3 × 1000/1280 = 625/48 ≈ 13.020833 → 13
//	t-c: 50/3 × 250/1280 = 625/192 ≈ 3.255208 → 3
//	t-a: 50/3 × 30/1280 = 25/64 = 0.390625, + 6 = 409/64 = 6.390625 → 6
//
// 2026-04-02: no bytes, tenants t-a and default: 50/3 ÷ 2 = 25/3 ≈ 8.333333 → 8 each
//
// 2026-04-03: bytes t-a G-1, t-d 1, total G.
//
//	t-a: 50/3 × (G-1)/G = 26843545575/1610612736 ≈ 16.666667 → 17
//	t-d: 50/3 × 1/G = 25/1610612736 ≈ 0.0000000155 → "0.000000", 1¢ (never free)
//
// Total: 2 March days × 500/31 + 3 April days × 50/3 + egress 8+5+6
// = 1000/31 + 50 + 19 = 3139/31 ≈ 101.258065.
func TestWorkedLogDays(t *testing.T) {
	a := run(DefaultPriceModel(), ts(t, workedNow), workedLog(t))
	checkAggs(t, a.Aggregates(Day), []want{
		{"2026-03-30", "t-a", "3349/403", 8, "8.310174"},
		{"2026-03-30", "t-b", "6375/403", 16, "15.818859"},
		{"2026-03-31", "t-c", "655/31", 21, "21.129032"},
		{"2026-04-01", "t-a", "409/64", 6, "6.390625"},
		{"2026-04-01", "t-b", "625/48", 13, "13.020833"},
		{"2026-04-01", "t-c", "625/192", 3, "3.255208"},
		{"2026-04-02", "default", "25/3", 8, "8.333333"},
		{"2026-04-02", "t-a", "25/3", 8, "8.333333"},
		{"2026-04-03", "t-a", "26843545575/1610612736", 17, "16.666667"},
		{"2026-04-03", "t-d", "25/1610612736", 1, "0.000000"},
	})
	// Day rounded sum 8+16+21+6+13+3+8+8+17+1 = 101; exact 3139/31.
	cents, exact := Totals(a.Aggregates(Day))
	if cents != 101 || exact.Cmp(rat(t, "3139/31")) != 0 || FormatExact(exact) != "101.258065" {
		t.Errorf("Totals = %d, %s; want 101, 3139/31", cents, exact.RatString())
	}
}

func TestWorkedLogMonthsAndWeeks(t *testing.T) {
	a := run(DefaultPriceModel(), ts(t, workedNow), workedLog(t))

	months := a.Aggregates(Month)
	// April t-a: 409/64 + 25/3 + 26843545575/1610612736
	// = 409/64 + 25 - 25/1610612736 = 50558140391/1610612736
	// ≈ 31.3906249845 → 31, shown as "31.390625".
	checkAggs(t, months, []want{
		{"2026-03", "t-a", "3349/403", 8, "8.310174"},
		{"2026-03", "t-b", "6375/403", 16, "15.818859"},
		{"2026-03", "t-c", "655/31", 21, "21.129032"},
		{"2026-04", "default", "25/3", 8, "8.333333"},
		{"2026-04", "t-a", "50558140391/1610612736", 31, "31.390625"},
		{"2026-04", "t-b", "625/48", 13, "13.020833"},
		{"2026-04", "t-c", "625/192", 3, "3.255208"},
		{"2026-04", "t-d", "25/1610612736", 1, "0.000000"},
	})
	// Counters of April t-a: the 5000 GiB row after now is not counted.
	ta := months[4]
	if ta.Runs != 3 || ta.BytesPushed != gib-1 || ta.BytesPulled != 30*gib {
		t.Errorf("April t-a counters = %d runs, %d pushed, %d pulled", ta.Runs, ta.BytesPushed, ta.BytesPulled)
	}
	if mar := months[0]; mar.Runs != 2 || mar.BytesPushed != 8*gib || mar.BytesPulled != 12*gib {
		t.Errorf("March t-a counters = %+v", mar)
	}
	for _, m := range months {
		if want := m.Period == "2026-03"; m.Closed != want {
			t.Errorf("%s %s Closed = %v, want %v", m.Period, m.Tenant, m.Closed, want)
		}
	}

	// Week 2026-W14 (Mon 2026-03-30 to Sun 2026-04-05) spans the month
	// boundary and holds every row; it ends after now, so it is open.
	// t-a: 3349/403 + 50558140391/1610612736 ≈ 39.700799 → 40
	// t-b: 6375/403 + 625/48 = 557875/19344 ≈ 28.839692 → 29
	// t-c: 655/31 + 625/192 = 145135/5952 ≈ 24.384241 → 24
	// Rounded sum 8+40+29+24+1 = 102 over-states the exact 101.258065.
	weeks := a.Aggregates(Week)
	checkAggs(t, weeks, []want{
		{"2026-W14", "default", "25/3", 8, "8.333333"},
		{"2026-W14", "t-a", "25768872630437/649076932608", 40, "39.700799"},
		{"2026-W14", "t-b", "557875/19344", 29, "28.839692"},
		{"2026-W14", "t-c", "145135/5952", 24, "24.384241"},
		{"2026-W14", "t-d", "25/1610612736", 1, "0.000000"},
	})
	for _, w := range weeks {
		if !w.Start.Equal(ts(t, "2026-03-30T00:00:00Z")) || !w.End.Equal(ts(t, "2026-04-06T00:00:00Z")) || w.Closed {
			t.Errorf("week %s %s: %v..%v closed=%v", w.Period, w.Tenant, w.Start, w.End, w.Closed)
		}
	}
	cents, exact := Totals(weeks)
	if cents != 102 || exact.Cmp(rat(t, "3139/31")) != 0 {
		t.Errorf("week Totals = %d, %s", cents, exact.RatString())
	}

	// Every row is within the 7 days 2026-03-28..2026-04-03: WeekTotal sums
	// the day-rounded cents (101) and the exact amounts (3139/31).
	wc, we := WeekTotal(a)
	if wc != 101 || we.Cmp(rat(t, "3139/31")) != 0 {
		t.Errorf("WeekTotal = %d, %s; want 101, 3139/31", wc, we.RatString())
	}
}

func TestWorkedLogOrderIndependentWithinTies(t *testing.T) {
	// The same rows added in reverse log order: no two pulls of a month
	// share a ts, so ts order alone decides and the amounts do not change.
	rows := workedLog(t)
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	a := run(DefaultPriceModel(), ts(t, workedNow), rows)
	b := run(DefaultPriceModel(), ts(t, workedNow), workedLog(t))
	ga, gb := a.Aggregates(Day), b.Aggregates(Day)
	if len(ga) != len(gb) {
		t.Fatalf("%d vs %d aggregates", len(ga), len(gb))
	}
	for i := range ga {
		if ga[i].Tenant != gb[i].Tenant || ga[i].Exact.Cmp(gb[i].Exact) != 0 {
			t.Errorf("#%d: %s %s vs %s %s", i, ga[i].Tenant, ga[i].Exact, gb[i].Tenant, gb[i].Exact)
		}
	}
}

func TestWeekTotalWindow(t *testing.T) {
	// now is Monday 2026-04-06 00:00: the window is 2026-03-31..2026-04-06.
	rows := []ndjson.Event{
		row(t, "2026-03-30T12:00:00Z", "push", "t-a", 1), // before the window
		row(t, "2026-03-31T00:00:00Z", "push", "t-a", 1), // 500/31 ≈ 16.129032 → 16
		row(t, "2026-04-05T10:00:00Z", "push", "t-a", 1), // 50/3 ÷ 2 = 25/3 → 8
		row(t, "2026-04-05T11:00:00Z", "push", "t-b", 1), // 25/3 → 8
		row(t, "2026-04-06T00:00:00Z", "push", "t-a", 1), // at now: counts, 50/3 → 17
		row(t, "2026-04-06T00:00:01Z", "push", "t-a", 1), // after now: ignored
	}
	a := run(DefaultPriceModel(), ts(t, "2026-04-06T00:00:00Z"), rows)
	// cents 16+8+8+17 = 49; exact 500/31 + 50/3 + 50/3 = 4600/93 ≈ 49.462366.
	cents, exact := WeekTotal(a)
	if cents != 49 || exact.Cmp(rat(t, "4600/93")) != 0 {
		t.Errorf("WeekTotal = %d, %s; want 49, 4600/93", cents, exact.RatString())
	}
	if c, e := WeekTotal(nil); c != 0 || e.Sign() != 0 {
		t.Errorf("WeekTotal(nil) = %d, %s", c, e)
	}
	if c, e := WeekTotal(NewAggregator(DefaultPriceModel(), time.Now())); c != 0 || e.Sign() != 0 {
		t.Errorf("WeekTotal(empty) = %d, %s", c, e)
	}
}

func TestClosedAndRowsAfterNow(t *testing.T) {
	rows := []ndjson.Event{
		row(t, "2026-04-29T10:00:00Z", "push", "t-a", 1),
		row(t, "2026-04-30T23:59:59Z", "push", "t-a", 1),
		row(t, "2026-05-01T00:00:00Z", "push", "t-a", 1),
	}
	// now is the last second of April: the May row is after now.
	a := run(DefaultPriceModel(), ts(t, "2026-04-30T23:59:59Z"), rows)
	days := a.Aggregates(Day)
	if len(days) != 2 || !days[0].Closed || days[1].Closed {
		t.Fatalf("days = %+v", days)
	}
	if m := a.Aggregates(Month); len(m) != 1 || m[0].Closed || m[0].Runs != 2 {
		t.Errorf("month = %+v", m)
	}
	// now is exactly the end of April: April is closed (End <= now), and
	// the May row (ts == now) counts in an open May.
	a = run(DefaultPriceModel(), ts(t, "2026-05-01T00:00:00Z"), rows)
	m := a.Aggregates(Month)
	if len(m) != 2 || m[0].Period != "2026-04" || !m[0].Closed || m[1].Period != "2026-05" || m[1].Closed {
		t.Errorf("months = %+v", m)
	}
	// A zone other than UTC for now does not matter.
	a = run(DefaultPriceModel(), ts(t, "2026-05-01T02:00:00+02:00"), rows)
	if m := a.Aggregates(Month); len(m) != 2 || !m[0].Closed || !a.Now().Equal(ts(t, "2026-05-01T00:00:00Z")) {
		t.Errorf("months with zoned now = %+v", m)
	}
}

func TestOutOfOrderPulls(t *testing.T) {
	// base 0, 1 GiB egress included, 1¢ per GiB beyond: whoever pulls the
	// second GiB of the month pays 1¢.
	m := model(t, KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "1")
	tests := []struct {
		name string
		rows []ndjson.Event
		want []want
	}{
		{
			// Log order t-a, t-b; ts order t-b (09:00), t-a (10:00): t-a pays.
			name: "ts order decides",
			rows: []ndjson.Event{
				row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib),
				row(t, "2026-05-10T09:00:00Z", "pull", "t-b", gib),
			},
			want: []want{{"2026-05-10", "t-a", "1", 1, ""}, {"2026-05-10", "t-b", "0", 0, ""}},
		},
		{
			// Same ts: log order decides, t-a first, so t-b pays.
			name: "tie, log order",
			rows: []ndjson.Event{
				row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib),
				row(t, "2026-05-10T10:00:00Z", "pull", "t-b", gib),
			},
			want: []want{{"2026-05-10", "t-a", "0", 0, ""}, {"2026-05-10", "t-b", "1", 1, ""}},
		},
		{
			// Same ts, reversed log: t-a pays.
			name: "tie, reversed log order",
			rows: []ndjson.Event{
				row(t, "2026-05-10T10:00:00Z", "pull", "t-b", gib),
				row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib),
			},
			want: []want{{"2026-05-10", "t-a", "1", 1, ""}, {"2026-05-10", "t-b", "0", 0, ""}},
		},
		{
			// One nanosecond apart: t-b (…001) is first, t-a pays.
			name: "nanoseconds",
			rows: []ndjson.Event{
				row(t, "2026-05-10T10:00:00.000000002Z", "pull", "t-a", gib),
				row(t, "2026-05-10T10:00:00.000000001Z", "pull", "t-b", gib),
			},
			want: []want{{"2026-05-10", "t-a", "1", 1, ""}, {"2026-05-10", "t-b", "0", 0, ""}},
		},
		{
			// ts order: May 3 t-a 0.5 GiB (0.5 used), May 4 t-b 1 GiB
			// (1.5: t-b pays 0.5¢ → 1), May 20 t-a 1 GiB (t-a pays 1¢),
			// although May 20 was logged first.
			name: "across days",
			rows: []ndjson.Event{
				row(t, "2026-05-20T10:00:00Z", "pull", "t-a", gib),
				row(t, "2026-05-03T10:00:00Z", "pull", "t-a", gib/2),
				row(t, "2026-05-04T10:00:00Z", "pull", "t-b", gib),
			},
			want: []want{
				{"2026-05-03", "t-a", "0", 0, ""},
				{"2026-05-04", "t-b", "1/2", 1, "0.500000"},
				{"2026-05-20", "t-a", "1", 1, ""},
			},
		},
		{
			// An April pull logged after May's rows uses April's allowance.
			name: "other month interleaved",
			rows: []ndjson.Event{
				row(t, "2026-05-01T10:00:00Z", "pull", "t-a", gib),
				row(t, "2026-04-30T10:00:00Z", "pull", "t-b", gib),
				row(t, "2026-05-01T11:00:00Z", "pull", "t-b", gib),
			},
			want: []want{
				{"2026-04-30", "t-b", "0", 0, ""},
				{"2026-05-01", "t-a", "0", 0, ""},
				{"2026-05-01", "t-b", "1", 1, ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAggs(t, run(m, ts(t, "2026-06-01T00:00:00Z"), tt.rows).Aggregates(Day), tt.want)
		})
	}
}

func TestAddAfterAggregates(t *testing.T) {
	m := model(t, KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "1")
	rows := []ndjson.Event{
		row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib),
		row(t, "2026-05-10T09:00:00Z", "pull", "t-b", gib),
		row(t, "2026-05-10T09:00:00Z", "pull", "t-c", gib),
	}
	a := NewAggregator(m, ts(t, "2026-06-01T00:00:00Z"))
	a.Add(&rows[0])
	a.Add(&rows[1])
	// ts order t-b, t-a: t-a pays.
	checkAggs(t, a.Aggregates(Day), []want{{"2026-05-10", "t-a", "1", 1, ""}, {"2026-05-10", "t-b", "0", 0, ""}})
	// t-c ties with t-b but comes later in the log: t-b keeps the
	// allowance, t-c and t-a pay.
	a.Add(&rows[2])
	checkAggs(t, a.Aggregates(Day), []want{
		{"2026-05-10", "t-a", "1", 1, ""}, {"2026-05-10", "t-b", "0", 0, ""}, {"2026-05-10", "t-c", "1", 1, ""},
	})
}

func TestMemoryGrowsWithGroups(t *testing.T) {
	a := NewAggregator(DefaultPriceModel(), ts(t, "2026-06-01T00:00:00Z"))
	tenants := []string{"t-a", "t-b", "t-c"}
	e := ndjson.Event{}
	for i := 0; i < 30000; i++ {
		e.TS = ts(t, "2026-05-10T00:00:00Z").Add(time.Duration(i%2) * 24 * time.Hour)
		e.TenantID = tenants[i%3]
		e.Op, e.Bytes = ndjson.OpPush, int64(i)
		if i%2 == 1 {
			e.Op, e.Bytes = ndjson.OpPull, 0 // zero-byte pulls keep nothing
		}
		a.Add(&e)
	}
	if len(a.groups) != 6 || len(a.tenants) != 3 || len(a.months) != 0 {
		t.Fatalf("groups %d, tenants %d, months %d", len(a.groups), len(a.tenants), len(a.months))
	}

	// With SkipPullDetail, pulls keep nothing per row either.
	a.SkipPullDetail()
	for i := 0; i < 1000; i++ {
		p := row(t, "2026-05-12T00:00:00Z", "pull", "t-a", 10)
		a.Add(&p)
	}
	if len(a.months) != 0 || len(a.groups) != 7 {
		t.Fatalf("months %d, groups %d", len(a.months), len(a.groups))
	}
}

// TestSkipPullDetailSecondPass prices a log where egress crosses the
// allowance mid-day, with rows out of order, once with every pull kept and
// once with SkipPullDetail plus a second pass over the crossing days: the
// aggregates must be the same.
func TestSkipPullDetailSecondPass(t *testing.T) {
	m := model(t, KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "2")
	now := ts(t, "2026-06-10T00:00:00Z")
	rows := []ndjson.Event{
		row(t, "2026-05-03T10:00:00Z", "pull", "t-a", gib/2),
		row(t, "2026-05-04T12:00:00Z", "pull", "t-b", gib),
		row(t, "2026-05-04T09:00:00Z", "pull", "t-c", gib/3), // before t-b's, logged after
		row(t, "2026-05-04T12:00:00Z", "pull", "t-a", gib),   // tie with t-b: after it
		row(t, "2026-05-02T01:00:00Z", "pull", "t-b", gib/4), // an earlier day, logged late
		row(t, "2026-05-05T00:00:00Z", "pull", "t-c", gib),   // wholly beyond
		row(t, "2026-06-01T00:00:00Z", "pull", "t-a", 3*gib), // June crosses on its first pull
		row(t, "2026-06-02T00:00:00Z", "push", "t-b", gib),
	}
	ref := run(m, now, rows)
	a := NewAggregator(m, now)
	a.SkipPullDetail()
	for i := range rows {
		a.Add(&rows[i])
	}
	days := a.CrossingDays()
	if len(days) != 2 || !days[0].Equal(ts(t, "2026-05-04T00:00:00Z")) || !days[1].Equal(ts(t, "2026-06-01T00:00:00Z")) {
		t.Fatalf("crossing days %v", days)
	}
	for i := range rows {
		a.AddPullDetail(&rows[i])
	}
	for _, kind := range []PeriodKind{Day, Month} {
		got, w := a.Aggregates(kind), ref.Aggregates(kind)
		if len(got) != len(w) {
			t.Fatalf("%s: %d aggregates, want %d", kind, len(got), len(w))
		}
		for i := range got {
			if got[i].Period != w[i].Period || got[i].Tenant != w[i].Tenant || got[i].Exact.Cmp(w[i].Exact) != 0 {
				t.Errorf("%s #%d: got %s %s %s, want %s %s %s", kind, i, got[i].Period, got[i].Tenant, got[i].Exact.RatString(),
					w[i].Period, w[i].Tenant, w[i].Exact.RatString())
			}
		}
	}
	// Spot check against the model by hand: 3/4 GiB before May 4, which in
	// ts order is t-c gib/3 = 357913941 bytes, then t-b 1 GiB, ending
	// 357913941 - gib/4 = 89478485 bytes beyond 2 GiB, then t-a 1 GiB, all
	// beyond; 1 cent per GiB.
	checkAggs(t, a.Aggregates(Day)[2:5], []want{
		{"2026-05-04", "t-a", "1", 1, ""},
		{"2026-05-04", "t-b", "89478485/1073741824", 1, ""},
		{"2026-05-04", "t-c", "0", 0, ""},
	})
}

// TestMergeEqualsOnePass splits rows into chunks at every point, counts
// each chunk alone and merges them in order: the aggregates must be those
// of one Aggregator that saw every row. Each split is counted twice: with
// a new Aggregator per chunk, and with one that Reset readies for the next
// chunk once merged.
func TestMergeEqualsOnePass(t *testing.T) {
	m := model(t, KeyIncludedEgressGiB, "1", KeyStoredGiB, "300")
	now := ts(t, "2026-05-31T00:00:00Z")
	rows := []ndjson.Event{
		row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib),
		row(t, "2026-05-10T10:00:00Z", "pull", "t-b", gib),
		row(t, "2026-04-30T23:00:00Z", "push", "", 5),
		row(t, "2026-05-10T09:00:00Z", "pull", "t-c", gib/2),
		failed(row(t, "2026-05-11T09:00:00Z", "push", "t-a", 7)),
		row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib/3),
		row(t, "2026-06-01T00:00:00Z", "pull", "t-a", gib), // after now
	}
	want := run(m, now, rows)
	for _, kind := range []PeriodKind{Day, Week, Month} {
		wantAggs := want.Aggregates(kind)
		for i := 0; i <= len(rows); i++ {
			for j := i; j <= len(rows); j++ {
				a := run(m, now, rows[:i])
				a.Merge(run(m, now, rows[i:j]))
				a.Merge(run(m, now, rows[j:]))
				reused, part := NewAggregator(m, now), NewAggregator(m, now)
				for _, chunk := range [][]ndjson.Event{rows[:i], rows[i:j], rows[j:]} {
					part.Reset()
					for k := range chunk {
						part.Add(&chunk[k])
					}
					reused.Merge(part)
				}
				for name, a := range map[string]*Aggregator{"new": a, "reused": reused} {
					got := a.Aggregates(kind)
					if len(got) != len(wantAggs) {
						t.Fatalf("split %d,%d, %s: %d aggregates, want %d", i, j, name, len(got), len(wantAggs))
					}
					for k := range got {
						g, w := got[k], wantAggs[k]
						if g.Period != w.Period || g.Tenant != w.Tenant || g.Runs != w.Runs ||
							g.BytesPushed != w.BytesPushed || g.BytesPulled != w.BytesPulled || g.Exact.Cmp(w.Exact) != 0 {
							t.Fatalf("split %d,%d %s, %s: got %+v, want %+v", i, j, kind, name, g, w)
						}
					}
				}
			}
		}
	}
}

// TestResetKeepsSettings: after Reset an Aggregator that went over its
// budget keeps records again, and one told to skip them still skips them.
func TestResetKeepsSettings(t *testing.T) {
	m := model(t, KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "1")
	now := ts(t, "2026-06-01T00:00:00Z")
	pulls := []ndjson.Event{
		row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib),
		row(t, "2026-05-10T11:00:00Z", "pull", "t-b", gib),
	}
	over := NewAggregator(m, now)
	over.LimitPullDetail(1)
	for i := range pulls {
		over.Add(&pulls[i])
	}
	if !over.NeedsPullDetail() {
		t.Fatal("two pulls over a budget of one: detail not dropped")
	}
	over.Reset()
	over.Add(&pulls[0])
	over.Add(&pulls[1])
	over.Reset()
	over.Add(&pulls[0])
	if over.NeedsPullDetail() || over.kept != 1 {
		t.Errorf("after Reset, one pull under the budget: needs detail %v, %d kept; want false, 1", over.NeedsPullDetail(), over.kept)
	}
	skip := NewAggregator(m, now)
	skip.SkipPullDetail()
	skip.Reset()
	for i := range pulls {
		skip.Add(&pulls[i])
	}
	if !skip.NeedsPullDetail() || skip.kept != 0 {
		t.Errorf("SkipPullDetail, then Reset: needs detail %v, %d kept; want true, 0", skip.NeedsPullDetail(), skip.kept)
	}
}

// TestLimitPullDetail goes over a budget of two pull records: the
// Aggregator drops them, asks for the crossing days again, and prices them
// as one that kept everything.
func TestLimitPullDetail(t *testing.T) {
	m := model(t, KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "1")
	now := ts(t, "2026-06-01T00:00:00Z")
	rows := []ndjson.Event{
		row(t, "2026-05-10T10:00:00Z", "pull", "t-a", gib/2),
		row(t, "2026-05-10T11:00:00Z", "pull", "t-b", gib/2),
		row(t, "2026-05-10T09:00:00Z", "pull", "t-c", gib/2),
	}
	ref := run(m, now, rows)
	a := NewAggregator(m, now)
	a.LimitPullDetail(2)
	for i := range rows[:2] {
		a.Add(&rows[i])
	}
	if a.NeedsPullDetail() {
		t.Fatal("within budget, yet asks for a second read")
	}
	a.Add(&rows[2])
	if !a.NeedsPullDetail() || len(a.months) != 0 {
		t.Fatalf("over budget: needs %v, months %d", a.NeedsPullDetail(), len(a.months))
	}
	for i := range rows {
		a.AddPullDetail(&rows[i])
	}
	if a.NeedsPullDetail() {
		t.Error("still asks for a second read after it")
	}
	// 09:00 t-c, 10:00 t-a (1 GiB reached), 11:00 t-b: beyond, 1/2 cent.
	checkAggs(t, a.Aggregates(Day), []want{
		{"2026-05-10", "t-a", "0", 0, ""}, {"2026-05-10", "t-b", "1/2", 1, ""}, {"2026-05-10", "t-c", "0", 0, ""},
	})
	checkAggs(t, ref.Aggregates(Day), []want{
		{"2026-05-10", "t-a", "0", 0, ""}, {"2026-05-10", "t-b", "1/2", 1, ""}, {"2026-05-10", "t-c", "0", 0, ""},
	})
}
