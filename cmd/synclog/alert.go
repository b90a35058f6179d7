package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/synclog/synclog/pkg/alert"
	"github.com/synclog/synclog/pkg/ndjson"
)

// Default alert outputs, relative to --root.
const (
	DefaultAlertDir   = "state/log/alerts"
	DefaultStatusFile = "state/log/status.json"
)

type alertOptions struct {
	g *globalOptions

	Dir                 string
	StatusFile          string
	Window              spanValue
	MinFailures         int
	GroupBy             []string
	Lookback            spanValue
	StatusWindow        spanValue
	Threshold           float64
	Format              string
	Alertmanager        string
	ExitCode            bool
	Backtest            bool
	BacktestWindows     []string
	BacktestMinFailures []int
}

func newAlertCmd(g *globalOptions) *cobra.Command {
	o := &alertOptions{g: g}
	cmd := &cobra.Command{
		Use:   "alert [flags]",
		Short: "Write an alert file per failure cluster, and the tenant status",
		Long: `Alert reads the rows of the lookback (--lookback, 7d) once and finds failure
clusters. Per group (--group-by: repo and machine; also scope, op, trigger,
tenant), rows in ts order (ties in log order; rows after --now ignored), a
failure run is a maximal sequence of failed rows with no successful row of the
group between them and no gap longer than --window between two failures. A
run is a cluster when some --window-long span (ends included) holds at least
--min-failures of its failures. The first successful row of the group after
it resolves it; until then it stays firing, even when failures stop.

Each cluster has a file in --dir, sync-degraded-<id>.md, where <id> is the UTC
second of its first failure (20260416T191038Z; clusters starting in the same
second take -2, -3 in group order). It holds YAML front matter (alert, id,
status, the group, first_failure, last_failure, failures, last_error,
resolved_at, window, min_failures), every failed row (ts, machine, trigger,
op, error chain) and what to look at next. Files are written atomically, and
only when their bytes change: a rerun over the same log touches nothing.
The files are also all alert remembers beyond the lookback: a cluster that
began before it keeps its file's id and the rows that left the lookback, and
a cluster whose rows have all left it still fires, from its file, until the
group's next successful row. Files are never deleted.

stdout says what changed, one line per alert file written: new (no file
yet), grown (more failures), resolved (it fired, a success followed) or
updated (anything else, such as other thresholds); nothing when nothing
changed. --format json prints each as a JSON line instead.

--status-file gets the tenant status, counts only (no tenant, machine or
trigger names, since tenants may see it):
  {"status":"ok","generated_at":"2026-04-16T20:00:00Z","tenants_active":40,
   "tenants_failing":1,"threshold":0.05,"alerts_firing":1}
A tenant is active when it has a row in the last --status-window (1h) and
failing when its latest row there failed; the status is degraded when
failing/active > --threshold, exactly (5 of 100 is not above 0.05).

--alertmanager URL posts every cluster (those of the lookback, and those
still firing from before it) to Alertmanager's API v2 (POST /api/v2/alerts),
in one request, on every run: labels alertname="SyncDegraded",
the group's fields (repo, machine), severity="warning" and alert_id (the
cluster id); annotations summary, last_error and alert_file; startsAt the
first failure; endsAt resolved_at for a resolved cluster, and now + 1h for a
firing one, so Alertmanager keeps it firing while cron posts it and resolves
it by itself an hour after synclog stops. Each attempt times out after 10s;
a network error, a 5xx or a 429 is tried again after 0.5s, then 1s (three
attempts in all). A post that fails is reported on stderr and makes the
exit status 1; the files are written before it.

--backtest replays the lookback under a grid of --backtest-windows ×
--backtest-min-failures (5m,10m,30m × 2,3,5) and prints, per cell, how many
clusters would have fired, that count per week of lookback, and how long they
stayed firing (median and max, until now for those still firing). It writes
and posts nothing. Tune thresholds on a week of baseline, not on the
cold-start failures of the first days.

Lines of the logs that are not valid rows are skipped and counted on stderr
(--quiet hides that).

Exit status: 0 success; 1 a failure (a missing log, a read or write error, a
failed post to Alertmanager), or, with --exit-code, a cluster firing or the
status degraded; 2 a usage or configuration error.`,
		Example: `  synclog alert
  synclog alert --now 2026-04-16T20:00:00Z --format json
  synclog alert --window 15m --min-failures 5 --exit-code || echo "sync degraded"
  synclog alert --alertmanager http://127.0.0.1:9093
  synclog alert --group-by repo --lookback 14d
  synclog alert --backtest --lookback 7d
  synclog alert --backtest --backtest-windows 15m,1h --backtest-min-failures 4,8 --format json
  SYNCLOG_ALERT_WINDOW=30m synclog alert --exit-code`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAlert(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Dir, "dir", DefaultAlertDir, "directory of the alert files")
	fs.StringVar(&o.StatusFile, "status-file", DefaultStatusFile, "file the tenant status is written to")
	o.Window, o.Lookback, o.StatusWindow = spanValue(alert.DefaultWindow), spanValue(alert.DefaultLookback), spanValue(alert.DefaultStatusWindow)
	fs.Var(&o.Window, "window", "longest gap in a failure run, and the span that must hold --min-failures (90s, 10m, 1h)")
	fs.IntVar(&o.MinFailures, "min-failures", alert.DefaultMinFailures, "failures within --window that make a run a cluster")
	fs.StringSliceVar(&o.GroupBy, "group-by", alert.DefaultGroupBy, "fields a group is keyed by: "+strings.Join(alert.Fields, ", "))
	fs.Var(&o.Lookback, "lookback", "how far back rows are looked at (24h, 7d, 2w)")
	fs.Var(&o.StatusWindow, "status-window", "a tenant with a row this recent is active")
	fs.Float64Var(&o.Threshold, "threshold", alert.DefaultThreshold, "status is degraded when more than this share of active tenants is failing")
	fs.StringVar(&o.Format, "format", "text", "text or json")
	fs.StringVar(&o.Alertmanager, "alertmanager", "", "Alertmanager base URL to post the alerts to (http://127.0.0.1:9093)")
	fs.BoolVar(&o.ExitCode, "exit-code", false, "exit 1 when a cluster is firing or the status is degraded")
	fs.BoolVar(&o.Backtest, "backtest", false, "replay the lookback under a grid of thresholds; writes nothing")
	fs.StringSliceVar(&o.BacktestWindows, "backtest-windows", []string{"5m", "10m", "30m"}, "windows of the --backtest grid")
	fs.IntSliceVar(&o.BacktestMinFailures, "backtest-min-failures", alert.DefaultGridMinFailures, "min failures of the --backtest grid")
	for flag, key := range map[string]string{
		"dir":           "alert.dir",
		"status-file":   "alert.status_file",
		"window":        "alert.window",
		"min-failures":  "alert.min_failures",
		"group-by":      "alert.group_by",
		"lookback":      "alert.lookback",
		"status-window": "alert.status_window",
		"threshold":     "alert.tenant_threshold",
		"alertmanager":  "alert.alertmanager",
	} {
		setConfigKey(fs, flag, key)
	}
	// The output format, the exit status and the backtest are per call:
	// a config file must not change what cron's exit status means.
	for _, name := range []string{"format", "exit-code", "backtest", "backtest-windows", "backtest-min-failures"} {
		_ = fs.SetAnnotation(name, noConfigAnnotation, []string{"true"})
	}
	return cmd
}

// spanValue is a flag holding a positive duration, in Go's units plus days
// and weeks (90s, 10m, 7d, 2w).
type spanValue time.Duration

func (v *spanValue) String() string { return alert.FormatDuration(time.Duration(*v)) }
func (v *spanValue) Type() string   { return "duration" }
func (v *spanValue) Set(s string) error {
	d, err := parsePositiveDuration(s)
	if err != nil {
		return err
	}
	*v = spanValue(d)
	return nil
}

func parsePositiveDuration(s string) (time.Duration, error) {
	d, err := parseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration (90s, 10m, 7d)", s)
	}
	return d, nil
}

// options turns the flags into the library's options.
func (o *alertOptions) options() (*alert.Options, error) {
	g := o.g
	switch o.Format {
	case "text", "json":
	default:
		return nil, usageErrorf("--format %q: want text or json", o.Format)
	}
	opts := &alert.Options{
		Now:         g.now,
		GeneratedAt: g.now,
		MinFailures: o.MinFailures,
		Threshold:   o.Threshold,
		Stdin:       g.io.In,
	}
	opts.Window, opts.Lookback, opts.StatusWindow = time.Duration(o.Window), time.Duration(o.Lookback), time.Duration(o.StatusWindow)
	var err error
	if o.MinFailures < 1 {
		return nil, usageErrorf("--min-failures %d: want at least 1", o.MinFailures)
	}
	if opts.GroupBy, err = alert.ParseGroupBy(o.GroupBy); err != nil {
		return nil, usageErrorf("--group-by: %v", err)
	}
	if math.IsNaN(o.Threshold) || o.Threshold < 0 || o.Threshold > 1 {
		return nil, usageErrorf("--threshold %v: want a share from 0 to 1", o.Threshold)
	}
	if err := opts.Validate(); err != nil {
		return nil, usageErrorf("%v", err)
	}
	if o.Alertmanager != "" && !o.Backtest {
		if _, err := alert.AlertsURL(o.Alertmanager); err != nil {
			return nil, usageErrorf("--alertmanager: %v", err)
		}
	}
	for _, p := range []struct{ flag, val string }{{"dir", o.Dir}, {"status-file", o.StatusFile}} {
		if p.val == "" || p.val == "-" {
			return nil, usageErrorf("--%s %q: want a path", p.flag, p.val)
		}
	}
	opts.Dir, opts.StatusFile = g.path(o.Dir), g.path(o.StatusFile)
	if opts.Paths, err = g.logPaths(); err != nil {
		return nil, err
	}
	return opts, nil
}

func runAlert(ctx context.Context, o *alertOptions) error {
	g := o.g
	opts, err := o.options()
	if err != nil {
		return err
	}
	bar := g.startProgress("alert", opts.Paths)
	opts.OnProgress = bar.update()
	if o.Backtest {
		err := runBacktest(ctx, o, opts, bar)
		bar.done(err == nil)
		return err
	}
	res, err := alert.Run(ctx, opts)
	bar.done(err == nil)
	if res != nil {
		if res.Stats != nil && res.Stats.Skipped() > 0 {
			g.warnf("%s", skipReport(res.Stats, 3))
		}
		// Files written before a failure are still named.
		if werr := renderChanges(g.io.Out, o.Format, res.Changes); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	if o.Alertmanager != "" {
		client := &alert.Client{URL: o.Alertmanager}
		alerts := alert.Postable(res.Clusters, g.now, func(c *alert.Cluster) string {
			p := filepath.Join(opts.Dir, alert.FileName(c.ID))
			if abs, err := filepath.Abs(p); err == nil {
				return abs
			}
			return p
		})
		if err := client.Post(ctx, alerts); err != nil {
			return withCode(exitFailure, fmt.Errorf("alertmanager: %w", err))
		}
	}
	if o.ExitCode && (res.Firing() > 0 || res.Status.Status == alert.StatusDegraded) {
		return silentExit(exitFailure)
	}
	return nil
}

// renderChanges prints one line per alert file written.
func renderChanges(w io.Writer, format string, changes []alert.Change) error {
	var b bytes.Buffer
	for _, ch := range changes {
		c := ch.Cluster
		if format == "json" {
			b.WriteString(`{"change":`)
			b.Write(ndjson.AppendJSONString(nil, ch.Kind))
			jsonField(&b, "id", c.ID)
			jsonField(&b, "status", c.Status())
			b.WriteString(`,"group":{`)
			for i, l := range c.Group {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(ndjson.AppendJSONString(nil, l.Name))
				b.WriteByte(':')
				b.Write(ndjson.AppendJSONString(nil, l.Value))
			}
			b.WriteString(`},"failures":`)
			b.WriteString(strconv.Itoa(c.Count))
			jsonField(&b, "first_failure", ndjson.FormatTS(c.First))
			jsonField(&b, "last_failure", ndjson.FormatTS(c.Last))
			if !c.Firing() {
				jsonField(&b, "resolved_at", ndjson.FormatTS(c.ResolvedAt))
			}
			jsonField(&b, "file", ch.Path)
			b.WriteString("}\n")
			continue
		}
		fmt.Fprintf(&b, "%s %s status=%s", ch.Kind, c.ID, c.Status())
		for _, l := range c.Group {
			fmt.Fprintf(&b, " %s=%s", l.Name, logfmtValue(l.Value))
		}
		fmt.Fprintf(&b, " failures=%d first=%s last=%s", c.Count, ndjson.FormatTS(c.First), ndjson.FormatTS(c.Last))
		if !c.Firing() {
			fmt.Fprintf(&b, " resolved_at=%s", ndjson.FormatTS(c.ResolvedAt))
		}
		fmt.Fprintf(&b, " file=%s\n", logfmtValue(ch.Path))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func jsonField(b *bytes.Buffer, key, val string) {
	b.WriteByte(',')
	b.Write(ndjson.AppendJSONString(nil, key))
	b.WriteByte(':')
	b.Write(ndjson.AppendJSONString(nil, val))
}

// logfmtValue quotes a value that would not read back as one logfmt value.
func logfmtValue(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"=\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// backtestCell is one cell of the --backtest json output.
type backtestCell struct {
	Window              string  `json:"window"`
	MinFailures         int     `json:"min_failures"`
	Clusters            int     `json:"clusters"`
	PerWeek             float64 `json:"per_week"`
	MedianFiring        string  `json:"median_firing"`
	MedianFiringSeconds int64   `json:"median_firing_seconds"`
	MaxFiring           string  `json:"max_firing"`
	MaxFiringSeconds    int64   `json:"max_firing_seconds"`
	FiringNow           int     `json:"firing_now"`
}

// backtestReport is the --backtest json output.
type backtestReport struct {
	From     string         `json:"from"`
	To       string         `json:"to"`
	Lookback string         `json:"lookback"`
	GroupBy  []string       `json:"group_by"`
	Rows     int64          `json:"rows"`
	Failed   int64          `json:"failed"`
	Earliest *string        `json:"earliest"`
	Cells    []backtestCell `json:"cells"`
}

func runBacktest(ctx context.Context, o *alertOptions, opts *alert.Options, bar *scanProgress) error {
	g := o.g
	var windows []time.Duration
	for _, s := range o.BacktestWindows {
		for _, part := range strings.Split(s, ",") {
			d, err := parsePositiveDuration(part)
			if err != nil {
				return usageErrorf("--backtest-windows %v", err)
			}
			windows = append(windows, d)
		}
	}
	if len(windows) == 0 || len(o.BacktestMinFailures) == 0 {
		return usageErrorf("--backtest-windows and --backtest-min-failures: want at least one value each")
	}
	for _, m := range o.BacktestMinFailures {
		if m < 1 {
			return usageErrorf("--backtest-min-failures %d: want at least 1", m)
		}
	}
	d, _, st, err := alert.Read(ctx, opts)
	bar.done(err == nil)
	if st != nil && st.Skipped() > 0 {
		g.warnf("%s", skipReport(st, 3))
	}
	if err != nil {
		return err
	}
	bt := alert.RunBacktest(d, windows, o.BacktestMinFailures)
	earliest := "no row"
	if !bt.Earliest.IsZero() {
		earliest = "the earliest at " + ndjson.FormatTS(bt.Earliest)
	}
	g.warnf("backtest of %s to %s (%s): %d %s, %d failed, %s", ndjson.FormatTS(bt.From), ndjson.FormatTS(bt.To),
		alert.FormatDuration(opts.Lookback), bt.Rows, plural(bt.Rows, "row", "rows"), bt.Failed, earliest)

	if o.Format == "json" {
		rep := backtestReport{
			From: ndjson.FormatTS(bt.From), To: ndjson.FormatTS(bt.To), Lookback: alert.FormatDuration(opts.Lookback),
			GroupBy: opts.GroupBy, Rows: bt.Rows, Failed: bt.Failed, Cells: []backtestCell{},
		}
		if !bt.Earliest.IsZero() {
			s := ndjson.FormatTS(bt.Earliest)
			rep.Earliest = &s
		}
		for _, c := range bt.Cells {
			rep.Cells = append(rep.Cells, backtestCell{
				Window: alert.FormatDuration(c.Window), MinFailures: c.MinFailures, Clusters: c.Clusters,
				PerWeek:      roundTenth(c.PerWeek),
				MedianFiring: alert.FormatDuration(c.MedianFiring), MedianFiringSeconds: int64(c.MedianFiring.Round(time.Second) / time.Second),
				MaxFiring: alert.FormatDuration(c.MaxFiring), MaxFiringSeconds: int64(c.MaxFiring.Round(time.Second) / time.Second),
				FiringNow: c.FiringNow,
			})
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		_, err := g.io.Out.Write(b.Bytes())
		return err
	}
	header := []string{"window", "min_failures", "clusters", "per_week", "median_firing", "max_firing", "firing_now"}
	rows := make([][]string, 0, len(bt.Cells))
	for _, c := range bt.Cells {
		rows = append(rows, []string{
			alert.FormatDuration(c.Window), strconv.Itoa(c.MinFailures), strconv.Itoa(c.Clusters),
			strconv.FormatFloat(c.PerWeek, 'f', 1, 64),
			alert.FormatDuration(c.MedianFiring), alert.FormatDuration(c.MaxFiring), strconv.Itoa(c.FiringNow),
		})
	}
	return renderTable(g.io.Out, header, rows)
}

// roundTenth rounds to one decimal, as the text output shows it.
func roundTenth(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 1, 64), 64)
	return v
}
