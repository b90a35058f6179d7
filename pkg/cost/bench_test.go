package cost

import (
	"fmt"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// addSynthetic adds n rows: 50 tenants, about 90 days, mostly in ts order
// with every 16th row 2 hours late, pushes and pulls alternating, enough
// pulled bytes to exceed the monthly allowance.
func addSynthetic(a *Aggregator, n int, tenants []string) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 90 * 24 * time.Hour / time.Duration(n)
	var e ndjson.Event
	for i := 0; i < n; i++ {
		e.TS = start.Add(time.Duration(i) * step)
		if i%16 == 0 {
			e.TS = e.TS.Add(-2 * time.Hour)
		}
		e.TenantID = tenants[(i*7)%len(tenants)]
		if i%2 == 0 {
			e.Op, e.Bytes = ndjson.OpPush, int64(i%4096)*1024
		} else {
			e.Op, e.Bytes = ndjson.OpPull, int64(i%1024)*(8<<20)
		}
		a.Add(&e)
	}
}

func benchTenants() []string {
	t := make([]string, 50)
	for i := range t {
		t[i] = "t-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return t
}

// BenchmarkAggregator adds 1M rows of 50 tenants in turn (many), or of
// 13 named like a real log's (few): "default" and t-001..t-012.
func BenchmarkAggregator(b *testing.B) {
	few := []string{""}
	for i := 1; i <= 12; i++ {
		few = append(few, fmt.Sprintf("t-%03d", i))
	}
	for _, bc := range []struct {
		name    string
		tenants []string
	}{{"many", benchTenants()}, {"few", few}} {
		b.Run(bc.name, func(b *testing.B) {
			now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			for b.Loop() {
				a := NewAggregator(DefaultPriceModel(), now)
				addSynthetic(a, 1_000_000, bc.tenants)
			}
		})
	}
}

func BenchmarkAggregates(b *testing.B) {
	a := NewAggregator(DefaultPriceModel(), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	addSynthetic(a, 1_000_000, benchTenants())
	b.ReportAllocs()
	for b.Loop() {
		a.Aggregates(Month)
	}
}
