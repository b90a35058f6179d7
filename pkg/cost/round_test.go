package cost

import (
	"math"
	"strings"
	"testing"
)

func TestRoundCents(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"0.000001", 1}, // above 0, below 1: never shows a run as free
		{"1/1610612736", 1},
		{"0.4999", 1},
		{"0.5", 1},
		{"0.9999999", 1},
		{"1", 1},
		{"1.4999", 1},
		{"1.5", 2},
		{"2.4999", 2},
		{"2.5", 3}, // half up, not half even
		{"3.5", 4},
		{"50/3", 17},
		{"25/6", 4},
		{"25/2", 13},
		{"1000000000000000.5", 1000000000000001},
		{"9223372036854775806.5", math.MaxInt64},
		{"9223372036854775807.4", math.MaxInt64},
		{"100000000000000000000000000000", math.MaxInt64}, // saturates
		{"-0.3", -1},
		{"-1.5", -2},
	}
	for _, tt := range tests {
		if got := RoundCents(rat(t, tt.in)); got != tt.want {
			t.Errorf("RoundCents(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if got := RoundCents(nil); got != 0 {
		t.Errorf("RoundCents(nil) = %d, want 0", got)
	}
}

func TestFormatExact(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0", "0.000000"},
		{"1", "1.000000"},
		{"11/130", "0.084615"}, // 0.0846153846…
		{"1/3", "0.333333"},
		{"2/3", "0.666667"},
		{"0.0000005", "0.000001"}, // half up
		{"0.00000049", "0.000000"},
		{"1.2345675", "1.234568"},
		{"1.2345665", "1.234567"}, // half up, not half even
		{"25/1610612736", "0.000000"},
		{"3139/31", "101.258065"},
		{"123456789012345678901.5", "123456789012345678901.500000"},
	}
	for _, tt := range tests {
		if got := FormatExact(rat(t, tt.in)); got != tt.want {
			t.Errorf("FormatExact(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := FormatExact(nil); got != "0.000000" {
		t.Errorf("FormatExact(nil) = %s", got)
	}
}

func TestParseRat(t *testing.T) {
	good := []struct{ in, want string }{
		{"2", "2"}, {"0.02", "1/50"}, {"1024", "1024"}, {"0.5", "1/2"},
		{" 250 ", "250"}, {".5", "1/2"}, {"5.", "5"}, {"010", "10"}, {"0", "0"},
	}
	for _, tt := range good {
		r, err := ParseRat(tt.in)
		if err != nil {
			t.Errorf("ParseRat(%q): %v", tt.in, err)
			continue
		}
		if r.Cmp(rat(t, tt.want)) != 0 {
			t.Errorf("ParseRat(%q) = %s, want %s", tt.in, r.RatString(), tt.want)
		}
	}
	for _, in := range []string{"", " ", ".", "-1", "+1", "1/3", "1e3", "0x10", "1.2.3", "abc", "NaN", "1_000"} {
		if r, err := ParseRat(in); err == nil {
			t.Errorf("ParseRat(%q) = %s, want an error", in, r.RatString())
		}
	}
}

func TestPriceModel(t *testing.T) {
	m := DefaultPriceModel()
	wants := map[string]string{
		KeyBaseCentsPerMonth: "500", KeyIncludedStorageGiB: "250", KeyIncludedEgressGiB: "1024",
		KeyStorageCentsPerGiB: "2", KeyEgressCentsPerGiB: "1", KeyStoredGiB: "0",
	}
	for _, k := range Keys {
		v, err := m.Get(k)
		if err != nil || v.Cmp(rat(t, wants[k])) != 0 {
			t.Errorf("default %s = %v, %v; want %s", k, v, err, wants[k])
		}
	}
	if err := m.Set(KeyStoredGiB, "300.5"); err != nil {
		t.Fatal(err)
	}
	if m.StoredGiB.Cmp(rat(t, "601/2")) != 0 {
		t.Errorf("StoredGiB = %s", m.StoredGiB.RatString())
	}
	if err := m.Set("nope", "1"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Set(nope) = %v", err)
	}
	if err := m.Set(KeyBaseCentsPerMonth, "-1"); err == nil {
		t.Error("Set(-1) succeeded")
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	m.EgressCentsPerGiB = rat(t, "-1")
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), KeyEgressCentsPerGiB) {
		t.Errorf("Validate(negative) = %v", err)
	}
	// The aggregator keeps its own copy; nil fields count as 0.
	var zero PriceModel
	a := NewAggregator(zero, ts(t, "2026-04-16T00:00:00Z"))
	zero.BaseCentsPerMonth = rat(t, "500")
	if got := a.Model().BaseCentsPerMonth; got == nil || got.Sign() != 0 {
		t.Errorf("Model().BaseCentsPerMonth = %v, want 0", got)
	}
}
