package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/lint"
)

type lintOptions struct {
	g *globalOptions

	Format      string
	FailOn      string
	MinSeverity string
	ExitZero    bool
	Since       string
	Enable      []string
	Disable     []string
	ListRules   bool
	Skew        time.Duration
	Tick        time.Duration
	MassChange  float64
	Triggers    []string
	MaxPerRule  int
	Summary     string
	Aggregate   string
}

func (o *lintOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Format, "format", "text", "text, json, sarif or github")
	fs.StringVar(&o.FailOn, "fail-on", "warning", "exit 1 when a finding is at or above this severity: error, warning or info")
	fs.StringVar(&o.MinSeverity, "min-severity", "warning", "hide findings below this severity: error, warning or info")
	fs.BoolVar(&o.ExitZero, "exit-zero", false, "exit 0 even when there are findings")
	fs.StringVar(&o.Since, "since", "", "check only rows from this time on: a duration back from now (24h, 7d), a date or RFC 3339")
	fs.StringSliceVar(&o.Enable, "enable", nil, "run RULE even when lint.disable lists it; repeatable, or comma separated")
	fs.StringSliceVar(&o.Disable, "disable", nil, "do not run RULE; repeatable, or comma separated")
	fs.BoolVar(&o.ListRules, "list-rules", false, "print every rule with its severity, what it catches and how to fix it")
	fs.DurationVar(&o.Skew, "skew", lint.DefaultSkew, "clock skew allowed before out-of-order and future-ts")
	fs.DurationVar(&o.Tick, "tick", lint.DefaultTick, "a dashboard older than this is stale")
	fs.Float64Var(&o.MassChange, "mass-change", lint.DefaultMassChange, "a push touching more than this fraction of files_total is a mass change")
	fs.StringSliceVar(&o.Triggers, "triggers", lint.DefaultTriggers, "the triggers a row may have")
	fs.IntVar(&o.MaxPerRule, "max-per-rule", lint.DefaultMaxPerRule, "show at most this many findings of one rule (0: all); the rest are counted")
	fs.StringVar(&o.Summary, "summary", DefaultSummaryOut, "the dashboard whose age stale-summary checks")
	fs.StringVar(&o.Aggregate, "aggregate", DefaultCostOut, "the cost aggregate file")
}

func newLintCmd(g *globalOptions) *cobra.Command {
	o := &lintOptions{g: g}
	cmd := &cobra.Command{
		Use:   "lint [flags] [FILES]",
		Short: "Check the logs, the dashboard, the aggregate file and the sync policy for drift",
		Long: `Lint reports drift before it becomes an incident, one finding a line:

  state/log/sync-events.ndjson:1042: error: missing key "dur_ms" [missing-field]

Without FILES it checks the event logs (--log), the dashboard (--summary,
config summarize.out), the cost aggregate file (--aggregate, config cost.out)
and the sync policy. FILES may be named instead, relative to the working
directory, with globs: a name ending in .md is a dashboard, one with the
aggregate file's base name an aggregate file, any other (- for stdin) an
event log, .gz read as such. The sync policy is checked only without FILES.

--list-rules prints every rule with its severity, what it catches and how to
fix it. The row rules stream over the logs on every core; their memory grows
with the (repo, scope) groups, and with the rows only by the 64-bit hash and
position duplicate-row keeps per distinct row (--disable duplicate-row drops
it). Out-of-order and manifest-chain start afresh in each log file.

Settings (flag, SYNCLOG_* environment, config file):
  lint.skew 5m            out-of-order and future-ts tolerance (--skew)
  lint.mass_change 0.5    mass-change threshold (--mass-change)
  lint.triggers [...]     allowed triggers (--triggers)
  lint.tick 15m           stale-summary age (--tick)
  lint.fail_on, lint.min_severity, lint.max_per_rule
  lint.disable [RULE...]  rules not run; --disable adds, --enable takes away
                          (SYNCLOG_LINT_DISABLE, SYNCLOG_LINT_ENABLE)
  lint.severity.RULE      a rule's severity: error, warning or info
                          (SYNCLOG_LINT_SEVERITY_BAD_TS=warning)
  sync.allow, sync.deny   the sync policy's globs, unless SYNC_ALLOW and
                          SYNC_DENY are set (colon or newline separated)

Policy globs are relative to --root, as in .gitignore: * and ? stay in one
path segment, ** spans segments, a glob without a slash matches a name at any
depth, and a glob matching a directory matches what is under it. The policy
is not checked while both lists are empty.

--format text (the default) prints to stdout and closes with a count on
stderr (--quiet hides it); json prints one array of {path, line, severity,
rule, message}; sarif a SARIF 2.1.0 log for code scanning; github workflow
commands that annotate the files in GitHub Actions. Line 0 in json (no line
elsewhere) means the whole file. --min-severity hides findings below it, so a
healthy state prints nothing; --fail-on below it shows those findings too, so
an exit 1 always comes with what caused it. At most --max-per-rule findings
of one rule are shown; the rest are counted. There is no inline suppression:
log rows are data, not code; use --disable or lint.disable, or --since to
look at recent rows only.

Exit status: 0 no finding at or above --fail-on (or --exit-zero); 1 findings
at or above --fail-on, or a file that cannot be read; 2 a usage or
configuration error, such as an unknown rule, severity or format.`,
		Example: `  synclog lint
  synclog lint --now 2026-04-17T00:00:00Z --log 'state/log/sync-events*'
  synclog lint --format sarif > synclog.sarif
  synclog lint --format github --fail-on error
  synclog lint --since 24h --disable duplicate-row
  synclog lint --min-severity info state/log/sync-events.ndjson
  SYNC_DENY=state/log/sync-events.ndjson SYNC_ALLOW=state/log/evals.aggregate.ndjson synclog lint
  synclog lint --list-rules`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd.Context(), o, args)
		},
	}
	fs := cmd.Flags()
	o.addFlags(fs)
	for name, key := range map[string]string{
		"fail-on": "lint.fail_on", "min-severity": "lint.min_severity", "skew": "lint.skew", "tick": "lint.tick",
		"mass-change": "lint.mass_change", "triggers": "lint.triggers", "max-per-rule": "lint.max_per_rule",
		"summary": "summarize.out", "aggregate": "cost.out",
	} {
		setConfigKey(fs, name, key)
	}
	// The output and what to look at this time are per call: SYNCLOG_SINCE
	// must not silently narrow a pre-commit check.
	for _, name := range []string{"format", "exit-zero", "since", "enable", "disable", "list-rules"} {
		_ = fs.SetAnnotation(name, noConfigAnnotation, []string{"true"})
	}
	return cmd
}

func runLint(ctx context.Context, o *lintOptions, args []string) error {
	g := o.g
	if !slices.Contains(lint.Formats, o.Format) {
		return usageErrorf("--format %q: want text, json, sarif or github", o.Format)
	}
	failOn, err := lint.ParseSeverity(o.FailOn)
	if err != nil {
		return usageErrorf("--fail-on: %v", err)
	}
	minSev, err := lint.ParseSeverity(o.MinSeverity)
	if err != nil {
		return usageErrorf("--min-severity: %v", err)
	}
	switch {
	case o.Skew < 0:
		return usageErrorf("--skew %s: want a duration >= 0", o.Skew)
	case o.Tick <= 0:
		return usageErrorf("--tick %s: want a positive duration", o.Tick)
	case !(o.MassChange > 0 && o.MassChange <= 1):
		return usageErrorf("--mass-change %g: want a fraction in (0, 1]", o.MassChange)
	case o.MaxPerRule < 0:
		return usageErrorf("--max-per-rule %d: want 0 (no limit) or more", o.MaxPerRule)
	}
	since, err := parseTimeBound(o.Since, g.now)
	if err != nil {
		return usageErrorf("--since: %v", err)
	}
	cfg, err := lintConfigFile(g)
	if err != nil {
		return err
	}
	disabled, err := o.disabledRules(cfg)
	if err != nil {
		return err
	}
	severity, err := lintSeverities(g, cfg)
	if err != nil {
		return err
	}
	opts := lint.Options{
		Now:         g.now,
		Skew:        o.Skew,
		MassChange:  o.MassChange,
		Triggers:    append([]string{}, o.Triggers...),
		Tick:        o.Tick,
		Since:       since,
		MinSeverity: min(minSev, failOn),
		Severity:    severity,
		Disabled:    disabled,
		MaxPerRule:  o.MaxPerRule,
		Stdin:       g.io.In,
	}
	if o.ListRules {
		return listRules(g, o.Format, lint.Levels(opts))
	}

	var in lint.Input
	if len(args) == 0 {
		in, err = o.defaultInput(cfg)
	} else {
		in, err = o.fileInput(args)
	}
	if err != nil {
		return err
	}
	logs := make([]string, len(in.Logs))
	for i, s := range in.Logs {
		logs[i] = s.Path
	}
	bar := g.startProgress("lint", logs)
	opts.OnProgress = bar.update()
	res, err := lint.Run(ctx, in, opts)
	bar.done(err == nil)
	if err != nil {
		return err
	}
	out := g.io.Out
	switch o.Format {
	case "json":
		err = lint.WriteJSON(out, res.Findings)
	case "sarif":
		err = lint.WriteSARIF(out, lint.Tool{Name: "synclog", Version: toolVersion(),
			InformationURI: "https://github.com/synclog/synclog"}, lint.Levels(opts), res.Findings)
	case "github":
		err = lint.WriteGitHub(out, res.Findings)
	default:
		err = lint.WriteTextColor(out, res.Findings, g.useColor(out))
		if line := lint.CountLine(res, o.MaxPerRule); line != "" && err == nil {
			g.warnf("%s", line)
		}
	}
	if err != nil {
		return err
	}
	if !o.ExitZero && res.AtLeast(failOn) > 0 {
		return silentExit(exitFailure)
	}
	return nil
}

// toolVersion is the release version for SARIF, which wants it to start
// with a number: 1.2.0, or 0.0.0-devel for a build that is not a release.
func toolVersion() string {
	v := version
	if v == "" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	if v == "" {
		return "0.0.0-devel"
	}
	return strings.TrimPrefix(v, "v")
}

// defaultInput is what lint checks without FILES: the logs, the dashboard,
// the aggregate file and the sync policy.
func (o *lintOptions) defaultInput(cfg *configFile) (lint.Input, error) {
	g := o.g
	var in lint.Input
	paths, err := g.logPaths()
	if err != nil {
		return in, err
	}
	pol := &lint.Policy{}
	for _, p := range paths {
		in.Logs = append(in.Logs, lint.Source{Path: p, Name: displayPath(p)})
		if p != "-" {
			pol.Logs = append(pol.Logs, lint.PolicyFile{Rel: g.rootRel(p), Name: displayPath(p)})
		}
	}
	if o.Summary != "" && o.Summary != "-" {
		p := g.path(o.Summary)
		in.Summaries = append(in.Summaries, lint.Source{Path: p, Name: displayPath(p)})
		pol.Other = append(pol.Other, lint.PolicyFile{Rel: g.rootRel(p), Name: displayPath(p)})
	}
	if o.Aggregate != "" && o.Aggregate != "-" {
		p := g.path(o.Aggregate)
		in.Aggregates = append(in.Aggregates, lint.Source{Path: p, Name: displayPath(p)})
		pol.Aggregate = &lint.PolicyFile{Rel: g.rootRel(p), Name: displayPath(p)}
	}
	if pol.Allow, pol.AllowFrom, err = policyList(g, cfg, "SYNC_ALLOW", "sync.allow"); err != nil {
		return in, err
	}
	if pol.Deny, pol.DenyFrom, err = policyList(g, cfg, "SYNC_DENY", "sync.deny"); err != nil {
		return in, err
	}
	in.Policy = pol
	return in, nil
}

// fileInput sorts FILES into logs, dashboards and aggregate files. Each must
// exist: a name given is a name meant.
func (o *lintOptions) fileInput(args []string) (lint.Input, error) {
	var in lint.Input
	paths, err := expandArgs(args)
	if err != nil {
		return in, err
	}
	aggBase := filepath.Base(o.Aggregate)
	for _, p := range paths {
		src := lint.Source{Path: p, Name: displayPath(p)}
		if p != "-" {
			fi, err := os.Stat(p)
			if err != nil {
				return in, unwrapStatErr(p, err)
			}
			if fi.IsDir() {
				return in, fmt.Errorf("%s: is a directory", p)
			}
		}
		switch {
		case p == "-":
			in.Logs = append(in.Logs, src)
		case strings.HasSuffix(p, ".md"):
			in.Summaries = append(in.Summaries, src)
		case o.Aggregate != "" && filepath.Base(p) == aggBase:
			in.Aggregates = append(in.Aggregates, src)
		default:
			in.Logs = append(in.Logs, src)
		}
	}
	return in, nil
}

// expandArgs expands globs among FILES, relative to the working directory,
// keeping the order given and dropping repeats.
func expandArgs(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range args {
		matches := []string{a}
		if a != "-" && strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, usageErrorf("%q: %v", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no file matches", a)
			}
			sort.Strings(m)
			matches = m
		}
		for _, p := range matches {
			if p != "-" {
				p = filepath.Clean(p)
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func unwrapStatErr(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such file", p)
	}
	return err
}

// displayPath is how a finding names a file: relative to the working
// directory when it is under it, as golangci-lint and ruff show paths.
func displayPath(p string) string {
	if p == "-" || !filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return p
}

// rootRel is p relative to --root, with slashes, as the sync policy's globs
// see it; p itself when it lies outside.
func (g *globalOptions) rootRel(p string) string {
	root, err := filepath.Abs(g.rootDir())
	if err != nil {
		return filepath.ToSlash(p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// lintConfigFile reads the config file again for the keys that are not
// flags: lint.disable, lint.enable, lint.severity.*, sync.allow, sync.deny.
func lintConfigFile(g *globalOptions) (*configFile, error) {
	if g.cfgFile == "" {
		return nil, nil
	}
	values, err := readConfig(g.cfgFile)
	if err != nil {
		return nil, &usageError{fmt.Errorf("config %s: %w", g.cfgFile, err)}
	}
	return &configFile{path: g.cfgFile, values: values}, nil
}

// configList is a list key from SYNCLOG_* (comma separated) or the config file.
func configList(g *globalOptions, cfg *configFile, key string) ([]string, string) {
	env := envName(key)
	if v, ok := g.lookupEnv(env); ok {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, env
	}
	if cfg != nil {
		if v, ok := cfg.lookup(key); ok {
			return v, cfg.path + ": " + key
		}
	}
	return nil, ""
}

// disabledRules is lint.disable, less --enable, plus --disable.
func (o *lintOptions) disabledRules(cfg *configFile) (map[string]bool, error) {
	disabled := map[string]bool{}
	check := func(ids []string, from string) error {
		for _, id := range ids {
			if _, ok := lint.LookupRule(id); !ok {
				return usageErrorf("%s: unknown rule %q (rules: %s)", from, id, lint.RuleIDs())
			}
		}
		return nil
	}
	fromCfg, src := configList(o.g, cfg, "lint.disable")
	if err := check(fromCfg, src); err != nil {
		return nil, err
	}
	enCfg, enSrc := configList(o.g, cfg, "lint.enable")
	if err := check(enCfg, enSrc); err != nil {
		return nil, err
	}
	if err := check(o.Enable, "--enable"); err != nil {
		return nil, err
	}
	if err := check(o.Disable, "--disable"); err != nil {
		return nil, err
	}
	for _, id := range fromCfg {
		disabled[id] = true
	}
	for _, id := range enCfg {
		delete(disabled, id)
	}
	for _, id := range o.Enable {
		delete(disabled, id)
	}
	for _, id := range o.Disable {
		disabled[id] = true
	}
	return disabled, nil
}

// lintSeverities reads lint.severity.RULE from SYNCLOG_LINT_SEVERITY_RULE
// and the config file.
func lintSeverities(g *globalOptions, cfg *configFile) (map[string]lint.Severity, error) {
	out := map[string]lint.Severity{}
	if cfg != nil {
		if m, ok := configMap(cfg.values, "lint", "severity"); ok {
			for id, v := range m {
				if _, ok := lint.LookupRule(id); !ok {
					return nil, usageErrorf("%s: lint.severity.%s: unknown rule (rules: %s)", cfg.path, id, lint.RuleIDs())
				}
				s, err := lint.ParseSeverity(fmt.Sprint(v))
				if err != nil {
					return nil, usageErrorf("%s: lint.severity.%s: %v", cfg.path, id, err)
				}
				out[id] = s
			}
		} else if _, ok := cfg.lookup("lint.severity"); ok {
			return nil, usageErrorf("%s: lint.severity: want a map of rule to severity", cfg.path)
		}
	}
	for _, r := range lint.Rules {
		env := envName("lint.severity." + r.ID)
		if v, ok := g.lookupEnv(env); ok {
			s, err := lint.ParseSeverity(strings.TrimSpace(v))
			if err != nil {
				return nil, usageErrorf("%s=%q: %v", env, v, err)
			}
			out[r.ID] = s
		}
	}
	return out, nil
}

// configMap finds a nested map in the config values.
func configMap(values map[string]any, keys ...string) (map[string]any, bool) {
	cur := values
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// policyList is SYNC_ALLOW or SYNC_DENY when set, else sync.allow or
// sync.deny from the config file; each glob checked.
func policyList(g *globalOptions, cfg *configFile, env, key string) ([]string, string, error) {
	var list []string
	from := ""
	if v, ok := g.lookupEnv(env); ok && strings.TrimSpace(v) != "" {
		list, from = lint.ParseList(v), env
	} else if cfg != nil {
		if vals, ok := cfg.lookup(key); ok {
			for _, v := range vals {
				list = append(list, lint.ParseList(v)...)
			}
			from = key
		}
	}
	for _, p := range list {
		if err := lint.ValidatePattern(p); err != nil {
			where := env
			if from == key {
				where = cfg.path + ": " + key
			}
			return nil, "", usageErrorf("%s: %v", where, err)
		}
	}
	return list, from, nil
}

// listRules prints every rule with the severity this run gives it.
func listRules(g *globalOptions, format string, rules []lint.RuleLevel) error {
	if format == "json" {
		type rule struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			Enabled  bool   `json:"enabled"`
			Catches  string `json:"catches"`
			Fix      string `json:"fix"`
		}
		out := make([]rule, 0, len(rules))
		for _, r := range rules {
			out = append(out, rule{r.ID, r.Level.String(), r.Enabled, r.Catches, r.Fix})
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(g.io.Out, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(g.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tCATCHES; FIX")
	for _, r := range rules {
		sev := r.Level.String()
		if !r.Enabled {
			sev += " (off)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s; fix: %s\n", r.ID, sev, r.Catches, r.Fix)
	}
	return tw.Flush()
}
