// Package cost estimates what the sync traffic in the event log costs on a flat-rate object store, per tenant and UTC calendar period.
package cost

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// GiB is the number of bytes in one GiB (2^30).
const GiB = 1 << 30

// Configuration keys of the price model.
const (
	KeyBaseCentsPerMonth  = "base_cents_per_month"
	KeyIncludedStorageGiB = "included_storage_gib"
	KeyIncludedEgressGiB  = "included_egress_gib"
	KeyStorageCentsPerGiB = "storage_cents_per_gib"
	KeyEgressCentsPerGiB  = "egress_cents_per_gib"
	KeyStoredGiB          = "stored_gib"
)

// Keys lists the configuration keys of PriceModel in a stable order.
var Keys = []string{
	KeyBaseCentsPerMonth, KeyIncludedStorageGiB, KeyIncludedEgressGiB,
	KeyStorageCentsPerGiB, KeyEgressCentsPerGiB, KeyStoredGiB,
}

// PriceModel holds the prices of the store, all exact. A nil field counts as
// zero. Amounts are in US cents; sizes are in GiB (2^30 bytes).
type PriceModel struct {
	BaseCentsPerMonth  *big.Rat // flat monthly fee
	IncludedStorageGiB *big.Rat // storage covered by the fee
	IncludedEgressGiB  *big.Rat // egress (pulled bytes) per calendar month covered by the fee
	StorageCentsPerGiB *big.Rat // monthly price of each GiB stored beyond the included storage
	EgressCentsPerGiB  *big.Rat // price of each GiB pulled beyond the included egress
	StoredGiB          *big.Rat // gauge set by the user: the log does not record stored size
}

// DefaultPriceModel returns the DigitalOcean Spaces prices: 500 cents a month
// including 250 GiB stored and 1024 GiB egress, then 2 cents per GiB-month
// stored and 1 cent per GiB pulled; StoredGiB is 0.
func DefaultPriceModel() PriceModel {
	return PriceModel{
		BaseCentsPerMonth:  big.NewRat(500, 1),
		IncludedStorageGiB: big.NewRat(250, 1),
		IncludedEgressGiB:  big.NewRat(1024, 1),
		StorageCentsPerGiB: big.NewRat(2, 1),
		EgressCentsPerGiB:  big.NewRat(1, 1),
		StoredGiB:          new(big.Rat),
	}
}

func (m *PriceModel) field(key string) **big.Rat {
	switch key {
	case KeyBaseCentsPerMonth:
		return &m.BaseCentsPerMonth
	case KeyIncludedStorageGiB:
		return &m.IncludedStorageGiB
	case KeyIncludedEgressGiB:
		return &m.IncludedEgressGiB
	case KeyStorageCentsPerGiB:
		return &m.StorageCentsPerGiB
	case KeyEgressCentsPerGiB:
		return &m.EgressCentsPerGiB
	case KeyStoredGiB:
		return &m.StoredGiB
	}
	return nil
}

// Set parses value with ParseRat and stores it in the field named by key
// (one of Keys, e.g. "egress_cents_per_gib").
func (m *PriceModel) Set(key, value string) error {
	f := m.field(key)
	if f == nil {
		return fmt.Errorf("cost: unknown price key %q (want one of %s)", key, strings.Join(Keys, ", "))
	}
	r, err := ParseRat(value)
	if err != nil {
		return fmt.Errorf("cost: %s: %w", key, err)
	}
	*f = r
	return nil
}

// Get returns a copy of the value of the field named by key, 0 when unset.
func (m PriceModel) Get(key string) (*big.Rat, error) {
	f := m.field(key)
	if f == nil {
		return nil, fmt.Errorf("cost: unknown price key %q (want one of %s)", key, strings.Join(Keys, ", "))
	}
	return ratOrZero(*f), nil
}

// Validate reports an error when a field is negative.
func (m PriceModel) Validate() error {
	var errs []error
	for _, k := range Keys {
		if r := *m.field(k); r != nil && r.Sign() < 0 {
			errs = append(errs, fmt.Errorf("cost: %s must not be negative, got %s", k, r.RatString()))
		}
	}
	return errors.Join(errs...)
}

// Clone returns a deep copy of m in which nil fields are set to 0.
func (m PriceModel) Clone() PriceModel {
	var c PriceModel
	for _, k := range Keys {
		*c.field(k) = ratOrZero(*m.field(k))
	}
	return c
}

func ratOrZero(r *big.Rat) *big.Rat {
	if r == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Set(r)
}

// ParseRat parses a non-negative decimal number such as "2", "0.02", "1024"
// or "0.5" exactly. Surrounding spaces are ignored; signs, exponents,
// fractions like "1/3" and base prefixes are rejected.
func ParseRat(s string) (*big.Rat, error) {
	t := strings.TrimSpace(s)
	digits, dot := 0, false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			digits = -1
			i = len(t)
		}
	}
	if digits <= 0 {
		return nil, fmt.Errorf("invalid number %q: want a non-negative decimal such as 2, 0.02 or 1024", s)
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return nil, fmt.Errorf("invalid number %q: want a non-negative decimal such as 2, 0.02 or 1024", s)
	}
	return r, nil
}

var (
	ratOne = big.NewRat(1, 1)
	bigTwo = big.NewInt(2)
)

// RoundCents rounds an exact amount of cents to whole cents: 0 stays 0, an
// amount above 0 and below 1 becomes 1 (a run that cost something never shows
// as free), and anything else is rounded half up (2.5 becomes 3). Negative
// amounts, which a valid model never produces, are rounded symmetrically. The
// result saturates at math.MaxInt64. A nil amount is 0.
func RoundCents(exact *big.Rat) int64 {
	if exact == nil || exact.Sign() == 0 {
		return 0
	}
	if exact.Sign() < 0 {
		return -RoundCents(new(big.Rat).Neg(exact))
	}
	if exact.Cmp(ratOne) < 0 {
		return 1
	}
	// floor(x + 1/2) = floor((2*num + den) / (2*den)); both are positive.
	num := new(big.Int).Mul(exact.Num(), bigTwo)
	num.Add(num, exact.Denom())
	den := new(big.Int).Mul(exact.Denom(), bigTwo)
	num.Quo(num, den)
	if !num.IsInt64() {
		return math.MaxInt64
	}
	return num.Int64()
}

// FormatExact renders an exact amount of cents with 6 decimals, rounding the
// last one half up (half away from zero), e.g. "0.084615". A nil amount is
// "0.000000".
func FormatExact(exact *big.Rat) string {
	if exact == nil {
		return "0.000000"
	}
	return exact.FloatString(6)
}
