package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/synclog/synclog/pkg/ndjson"
	"github.com/synclog/synclog/pkg/report"
)

// DefaultSummaryOut is the dashboard summarize writes, relative to --root.
const DefaultSummaryOut = "state/log/sync-summary.md"

// summarizeMemoryLimit is summarize's soft memory limit (see runSummarize).
const summarizeMemoryLimit = 40 << 20

type summarizeOptions struct {
	g          *globalOptions
	Format     string
	Out        string
	StaleAfter time.Duration
	Prices     map[string]*priceValue
}

func newSummarizeCmd(g *globalOptions) *cobra.Command {
	o := &summarizeOptions{g: g}
	cmd := &cobra.Command{
		Use:   "summarize [flags]",
		Short: "Rebuild the sync dashboard from the event logs",
		Long: `Summarize reads the event logs once, on every core, and writes the dashboard
a person opens to see how sync is doing: pushes per hour over the last 24
hours, bytes per day over the last 7 days, failure rate per repo, the last
successful push of every machine (stale after --stale-after), runs and errors
per trigger, and the week's storage cost.

--now is the present: rows after it are ignored everywhere, and the last 7
days are now-7d <= ts <= now. Hours and days are buckets in --tz; each hour is
a real hour, so a DST day has 23 or 25 of them.

--format markdown (the default) writes --out atomically (a temporary file
renamed over it, so a reader sees the old dashboard or the new one, never a
part); --out - prints it. --format json prints one object; --format table
draws the same as terminal tables with bar sparklines.
Same logs and --now give byte-identical output.

Lines that are not valid rows are skipped, counted per source and reason in
the header, and named by file:line on stderr (--quiet hides that).

Exit status: 0 success; 1 a failure (a missing log, a read or write error);
2 a usage or configuration error.`,
		Example: `  synclog summarize
  synclog summarize --out - --now 2026-04-16T20:00:00Z
  synclog summarize --format json --tz America/New_York | jq '.repos[] | select(.errors > 0)'
  synclog summarize --format table --log 'state/log/sync-events*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSummarize(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Format, "format", "markdown", "markdown, json or table")
	fs.StringVar(&o.Out, "out", DefaultSummaryOut, "dashboard file for --format markdown; - prints it")
	fs.DurationVar(&o.StaleAfter, "stale-after", report.DefaultStaleAfter, "a machine whose last successful push is older than this is stale")
	o.Prices = addPriceFlags(fs)
	setConfigKey(fs, "out", "summarize.out")
	setConfigKey(fs, "stale-after", "stale_after")
	_ = fs.SetAnnotation("format", noConfigAnnotation, []string{"true"})
	return cmd
}

func runSummarize(ctx context.Context, o *summarizeOptions) error {
	g := o.g
	switch o.Format {
	case "markdown", "json", "table":
	default:
		return usageErrorf("--format %q: want markdown, json or table", o.Format)
	}
	if o.Out == "" {
		return usageErrorf("--out: empty path")
	}
	if o.StaleAfter <= 0 {
		return usageErrorf("--stale-after %s: want a positive duration", o.StaleAfter)
	}
	model, err := priceModel(o.Prices)
	if err != nil {
		return err
	}
	paths, err := g.logPaths()
	if err != nil {
		return err
	}
	// What a pass allocates is chunk buffers, dead once merged: a soft
	// limit makes the collector return them early, so peak memory stays
	// flat whatever the size of the logs. GOMEMLIMIT overrides it.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(summarizeMemoryLimit)
	}
	generated := g.now
	if !g.nowGiven {
		generated = g.clock()
	}
	bar := g.startProgress("summarize", paths)
	s, err := report.Build(ctx, paths, report.Options{
		OnProgress:  bar.update(),
		Now:         g.now,
		GeneratedAt: generated.Truncate(time.Second),
		Loc:         g.loc,
		StaleAfter:  o.StaleAfter,
		Prices:      model,
		Stdin:       g.io.In,
	})
	bar.done(err == nil)
	if err != nil {
		return err
	}
	if s.Skipped > 0 {
		g.warnf("%s", skipReport(&ndjson.Stats{Sources: s.Sources}, 3))
	}
	switch o.Format {
	case "json":
		return report.WriteJSON(g.io.Out, s)
	case "table":
		for i, t := range s.Tables() {
			if i > 0 {
				fmt.Fprintln(g.io.Out)
			}
			fmt.Fprintf(g.io.Out, "%s\n", t.Title)
			if err := drawTable(g.io.Out, t.Header, t.Rows); err != nil {
				return err
			}
		}
		return nil
	}
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, s); err != nil {
		return err
	}
	if o.Out == "-" {
		_, err := g.io.Out.Write(buf.Bytes())
		return err
	}
	return ndjson.WriteFileAtomic(g.path(o.Out), buf.Bytes(), 0o644)
}
