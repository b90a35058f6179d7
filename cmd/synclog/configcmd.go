package main

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/synclog/synclog/pkg/lint"
)

type configOptions struct {
	g *globalOptions

	Format string
	file   *configFile // the config file read, nil for none
}

// configEntry is one configuration key in effect.
type configEntry struct {
	Key    string   `json:"key"`
	Value  any      `json:"value"`
	Source string   `json:"source"` // flag, env, file or default
	Env    string   `json:"env"`
	Flags  []string `json:"flags"`
	Error  string   `json:"error,omitempty"`
	text   string   // Value as the table shows it
}

func newConfigCmd(g *globalOptions) *cobra.Command {
	o := &configOptions{g: g}
	cmd := &cobra.Command{
		Use:   "config [flags]",
		Short: "Print the effective configuration and where each value came from",
		Long: `Config prints every configuration key of every command, sorted, with the
value a command would run with and where that value came from: flag, env (its
SYNCLOG_* variable), file (the config file) or default.

Each key is resolved as every command resolves it: the command line, then
SYNCLOG_<KEY> (dots and dashes as underscores, upper case; lists comma
separated), then the config file, then the default. The global flags
(--root, --log, --tz, --now, --quiet, ...) given to config count as flags, as
they would for any command; a command's own flags are not config's, so their
keys show env, file or default: what that command sees when run without them.
Flags that are never configuration (query's, the output formats, --since and
the like) are not listed.

The key config is the file read: named by --config (flag) or $SYNCLOG_CONFIG
(env), or else the first that exists of <root>/synclog.yaml and
$XDG_CONFIG_HOME/synclog/config.yaml (default); empty when there is none.

--format table (the default) draws a table on a terminal and writes
tab-separated KEY, VALUE and SOURCE elsewhere, lists joined with commas;
--format json prints {"config_file", "settings": [{"key", "value", "source",
"env", "flags", "error"}]}, values typed (numbers, booleans, lists).

A value that its flag does not accept (a duration that is not one, an unknown
time zone) is printed as given and named on stderr. What a command checks
only when it runs (a rule name, a severity) is checked then.

Exit status: 0 every value is accepted; 2 a value is not (each is named on
stderr, after the output), the config file cannot be read, or a usage error.`,
		Example: `  synclog config
  synclog config --format json | jq -r '.settings[] | select(.source != "default") | "\(.key)=\(.value) (\(.source))"'
  SYNCLOG_ALERT_WINDOW=30m synclog config | grep '^alert\.'
  synclog config --tz Europe/Berlin --format json | jq '.settings[] | select(.key == "tz")'`,
		Args: cobra.NoArgs,
		// config resolves every key itself, so it can show them all, bad
		// ones included; it only needs the file.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			o.file, err = g.loadConfigFile(cmd.Flags())
			return err
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfig(o, cmd.Root(), cmd.Flags())
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "table", "table or json")
	commandLineOnly(cmd.Flags())
	return cmd
}

func runConfig(o *configOptions, root *cobra.Command, flags *pflag.FlagSet) error {
	g := o.g
	if o.Format != "table" && o.Format != "json" {
		return usageErrorf("--format %q: want table or json", o.Format)
	}
	var entries []*configEntry
	var errs []error
	for _, s := range settings(root) {
		e := &configEntry{Key: s.key, Env: s.env(), Flags: []string{}}
		for _, u := range s.uses {
			e.Flags = append(e.Flags, u.label())
		}
		entries = append(entries, e)
		if s.key == "config" {
			o.configFileEntry(e, flags)
			continue
		}
		// Every flag of the key is set, so a value one of them rejects is
		// found; the first is what is shown.
		var err error
		for i, u := range s.uses {
			src, uerr := resolveFlag(u.flag, o.file, g.lookupEnv)
			if i == 0 {
				e.Source = src
			}
			if uerr != nil && err == nil {
				err = uerr
			}
		}
		if err == nil {
			switch s.key {
			case "now":
				err = g.resolveNow()
			case "tz":
				err = g.resolveTZ()
			case "color":
				err = g.checkColor()
			}
		}
		if err != nil {
			e.Error = err.Error()
			errs = append(errs, err)
			e.text = rawSetting(s.key, e.Env, e.Source, o.file, g.lookupEnv)
			e.Value = e.text
			continue
		}
		f := s.uses[0].flag
		e.text = flagValue(f)
		e.Value = typedValue(f)
	}

	for _, fsg := range fileSettings() {
		e, err := o.fileSettingEntry(fsg)
		entries = append(entries, e)
		if err != nil {
			e.Error = err.Error()
			errs = append(errs, err)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Key < entries[j].Key })

	var werr error
	if o.Format == "json" {
		werr = writeConfigJSON(o, entries)
	} else {
		rows := make([][]string, len(entries))
		for i, e := range entries {
			rows[i] = []string{e.Key, e.text, e.Source}
		}
		werr = renderTable(g.io.Out, []string{"KEY", "VALUE", "SOURCE"}, rows)
	}
	if werr != nil {
		return werr
	}
	if len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(g.io.Err, "synclog: %v\n", err)
		}
		return silentExit(exitUsage)
	}
	return nil
}

// configFileEntry fills the entry of the key config: the file read and
// what named it.
func (o *configOptions) configFileEntry(e *configEntry, flags *pflag.FlagSet) {
	e.Source = "default"
	if flags.Changed("config") {
		e.Source = "flag"
	} else if p, ok := o.g.lookupEnv("SYNCLOG_CONFIG"); ok && p != "" {
		e.Source = "env"
	}
	if o.file != nil {
		e.text = o.file.path
	}
	e.Value = e.text
}

// fileSettingEntry resolves a key no flag sets as lint does, through
// lint.go's own readers: env, then the config file, then the default.
func (o *configOptions) fileSettingEntry(fsg fileSetting) (*configEntry, error) {
	g := o.g
	e := &configEntry{Key: fsg.key, Env: fsg.env, Flags: []string{}, Source: "default"}
	var list []string
	var err error
	switch {
	case strings.HasPrefix(fsg.key, "sync."):
		var from string
		list, from, err = policyList(g, o.file, fsg.env, fsg.key)
		switch from {
		case fsg.env:
			e.Source = "env"
		case fsg.key:
			e.Source = "file"
		}
		if err != nil {
			e.text = rawSetting(fsg.key, fsg.env, e.Source, o.file, g.lookupEnv)
			e.Value = e.text
			return e, err
		}
	case fsg.family:
		val := fmt.Sprint(fsg.def)
		if v, ok := g.lookupEnv(fsg.env); ok {
			val, e.Source = strings.TrimSpace(v), "env"
		} else if o.file != nil {
			if vals, ok := o.file.lookup(fsg.key); ok {
				val, e.Source = strings.Join(vals, ","), "file"
			}
		}
		e.text, e.Value = val, val
		if _, perr := lint.ParseSeverity(val); perr != nil {
			where := fsg.env
			if e.Source == "file" {
				where = o.file.path + ": " + fsg.key
			}
			err = usageErrorf("%s: %v", where, perr)
		}
		return e, err
	default:
		var src string
		list, src = configList(g, o.file, fsg.key)
		switch {
		case src == fsg.env:
			e.Source = "env"
		case src != "":
			e.Source = "file"
		}
		for _, id := range list {
			if _, ok := lint.LookupRule(id); !ok && err == nil {
				err = usageErrorf("%s: unknown rule %q (rules: %s)", src, id, lint.RuleIDs())
			}
		}
	}
	if list == nil {
		list = []string{}
	}
	e.text, e.Value = strings.Join(list, ","), list
	return e, err
}

// rawSetting is a value as the environment or the config file gave it, for
// a value its flag did not accept.
func rawSetting(key, env, source string, file *configFile, lookupEnv func(string) (string, bool)) string {
	switch source {
	case "env":
		s, _ := lookupEnv(env)
		return s
	case "file":
		if file != nil {
			if vals, ok := file.lookup(key); ok {
				return strings.Join(vals, ",")
			}
		}
	}
	return ""
}

// typedValue is a flag's value for JSON: a list, a boolean or a number
// where the flag holds one, else its text.
func typedValue(f *pflag.Flag) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return append([]string{}, sv.GetSlice()...)
	}
	s := f.Value.String()
	switch f.Value.Type() {
	case "bool":
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		if x, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return json.Number(s)
		}
	}
	return s
}

func writeConfigJSON(o *configOptions, entries []*configEntry) error {
	out := struct {
		ConfigFile *string        `json:"config_file"`
		Settings   []*configEntry `json:"settings"`
	}{Settings: entries}
	if o.file != nil {
		out.ConfigFile = &o.file.path
	}
	enc := json.NewEncoder(o.g.io.Out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
