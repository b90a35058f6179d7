package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files and testscript expectations")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"synclog": func() { os.Exit(run()) },
	})
}

// TestScripts runs every testdata/script/*.txtar end to end against the
// real binary entry point. The sample log is at $SAMPLE; $DSTLOG holds
// three days around the end of US daylight saving time (2026-11-01).
func TestScripts(t *testing.T) {
	sample, err := filepath.Abs("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	dst, err := filepath.Abs("../../testdata/dst-fallback.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("SAMPLE", sample)
			env.Setenv("DSTLOG", dst)
			env.Setenv("SYNCLOG_MACHINE", "test-machine")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
