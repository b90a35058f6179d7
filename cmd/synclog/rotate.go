package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/rotate"
)

type rotateOptions struct {
	g           *globalOptions
	Keep        string
	DryRun      bool
	LockTimeout time.Duration
}

func (o *rotateOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Keep, "keep", "30d", "keep rows newer than this in the log (90m, 24h, 30d, 2w)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "say what would move, change nothing")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 5*time.Second, "how long to wait for the log's lock")
}

func newRotateCmd(g *globalOptions) *cobra.Command {
	o := &rotateOptions{g: g}
	cmd := &cobra.Command{
		Use:   "rotate [flags]",
		Short: "Move old rows of the event log into monthly gzip archives",
		Long: `Rotate moves the rows of the event log older than --keep (before --now
minus --keep) into gzip archives beside it, one per UTC month of the row's
ts: state/log/sync-events.ndjson gives sync-events-2026-03.ndjson.gz. An
archive that exists gets a new gzip member. Every other line stays in the
log, in order and byte for byte: newer rows, blank lines, and lines that are
not valid rows or a torn last line, which are reported on stderr.

A first pass reads the log without record's lock; the second reads what was
appended meanwhile, under the lock, which it keeps until the log is
replaced: a concurrent record waits only that long and never loses a row.
The archives and the new log are written as temporary files and fsynced, a
journal is written, and only then are they renamed into place, the log last. A rotation killed at
any point leaves the old files or a journal that the next rotation finishes
first; no row is lost, and none is left in both an archive and the log once
that rotation has run.

Just before the new log is renamed into place, rotate writes beside it
.<log>.rotated (for sync-events.ndjson, .sync-events.ndjson.rotated): the
device and inode of the old log and the new, and how many bytes at the start
of the new log are lines it kept from the old one. 'synclog serve', which
counted those lines in the old log, goes on after them instead of counting
them again.

Readers read the archives transparently:
  synclog summarize --log 'state/log/sync-events*'
sees every row. --log names the one log to rotate, not a glob.

Prints one line per archive and a total; --dry-run prints what would move
and changes nothing.

Exit status: 0 rotated, or nothing to move; 1 a failure (a missing log, the
lock not had in time, an archive that is not a regular file, a write
error); 2 a usage or configuration error.`,
		Example: `  synclog rotate
  synclog rotate --keep 90d --dry-run
  synclog rotate --log /var/lib/sync/sync-events.ndjson --keep 2w`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRotate(cmd.Context(), o)
		},
	}
	o.addFlags(cmd.Flags())
	setConfigKey(cmd.Flags(), "keep", "rotate.keep")
	setConfigKey(cmd.Flags(), "lock-timeout", "lock_timeout")
	_ = cmd.Flags().SetAnnotation("dry-run", noConfigAnnotation, []string{"true"})
	return cmd
}

func runRotate(ctx context.Context, o *rotateOptions) error {
	g := o.g
	keep, err := parseDuration(o.Keep)
	if err != nil || keep <= 0 {
		return usageErrorf("--keep %q: want a positive duration (90m, 24h, 30d, 2w)", o.Keep)
	}
	pats := g.logPatterns()
	if len(pats) != 1 || pats[0] == "-" || strings.ContainsAny(pats[0], "*?[") {
		return usageErrorf("rotate takes one --log file, not %q", strings.Join(pats, ", "))
	}
	log := g.path(pats[0])
	before := g.now.Add(-keep)
	res, err := rotate.Rotate(ctx, rotate.Options{Log: log, Before: before, DryRun: o.DryRun, LockTimeout: o.LockTimeout})
	if err != nil {
		return err
	}
	if res.Recovered {
		g.warnf("finished an interrupted rotation of %s first", displayPath(log))
	}
	if res.Pending {
		g.warnf("an interrupted rotation of %s will be finished first", displayPath(log))
	}
	if res.Bad > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "kept %d %s in %s", res.Bad, plural(res.Bad, "line that is not a valid row", "lines that are not valid rows"), displayPath(log))
		for i, ex := range res.Examples {
			if i == 3 {
				fmt.Fprintf(&b, "\n  … and %d more", res.Bad-3)
				break
			}
			fmt.Fprintf(&b, "\n  %s", ex)
		}
		g.warnf("%s", b.String())
	}
	if res.Torn {
		g.warnf("kept the torn last line of %s (a write that died or is in flight)", displayPath(log))
	}
	verb := "moved"
	if o.DryRun {
		verb = "would move"
	}
	out := g.io.Out
	for _, a := range res.Archives {
		fmt.Fprintf(out, "%s %d %s to %s\n", verb, a.Rows, plural(a.Rows, "row", "rows"), displayPath(a.Path))
	}
	fmt.Fprintf(out, "%s %d %s older than %s; %d %s and %d other %s stay in %s\n",
		verb, res.Moved, plural(res.Moved, "row", "rows"), before.UTC().Format(time.RFC3339),
		res.Kept, plural(res.Kept, "row", "rows"), res.Bad+res.Blank+boolCount(res.Torn),
		plural(res.Bad+res.Blank+boolCount(res.Torn), "line", "lines"), displayPath(log))
	return nil
}

func boolCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
