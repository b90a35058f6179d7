package cost

import (
	"testing"
	"time"
)

func TestParsePeriodKind(t *testing.T) {
	for in, want := range map[string]PeriodKind{"day": Day, "week": Week, "month": Month, "Month": Month} {
		got, err := ParsePeriodKind(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriodKind(%q) = %v, %v", in, got, err)
		}
		if want.String() != in && in != "Month" {
			t.Errorf("%v.String() = %q", want, want.String())
		}
	}
	for _, in := range []string{"", "year", "days", "w"} {
		if _, err := ParsePeriodKind(in); err == nil {
			t.Errorf("ParsePeriodKind(%q) succeeded", in)
		}
	}
}

func TestPeriodOf(t *testing.T) {
	tests := []struct {
		name       string
		kind       PeriodKind
		at         string
		label      string
		start, end string
	}{
		{"day", Day, "2026-04-16T23:59:59.999999999Z", "2026-04-16", "2026-04-16", "2026-04-17"},
		{"day from another zone", Day, "2026-04-17T01:00:00+02:00", "2026-04-16", "2026-04-16", "2026-04-17"},
		{"day at month end", Day, "2026-02-28T12:00:00Z", "2026-02-28", "2026-02-28", "2026-03-01"},
		{"week thursday", Week, "2026-04-16T08:00:00Z", "2026-W16", "2026-04-13", "2026-04-20"},
		{"week monday midnight", Week, "2026-04-13T00:00:00Z", "2026-W16", "2026-04-13", "2026-04-20"},
		{"week sunday last ns", Week, "2026-04-19T23:59:59.999999999Z", "2026-W16", "2026-04-13", "2026-04-20"},
		{"week spans month boundary", Week, "2026-04-02T00:00:00Z", "2026-W14", "2026-03-30", "2026-04-06"},
		{"week spans month boundary, march side", Week, "2026-03-31T23:00:00Z", "2026-W14", "2026-03-30", "2026-04-06"},
		{"week 53 into next year", Week, "2027-01-01T00:00:00Z", "2026-W53", "2026-12-28", "2027-01-04"},
		{"week 1 from previous year", Week, "2024-12-31T00:00:00Z", "2025-W01", "2024-12-30", "2025-01-06"},
		{"month", Month, "2026-04-16T10:00:00Z", "2026-04", "2026-04-01", "2026-05-01"},
		{"month december", Month, "2026-12-31T23:59:59Z", "2026-12", "2026-12-01", "2027-01-01"},
		{"month leap february", Month, "2024-02-29T00:00:00Z", "2024-02", "2024-02-01", "2024-03-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label, start, end := PeriodOf(tt.kind, ts(t, tt.at))
			if label != tt.label {
				t.Errorf("label %q, want %q", label, tt.label)
			}
			if ws := ts(t, tt.start+"T00:00:00Z"); !start.Equal(ws) || start.Location() != time.UTC {
				t.Errorf("start %v, want %v UTC", start, ws)
			}
			if we := ts(t, tt.end+"T00:00:00Z"); !end.Equal(we) || end.Location() != time.UTC {
				t.Errorf("end %v, want %v UTC", end, we)
			}
		})
	}
}

func TestPeriodOfInvalidKindPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	PeriodOf(PeriodKind(7), time.Now())
}
