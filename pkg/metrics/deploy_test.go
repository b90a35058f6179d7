package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool returns the path of promtool; a test that needs it fails
// without it (Debian's prometheus package), it never skips.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (apt-get install prometheus)")
	}
	return p
}

func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

const deployDir = "../../deploy"

// TestRules proves promtool accepts rules.yml and its unit tests pass.
func TestRules(t *testing.T) {
	dir := filepath.Join(deployDir, "prometheus")
	runPromtool(t, dir, "check", "rules", "rules.yml")
	runPromtool(t, dir, "test", "rules", "rules_test.yml")
}

// TestPrometheusConfig proves promtool accepts prometheus.yml, which loads
// the rules.
func TestPrometheusConfig(t *testing.T) {
	out := runPromtool(t, filepath.Join(deployDir, "prometheus"), "check", "config", "prometheus.yml")
	if !strings.Contains(out, "1 rule files found") {
		t.Errorf("prometheus.yml does not load rules.yml:\n%s", out)
	}
}

// TestExpositionPromtool proves promtool check metrics accepts, with no
// warning, the exposition of counts that hold every metric.
func TestExpositionPromtool(t *testing.T) {
	c := NewCounts()
	tl := NewTailer("../../testdata/sample.ndjson", c)
	defer tl.Close()
	if err := tl.Poll(); err != nil {
		t.Fatal(err)
	}
	c.AddSkipped(2)
	out, err := Exposition(Registry(DefaultNamespace, c))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(string(out))
	res, err := cmd.CombinedOutput()
	if err != nil || len(res) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, res)
	}
}

// TestDashboard proves the Grafana dashboard is JSON with the seed's
// panels (success/min, errors/min, per trigger, duration), each querying
// metrics synclog exposes.
func TestDashboard(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "grafana", "sync-activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Title != "Sync Activity" {
		t.Errorf("title %q", d.Title)
	}
	want := map[string]string{
		"Successful syncs / min":  "writestead_sync_runs_total",
		"Errors / min":            "writestead_sync_errors_total",
		"Runs / min by trigger":   "by (trigger)",
		"Mean sync duration":      "writestead_sync_duration_seconds_count",
		"Errors / min by trigger": "by (trigger)",
	}
	got := map[string]string{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			got[p.Title] += tg.Expr
			if !strings.Contains(tg.Expr, DefaultNamespace+"_sync_") {
				t.Errorf("panel %q queries %q, no synclog metric", p.Title, tg.Expr)
			}
		}
	}
	for title, frag := range want {
		if !strings.Contains(got[title], frag) {
			t.Errorf("panel %q: missing or its query lacks %q (%q)", title, frag, got[title])
		}
	}
}
