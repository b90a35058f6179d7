package main

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/synclog/synclog/pkg/metrics"
	"github.com/synclog/synclog/pkg/ndjson"
)

// textfileName is the file --textfile writes in its directory.
const textfileName = "synclog.prom"

type metricsOptions struct {
	g         *globalOptions
	Namespace string
	Textfile  string
}

func newMetricsCmd(g *globalOptions) *cobra.Command {
	o := &metricsOptions{g: g}
	cmd := &cobra.Command{
		Use:   "metrics [flags]",
		Short: "Print the Prometheus metrics of the event logs",
		Long: `Metrics reads the event logs once and prints their Prometheus text
exposition (format 0.0.4), every row counted whatever triggered it:

  <ns>_sync_runs_total{trigger}                  counter, runs
  <ns>_sync_errors_total{trigger}                counter, failed runs
  <ns>_sync_duration_seconds                     summary, _sum and _count only
  <ns>_sync_bytes_total{op}                      counter, bytes transferred
  <ns>_sync_last_success_timestamp_seconds{machine}
                                                 gauge, Unix time of the latest
                                                 successful push
  <ns>_sync_log_rows_skipped_total               counter, lines that are not rows

<ns> is --namespace (metrics.namespace, default writestead, the prefix the
seed's Grafana queries use). Families and series are sorted and label values
escaped as the format says: the same logs give the same bytes. Counters count
every row of the logs, including rows after --now.

--textfile DIR writes DIR/synclog.prom for node_exporter's textfile collector
instead of printing, atomically (a temporary file in DIR, synced, renamed), so
node_exporter never reads half of it. For a long-running exporter that follows
the log, see 'synclog serve'.

Lines that are not valid rows are counted in the metrics and named by
file:line on stderr (--quiet hides that).

Exit status: 0 success; 1 a failure (a missing log, a read or write error);
2 a usage or configuration error.`,
		Example: `  synclog metrics
  synclog metrics --namespace synclog | promtool check metrics
  synclog metrics --textfile /var/lib/prometheus/node-exporter   # from cron`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMetrics(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Namespace, "namespace", metrics.DefaultNamespace, "prefix of every metric name")
	fs.StringVar(&o.Textfile, "textfile", "", "write DIR/"+textfileName+" atomically instead of printing")
	setConfigKey(fs, "namespace", "metrics.namespace")
	setConfigKey(fs, "textfile", "metrics.textfile")
	return cmd
}

func runMetrics(ctx context.Context, o *metricsOptions) error {
	g := o.g
	if err := metrics.ValidNamespace(o.Namespace); err != nil {
		return usageErrorf("--namespace: %v", err)
	}
	paths, err := g.logPaths()
	if err != nil {
		return err
	}
	counts := metrics.NewCounts()
	st, err := ndjson.ReadEvents(ctx, paths, ndjson.ReadOptions{
		ScanOptions: ndjson.ScanOptions{Stdin: g.io.In},
		Lean:        true,
	}, func(r *ndjson.Row) error {
		counts.Add(&r.Event)
		return nil
	})
	if st != nil && st.Skipped() > 0 {
		g.warnf("%s", skipReport(st, 3))
	}
	if err != nil {
		return err
	}
	counts.AddSkipped(st.Skipped())
	out, err := metrics.Exposition(metrics.Registry(o.Namespace, counts))
	if err != nil {
		return err
	}
	if o.Textfile == "" {
		_, err := g.io.Out.Write(out)
		return err
	}
	return ndjson.WriteFileAtomic(filepath.Join(g.path(o.Textfile), textfileName), out, 0o644)
}
