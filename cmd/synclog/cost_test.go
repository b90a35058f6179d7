package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const costSampleNow = "2026-04-17T00:05:00Z"

func costSample(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runCostArgs runs synclog in-process with an isolated environment and
// returns its stdout, stderr and exit status.
func runCostArgs(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	var out, errb bytes.Buffer
	code := runArgs(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

// TestCostGolden compares the cost of the sample with testdata/golden;
// go test -run TestCostGolden -update rewrites the files.
func TestCostGolden(t *testing.T) {
	sample := costSample(t)
	tests := []struct {
		golden string
		args   []string
	}{
		{"cost_sample_day.ndjson", []string{"cost", "--log", sample, "--now", costSampleNow, "--out", "-", "--format", "ndjson"}},
		{"cost_sample_week.tsv", []string{"cost", "--log", sample, "--now", costSampleNow, "--out", "-", "--period", "week", "--format", "table"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			path := goldenPath(t, tt.golden)
			t.Chdir(t.TempDir()) // no synclog.yaml from the working directory
			out, errOut, code := runCostArgs(t, tt.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", path, out)
			}
		})
	}
}

// goldenPath is the absolute path of a golden file, resolved before any Chdir.
func goldenPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCostGoldenSense checks that the golden numbers add up: every April day
// of the sample costs 500/30 cents shared among its tenants, the rounded
// cents never under-report, and a week is the sum of its days.
func TestCostGoldenSense(t *testing.T) {
	data, err := os.ReadFile(goldenPath(t, "cost_sample_day.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]*big.Rat{}
	var total big.Rat
	var rows int
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r costRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		rows++
		if r.Kind != "sync_cost" || r.GeneratedAt != costSampleNow {
			t.Errorf("row %q: kind or generated_at", line)
		}
		exact, ok := new(big.Rat).SetString(r.CostExactCents)
		if !ok {
			t.Fatalf("cost_exact_cents %q", r.CostExactCents)
		}
		if r.CostUSDCents < 0 || new(big.Rat).Sub(big.NewRat(r.CostUSDCents, 1), exact).Cmp(big.NewRat(-1, 2)) < 0 {
			t.Errorf("%s %s: %d cents for %s exact: under-reported", r.Period, r.TenantID, r.CostUSDCents, r.CostExactCents)
		}
		if exact.Sign() > 0 && r.CostUSDCents == 0 {
			t.Errorf("%s %s: positive amount shown as free", r.Period, r.TenantID)
		}
		if perDay[r.Period] == nil {
			perDay[r.Period] = new(big.Rat)
		}
		perDay[r.Period].Add(perDay[r.Period], exact)
		total.Add(&total, exact)
	}
	if len(perDay) != 14 {
		t.Errorf("got %d days, want 14 (2026-04-03..16)", len(perDay))
	}
	day := big.NewRat(500, 30)
	tol := big.NewRat(1, 1000) // each row is rounded to 6 decimals
	for p, sum := range perDay {
		if d := new(big.Rat).Sub(sum, day); new(big.Rat).Abs(d).Cmp(tol) > 0 {
			t.Errorf("day %s sums to %s cents, want 500/30 ≈ 16.666667", p, sum.FloatString(6))
		}
	}
	if d := new(big.Rat).Sub(&total, big.NewRat(14*500, 30)); new(big.Rat).Abs(d).Cmp(tol) > 0 {
		t.Errorf("14 days sum to %s cents, want 233.333333", total.FloatString(6))
	}

	week, err := os.ReadFile(goldenPath(t, "cost_sample_week.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(week), "\n"), "\n")
	if lines[0] != "tenant\tperiod\truns\tpushed\tpulled\tcents\texact" {
		t.Errorf("header %q", lines[0])
	}
	last := strings.Split(lines[len(lines)-1], "\t")
	if last[0] != "total" || last[2] != "400" || last[6] != "233.333333" {
		t.Errorf("total line %q: want 400 runs and 233.333333 cents", lines[len(lines)-1])
	}
	if rows < len(lines)-2 {
		t.Errorf("%d day rows but %d week rows", rows, len(lines)-2)
	}
}

// TestCostConcurrentAppendsOnce runs cost several times at once on one
// aggregate file: every closed (day, tenant) is appended exactly once.
func TestCostConcurrentAppendsOnce(t *testing.T) {
	sample := costSample(t)
	golden := goldenPath(t, "cost_sample_day.ndjson")
	dir := t.TempDir()
	out := filepath.Join(dir, "evals.ndjson")
	args := []string{"cost", "--log", sample, "--now", costSampleNow, "--out", out}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Chdir(dir)
	var wg sync.WaitGroup
	codes := make([]int, 6)
	errs := make([]bytes.Buffer, len(codes))
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = runArgs(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errs[i]})
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("run %d: exit %d: %s", i, c, errs[i].String())
		}
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	// Every day of the sample is closed at costSampleNow: the file is the golden output.
	if !bytes.Equal(got, want) {
		t.Errorf("concurrent runs wrote %d lines, want the %d of the golden file", bytes.Count(got, []byte{'\n'}), bytes.Count(want, []byte{'\n'}))
	}
}

// TestCostHelp checks the command documents its exit statuses and flags.
func TestCostHelp(t *testing.T) {
	out, _, code := runCostArgs(t, "cost", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"Exit status: 0 success; 1", "--base-cents-per-month", "--stored-gib", "--out", "Examples:", "path:line"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %q", s)
		}
	}
}
