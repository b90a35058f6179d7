package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/ndjson"
	"github.com/synclog/synclog/pkg/query"
)

type queryOptions struct {
	g *globalOptions

	Compact, Raw, Join, Slurp, NullInput, ExitStatus, Tab, SortKeys bool
	Indent                                                          int
	Args, ArgJSON                                                   []string
	Since, Until                                                    string
	Repo, Machine, Tenant, Op, Status, Trigger                      string
	Table, Strict                                                   bool
	ColorOut, Monochrome                                            bool
}

func (o *queryOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVarP(&o.Compact, "compact-output", "c", false, "one value per line, no indentation")
	fs.BoolVarP(&o.Raw, "raw-output", "r", false, "print strings without quotes")
	fs.BoolVarP(&o.Join, "join-output", "j", false, "like -r, with no newline after each output")
	fs.BoolVarP(&o.Slurp, "slurp", "s", false, "run the program once on an array of every row")
	fs.BoolVarP(&o.NullInput, "null-input", "n", false, "run the program once on null; rows come from input and inputs")
	fs.BoolVarP(&o.ExitStatus, "exit-status", "e", false, "exit 1 if the last output is false or null, 4 if there is none")
	fs.BoolVar(&o.Tab, "tab", false, "indent with tabs")
	fs.BoolVarP(&o.ColorOut, "color-output", "C", false, "color the JSON as jq does (default: when stdout is a terminal; see --color)")
	fs.BoolVarP(&o.Monochrome, "monochrome-output", "M", false, "never color the JSON")
	fs.IntVar(&o.Indent, "indent", 2, "spaces of indentation (0 to 7)")
	fs.BoolVarP(&o.SortKeys, "sort-keys", "S", false, "sort object keys (always done; accepted for jq compatibility)")
	fs.StringArrayVar(&o.Args, "arg", nil, "`NAME VALUE`: set $NAME to the string VALUE")
	fs.StringArrayVar(&o.ArgJSON, "argjson", nil, "`NAME JSON`: set $NAME to the JSON value")
	fs.StringVar(&o.Since, "since", "", "only rows at or after this time: a duration back from now (24h, 7d, 2w) or RFC 3339")
	fs.StringVar(&o.Until, "until", "", "only rows at or before this time: a duration back from now or RFC 3339")
	fs.StringVar(&o.Repo, "repo", "", "only rows of this repo")
	fs.StringVar(&o.Machine, "machine", "", "only rows of this machine")
	fs.StringVar(&o.Tenant, "tenant", "", "only rows of this tenant (default for rows without tenant_id)")
	fs.StringVar(&o.Op, "op", "", "only push or only pull rows")
	fs.StringVar(&o.Status, "status", "", "only ok or only error rows")
	fs.StringVar(&o.Trigger, "trigger", "", "only rows with this trigger")
	fs.BoolVar(&o.Table, "table", false, "print outputs as a table (tab-separated when stdout is not a terminal)")
	fs.BoolVar(&o.Strict, "strict", false, "fail (exit 1) when a line is not a valid row, instead of skipping it")
}

func newQueryCmd(g *globalOptions) *cobra.Command {
	o := &queryOptions{g: g}
	cmd := &cobra.Command{
		Use:   "query [flags] [FILTER] [FILE...]",
		Short: "Run a jq program over every row of the logs",
		Long: `Run a jq program (gojq's dialect of jq) over every valid row of the logs, in
order, using every core. The flags are jq's. FILTER defaults to '.'; FILEs,
when given, are read instead of --log.

Pre-filters (--since --until --repo --machine --tenant --op --status
--trigger) drop rows before the program sees them, cheaply. Lines that are not
valid rows are skipped and counted on stderr (--quiet hides the count;
--strict makes them an error). Object keys are printed sorted. JSON is
colored as jq colors it when stdout is a terminal (see --color and
$NO_COLOR), always with -C, never with -M.

Exit status: 0 success; 1 with -e when the last output is false or null, or
with --strict when a line was skipped, or on a read error; 2 a usage error or
a program that does not compile; 4 with -e when there was no output; 5 a
runtime error in the program; halt_error's own status.`,
		Example: `  synclog query -c 'select(.status=="error") | {ts, repo, error}'
  synclog query -r --since 24h --op push '.machine' | sort | uniq -c
  synclog query -s 'group_by(.repo) | map({repo: .[0].repo, runs: length})'
  synclog query --arg r snappy-os -e 'select(.repo==$r) | .status=="error"'
  synclog query --table --status error '{ts, repo, machine, error}'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd, o, args)
		},
	}
	o.addFlags(cmd.Flags())
	// Pre-filters and jq flags are per call, never configuration.
	commandLineOnly(cmd.Flags())
	return cmd
}

func runQuery(cmd *cobra.Command, o *queryOptions, args []string) error {
	g := o.g
	program := "."
	if len(args) > 0 {
		program, args = args[0], args[1:]
	}
	if o.Indent < 0 || o.Indent > 7 {
		return usageErrorf("--indent %d: want 0 to 7", o.Indent)
	}
	qo := query.Options{
		Program: program, Compact: o.Compact, Raw: o.Raw, Join: o.Join, Slurp: o.Slurp,
		NullInput: o.NullInput, ExitStatus: o.ExitStatus, Tab: o.Tab, Indent: o.Indent,
		Stdin: g.io.In,
		Color: !o.Monochrome && (o.ColorOut || g.useColor(g.io.Out)),
	}
	for _, a := range o.Args {
		name, val, ok := strings.Cut(a, "=")
		if !ok {
			return usageErrorf("--arg takes a name and a value")
		}
		qo.Args = append(qo.Args, query.Arg{Name: name, Value: val})
	}
	for _, a := range o.ArgJSON {
		name, val, ok := strings.Cut(a, "=")
		if !ok {
			return usageErrorf("--argjson takes a name and a JSON text")
		}
		v, err := ndjson.ParseValue([]byte(val))
		if err != nil {
			return usageErrorf("--argjson %s: invalid JSON text: %v", name, err)
		}
		qo.Args = append(qo.Args, query.Arg{Name: name, Value: v})
	}
	var err error
	if qo.Pre.Since, err = parseTimeBound(o.Since, g.now); err != nil {
		return usageErrorf("--since: %v", err)
	}
	if qo.Pre.Until, err = parseTimeBound(o.Until, g.now); err != nil {
		return usageErrorf("--until: %v", err)
	}
	if o.Op != "" && o.Op != ndjson.OpPush && o.Op != ndjson.OpPull {
		return usageErrorf("--op %q: want push or pull", o.Op)
	}
	if o.Status != "" && o.Status != ndjson.StatusOK && o.Status != ndjson.StatusError {
		return usageErrorf("--status %q: want ok or error", o.Status)
	}
	qo.Pre.Repo, qo.Pre.Machine, qo.Pre.Tenant = o.Repo, o.Machine, o.Tenant
	qo.Pre.Op, qo.Pre.Status, qo.Pre.Trigger = o.Op, o.Status, o.Trigger
	if o.Table {
		qo.Table = func(values []any) error {
			header, rows := query.Tabulate(values)
			return renderTable(g.io.Out, header, rows)
		}
	}

	var paths []string
	if len(args) > 0 {
		if paths, err = ndjson.ExpandPaths("", args); err != nil {
			return usageErrorf("%v", err)
		}
	} else if paths, err = g.logPaths(); err != nil {
		return err
	}

	// Outputs come while the rows are read: a bar would be drawn over
	// them on a terminal, so there is one only when stdout goes elsewhere.
	bar := &scanProgress{}
	if !g.isTerminal(g.io.Out) {
		bar = g.startProgress("query", paths)
	}
	qo.OnProgress = bar.update()
	res, err := query.Run(cmd.Context(), paths, qo, g.io.Out, g.io.Err)
	bar.done(err == nil)
	if err != nil {
		var ce *query.CompileError
		if errors.As(err, &ce) {
			return withCode(exitUsage, err)
		}
		return err
	}
	if st := res.Stats; st != nil && st.Skipped() > 0 {
		if o.Strict {
			return fmt.Errorf("%s", skipReport(st, 5))
		}
		g.warnf("%s", skipReport(st, 3))
	}
	if res.ExitCode != 0 {
		return silentExit(res.ExitCode)
	}
	return nil
}

// skipReport says how many lines were skipped, naming the first few.
func skipReport(st *ndjson.Stats, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "skipped %d %s", st.Skipped(), plural(st.Skipped(), "line that is not a valid row", "lines that are not valid rows"))
	for _, ex := range st.Examples(n) {
		fmt.Fprintf(&b, "\n  %s", ex)
	}
	if st.Skipped() > int64(n) {
		fmt.Fprintf(&b, "\n  … and %d more", st.Skipped()-int64(min(int64(n), st.Skipped())))
	}
	return b.String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// normalizeJQArgs turns jq's two-value flags, --arg NAME VALUE and
// --argjson NAME JSON, into the one-value form cobra parses (NAME=VALUE).
func normalizeJQArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if (a == "--arg" || a == "--argjson") && i+2 < len(args) && !strings.Contains(args[i+1], "=") {
			out = append(out, a+"="+args[i+1]+"="+args[i+2])
			i += 2
			continue
		}
		out = append(out, a)
	}
	return out
}
