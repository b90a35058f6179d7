package cost

import (
	"math/big"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// gib is one GiB in bytes, for readable test rows.
const gib int64 = GiB

func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad time %q: %v", s, err)
	}
	return v
}

// rat parses "a/b" or a decimal, for expectations written as fractions.
func rat(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad rat %q", s)
	}
	return r
}

func row(t testing.TB, at, op, tenant string, bytes int64) ndjson.Event {
	return ndjson.Event{TS: ts(t, at), Op: op, TenantID: tenant, Bytes: bytes, Repo: "r", Scope: "s"}
}

func failed(e ndjson.Event) ndjson.Event {
	e.Status = ndjson.StatusError
	e.Error = "boom"
	return e
}

func run(m PriceModel, now time.Time, rows []ndjson.Event) *Aggregator {
	a := NewAggregator(m, now)
	for i := range rows {
		a.Add(&rows[i])
	}
	return a
}

// want is the expected aggregate of one (period, tenant).
type want struct {
	period, tenant string
	exact          string // fraction or decimal
	cents          int64
	formatted      string // FormatExact(exact); "" to skip
}

func checkAggs(t *testing.T, got []Aggregate, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, g := range got {
			t.Logf("got %s %s %s (%s) %d", g.Period, g.Tenant, g.Exact.RatString(), FormatExact(g.Exact), g.Cents)
		}
		t.Fatalf("got %d aggregates, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.Period != w.period || g.Tenant != w.tenant {
			t.Errorf("#%d: got (%s, %s), want (%s, %s)", i, g.Period, g.Tenant, w.period, w.tenant)
			continue
		}
		if e := rat(t, w.exact); g.Exact.Cmp(e) != 0 {
			t.Errorf("%s %s: exact %s (%s), want %s", w.period, w.tenant, g.Exact.RatString(), FormatExact(g.Exact), e.RatString())
		}
		if g.Cents != w.cents {
			t.Errorf("%s %s: cents %d, want %d", w.period, w.tenant, g.Cents, w.cents)
		}
		if w.formatted != "" && FormatExact(g.Exact) != w.formatted {
			t.Errorf("%s %s: FormatExact %s, want %s", w.period, w.tenant, FormatExact(g.Exact), w.formatted)
		}
	}
}

// model returns the default model with the given keys overridden.
func model(t testing.TB, kv ...string) PriceModel {
	t.Helper()
	m := DefaultPriceModel()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := m.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return m
}
