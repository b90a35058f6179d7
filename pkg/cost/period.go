package cost

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PeriodKind is the length of a reporting period: a UTC calendar day, an ISO
// week (Monday to Sunday, UTC) or a UTC calendar month.
type PeriodKind int

// Period kinds.
const (
	Day PeriodKind = iota
	Week
	Month
)

// String returns "day", "week" or "month".
func (k PeriodKind) String() string {
	switch k {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return "PeriodKind(" + strconv.Itoa(int(k)) + ")"
}

// ParsePeriodKind parses "day", "week" or "month" (case-insensitive).
func ParsePeriodKind(s string) (PeriodKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "day":
		return Day, nil
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, fmt.Errorf("cost: invalid period %q (want day, week or month)", s)
}

// PeriodOf returns the period of kind that contains t, in UTC: its label
// ("2026-04-16", ISO week "2026-W16", or "2026-04") and its bounds, start
// inclusive and end exclusive (the start of the next period). Weeks start on
// Monday and carry the ISO week-numbering year, so 2027-01-01 is in
// "2026-W53". PeriodOf panics if kind is not Day, Week or Month.
func PeriodOf(kind PeriodKind, t time.Time) (label string, start, end time.Time) {
	start, end = periodBounds(kind, t)
	return periodLabel(kind, start), start, end
}

func periodBounds(kind PeriodKind, t time.Time) (start, end time.Time) {
	t = t.UTC()
	y, m, d := t.Date()
	switch kind {
	case Day:
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1)
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 7)
	case Month:
		start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	panic("cost: invalid " + kind.String())
}

// periodLabel labels the period of kind starting at start (a UTC midnight).
func periodLabel(kind PeriodKind, start time.Time) string {
	switch kind {
	case Day:
		return start.Format("2006-01-02")
	case Week:
		y, w := start.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case Month:
		return start.Format("2006-01")
	}
	panic("cost: invalid " + kind.String())
}

// daysInMonth returns the number of days in the UTC month containing t.
func daysInMonth(t time.Time) int64 {
	y, m, _ := t.Date()
	return int64(time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day())
}
