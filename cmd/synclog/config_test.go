package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestConfigPrecedence shows flags > SYNCLOG_* environment > config file >
// defaults, for a global flag, a command flag and a dotted config key.
func TestConfigPrecedence(t *testing.T) {
	type want struct {
		tz, durability string
		lockTimeout    time.Duration
		src            string // source of tz
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want want
	}{
		{"defaults", nil, nil, "", want{"UTC", "fsync", 5 * time.Second, "default"}},
		{"file", nil, nil, "tz: Europe/Berlin\ndurability: none\nlock_timeout: 2s\n",
			want{"Europe/Berlin", "none", 2 * time.Second, "file"}},
		{"env over file", nil, map[string]string{"SYNCLOG_TZ": "Asia/Tokyo", "SYNCLOG_DURABILITY": "fsync", "SYNCLOG_LOCK_TIMEOUT": "3s"},
			"tz: Europe/Berlin\ndurability: none\nlock_timeout: 2s\n", want{"Asia/Tokyo", "fsync", 3 * time.Second, "env"}},
		{"flag over env", []string{"--tz", "America/New_York", "--durability", "none", "--lock-timeout", "1s"},
			map[string]string{"SYNCLOG_TZ": "Asia/Tokyo", "SYNCLOG_DURABILITY": "fsync", "SYNCLOG_LOCK_TIMEOUT": "3s"},
			"tz: Europe/Berlin\n", want{"America/New_York", "none", time.Second, "flag"}},
		{"env only", nil, map[string]string{"SYNCLOG_TZ": "Asia/Tokyo"}, "", want{"Asia/Tokyo", "fsync", 5 * time.Second, "env"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"HOME": dir}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "synclog.yaml"), []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var got want
			io := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			root, g := newRoot(io)
			// Swap record's run for a probe that captures the resolved options.
			for _, c := range root.Commands() {
				if c.Name() == "record" {
					c.RunE = func(cmd *cobra.Command, _ []string) error {
						f := cmd.Flags()
						got.durability, _ = f.GetString("durability")
						got.lockTimeout, _ = f.GetDuration("lock-timeout")
						got.tz, _ = f.GetString("tz")
						return nil
					}
				}
			}
			g.lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			root.SetArgs(append([]string{"record", "--root", dir}, tc.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			got.src = g.sources["tz"]
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if g.loc.String() != tc.want.tz {
				t.Errorf("resolved zone %s, want %s", g.loc, tc.want.tz)
			}
		})
	}
}

// TestConfigErrors: a bad value from any source is a usage error naming it.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("lock_timeout: soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"query", "--config", bad, "-n", "1"}, "", 0}, // query ignores record's key
		{[]string{"record", "--config", bad, "--op", "push", "--repo", "r", "--scope", "s"}, "bad.yaml: lock_timeout", 1},
		{[]string{"query", "--config", filepath.Join(dir, "missing.yaml"), "-n", "1"}, "missing.yaml", 2},
		{[]string{"query", "--tz", "Mars/Olympus", "-n", "1"}, "unknown time zone", 2},
		{[]string{"query", "--now", "yesterday", "-n", "1"}, "not an RFC 3339 time", 2},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := runArgs(t.Context(), tc.args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d stderr %q; want exit %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
