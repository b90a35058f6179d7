package alert

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Status values.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
)

// Status is the tenant-level status: counts only, never a tenant id, a
// machine id or a trigger, since every tenant may see it.
type Status struct {
	Status         string  `json:"status"`
	GeneratedAt    string  `json:"generated_at"`
	TenantsActive  int     `json:"tenants_active"`
	TenantsFailing int     `json:"tenants_failing"`
	Threshold      float64 `json:"threshold"`
	AlertsFiring   int     `json:"alerts_firing"`
}

// JSON is the status as written to status.json: one compact line.
func (s *Status) JSON() []byte {
	b, _ := json.Marshal(s)
	return append(b, '\n')
}

// Tenants keeps the latest row of every tenant up to now.
type Tenants struct {
	now    time.Time
	latest map[string]tenantRow
	seq    int64
}

type tenantRow struct {
	ts     time.Time
	seq    int64
	failed bool
}

// NewTenants returns an empty tracker; rows after now are ignored.
func NewTenants(now time.Time) *Tenants {
	return &Tenants{now: now, latest: make(map[string]tenantRow)}
}

// Add takes one row; rows must come in log order (ties in ts keep it).
func (t *Tenants) Add(e *ndjson.Event) {
	t.seq++
	if e.TS.After(t.now) {
		return
	}
	name := e.Tenant()
	old, ok := t.latest[name]
	if ok && e.TS.Before(old.ts) {
		return // ties: the later row in the log is the later row
	}
	if !ok {
		name = strings.Clone(name)
	}
	t.latest[name] = tenantRow{ts: e.TS, seq: t.seq, failed: e.Failed()}
}

// Counts returns the tenants active in [now-window, now] (with a row in it)
// and, of them, those whose latest row failed.
func (t *Tenants) Counts(window time.Duration) (active, failing int) {
	from := t.now.Add(-window)
	for _, r := range t.latest {
		if r.ts.Before(from) {
			continue
		}
		active++
		if r.failed {
			failing++
		}
	}
	return active, failing
}

// Degraded reports whether failing/active > threshold, computed exactly on
// the threshold's shortest decimal form, so 5 of 100 is not above 0.05.
func Degraded(failing, active int, threshold float64) bool {
	if active == 0 {
		return false
	}
	t, ok := new(big.Rat).SetString(strconv.FormatFloat(threshold, 'g', -1, 64))
	if !ok {
		return false
	}
	share := big.NewRat(int64(failing), int64(active))
	return share.Cmp(t) > 0
}

// ComputeStatus builds the status from the tenants, the firing clusters
// and the threshold.
func ComputeStatus(t *Tenants, window time.Duration, threshold float64, firing int, generatedAt time.Time) Status {
	active, failing := t.Counts(window)
	s := Status{
		Status:         StatusOK,
		GeneratedAt:    generatedAt.UTC().Truncate(time.Second).Format(time.RFC3339),
		TenantsActive:  active,
		TenantsFailing: failing,
		Threshold:      threshold,
		AlertsFiring:   firing,
	}
	if Degraded(failing, active, threshold) {
		s.Status = StatusDegraded
	}
	return s
}
