package cost

import (
	"testing"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Each case prices the rows of one UTC day and checks the day aggregates.
// Days in the month: Jan and Dec 31, Feb 2026 28, Feb 2024 29, Apr 30.
type partCase struct {
	name  string
	model []string // key, value overrides of DefaultPriceModel
	rows  func(t *testing.T) []ndjson.Event
	want  []want
}

func runParts(t *testing.T, cases []partCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := c.rows(t)
			a := run(model(t, c.model...), ts(t, "2030-01-01T00:00:00Z"), rows)
			checkAggs(t, a.Aggregates(Day), c.want)
		})
	}
}

func TestBaseShare(t *testing.T) {
	runParts(t, []partCase{
		{
			// April has 30 days: the day carries 500/30 = 50/3 ≈ 16.666667.
			name: "one tenant takes the whole day",
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "push", "t-a", 100)}
			},
			want: []want{{"2026-04-16", "t-a", "50/3", 17, "16.666667"}},
		},
		{
			// 1000 vs 3000 bytes: t-a 50/3 × 1/4 = 25/6 ≈ 4.166667 → 4,
			// t-b 50/3 × 3/4 = 25/2 = 12.5 → 13 (half up).
			name: "in proportion to bytes",
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "push", "t-a", 1000),
					row(t, "2026-04-16T11:00:00Z", "pull", "t-b", 3000),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "25/6", 4, "4.166667"},
				{"2026-04-16", "t-b", "25/2", 13, "12.500000"},
			},
		},
		{
			// t-a pushed 1000 and pulled 1000, t-b pushed 2000: equal
			// bytes, so 50/3 ÷ 2 = 25/3 ≈ 8.333333 each.
			name: "pushed plus pulled bytes",
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "push", "t-a", 1000),
					row(t, "2026-04-16T10:30:00Z", "pull", "t-a", 1000),
					row(t, "2026-04-16T11:00:00Z", "push", "t-b", 2000),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "25/3", 8, "8.333333"},
				{"2026-04-16", "t-b", "25/3", 8, "8.333333"},
			},
		},
		{
			// No bytes moved: 50/3 ÷ 3 tenants = 50/9 ≈ 5.555556 → 6 each;
			// the failed row counts like any other.
			name: "equal share on a zero-byte day",
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "push", "t-a", 0),
					row(t, "2026-04-16T11:00:00Z", "pull", "t-b", 0),
					failed(row(t, "2026-04-16T12:00:00Z", "push", "t-c", 0)),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "50/9", 6, "5.555556"},
				{"2026-04-16", "t-b", "50/9", 6, "5.555556"},
				{"2026-04-16", "t-c", "50/9", 6, "5.555556"},
			},
		},
		{
			// The day moved bytes, all of them t-b's: t-a's share is 0/10.
			name: "zero-byte tenant on a day with bytes",
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "push", "t-a", 0),
					row(t, "2026-04-16T11:00:00Z", "push", "t-b", 10),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "0", 0, "0.000000"},
				{"2026-04-16", "t-b", "50/3", 17, "16.666667"},
			},
		},
		{
			// A row without tenant_id belongs to "default"; 500/30 = 50/3.
			name: "default tenant",
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "push", "", 1)}
			},
			want: []want{{"2026-04-16", "default", "50/3", 17, "16.666667"}},
		},
		{
			// base_cents_per_month 0.5: 0.5/30 = 1/60 ≈ 0.016667 → 1.
			name:  "fractional base",
			model: []string{KeyBaseCentsPerMonth, "0.5"},
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "push", "t-a", 1)}
			},
			want: []want{{"2026-04-16", "t-a", "1/60", 1, "0.016667"}},
		},
	})
}

func TestDaysInMonth(t *testing.T) {
	one := func(at string) func(t *testing.T) []ndjson.Event {
		return func(t *testing.T) []ndjson.Event {
			return []ndjson.Event{row(t, at, "push", "t-a", 1)}
		}
	}
	runParts(t, []partCase{
		// 500/28 = 125/7 ≈ 17.857143 → 18
		{name: "28 days", rows: one("2026-02-10T00:00:00Z"), want: []want{{"2026-02-10", "t-a", "125/7", 18, "17.857143"}}},
		// 500/29 ≈ 17.241379 → 17
		{name: "29 days", rows: one("2024-02-29T00:00:00Z"), want: []want{{"2024-02-29", "t-a", "500/29", 17, "17.241379"}}},
		// 500/30 = 50/3 ≈ 16.666667 → 17
		{name: "30 days", rows: one("2026-04-30T23:59:59Z"), want: []want{{"2026-04-30", "t-a", "50/3", 17, "16.666667"}}},
		// 500/31 ≈ 16.129032 → 16
		{name: "31 days", rows: one("2026-01-31T12:00:00Z"), want: []want{{"2026-01-31", "t-a", "500/31", 16, "16.129032"}}},
		// December wraps to the next year: still 31 days.
		{name: "31 days december", rows: one("2026-12-31T12:00:00Z"), want: []want{{"2026-12-31", "t-a", "500/31", 16, "16.129032"}}},
	})
}

func TestEgressOverage(t *testing.T) {
	noBase := []string{KeyBaseCentsPerMonth, "0"}
	runParts(t, []partCase{
		{
			// Exactly 1024 GiB pulled: nothing beyond the allowance.
			name:  "at the allowance",
			model: noBase,
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "pull", "t-a", 1024*gib)}
			},
			want: []want{{"2026-04-16", "t-a", "0", 0, "0.000000"}},
		},
		{
			// One byte beyond: 1/2^30 cents, which rounds up to 1.
			name:  "one byte over",
			model: noBase,
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "pull", "t-a", 1024*gib+1)}
			},
			want: []want{{"2026-04-16", "t-a", "1/1073741824", 1, "0.000000"}},
		},
		{
			// 1000 GiB then 100 GiB: the second pull crosses 1024 GiB
			// mid-row; 1100-1024 = 76 GiB × 1¢ = 76¢, all to t-b.
			name:  "crossing mid-row",
			model: noBase,
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "pull", "t-a", 1000*gib),
					row(t, "2026-04-16T11:00:00Z", "pull", "t-b", 100*gib),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "0", 0, ""},
				{"2026-04-16", "t-b", "76", 76, "76.000000"},
			},
		},
		{
			// Allowance 0.5 GiB, 0.02¢/GiB: 1 GiB pulled, 0.5 GiB over,
			// 0.5 × 0.02 = 0.01¢ → 1.
			name:  "fractional prices",
			model: []string{KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "0.5", KeyEgressCentsPerGiB, "0.02"},
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "pull", "t-a", gib)}
			},
			want: []want{{"2026-04-16", "t-a", "1/100", 1, "0.010000"}},
		},
		{
			// No allowance: 3 GiB × 1¢ = 3¢, failed or not.
			name:  "zero allowance",
			model: []string{KeyBaseCentsPerMonth, "0", KeyIncludedEgressGiB, "0"},
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{failed(row(t, "2026-04-16T10:00:00Z", "pull", "t-a", 3*gib))}
			},
			want: []want{{"2026-04-16", "t-a", "3", 3, "3.000000"}},
		},
		{
			// Pushes are ingress: 2000 GiB pushed costs no egress.
			name:  "pushes are not egress",
			model: noBase,
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{row(t, "2026-04-16T10:00:00Z", "push", "t-a", 2000*gib)}
			},
			want: []want{{"2026-04-16", "t-a", "0", 0, ""}},
		},
		{
			// The allowance is per calendar month: 1000 GiB on Apr 30 and
			// 1000 GiB on May 1 are both within their month's allowance.
			name:  "allowance resets on the 1st",
			model: noBase,
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-30T23:00:00Z", "pull", "t-a", 1000*gib),
					row(t, "2026-05-01T00:00:00Z", "pull", "t-a", 1000*gib),
				}
			},
			want: []want{
				{"2026-04-30", "t-a", "0", 0, ""},
				{"2026-05-01", "t-a", "0", 0, ""},
			},
		},
	})
}

func TestStorageOverage(t *testing.T) {
	storage := func(stored string) []string {
		return []string{KeyBaseCentsPerMonth, "0", KeyStoredGiB, stored}
	}
	oneRow := func(at string) func(t *testing.T) []ndjson.Event {
		return func(t *testing.T) []ndjson.Event {
			return []ndjson.Event{row(t, at, "push", "t-a", 1)}
		}
	}
	runParts(t, []partCase{
		{name: "nothing stored", model: storage("0"), rows: oneRow("2026-04-16T00:00:00Z"),
			want: []want{{"2026-04-16", "t-a", "0", 0, ""}}},
		{name: "at the included storage", model: storage("250"), rows: oneRow("2026-04-16T00:00:00Z"),
			want: []want{{"2026-04-16", "t-a", "0", 0, ""}}},
		{
			// (300-250) × 2 = 100¢ a month; April: 100/30 = 10/3 a day,
			// shared 1:3 by bytes: 5/6 ≈ 0.833333 → 1 and 5/2 = 2.5 → 3.
			name:  "overage shared by bytes",
			model: storage("300"),
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "push", "t-a", 1),
					row(t, "2026-04-16T11:00:00Z", "pull", "t-b", 3),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "5/6", 1, "0.833333"},
				{"2026-04-16", "t-b", "5/2", 3, "2.500000"},
			},
		},
		{
			// (250.5-250) × 2 = 1¢ a month; February 2026: 1/28 a day
			// ≈ 0.035714 → 1.
			name: "fractional stored_gib", model: storage("250.5"), rows: oneRow("2026-02-03T00:00:00Z"),
			want: []want{{"2026-02-03", "t-a", "1/28", 1, "0.035714"}},
		},
		{
			// Base 500 + storage (300-250) × 2 = 600¢ a month; April: 20 a
			// day; no bytes, 2 tenants: 10 each.
			name:  "with the base on a zero-byte day",
			model: []string{KeyStoredGiB, "300"},
			rows: func(t *testing.T) []ndjson.Event {
				return []ndjson.Event{
					row(t, "2026-04-16T10:00:00Z", "push", "t-a", 0),
					row(t, "2026-04-16T11:00:00Z", "pull", "t-b", 0),
				}
			},
			want: []want{
				{"2026-04-16", "t-a", "10", 10, "10.000000"},
				{"2026-04-16", "t-b", "10", 10, "10.000000"},
			},
		},
	})
}
