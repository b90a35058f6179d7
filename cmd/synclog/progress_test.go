package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgressBar runs commands with stderr taken for a terminal (through
// IOStreams.Terminal) and the threshold lowered to 1 KiB, so the 130 KB
// sample is a "large" log: a bar is drawn on stderr exactly when stderr is
// a terminal, --quiet is not given, the logs are over the threshold and,
// for query, stdout is not a terminal; never by record.
func TestProgressBar(t *testing.T) {
	old := progressThreshold
	progressThreshold = 1 << 10
	t.Cleanup(func() { progressThreshold = old })

	dir := t.TempDir()
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "sync-events.ndjson")
	if err := os.WriteFile(log, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.ndjson")
	if err := os.WriteFile(small, sample[:bytes.IndexByte(sample, '\n')+1], 0o644); err != nil {
		t.Fatal(err)
	}
	now := "--now=2026-04-17T00:00:00Z"
	cases := []struct {
		name           string
		args           []string
		errTTY, outTTY bool
		wantBar        bool
		wantLabel      string
		wantCode       int
	}{
		{"summarize on a terminal", []string{"summarize", "--out", "-", now, "--log", log}, true, false, true, "summarize", 0},
		{"summarize not a terminal", []string{"summarize", "--out", "-", now, "--log", log}, false, false, false, "", 0},
		{"summarize --quiet", []string{"summarize", "-q", "--out", "-", now, "--log", log}, true, false, false, "", 0},
		{"summarize small log", []string{"summarize", "--out", "-", now, "--log", small}, true, false, false, "", 0},
		{"lint", []string{"lint", now, "--exit-zero", log}, true, false, true, "lint", 0},
		{"alert", []string{"alert", now, "--dir", filepath.Join(dir, "alerts"), "--status-file", filepath.Join(dir, "status.json"), "--log", log}, true, false, true, "alert", 0},
		{"alert backtest", []string{"alert", now, "--backtest", "--log", log}, true, false, true, "alert", 0},
		{"cost", []string{"cost", now, "--out", "-", "--log", log}, true, false, true, "cost", 0},
		{"query to a pipe", []string{"query", "-c", ".repo", "--log", log}, true, false, true, "query", 0},
		{"query to a terminal", []string{"query", "-c", ".repo", "--log", log}, true, true, false, "", 0},
		{"record", []string{"record", "--log", log, "--op", "push", "--repo", "r", "--scope", "s", "--trigger", "cli"}, true, true, false, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			streams := &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}
			streams.Terminal = func(w io.Writer) bool {
				return (w == io.Writer(&errb) && tc.errTTY) || (w == io.Writer(&out) && tc.outTTY)
			}
			code := runArgs(context.Background(), append([]string{"--color", "never"}, tc.args...), streams)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, errb.String())
			}
			bar := strings.Contains(errb.String(), "100 %") && strings.Contains(errb.String(), "done")
			if bar != tc.wantBar {
				t.Fatalf("bar shown: %v, want %v; stderr %q", bar, tc.wantBar, errb.String())
			}
			if tc.wantBar {
				// The bar's label names the command, and its last frame
				// counts the whole file.
				if !strings.Contains(errb.String(), tc.wantLabel+" ") {
					t.Errorf("no label %q in %q", tc.wantLabel, errb.String())
				}
				size := fmt.Sprintf("%.1f KiB / %.1f KiB", float64(len(sample))/1024, float64(len(sample))/1024)
				if want := size; !strings.Contains(errb.String(), want) {
					t.Errorf("the last frame does not show the size %s: %q", want, errb.String())
				}
			}
			if tc.name == "record" && errb.Len() != 0 {
				t.Errorf("record wrote to stderr: %q", errb.String())
			}
		})
	}
}
