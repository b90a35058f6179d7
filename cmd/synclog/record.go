package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/ndjson"
	"github.com/synclog/synclog/pkg/record"
)

type recordOptions struct {
	g *globalOptions

	Op, Repo, Scope, Trigger, Machine string
	Files, Bytes, DurMS, FilesTotal   int64
	ManifestBefore, ManifestAfter     string
	Tenant, Status, Error, SessionID  string
	TS                                string
	JSON, Hook                        bool
	LockTimeout                       time.Duration
	Durability                        string
}

func (o *recordOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Op, "op", "", "push or pull")
	fs.StringVar(&o.Repo, "repo", "", "repository synced")
	fs.StringVar(&o.Scope, "scope", "", "part of the repository synced")
	fs.StringVar(&o.Trigger, "trigger", "", "what started the run: stop-hook, cron, cli, mcp, write, edit, background (default: stop-hook with --hook, else cli)")
	fs.StringVar(&o.Machine, "machine", "", "machine id (default: the host name)")
	fs.Int64Var(&o.Files, "files", 0, "files transferred")
	fs.Int64Var(&o.Bytes, "bytes", 0, "bytes transferred")
	fs.Int64Var(&o.DurMS, "dur-ms", 0, "duration in milliseconds")
	fs.Int64Var(&o.FilesTotal, "files-total", 0, "files in the manifest")
	fs.StringVar(&o.ManifestBefore, "manifest-before", "", "manifest hash before the run")
	fs.StringVar(&o.ManifestAfter, "manifest-after", "", "manifest hash after the run")
	fs.StringVar(&o.Tenant, "tenant", "", "tenant id")
	fs.StringVar(&o.Status, "status", "", "ok or error (default: ok, or from the wrapped command's exit status)")
	fs.StringVar(&o.Error, "error", "", "the error chain, outermost first, joined by ': '")
	fs.StringVar(&o.SessionID, "session-id", "", "the Claude Code session that triggered the run")
	fs.StringVar(&o.TS, "ts", "", "RFC 3339 start time of the run (default: now, UTC, to the second)")
	fs.BoolVar(&o.JSON, "json", false, "read rows from stdin, one JSON object per line; all are appended or none")
	fs.BoolVar(&o.Hook, "hook", false, "read a Claude Code hook payload from stdin and keep its session_id")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 5*time.Second, "how long to wait for the log's lock")
	fs.StringVar(&o.Durability, "durability", "fsync", "fsync: fdatasync every append; none: leave it to the kernel")
}

func newRecordCmd(g *globalOptions) *cobra.Command {
	o := &recordOptions{g: g}
	cmd := &cobra.Command{
		Use:   "record [flags] [-- CMD ARGS...]",
		Short: "Append one row to the event log",
		Long: `Append one row to the event log, under a lock, with one write.

The row comes from flags; or from stdin with --json (one object per line,
all appended together or none); or from wrapping the sync command itself:
'synclog record [flags] -- CMD ARGS...' runs CMD with its stdio passed
through, times it, takes status from its exit status and error from the end
of its stderr, merges the JSON stats CMD writes to the file named by
$SYNCLOG_STATS (files, bytes, manifest_before, manifest_after, files_total),
appends the row and exits with CMD's exit status.

With --hook, a Claude Code hook payload is read from stdin (at most 1 MiB,
within 2s; empty or invalid input is tolerated) and its session_id kept.

record prints nothing on stdout. --log names the one file it appends to.

Exit status: 0 appended; 1 any failure of its own, bad flags included (never
2: a Stop hook's exit 2 keeps Claude from finishing); with '-- CMD', CMD's
exit status.`,
		Example: `  synclog record --op push --repo snappy-os --scope state --files 7 --bytes 12483 --dur-ms 842 --trigger cli
  synclog record --op push --repo snappy-os --scope state --trigger stop-hook --hook -- ob sync push
  synclog query -c 'select(.repo=="snappy-os")' | synclog record --json --log /tmp/copy.ndjson`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRecord(cmd.Context(), o, cmd.Flags(), args, cmd.ArgsLenAtDash())
		},
	}
	o.addFlags(cmd.Flags())
	setConfigKey(cmd.Flags(), "lock-timeout", "lock_timeout")
	// The facts of one row come from the command line only: a stray
	// SYNCLOG_STATUS or status: in a config file must never rewrite every
	// row appended. Settings (machine, tenant, trigger, lock_timeout,
	// durability) may come from the environment and the config file.
	for _, name := range []string{"op", "repo", "scope", "files", "bytes", "dur-ms", "files-total",
		"manifest-before", "manifest-after", "status", "error", "session-id", "ts", "json", "hook"} {
		_ = cmd.Flags().SetAnnotation(name, noConfigAnnotation, []string{"true"})
	}
	return cmd
}

func runRecord(ctx context.Context, o *recordOptions, fs *pflag.FlagSet, args []string, dash int) error {
	g := o.g
	if dash < 0 && len(args) > 0 {
		return usageErrorf("unexpected argument %q (put the command to wrap after --)", args[0])
	}
	if dash > 0 {
		return usageErrorf("unexpected argument %q before --", args[0])
	}
	if len(g.Logs) > 1 {
		return usageErrorf("record appends to one --log, got %d", len(g.Logs))
	}
	var durable bool
	switch o.Durability {
	case "fsync":
		durable = true
	case "none":
	default:
		return usageErrorf("--durability %q: want fsync or none", o.Durability)
	}
	app := &ndjson.Appender{Path: g.path(g.logPatterns()[0]), LockTimeout: o.LockTimeout, NoSync: !durable}

	if o.JSON {
		if o.Hook || len(args) > 0 {
			return usageErrorf("--json reads rows from stdin: it cannot go with --hook or a wrapped command")
		}
		rows, _, err := record.ParseRows("stdin", g.io.In)
		if err != nil {
			return err
		}
		return app.Append(ctx, rows)
	}

	e, set, err := o.event(fs)
	if err != nil {
		return err
	}
	stdin := g.io.In
	if o.Hook {
		e.SessionID = record.ReadHookPayload(g.io.In)
		if fs.Changed("session-id") {
			e.SessionID = o.SessionID
		}
		stdin = nil // the payload was the wrapped command's stdin
	}
	if len(args) == 0 {
		if err := record.Validate(e); err != nil {
			return err
		}
		return app.Append(ctx, e.AppendJSON(nil))
	}

	// Check the row before running anything, so a bad flag never costs a sync.
	probe := *e
	if probe.Status == "" {
		probe.Status = ndjson.StatusOK
	}
	if err := record.Validate(&probe); err != nil && !(set.Status && e.Status == ndjson.StatusError) {
		return err
	}
	if stdin == nil {
		devnull, err := os.Open(os.DevNull)
		if err == nil {
			defer devnull.Close()
			stdin = devnull
		}
	}
	w, err := record.Run(ctx, args, stdin, g.io.Out, g.io.Err)
	if err != nil {
		return err
	}
	if w.StatsErr != nil {
		g.warnf("%v (stats ignored)", w.StatsErr)
	}
	w.Merge(e, set)
	if e.Status == ndjson.StatusError && e.Error == "" {
		e.Error = "failed"
	}
	appendErr := app.Append(ctx, e.AppendJSON(nil))
	if w.ExitCode != 0 {
		if appendErr != nil {
			fmt.Fprintf(g.io.Err, "synclog: %v\n", appendErr)
		}
		return silentExit(w.ExitCode)
	}
	return appendErr
}

// event builds the row from flags.
func (o *recordOptions) event(fs *pflag.FlagSet) (*ndjson.Event, record.Set, error) {
	g := o.g
	set := record.Set{
		Files: fs.Changed("files"), Bytes: fs.Changed("bytes"), DurMS: fs.Changed("dur-ms"),
		ManifestBefore: fs.Changed("manifest-before"), ManifestAfter: fs.Changed("manifest-after"),
		FilesTotal: fs.Changed("files-total"), Status: o.Status != "", Error: fs.Changed("error"),
	}
	e := &ndjson.Event{
		Op: o.Op, Repo: o.Repo, Scope: o.Scope, Trigger: o.Trigger, Machine: o.Machine,
		Files: o.Files, Bytes: o.Bytes, DurMS: o.DurMS,
		ManifestBefore: o.ManifestBefore, ManifestAfter: o.ManifestAfter,
		TenantID: o.Tenant, Status: o.Status, Error: o.Error, SessionID: o.SessionID,
	}
	if fs.Changed("files-total") || o.FilesTotal != 0 {
		e.FilesTotal, e.HasFilesTotal = o.FilesTotal, true
	}
	if e.Trigger == "" {
		e.Trigger = "cli"
		if o.Hook {
			e.Trigger = "stop-hook"
		}
	}
	if e.Machine == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "unknown"
		}
		e.Machine = h
	}
	if o.TS != "" {
		t, err := ndjson.ParseTS([]byte(o.TS))
		if err != nil {
			return nil, set, usageErrorf("--ts %q: not an RFC 3339 time with a zone", o.TS)
		}
		e.TS = t
	} else {
		e.TS = g.now.UTC().Truncate(time.Second)
	}
	if e.Status == "" && e.Error == "" {
		e.Status = ndjson.StatusOK
	} else if e.Status == "" {
		e.Status = ndjson.StatusError
	}
	return e, set, nil
}
