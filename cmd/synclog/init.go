package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/ndjson"
)

// configFileName is the config file init writes under --root, the first
// place config discovery looks when neither --config nor $SYNCLOG_CONFIG
// names one.
const configFileName = "synclog.yaml"

// The pre-commit hook this repository offers in .pre-commit-hooks.yaml.
const (
	preCommitRepo   = "https://github.com/synclog/synclog"
	preCommitHookID = "synclog-lint"
)

type initOptions struct {
	g *globalOptions

	Force  bool
	DryRun bool
	Print  string
	deployParams
}

// deployParams are what the integration snippets (the Claude Code Stop
// hook, the crontab, the pre-commit entry, the systemd units) are made of.
// init fills them from its flags; deploy/ holds them rendered with
// exampleDeployParams.
type deployParams struct {
	Bin         string // the synclog the snippets run
	Root        string // absolute --root
	Repo        string // --repo of the Stop hook's record
	Scope       string // --scope of the Stop hook's record
	SyncCommand string // the sync command the Stop hook wraps, as a shell command line
	HookTimeout int    // seconds Claude Code gives the Stop hook
	Textfile    string // node_exporter's textfile collector directory
	Rev         string // the pre-commit rev: to pin
}

// exampleDeployParams are the parameters deploy/ is rendered with.
var exampleDeployParams = deployParams{
	Bin:         "/usr/local/bin/synclog",
	Root:        "/srv/sync",
	Repo:        "snappy-os",
	Scope:       "state",
	SyncCommand: "state/bin/sync/push.sh",
	HookTimeout: 60,
	Textfile:    "/var/lib/prometheus/node-exporter",
	Rev:         "main",
}

// snippetNames are the values of init --print.
var snippetNames = []string{"all", "hook", "crontab", "pre-commit"}

func newInitCmd(g *globalOptions) *cobra.Command {
	o := &initOptions{g: g}
	cmd := &cobra.Command{
		Use:   "init [flags]",
		Short: "Create state/log/ and a commented synclog.yaml; print the hook, crontab and pre-commit snippets",
		Long: `Init sets synclog up under --root (default: the working directory):

  - creates state/log/, where the event log and the reports live;
  - writes synclog.yaml, which every command then reads (unless --config or
    $SYNCLOG_CONFIG names another file), with every setting at its default,
    each commented with the flags it sets, the commands those belong to and
    its SYNCLOG_* environment variable. The file is written atomically. An
    existing synclog.yaml is left alone unless --force is given;
  - prints on stdout, ready to paste: the Claude Code Stop hook for
    .claude/settings.json (record --hook wrapping --sync-command, with a
    --hook-timeout), the crontab lines that run summarize, alert, cost and
    metrics --textfile, and the entry for .pre-commit-config.yaml that runs
    'synclog lint' before each commit. --print picks one of them, bare, so
    it can be piped. Notes on what was done go to stderr.

init does not read a config file (it writes one); SYNCLOG_* environment
variables apply as everywhere. --dry-run says what would be done, writes
nothing and prints the snippets even when synclog.yaml exists: the way to see
them again. The snippets run --bin (default: the synclog found on $PATH, else
this binary) with --root made absolute, since cron and Claude Code run them
from elsewhere. deploy/ in synclog's repository holds the same snippets and
systemd units, for an install at /srv/sync.

Exit status: 0 done (or --dry-run); 1 synclog.yaml exists and --force was not
given (nothing is changed), or a directory or the file could not be written;
2 a usage error.`,
		Example: `  synclog init --dry-run
  synclog init --root /tmp/synclog-demo --repo snappy-os --scope state --sync-command 'ob sync push'
  synclog init --root /tmp/synclog-demo --force --print crontab
  synclog init --dry-run --print hook --hook-timeout 120 | jq '.hooks.Stop[0].hooks[0].command'`,
		Args: cobra.NoArgs,
		// init writes the config file: it reads none, so that a broken one
		// can be replaced with --force. The environment still applies.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.apply(cmd.Flags(), nil)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(o, cmd.Flags())
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.Force, "force", false, "overwrite an existing synclog.yaml")
	fs.BoolVar(&o.DryRun, "dry-run", false, "say what would be created and print the snippets; write nothing")
	fs.StringVar(&o.Print, "print", "all", "snippets to print: all, hook, crontab or pre-commit")
	fs.StringVar(&o.Bin, "bin", "", "synclog binary the snippets run (default: synclog on $PATH, else this binary)")
	fs.StringVar(&o.Repo, "repo", "", "repository the Stop hook's record names (default: the base name of --root)")
	fs.StringVar(&o.Scope, "scope", "state", "scope the Stop hook's record names")
	fs.StringVar(&o.SyncCommand, "sync-command", exampleDeployParams.SyncCommand, "sync command the Stop hook wraps, a shell command line")
	fs.IntVar(&o.HookTimeout, "hook-timeout", exampleDeployParams.HookTimeout, "seconds Claude Code lets the Stop hook run")
	fs.StringVar(&o.Textfile, "textfile", exampleDeployParams.Textfile, "node_exporter textfile directory the metrics cron line writes to")
	// Everything init takes is about this one call: never configuration.
	commandLineOnly(fs)
	return cmd
}

func runInit(o *initOptions, flags *pflag.FlagSet) error {
	g := o.g
	if !slices.Contains(snippetNames, o.Print) {
		return usageErrorf("--print %q: want one of %s", o.Print, strings.Join(snippetNames, ", "))
	}
	if o.HookTimeout <= 0 {
		return usageErrorf("--hook-timeout %d: want a positive number of seconds", o.HookTimeout)
	}
	if strings.TrimSpace(o.SyncCommand) == "" {
		return usageErrorf("--sync-command is empty: the Stop hook wraps the sync command")
	}
	root, err := filepath.Abs(g.rootDir())
	if err != nil {
		return err
	}
	p := o.deployParams
	p.Root = root
	if !flags.Changed("repo") {
		p.Repo = filepath.Base(root)
	}
	if p.Bin == "" {
		p.Bin = defaultBin()
	}
	p.Rev = preCommitRev()

	logDir := g.path("state/log")
	cfgPath := g.path(configFileName)
	cfg, err := defaultConfigYAML(newRootCmd(&IOStreams{In: bytes.NewReader(nil), Out: io.Discard, Err: io.Discard}))
	if err != nil {
		return err
	}
	_, statErr := os.Lstat(cfgPath)
	exists := statErr == nil
	switch {
	case o.DryRun:
		if _, err := os.Stat(logDir); err != nil {
			g.warnf("would create %s/", logDir)
		}
		if exists && !o.Force {
			g.warnf("%s exists: it would be left as it is (--force overwrites it)", cfgPath)
		} else {
			g.warnf("would write %s", cfgPath)
		}
	case exists && !o.Force:
		return withCode(exitFailure, fmt.Errorf("%s exists: not overwritten (--force overwrites it; --dry-run prints the snippets)", cfgPath))
	case statErr != nil && !errors.Is(statErr, fs.ErrNotExist):
		return statErr
	default:
		_, dirErr := os.Stat(logDir)
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			return err
		}
		if err := ndjson.WriteFileAtomic(cfgPath, cfg, 0o644); err != nil {
			return err
		}
		if dirErr != nil {
			g.warnf("created %s/", logDir)
		}
		g.warnf("wrote %s: every setting at its default ('synclog config' shows what is in effect)", cfgPath)
	}
	// The file written is not the one read when another is named.
	if flags.Changed("config") {
		g.warnf("note: --config %s is read instead of %s", g.Config, cfgPath)
	} else if name, ok := g.lookupEnv("SYNCLOG_CONFIG"); ok && name != "" {
		g.warnf("note: $SYNCLOG_CONFIG names %s, which is read instead of %s", name, cfgPath)
	}
	return printSnippets(g.io.Out, o.Print, p)
}

// printSnippets writes the snippets which names: all of them, each after a
// comment line saying where it goes, or one, bare.
func printSnippets(w io.Writer, which string, p deployParams) error {
	var b bytes.Buffer
	if which == "all" || which == "hook" {
		if which == "all" {
			b.WriteString("# Claude Code Stop hook: merge into .claude/settings.json (or ~/.claude/settings.json)\n")
		}
		hook, err := hookSettingsJSON(p)
		if err != nil {
			return err
		}
		b.Write(hook)
	}
	if which == "all" || which == "crontab" {
		if which == "all" {
			b.WriteString("\n")
		}
		b.WriteString(crontabText(p))
	}
	if which == "all" || which == "pre-commit" {
		if which == "all" {
			b.WriteString("\n")
		}
		b.WriteString(preCommitConfigYAML(p))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// defaultBin is the synclog that cron and Claude Code should run: the one
// on $PATH, by the path the shell finds it at (not resolved, so a package
// manager's upgrade keeps working), else this binary unless it is a
// temporary one from 'go run', else plain synclog.
func defaultBin() string {
	if p, err := exec.LookPath("synclog"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	if p, err := os.Executable(); err == nil && !strings.HasPrefix(p, os.TempDir()+string(filepath.Separator)) {
		return p
	}
	return "synclog"
}

var releaseVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$`)
var pseudoVersion = regexp.MustCompile(`[0-9]{14}-[0-9a-f]{12}$`)

// preCommitRev is the rev: a .pre-commit-config.yaml should pin: this
// binary's release tag, or main for a development build.
func preCommitRev() string {
	v := version
	if v == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			v = bi.Main.Version
		}
	}
	if releaseVersion.MatchString(v) && !pseudoVersion.MatchString(v) {
		return "v" + strings.TrimPrefix(v, "v")
	}
	return "main"
}

// claudeSettings is the part of Claude Code's settings.json that holds the
// Stop hook: hooks → event → matcher groups → commands. Stop takes no
// matcher.
type claudeSettings struct {
	Hooks struct {
		Stop []claudeMatcher `json:"Stop"`
	} `json:"hooks"`
}

type claudeMatcher struct {
	Hooks []claudeHook `json:"hooks"`
}

type claudeHook struct {
	Type    string `json:"type"`
	Command string `json:"command"`
	Timeout int    `json:"timeout"`
}

// hookCommand is the Stop hook's shell command line: record --hook keeps
// the session_id of the payload on stdin, wraps the sync command and exits
// with its status (never 2 on its own account).
func hookCommand(p deployParams) string {
	args := []string{p.Bin, "record", "--root", p.Root, "--op", "push", "--repo", p.Repo, "--scope", p.Scope,
		"--trigger", "stop-hook", "--hook", "--"}
	return shellJoin(args) + " " + p.SyncCommand
}

// hookSettingsJSON is the settings.json fragment with the Stop hook.
func hookSettingsJSON(p deployParams) ([]byte, error) {
	var s claudeSettings
	s.Hooks.Stop = []claudeMatcher{{Hooks: []claudeHook{{Type: "command", Command: hookCommand(p), Timeout: p.HookTimeout}}}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// scheduledJob is a report that cron or a systemd timer runs.
type scheduledJob struct {
	name       string // the subcommand, and the unit's name: synclog-<name>
	about      string // what a run does, for comments and Description=
	cron       string // crontab schedule
	onCalendar string // the same times for a systemd timer
	every      string // the same, in words
	args       func(p deployParams) []string
}

// scheduledJobs are the reports cron runs, in crontab order. summarize runs
// well within lint's tick (15m), so the dashboard is never stale; cost is
// idempotent and only appends closed periods, so hourly is plenty.
var scheduledJobs = []scheduledJob{
	{name: "summarize", about: "rebuild the sync dashboard", cron: "*/5 * * * *", onCalendar: "*:0/5", every: "every 5 minutes"},
	{name: "alert", about: "write alert files for failure clusters and the tenant status", cron: "*/5 * * * *", onCalendar: "*:0/5", every: "every 5 minutes"},
	{name: "cost", about: "append the closed periods' cost per tenant", cron: "7 * * * *", onCalendar: "*:07", every: "hourly"},
	{name: "metrics", about: "write the metrics for node_exporter's textfile collector", cron: "* * * * *", onCalendar: "minutely", every: "every minute",
		args: func(p deployParams) []string { return []string{"--textfile", p.Textfile} }},
}

// argv is the job's command line. --quiet: cron mails whatever a job
// prints, and skipped lines are lint's to report, not every tick's.
func (j scheduledJob) argv(p deployParams) []string {
	args := []string{p.Bin, j.name, "--root", p.Root, "--quiet"}
	if j.args != nil {
		args = append(args, j.args(p)...)
	}
	return args
}

// crontabText is the crontab lines of the scheduled jobs.
func crontabText(p deployParams) string {
	var b strings.Builder
	b.WriteString("# synclog reports (crontab -e): cron mails what a job prints, which with --quiet\n")
	b.WriteString("# is an error or, from alert, a cluster that fired or resolved.\n")
	for _, j := range scheduledJobs {
		// % ends a crontab command line unless escaped.
		fmt.Fprintf(&b, "%-12s %s\n", j.cron, strings.ReplaceAll(shellJoin(j.argv(p)), "%", `\%`))
	}
	return b.String()
}

// preCommitConfigYAML is the .pre-commit-config.yaml entry for the lint
// hook of .pre-commit-hooks.yaml.
func preCommitConfigYAML(p deployParams) string {
	return fmt.Sprintf(`# pre-commit (https://pre-commit.com): merge into .pre-commit-config.yaml, then
# run 'pre-commit install'. The hook builds synclog at rev: and runs
# 'synclog lint' with this work tree's synclog.yaml before each commit;
# 'pre-commit autoupdate' pins rev: to the latest release.
repos:
  - repo: %s
    rev: %s
    hooks:
      - id: %s
`, preCommitRepo, p.Rev, preCommitHookID)
}

// systemdUnits are the systemd user units of serve and the scheduled jobs,
// by file name.
func systemdUnits(p deployParams) map[string]string {
	const install = `# A systemd user unit: copy it to ~/.config/systemd/user/, then
#   systemctl --user daemon-reload && systemctl --user enable --now %s
# ('loginctl enable-linger' keeps it running without a login session).
`
	units := map[string]string{}
	units["synclog-serve.service"] = fmt.Sprintf(install, "synclog-serve.service") + fmt.Sprintf(`[Unit]
Description=synclog serve: metrics and tenant status of the sync-event log
Documentation=%s

[Service]
ExecStart=%s
Restart=on-failure
RestartSec=5s
NoNewPrivileges=yes

[Install]
WantedBy=default.target
`, preCommitRepo, systemdJoin([]string{p.Bin, "serve", "--root", p.Root}))
	for _, j := range scheduledJobs {
		svc, timer := "synclog-"+j.name+".service", "synclog-"+j.name+".timer"
		units[svc] = fmt.Sprintf(`# Run by %s: copy both to ~/.config/systemd/user/. deploy/crontab runs the
# same job from cron instead.
[Unit]
Description=synclog %s: %s
Documentation=%s

[Service]
Type=oneshot
ExecStart=%s
Nice=10
NoNewPrivileges=yes
`, timer, j.name, j.about, preCommitRepo, systemdJoin(j.argv(p)))
		units[timer] = fmt.Sprintf(install, timer) + fmt.Sprintf(`[Unit]
Description=Run synclog %s %s

[Timer]
OnCalendar=%s
Persistent=true

[Install]
WantedBy=timers.target
`, j.name, j.every, j.onCalendar)
	}
	return units
}

// shellSafe are the words a POSIX shell takes as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if shellSafe.MatchString(a) {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// systemdJoin quotes args for ExecStart=: double quotes where needed, and
// % and $ doubled, since systemd expands specifiers and variables.
func systemdJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		a = strings.NewReplacer("%", "%%", "$", "$$").Replace(a)
		if !shellSafe.MatchString(a) {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"`
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// yamlNode is a key of the YAML file init writes: a value with its
// comment, or a map of keys.
type yamlNode struct {
	name     string
	owner    *cobra.Command // the command whose group a top-level key is in
	comments []string
	value    string // YAML text, for a leaf
	children []*yamlNode
}

// child finds or adds the key name under n.
func (n *yamlNode) child(name string, owner *cobra.Command) *yamlNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	c := &yamlNode{name: name, owner: owner}
	n.children = append(n.children, c)
	return c
}

// defaultConfigYAML is synclog.yaml with every configuration key of the
// command tree at its default, grouped by the command that first uses it
// (the global flags first), each commented with its flags' usage, the
// commands they belong to and its environment variable; then the keys lint
// reads that no flag sets (fileSettings). The tree is the one source: a new
// flag is in the file the day it is added.
func defaultConfigYAML(root *cobra.Command) ([]byte, error) {
	top := &yamlNode{}
	add := func(key string, owner *cobra.Command, comments []string, value string) {
		parts := strings.Split(key, ".")
		if c, _, err := root.Find(parts[:1]); len(parts) > 1 && err == nil && c != root {
			owner = c // a section named after a command goes with that command
		}
		n := top
		for _, part := range parts {
			n = n.child(part, owner)
		}
		n.comments, n.value = comments, value
	}
	for _, s := range settings(root) {
		if s.key == "config" {
			continue // how the file is found, not a setting in it
		}
		def := flagValue(s.uses[0].flag)
		for _, u := range s.uses[1:] {
			if v := flagValue(u.flag); v != def {
				return nil, fmt.Errorf("config key %s: %s defaults to %q but %s to %q", s.key, s.uses[0].label(), def, u.label(), v)
			}
		}
		add(s.key, s.uses[0].cmd, settingComments(s), yamlValue(s.uses[0].flag))
	}
	for _, fsg := range fileSettings() {
		owner, _, err := root.Find([]string{fsg.cmd})
		if err != nil {
			return nil, err
		}
		add(fsg.key, owner, nil, yamlText(fsg.def))
		if fsg.usage != "" {
			// A family of keys (lint.severity.RULE) shares its parent's comment.
			n := top
			parts := strings.Split(fsg.key, ".")
			env := fsg.env
			if fsg.family {
				parts = parts[:len(parts)-1]
				env = envName(strings.Join(parts, ".")) + "_<KEY> (dashes as underscores)"
			}
			for _, part := range parts {
				n = n.child(part, owner)
			}
			n.comments = []string{fsg.cmd + " (no flag): " + fsg.usage, "environment: " + env}
		}
	}

	var b strings.Builder
	b.WriteString(`# synclog configuration, written by 'synclog init' with every setting at its
# default. synclog reads <root>/synclog.yaml unless --config or $SYNCLOG_CONFIG
# names another file. A command-line flag overrides a setting here, and so does
# its environment variable; delete a setting to follow the default of the
# synclog you run. 'synclog config' shows every setting in effect and where it
# came from. Paths are relative to --root.
`)
	writeGroup := func(c *cobra.Command, title string) {
		first := true
		for _, n := range top.children {
			if n.owner != c {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n# ==== %s\n", title)
				first = false
			}
			b.WriteString("\n")
			writeYAMLNode(&b, "", n)
		}
	}
	writeGroup(root, "every command")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			writeGroup(sub, strings.TrimPrefix(sub.CommandPath(), root.Name()+" ")+": "+sub.Short)
			walk(sub)
		}
	}
	walk(root)
	return []byte(b.String()), nil
}

// writeYAMLNode writes a key: its comments and value, or its keys indented.
func writeYAMLNode(b *strings.Builder, indent string, n *yamlNode) {
	for _, c := range n.comments {
		writeComment(b, indent, c)
	}
	if n.children == nil {
		fmt.Fprintf(b, "%s%s: %s\n", indent, n.name, n.value)
		return
	}
	fmt.Fprintf(b, "%s%s:\n", indent, n.name)
	for i, c := range n.children {
		// Leaves with comments get a blank line between them; the rule
		// severities, which share one comment, do not.
		if i > 0 && len(c.comments) > 0 {
			b.WriteString("\n")
		}
		writeYAMLNode(b, indent+"  ", c)
	}
}

// settingComments say what a key does, per distinct usage text naming the
// flags that have it, and its environment variable.
func settingComments(s *setting) []string {
	var usages []string
	flags := map[string][]string{}
	for _, u := range s.uses {
		if _, ok := flags[u.flag.Usage]; !ok {
			usages = append(usages, u.flag.Usage)
		}
		label := u.label()
		if u.cmd.Parent() == nil {
			label += " (every command)"
		}
		flags[u.flag.Usage] = append(flags[u.flag.Usage], label)
	}
	var out []string
	for _, usage := range usages {
		out = append(out, strings.Join(flags[usage], ", ")+": "+usage)
	}
	return append(out, "environment: "+s.env())
}

// writeComment writes text as comment lines of at most 80 columns where
// the words allow.
func writeComment(b *strings.Builder, indent, text string) {
	const width = 80
	line := indent + "#"
	cont := indent + "#  "
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > width && line != indent+"#" && line != cont {
			b.WriteString(line + "\n")
			line = cont
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

// yamlValue is a flag's current value as YAML that reads back, through
// the config file, as the same value: booleans and numbers plain,
// everything else a double-quoted string (JSON's quoting is YAML's).
func yamlValue(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return yamlText(append([]string{}, sv.GetSlice()...))
	}
	v := f.Value.String()
	switch f.Value.Type() {
	case "bool":
		if b, err := strconv.ParseBool(v); err == nil {
			return strconv.FormatBool(b)
		}
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return v
		}
	case "float32", "float64":
		if x, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return yamlText(v)
}

// yamlText is a string as a double-quoted YAML scalar, or a list of them as
// a flow sequence.
func yamlText(v any) string {
	quote := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	if list, ok := v.([]string); ok {
		q := make([]string, len(list))
		for i, x := range list {
			q[i] = quote(x)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return quote(fmt.Sprint(v))
}
