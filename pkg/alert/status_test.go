package alert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

func TestDegraded(t *testing.T) {
	cases := []struct {
		failing, active int
		threshold       float64
		want            bool
	}{
		{5, 100, 0.05, false}, // exactly the threshold is not above it
		{6, 100, 0.05, true},
		{0, 0, 0.05, false},
		{1, 20, 0.05, false},
		{1, 19, 0.05, true},
		{7, 100, 0.07, false}, // 0.07 is not a float64; its decimal is what counts
		{8, 100, 0.07, true},
		{1, 4, 0.25, false},
		{2, 7, 0.25, true},
		{1, 1, 1, false},
		{1, 1000, 0, true},
		{0, 1000, 0, false},
	}
	for _, tc := range cases {
		if got := Degraded(tc.failing, tc.active, tc.threshold); got != tc.want {
			t.Errorf("Degraded(%d, %d, %v) = %v, want %v", tc.failing, tc.active, tc.threshold, got, tc.want)
		}
	}
}

func tenantEvent(at time.Duration, tenant string, failed bool) *ndjson.Event {
	e := &ndjson.Event{TS: t0.Add(at), Op: "push", Repo: "r", Scope: "s", Trigger: "cron", Machine: "box-" + tenant, TenantID: tenant}
	if failed {
		e.Status = ndjson.StatusError
		e.Error = "boom"
	}
	return e
}

func TestTenants(t *testing.T) {
	now := t0.Add(2 * time.Hour)
	tr := NewTenants(now)
	m := time.Minute
	for _, e := range []*ndjson.Event{
		tenantEvent(0, "old", true),                      // outside the last hour: not active
		tenantEvent(61*m, "a", true),                     // failing
		tenantEvent(70*m, "b", true),                     // b failed...
		tenantEvent(80*m, "b", false),                    // ...then recovered
		tenantEvent(90*m, "c", false),                    // c succeeded...
		tenantEvent(95*m, "c", true),                     // ...then failed: failing
		tenantEvent(60*m, "edge", true),                  // exactly now-1h: active, failing
		tenantEvent(100*m, "d", false),                   // a later row...
		tenantEvent(99*m, "d", true),                     // ...then an earlier one in the log
		tenantEvent(110*m, "e", true),                    // a tie in ts:
		tenantEvent(110*m, "e", false),                   // the later row in the log wins
		tenantEvent(3*time.Hour, "future", true),         // after now: ignored
		{TS: t0.Add(100 * m), Status: ndjson.StatusOK},   // default tenant, ok
		{TS: t0.Add(30 * m), Status: ndjson.StatusError}, // an older failure of default
	} {
		tr.Add(e)
	}
	active, failing := tr.Counts(time.Hour)
	// active: a, b, c, edge, d, e, default; failing: a, c, edge.
	if active != 7 || failing != 3 {
		t.Errorf("active %d failing %d, want 7 and 3", active, failing)
	}
	s := ComputeStatus(tr, time.Hour, 0.05, 2, now.Add(1500*time.Millisecond))
	got := string(s.JSON())
	want := `{"status":"degraded","generated_at":"2026-04-16T12:00:01Z","tenants_active":7,"tenants_failing":3,"threshold":0.05,"alerts_firing":2}` + "\n"
	if got != want {
		t.Errorf("status\n got %s\nwant %s", got, want)
	}
}

// 100 active tenants: 5 failing is ok, 6 is degraded, and the status names
// no tenant or machine.
func TestStatusThreshold(t *testing.T) {
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		failing int
		want    string
	}{{5, StatusOK}, {6, StatusDegraded}} {
		tr := NewTenants(now)
		for i := range 100 {
			tr.Add(tenantEvent(30*time.Minute, fmt.Sprintf("t-%03d", i), i < tc.failing))
		}
		s := ComputeStatus(tr, time.Hour, DefaultThreshold, 0, now)
		if s.Status != tc.want || s.TenantsActive != 100 || s.TenantsFailing != tc.failing {
			t.Errorf("%d failing: %+v", tc.failing, s)
		}
		if j := string(s.JSON()); strings.Contains(j, "box-") || strings.Contains(j, "t-0") {
			t.Errorf("status names a machine or tenant: %s", j)
		}
	}
}
