package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // --tz works on hosts without a zoneinfo database

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/ndjson"
)

// DefaultLog is the event log, relative to --root.
const DefaultLog = "state/log/sync-events.ndjson"

// configKeyAnnotation names the configuration key of a flag whose key is not
// its name with dashes turned into underscores.
const configKeyAnnotation = "synclog/config-key"

// globalOptions holds the flags every command shares, resolved.
type globalOptions struct {
	io *IOStreams

	Root   string
	Logs   []string
	Config string
	NowArg string
	TZ     string
	Quiet  bool
	Color  string // auto, always or never

	// Resolved in the root's pre-run.
	now       time.Time
	nowGiven  bool
	loc       *time.Location
	sources   map[string]string // config key -> flag, env, file or default
	cfgFile   string
	lookupEnv func(string) (string, bool)
	clock     func() time.Time
}

func newRootCmd(io *IOStreams) *cobra.Command {
	root, _ := newRoot(io)
	return root
}

// newRoot builds the command tree and returns the globals it shares.
func newRoot(io *IOStreams) (*cobra.Command, *globalOptions) {
	g := &globalOptions{io: io, lookupEnv: os.LookupEnv, clock: time.Now}
	root := &cobra.Command{
		Use:   "synclog",
		Short: "Record, query and report on a sync-event log in ndjson",
		Long: `synclog is one stateless binary over the sync-event log that every push and
pull of a state-sync system appends to. A Claude Code Stop hook runs
'synclog record' after every response; cron and people run the rest.

Configuration comes from flags, then SYNCLOG_* environment variables, then a
config file (--config, $SYNCLOG_CONFIG, <root>/synclog.yaml,
$XDG_CONFIG_HOME/synclog/config.yaml), then defaults.

Exit status: 0 success; 1 failure (or findings where a flag asks for that);
2 usage or configuration error (never from record).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.resolve(cmd)
		},
	}
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetIn(io.In)
	root.SetFlagErrorFunc(flagErr)
	root.SetVersionTemplate("synclog {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&g.Root, "root", "", "directory the default paths are relative to (default: the working directory)")
	pf.StringArrayVar(&g.Logs, "log", nil, "event log to read or append to; repeatable, takes globs, reads .gz (default "+DefaultLog+")")
	pf.StringVar(&g.Config, "config", "", "config file (default: $SYNCLOG_CONFIG, <root>/synclog.yaml, $XDG_CONFIG_HOME/synclog/config.yaml)")
	pf.StringVar(&g.NowArg, "now", "", "RFC 3339 time every command takes as the present (default: the clock)")
	pf.StringVar(&g.TZ, "tz", "UTC", "IANA time zone for hour and day buckets")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print no notes, warnings or progress bars on stderr")
	pf.StringVar(&g.Color, "color", "auto", "color output: auto (on a terminal, unless $NO_COLOR is set), always or never")

	root.AddCommand(
		newRecordCmd(g),
		newQueryCmd(g),
		newCostCmd(g),
		newSummarizeCmd(g),
		newAlertCmd(g),
		newLintCmd(g),
		newMetricsCmd(g),
		newServeCmd(g),
		newRotateCmd(g),
		newInitCmd(g),
		newConfigCmd(g),
		newVersionCmd(g),
		newCompletionCmd(g),
		newGenDocsCmd(g),
	)
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(flagErr)
	}
	return root, g
}

// noConfigAnnotation marks a flag that only the command line sets: never
// the environment or the config file (query's pre-filters, say, where
// SYNCLOG_MACHINE must not silently filter rows).
const noConfigAnnotation = "synclog/no-config"

// commandLineOnly marks every flag of fs as set by the command line only.
func commandLineOnly(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) { _ = fs.SetAnnotation(f.Name, noConfigAnnotation, []string{"true"}) })
}

// configKey is the configuration key of a flag.
func configKey(f *pflag.Flag) string {
	if k, ok := f.Annotations[configKeyAnnotation]; ok && len(k) > 0 {
		return k[0]
	}
	return strings.ReplaceAll(f.Name, "-", "_")
}

// envName is the environment variable of a configuration key.
func envName(key string) string {
	return "SYNCLOG_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// setConfigKey gives a flag a configuration key of its own.
func setConfigKey(fs *pflag.FlagSet, name, key string) {
	_ = fs.SetAnnotation(name, configKeyAnnotation, []string{key})
}

// resolve fills every flag the user did not set from the environment, then
// the config file, and resolves --now and --tz.
func (g *globalOptions) resolve(cmd *cobra.Command) error {
	flags := cmd.Flags()
	file, err := g.loadConfigFile(flags)
	if err != nil {
		return err
	}
	return g.apply(flags, file)
}

// apply fills every flag of flags the user did not set from the
// environment, then file (nil for none), records where each configuration
// key came from, and resolves --now and --tz.
func (g *globalOptions) apply(flags *pflag.FlagSet, file *configFile) error {
	g.sources = map[string]string{}
	var applyErr error
	flags.VisitAll(func(f *pflag.Flag) {
		if applyErr != nil || !isConfigFlag(f) {
			return
		}
		src, err := resolveFlag(f, file, g.lookupEnv)
		if err != nil {
			applyErr = err
			return
		}
		g.sources[configKey(f)] = src
	})
	if applyErr != nil {
		return applyErr
	}
	if err := g.resolveClock(); err != nil {
		return err
	}
	return g.checkColor()
}

// isConfigFlag reports whether a flag has a configuration key: the
// environment and the config file may set it.
func isConfigFlag(f *pflag.Flag) bool {
	if f.Name == "help" || f.Name == "version" {
		return false
	}
	_, ok := f.Annotations[noConfigAnnotation]
	return !ok
}

// resolveFlag gives f its value from the first of the command line, the
// environment, file (nil for none) and its default that has one, and
// returns which it was: flag, env, file or default. A value f does not
// accept is a usage error naming where it came from; f keeps its default.
func resolveFlag(f *pflag.Flag, file *configFile, lookupEnv func(string) (string, bool)) (string, error) {
	key := configKey(f)
	if f.Changed {
		return "flag", nil
	}
	if s, ok := lookupEnv(envName(key)); ok {
		if err := setFlag(f, splitList(f, s)); err != nil {
			return "env", usageErrorf("%s=%q: %v", envName(key), s, err)
		}
		return "env", nil
	}
	if file != nil {
		if val, ok := file.lookup(key); ok {
			if err := setFlag(f, val); err != nil {
				return "file", usageErrorf("%s: %s: %v", file.path, key, err)
			}
			return "file", nil
		}
	}
	return "default", nil
}

// resolveClock parses --now and --tz.
func (g *globalOptions) resolveClock() error {
	if err := g.resolveNow(); err != nil {
		return err
	}
	return g.resolveTZ()
}

// resolveNow parses --now; the clock when it is empty.
func (g *globalOptions) resolveNow() error {
	if g.NowArg != "" {
		t, err := time.Parse(time.RFC3339Nano, g.NowArg)
		if err != nil {
			return usageErrorf("--now %q: not an RFC 3339 time", g.NowArg)
		}
		g.now, g.nowGiven = t, true
	} else {
		g.now = g.clock()
	}
	return nil
}

// resolveTZ loads the zone --tz names.
func (g *globalOptions) resolveTZ() error {
	loc, err := time.LoadLocation(g.TZ)
	if err != nil {
		return usageErrorf("--tz %q: unknown time zone", g.TZ)
	}
	g.loc = loc
	return nil
}

// splitList splits an environment value for a list flag at commas.
func splitList(f *pflag.Flag, s string) []string {
	if _, ok := f.Value.(pflag.SliceValue); ok {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return []string{s}
}

// setFlag sets a flag the user did not set, without marking it changed.
func setFlag(f *pflag.Flag, vals []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(vals)
	}
	if len(vals) != 1 {
		return fmt.Errorf("want one value, got %d", len(vals))
	}
	return f.Value.Set(vals[0])
}

// rootDir is --root, or the working directory.
func (g *globalOptions) rootDir() string {
	if g.Root == "" {
		return "."
	}
	return g.Root
}

// path resolves a configured path against --root; "-" stays stdin/stdout.
func (g *globalOptions) path(p string) string {
	if p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(g.rootDir(), p)
}

// logPatterns is --log, or the default log.
func (g *globalOptions) logPatterns() []string {
	if len(g.Logs) == 0 {
		return []string{DefaultLog}
	}
	return g.Logs
}

// logPaths expands --log into the files to read.
func (g *globalOptions) logPaths() ([]string, error) {
	paths, err := ndjson.ExpandPaths(g.rootDir(), g.logPatterns())
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return paths, nil
}

// warnf prints a note on stderr unless --quiet.
func (g *globalOptions) warnf(format string, args ...any) {
	if !g.Quiet {
		fmt.Fprintf(g.io.Err, "synclog: "+format+"\n", args...)
	}
}

// configFile is a parsed config file.
type configFile struct {
	path   string
	values map[string]any
}

// lookup finds a dotted key, returning its value as strings.
func (c *configFile) lookup(key string) ([]string, bool) {
	var cur any = c.values
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	switch v := cur.(type) {
	case nil:
		return nil, false
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out, true
	default:
		return []string{fmt.Sprint(v)}, true
	}
}

// loadConfigFile finds and parses the config file, if any.
func (g *globalOptions) loadConfigFile(flags *pflag.FlagSet) (*configFile, error) {
	path, explicit := g.Config, g.Config != ""
	if !explicit {
		if p, ok := g.lookupEnv("SYNCLOG_CONFIG"); ok && p != "" {
			path, explicit = p, true
		}
	}
	if !explicit {
		root := g.Root
		if !flags.Changed("root") {
			if r, ok := g.lookupEnv("SYNCLOG_ROOT"); ok {
				root = r
			}
		}
		if root == "" {
			root = "."
		}
		candidates := []string{filepath.Join(root, "synclog.yaml")}
		xdg, _ := g.lookupEnv("XDG_CONFIG_HOME")
		if xdg == "" {
			if home, ok := g.lookupEnv("HOME"); ok && home != "" {
				xdg = filepath.Join(home, ".config")
			}
		}
		if xdg != "" {
			candidates = append(candidates, filepath.Join(xdg, "synclog", "config.yaml"))
		}
		for _, c := range candidates {
			if _, err := os.Stat(c); err == nil {
				path = c
				break
			}
		}
	}
	if path == "" {
		return nil, nil
	}
	values, err := readConfig(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &usageError{fmt.Errorf("config %s: %w", path, err)}
	}
	g.cfgFile = path
	return &configFile{path: path, values: values}, nil
}
