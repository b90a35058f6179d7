package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/cost"
	"github.com/synclog/synclog/pkg/ndjson"
)

// DefaultCostOut is the aggregate file cost appends to, relative to --root.
const DefaultCostOut = "state/log/evals.aggregate.ndjson"

// costKind is the kind of the rows cost writes to the aggregate file.
const costKind = "sync_cost"

// maxMalformedReports bounds the malformed aggregate lines named on stderr.
const maxMalformedReports = 10

type costOptions struct {
	g *globalOptions

	Out         string
	Format      string
	Period      string
	Tenant      string
	Since       string
	Until       string
	LockTimeout time.Duration
	Prices      map[string]*priceValue // by cost.Keys
}

// priceValue is a flag holding a non-negative decimal, checked by
// cost.ParseRat when set.
type priceValue struct{ text string }

func (v *priceValue) String() string { return v.text }
func (v *priceValue) Type() string   { return "decimal" }
func (v *priceValue) Set(s string) error {
	if _, err := cost.ParseRat(s); err != nil {
		return err
	}
	v.text = strings.TrimSpace(s)
	return nil
}

// priceFlag is the flag of a price model key: stored_gib → stored-gib.
func priceFlag(key string) string { return strings.ReplaceAll(key, "_", "-") }

var priceUsage = map[string]string{
	cost.KeyBaseCentsPerMonth:  "flat monthly fee in cents, shared each day among the tenants with rows",
	cost.KeyIncludedStorageGiB: "GiB stored that the fee covers",
	cost.KeyIncludedEgressGiB:  "GiB pulled per calendar month that the fee covers",
	cost.KeyStorageCentsPerGiB: "cents per GiB-month stored beyond the included storage",
	cost.KeyEgressCentsPerGiB:  "cents per GiB pulled beyond the included egress",
	cost.KeyStoredGiB:          "GiB stored (the log does not record it)",
}

func (o *costOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Out, "out", DefaultCostOut, "aggregate file to append closed periods to; - prints every period instead")
	fs.StringVar(&o.Format, "format", "ndjson", "with --out -: ndjson, table (tab-separated when stdout is not a terminal) or json")
	fs.StringVar(&o.Period, "period", "day", "period of each aggregate: day, week (ISO, Monday first) or month, in UTC")
	fs.StringVar(&o.Tenant, "tenant", "", "only this tenant (default for rows without tenant_id)")
	fs.StringVar(&o.Since, "since", "", "only periods that end after this time: a duration back from now (24h, 7d, 2w), a date or RFC 3339")
	fs.StringVar(&o.Until, "until", "", "only periods that start at or before this time: a duration back from now, a date or RFC 3339")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 5*time.Second, "how long to wait for the aggregate file's lock")
	o.Prices = addPriceFlags(fs)
}

// addPriceFlags adds a flag per price model key, at its default, each bound
// to its pricing.* config key.
func addPriceFlags(fs *pflag.FlagSet) map[string]*priceValue {
	def := cost.DefaultPriceModel()
	prices := make(map[string]*priceValue, len(cost.Keys))
	for _, k := range cost.Keys {
		r, _ := def.Get(k)
		v := &priceValue{text: r.RatString()}
		prices[k] = v
		fs.Var(v, priceFlag(k), priceUsage[k])
		setConfigKey(fs, priceFlag(k), "pricing."+k)
	}
	return prices
}

// priceModel is the model the price flags hold.
func priceModel(prices map[string]*priceValue) (cost.PriceModel, error) {
	var model cost.PriceModel
	for _, k := range cost.Keys {
		if err := model.Set(k, prices[k].text); err != nil {
			return model, usageErrorf("%v", err)
		}
	}
	if err := model.Validate(); err != nil {
		return model, usageErrorf("%v", err)
	}
	return model, nil
}

func newCostCmd(g *globalOptions) *cobra.Command {
	o := &costOptions{g: g}
	cmd := &cobra.Command{
		Use:   "cost [flags]",
		Short: "Append the cost of each tenant per closed period to the aggregate file",
		Long: `Price the sync traffic of the logs per (tenant, period) and append one
sync_cost row for every closed period (one that ended at or before --now) that
the aggregate file (--out, config cost.out) does not hold yet, in period then
tenant order, under a lock. Running it again appends nothing; running it after
another day closes appends that day only. A row already in the file is never
rewritten, even when late rows would change it.

  {"kind":"sync_cost","period":"2026-04-16","tenant_id":"t-042","runs":12,
   "bytes_pushed":81234,"bytes_pulled":0,"cost_usd_cents":1,
   "cost_exact_cents":"0.084615","generated_at":"2026-04-17T00:05:00Z"}

Periods are UTC calendar days, ISO weeks (2026-W16) or months (2026-04),
whatever --tz says. Each day's base fee (and storage beyond the included
storage) is shared among the tenants with rows that day in proportion to
their bytes; pulls beyond each month's included egress are charged to the
tenant that pulled them. Amounts are exact; cost_usd_cents rounds half up,
and a positive amount under a cent becomes 1 cent. Every price is a flag and a
config key (pricing.base_cents_per_month, ...); SYNCLOG_PRICING_STORED_GIB sets
stored_gib from the environment.

--tenant keeps one tenant's rows; the others are still read, since they share
the day's fee, but nothing of them is shown or written. --since and --until
keep the periods that overlap [since, until].

--out - prints every period instead, open ones included, as ndjson, a table
with a total line (the sum of the rounded cents and the exact sum), or one
JSON object.

Rows of other kinds in the aggregate file are left alone, and a sync_cost row
of another period kind (a week while --period is day) never counts as
present. A line of the file that is not valid is reported on stderr as
'path:line: what is wrong' (unless --quiet) and left as it is: the file's
bytes are never rewritten, the missing rows are still appended, and the
exit status stays 0. Lines of the logs that are not valid rows are skipped
and counted on stderr (--quiet hides the count).

Exit status: 0 success; 1 a failure (a missing log, a read or write error, a
lock not had in time); 2 a usage or configuration error, such as a price that
is not a non-negative decimal.`,
		Example: `  synclog cost
  synclog cost --out - --format table --period week
  synclog cost --out - --format json --tenant t-042 --since 7d
  synclog cost --stored-gib 400 --egress-cents-per-gib 0.5
  SYNCLOG_PRICING_BASE_CENTS_PER_MONTH=1000 synclog cost --out -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCost(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	o.addFlags(fs)
	setConfigKey(fs, "out", "cost.out")
	setConfigKey(fs, "period", "cost.period")
	// Filters and the output format are per call, never configuration:
	// SYNCLOG_TENANT must not silently drop rows from the aggregate file.
	for _, name := range []string{"format", "tenant", "since", "until"} {
		_ = fs.SetAnnotation(name, noConfigAnnotation, []string{"true"})
	}
	setConfigKey(fs, "lock-timeout", "lock_timeout")
	return cmd
}

// costRow is one sync_cost row; the field order is the key order.
type costRow struct {
	Kind           string `json:"kind"`
	Period         string `json:"period"`
	TenantID       string `json:"tenant_id"`
	Runs           int64  `json:"runs"`
	BytesPushed    int64  `json:"bytes_pushed"`
	BytesPulled    int64  `json:"bytes_pulled"`
	CostUSDCents   int64  `json:"cost_usd_cents"`
	CostExactCents string `json:"cost_exact_cents"`
	GeneratedAt    string `json:"generated_at"`
}

// costReport is the --format json output.
type costReport struct {
	GeneratedAt     string    `json:"generated_at"`
	PeriodKind      string    `json:"period_kind"`
	Rows            []costRow `json:"rows"`
	TotalCents      int64     `json:"total_cents"`
	TotalExactCents string    `json:"total_exact_cents"`
}

func runCost(ctx context.Context, o *costOptions) error {
	g := o.g
	kind, err := cost.ParsePeriodKind(o.Period)
	if err != nil {
		return usageErrorf("--period %q: want day, week or month", o.Period)
	}
	toStdout := o.Out == "-"
	switch o.Format {
	case "ndjson", "table", "json":
	default:
		return usageErrorf("--format %q: want ndjson, table or json", o.Format)
	}
	if !toStdout && o.Format != "ndjson" {
		return usageErrorf("--format %s prints: it needs --out -", o.Format)
	}
	if o.Out == "" {
		return usageErrorf("--out: empty path")
	}
	since, err := parseTimeBound(o.Since, g.now)
	if err != nil {
		return usageErrorf("--since: %v", err)
	}
	until, err := parseTimeBound(o.Until, g.now)
	if err != nil {
		return usageErrorf("--until: %v", err)
	}
	if !since.IsZero() && !until.IsZero() && since.After(until) {
		return usageErrorf("--since %s is after --until %s", o.Since, o.Until)
	}
	model, err := priceModel(o.Prices)
	if err != nil {
		return err
	}
	paths, err := g.logPaths()
	if err != nil {
		return err
	}

	agg := cost.NewAggregator(model, g.now)
	bar := g.startProgress("cost", paths)
	st, err := ndjson.ReadEvents(ctx, paths, ndjson.ReadOptions{ScanOptions: ndjson.ScanOptions{OnProgress: bar.update()}},
		func(r *ndjson.Row) error {
			agg.Add(&r.Event)
			return nil
		})
	bar.done(err == nil)
	if err != nil {
		return err
	}
	if st != nil && st.Skipped() > 0 {
		g.warnf("%s", skipReport(st, 3))
	}

	generatedAt := g.now.UTC().Truncate(time.Second).Format(time.RFC3339)
	var aggs []cost.Aggregate
	for _, a := range agg.Aggregates(kind) {
		if o.Tenant != "" && a.Tenant != o.Tenant {
			continue
		}
		if !since.IsZero() && !a.End.After(since) {
			continue
		}
		if !until.IsZero() && a.Start.After(until) {
			continue
		}
		if !toStdout && !a.Closed {
			continue
		}
		aggs = append(aggs, a)
	}

	if toStdout {
		return renderCost(g.io.Out, o.Format, kind, generatedAt, aggs)
	}
	return appendCost(ctx, o, kind, generatedAt, aggs)
}

func toCostRow(a *cost.Aggregate, generatedAt string) costRow {
	return costRow{
		Kind: costKind, Period: a.Period, TenantID: a.Tenant, Runs: a.Runs,
		BytesPushed: a.BytesPushed, BytesPulled: a.BytesPulled,
		CostUSDCents: a.Cents, CostExactCents: cost.FormatExact(a.Exact), GeneratedAt: generatedAt,
	}
}

// encodeCostRows writes rows as compact JSON lines without HTML escaping.
func encodeCostRows(w io.Writer, rows []costRow) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func renderCost(w io.Writer, format string, kind cost.PeriodKind, generatedAt string, aggs []cost.Aggregate) error {
	rows := make([]costRow, 0, len(aggs))
	for i := range aggs {
		rows = append(rows, toCostRow(&aggs[i], generatedAt))
	}
	cents, exact := cost.Totals(aggs)
	switch format {
	case "json":
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(costReport{
			GeneratedAt: generatedAt, PeriodKind: kind.String(), Rows: rows,
			TotalCents: cents, TotalExactCents: cost.FormatExact(exact),
		}); err != nil {
			return err
		}
		_, err := w.Write(b.Bytes())
		return err
	case "table":
		header := []string{"tenant", "period", "runs", "pushed", "pulled", "cents", "exact"}
		cells := make([][]string, 0, len(rows)+1)
		var runs, pushed, pulled int64
		for _, r := range rows {
			runs += r.Runs
			pushed += r.BytesPushed
			pulled += r.BytesPulled
			cells = append(cells, []string{r.TenantID, r.Period, costInt(r.Runs), costInt(r.BytesPushed),
				costInt(r.BytesPulled), costInt(r.CostUSDCents), r.CostExactCents})
		}
		cells = append(cells, []string{"total", "", costInt(runs), costInt(pushed), costInt(pulled),
			costInt(cents), cost.FormatExact(exact)})
		return renderTable(w, header, cells)
	default:
		var b bytes.Buffer
		if err := encodeCostRows(&b, rows); err != nil {
			return err
		}
		_, err := w.Write(b.Bytes())
		return err
	}
}

func costInt(n int64) string { return strconv.FormatInt(n, 10) }

// appendCost appends the closed aggregates the file does not hold yet. The
// file is read and appended to under the appender's lock, so two runs at
// once never append a row twice, and the file is created only when there
// is a row to append: a run killed at any point leaves the file as it was,
// or with every new row.
func appendCost(ctx context.Context, o *costOptions, kind cost.PeriodKind, generatedAt string, aggs []cost.Aggregate) error {
	g := o.g
	path := g.path(o.Out)
	if len(aggs) == 0 {
		// Nothing to append: still name what is wrong in the file.
		_, err := readCostKeys(path, kind, g)
		return err
	}
	app := &ndjson.Appender{Path: path, LockTimeout: o.LockTimeout}
	return app.AppendWith(ctx, func() ([]byte, error) {
		present, err := readCostKeys(path, kind, g)
		if err != nil {
			return nil, err
		}
		var rows []costRow
		for i := range aggs {
			if !present[costKey{aggs[i].Period, aggs[i].Tenant}] {
				rows = append(rows, toCostRow(&aggs[i], generatedAt))
			}
		}
		if len(rows) == 0 {
			return nil, nil
		}
		var b bytes.Buffer
		if err := encodeCostRows(&b, rows); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	})
}

// costKey is a (period label, tenant) already in the aggregate file.
type costKey struct{ period, tenant string }

// readCostKeys returns the (period, tenant) pairs of the sync_cost rows of
// kind in the aggregate file, reporting its malformed lines on stderr. A
// missing file holds nothing.
func readCostKeys(path string, kind cost.PeriodKind, g *globalOptions) (map[costKey]bool, error) {
	present := map[costKey]bool{}
	// A symbolic link or a FIFO is refused before it is opened, as the
	// appender refuses it: opening a FIFO would wait for a writer forever.
	if fi, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return present, nil
	} else if err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, costDescribeMode(fi.Mode()))
	}
	f, err := ndjson.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var bad int
	var line int64
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
			text := bytes.TrimSuffix(bytes.TrimSuffix(b, []byte{'\n'}), []byte{'\r'})
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte{0xEF, 0xBB, 0xBF})
			}
			if len(bytes.TrimSpace(text)) > 0 {
				k, rowKind, msg := parseCostLine(text)
				switch {
				case msg != "":
					bad++
					if bad <= maxMalformedReports && !g.Quiet {
						fmt.Fprintf(g.io.Err, "%s:%d: %s\n", path, line, msg)
					}
				case rowKind == kind && k != nil:
					present[*k] = true
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if bad > maxMalformedReports && !g.Quiet {
		fmt.Fprintf(g.io.Err, "%s: … and %d more malformed %s\n", path, bad-maxMalformedReports,
			plural(int64(bad-maxMalformedReports), "line", "lines"))
	}
	return present, nil
}

// costDescribeMode says what a file that is not a regular file is.
func costDescribeMode(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	}
	return m.Type().String()
}

// parseCostLine reads one line of the aggregate file. It returns the key and
// period kind of a sync_cost row, nil for a row of another kind, or what is
// wrong with the line.
func parseCostLine(line []byte) (*costKey, cost.PeriodKind, string) {
	v, err := ndjson.ParseValue(line)
	if err != nil {
		return nil, 0, "invalid JSON: " + err.Error()
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, 0, "not a JSON object"
	}
	kv, ok := obj["kind"]
	if !ok {
		return nil, 0, `no "kind" key`
	}
	k, ok := kv.(string)
	if !ok {
		return nil, 0, `"kind" is not a string`
	}
	if k != costKind {
		return nil, 0, "" // another kind: left alone
	}
	period, ok := obj["period"].(string)
	if !ok {
		return nil, 0, costKind + ` row without a string "period"`
	}
	pk, ok := costPeriodKindOf(period)
	if !ok {
		return nil, 0, fmt.Sprintf("%s row: period %q is not a day (2026-04-16), ISO week (2026-W16) or month (2026-04)", costKind, period)
	}
	tenant, ok := obj["tenant_id"].(string)
	if !ok || tenant == "" {
		return nil, 0, costKind + ` row without a string "tenant_id"`
	}
	return &costKey{period, tenant}, pk, ""
}

// costPeriodKindOf recognises a period label.
func costPeriodKindOf(label string) (cost.PeriodKind, bool) {
	if t, err := time.Parse("2006-01-02", label); err == nil && t.Format("2006-01-02") == label {
		return cost.Day, true
	}
	if t, err := time.Parse("2006-01", label); err == nil && t.Format("2006-01") == label {
		return cost.Month, true
	}
	if len(label) == 8 && label[4] == '-' && label[5] == 'W' && costAllDigits(label[:4]) && costAllDigits(label[6:]) {
		if w, _ := strconv.Atoi(label[6:]); w >= 1 && w <= 53 {
			return cost.Week, true
		}
	}
	return 0, false
}

func costAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
