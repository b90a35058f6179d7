package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// isolateEnv clears every SYNCLOG_* variable, SYNC_ALLOW and SYNC_DENY
// for the test, and points HOME and XDG_CONFIG_HOME at an empty directory,
// so runArgs sees no configuration from the host.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SYNCLOG_") || k == "SYNC_ALLOW" || k == "SYNC_DENY" {
			t.Setenv(k, "") // restored when the test ends
			os.Unsetenv(k)
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
}

type configJSON struct {
	ConfigFile *string `json:"config_file"`
	Settings   []struct {
		Key    string          `json:"key"`
		Value  json.RawMessage `json:"value"`
		Source string          `json:"source"`
		Error  string          `json:"error"`
	} `json:"settings"`
}

func runConfigJSON(t *testing.T, args ...string) configJSON {
	t.Helper()
	var out, errb bytes.Buffer
	if code := runArgs(t.Context(), append([]string{"config", "--format", "json"}, args...), &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("config: exit %d: %s", code, errb.String())
	}
	var c configJSON
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		t.Fatalf("config --format json: %v\n%s", err, out.String())
	}
	return c
}

// TestInitConfigRoundTrip: the synclog.yaml init writes, read back, sets
// every key (source file in 'synclog config'), each to the value it has
// with no config file at all: every setting at its default.
func TestInitConfigRoundTrip(t *testing.T) {
	isolateEnv(t)
	t.Chdir(t.TempDir())
	before := runConfigJSON(t)
	if before.ConfigFile != nil {
		t.Fatalf("a config file before init: %s", *before.ConfigFile)
	}
	var out, errb bytes.Buffer
	if code := runArgs(t.Context(), []string{"init", "--bin", "synclog"}, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errb.String())
	}
	after := runConfigJSON(t)
	if after.ConfigFile == nil || *after.ConfigFile != "synclog.yaml" {
		t.Fatalf("config file after init: %v, want synclog.yaml", after.ConfigFile)
	}
	defaults := map[string]string{}
	for _, s := range before.Settings {
		if s.Source != "default" {
			t.Errorf("before init: %s from %s", s.Key, s.Source)
		}
		defaults[s.Key] = string(s.Value)
	}
	if len(after.Settings) != len(before.Settings) || len(after.Settings) < 60 {
		t.Errorf("%d keys after init, %d before", len(after.Settings), len(before.Settings))
	}
	for _, s := range after.Settings {
		if s.Error != "" {
			t.Errorf("%s: %s", s.Key, s.Error)
		}
		if s.Key == "config" {
			if s.Source != "default" || string(s.Value) != `"synclog.yaml"` {
				t.Errorf("config: %s from %s, want the file found by default", s.Value, s.Source)
			}
			continue
		}
		if s.Source != "file" {
			t.Errorf("%s: from %s after init, want file", s.Key, s.Source)
		}
		if string(s.Value) != defaults[s.Key] {
			t.Errorf("%s: %s from the file, default %s", s.Key, s.Value, defaults[s.Key])
		}
	}
}

// TestInitExitStatus: an existing synclog.yaml is a failure (1), not a
// usage error, and changes nothing; --force overwrites; a bad flag is 2.
func TestInitExitStatus(t *testing.T) {
	isolateEnv(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "synclog.yaml")
	if err := os.WriteFile(cfg, []byte("tz: Asia/Tokyo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := runArgs(t.Context(), append([]string{"init", "--root", dir, "--bin", "synclog"}, args...), &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
		return code, errb.String()
	}
	if code, stderr := run(); code != exitFailure || !strings.Contains(stderr, cfg+" exists") {
		t.Errorf("init over a file: exit %d, %q; want 1 naming %s", code, stderr, cfg)
	}
	if b, _ := os.ReadFile(cfg); string(b) != "tz: Asia/Tokyo\n" {
		t.Errorf("refused init changed the file: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "state/log")); err == nil {
		t.Error("refused init created state/log")
	}
	if code, stderr := run("--force"); code != 0 {
		t.Errorf("init --force: exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(cfg); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("after --force: %v %v", fi.Mode(), err)
	}
	if code, _ := run("--print", "nope"); code != exitUsage {
		t.Errorf("init --print nope: exit %d, want 2", code)
	}
}

// TestConfigAgreesWithCommands: for every key of every command, 'synclog
// config' shows the value and source that the command itself resolves,
// with settings from the environment, the file and global flags mixed.
func TestConfigAgreesWithCommands(t *testing.T) {
	dir := t.TempDir()
	file := "tz: Europe/Berlin\nlock_timeout: 3s\nalert:\n  min_failures: 4\n  group_by: [repo, op]\nlint:\n  tick: 20m\nserve:\n  poll: 1s\npricing:\n  stored_gib: \"12.5\"\n"
	if err := os.WriteFile(filepath.Join(dir, "synclog.yaml"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": dir, "SYNCLOG_ALERT_WINDOW": "30m", "SYNCLOG_LOCK_TIMEOUT": "2s",
		"SYNCLOG_METRICS_NAMESPACE": "acme", "SYNCLOG_QUIET": "true"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	global := []string{"--root", dir, "--now", "2026-04-17T00:00:00Z"}

	// What config says, as key -> value and source.
	var out bytes.Buffer
	root, g := newRoot(&IOStreams{In: strings.NewReader(""), Out: &out, Err: &bytes.Buffer{}})
	g.lookupEnv = lookup
	root.SetArgs(append([]string{"config"}, global...))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	shown := map[string][2]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		f := strings.Split(l, "\t")
		shown[f[0]] = [2]string{f[1], f[2]}
	}

	checked := 0
	for _, name := range []string{"alert", "cost", "lint", "metrics", "record", "rotate", "serve", "summarize"} {
		root, g := newRoot(&IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		g.lookupEnv = lookup
		var sources map[string]string
		got := map[string]string{}
		for _, c := range root.Commands() {
			c.RunE = func(cmd *cobra.Command, _ []string) error {
				sources = maps.Clone(g.sources)
				cmd.Flags().VisitAll(func(f *pflag.Flag) {
					if isConfigFlag(f) {
						got[configKey(f)] = flagValue(f)
					}
				})
				return nil
			}
		}
		root.SetArgs(append([]string{name}, global...))
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for key, src := range sources {
			if key == "config" {
				continue
			}
			checked++
			if s := shown[key]; s != [2]string{got[key], src} {
				t.Errorf("%s: %s is %q from %s; config shows %q from %s", name, key, got[key], src, s[0], s[1])
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d keys checked", checked)
	}
	for key, want := range map[string][2]string{"alert.window": {"30m", "env"}, "alert.min_failures": {"4", "file"},
		"lock_timeout": {"2s", "env"}, "tz": {"Europe/Berlin", "file"}, "root": {dir, "flag"}, "lint.skew": {"5m0s", "default"}} {
		if shown[key] != want {
			t.Errorf("config shows %s as %q, want %q", key, shown[key], want)
		}
	}
}
