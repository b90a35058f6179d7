package main

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/synclog/synclog/pkg/lint"
)

// readConfig parses a config file (YAML, JSON or TOML by its extension;
// YAML when it has none) into nested maps with lowercase keys.
func readConfig(path string) (map[string]any, error) {
	v := viper.New()
	v.SetConfigFile(path)
	if ext := extOf(path); ext == "" {
		v.SetConfigType("yaml")
	}
	if err := v.ReadInConfig(); err != nil {
		return nil, err
	}
	return v.AllSettings(), nil
}

func extOf(path string) string {
	for i := len(path) - 1; i >= 0 && path[i] != '/'; i-- {
		if path[i] == '.' {
			return path[i+1:]
		}
	}
	return ""
}

// setting is one configuration key and the flags, across the command tree,
// that it sets.
type setting struct {
	key  string
	uses []settingUse
}

// settingUse is one flag a configuration key sets.
type settingUse struct {
	cmd  *cobra.Command // the command the flag belongs to; the root for a global flag
	flag *pflag.Flag
}

// env is the environment variable that sets the key.
func (s *setting) env() string { return envName(s.key) }

// label names a use for people: "--tz" for a global flag, else
// "alert --window".
func (u settingUse) label() string {
	if u.cmd.Parent() == nil {
		return "--" + u.flag.Name
	}
	return strings.TrimPrefix(u.cmd.CommandPath(), u.cmd.Root().Name()+" ") + " --" + u.flag.Name
}

// settings walks the command tree from root and returns every
// configuration key with the flags it sets, in tree order (the root's
// flags first, then each command's, depth first), sorted by key. Flags
// only the command line sets (noConfigAnnotation), help and version have
// no key.
func settings(root *cobra.Command) []*setting {
	byKey := map[string]*setting{}
	var keys []string
	add := func(c *cobra.Command, fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) {
			if !isConfigFlag(f) {
				return
			}
			k := configKey(f)
			s, ok := byKey[k]
			if !ok {
				s = &setting{key: k}
				byKey[k] = s
				keys = append(keys, k)
			}
			s.uses = append(s.uses, settingUse{cmd: c, flag: f})
		})
	}
	add(root, root.PersistentFlags())
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			add(sub, sub.LocalFlags())
			walk(sub)
		}
	}
	walk(root)
	sort.Strings(keys)
	out := make([]*setting, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// flagValue is a flag's value as configuration text: a list joined with
// commas, anything else as the flag prints it.
func flagValue(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// fileSetting is a configuration key that no flag sets: lint reads it from
// the environment and the config file itself.
type fileSetting struct {
	key   string
	env   string
	cmd   string // the command that reads it
	usage string
	def   any // []string or string
	// family: the key is one of a map's (lint.severity.RULE), whose
	// usage, given on the first, is the map's.
	family bool
}

// fileSettings are the keys of lint.go's lintConfigFile: lint.disable,
// lint.enable, lint.severity.RULE for every rule, sync.allow and sync.deny.
func fileSettings() []fileSetting {
	out := []fileSetting{
		{key: "lint.disable", cmd: "lint", usage: "rules not run; --disable adds to them, --enable takes away", def: []string{}},
		{key: "lint.enable", cmd: "lint", usage: "rules run even when lint.disable lists them", def: []string{}},
	}
	for i, r := range lint.Rules {
		s := fileSetting{key: "lint.severity." + r.ID, cmd: "lint", def: r.Severity.String(), family: true}
		if i == 0 {
			s.usage = "the severity of each rule: error, warning or info ('synclog lint --list-rules' says what each catches)"
		}
		out = append(out, s)
	}
	out = append(out,
		fileSetting{key: "sync.allow", env: "SYNC_ALLOW", cmd: "lint", usage: "globs of the paths the sync policy allows, relative to --root; the environment variable is colon or newline separated", def: []string{}},
		fileSetting{key: "sync.deny", env: "SYNC_DENY", cmd: "lint", usage: "globs of the paths the sync policy denies (the event log belongs here)", def: []string{}},
	)
	for i := range out {
		if out[i].env == "" {
			out[i].env = envName(out[i].key)
		}
	}
	return out
}
