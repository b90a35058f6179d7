package main

// Integration with a real Prometheus: Debian's prometheus, which
// scripts/test installs. The test fails, never skips, when it is missing.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startPrometheus runs Prometheus on a free loopback port, its storage in
// a temporary directory, scraping target (host:port) every second as job
// "synclog"; it waits until Prometheus is ready, stops it when the test
// ends, and returns its base URL.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := debianBinary(t, "prometheus", "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: synclog
    static_configs:
      - targets: [%q]
`, target)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, bin, 60*time.Second, func(addr, data string) []string {
		return []string{"--config.file=" + cfg, "--storage.tsdb.path=" + data, "--web.listen-address=" + addr, "--log.level=warn"}
	})
}

// promQuery runs an instant query through Prometheus's HTTP API and
// returns each series of the vector it gives by the value of label.
func promQuery(t *testing.T, base, query, label string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("query %s: %v: %s", query, err, body)
	}
	if resp.StatusCode != http.StatusOK || r.Status != "success" || r.Data.ResultType != "vector" {
		t.Fatalf("query %s: %s: %s", query, resp.Status, body)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		str, ok := s.Value[1].(string)
		if !ok {
			t.Fatalf("query %s: value %v", query, s.Value)
		}
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			t.Fatalf("query %s: %v", query, err)
		}
		out[s.Metric[label]] = v
	}
	return out
}

// recordRun appends one row with the record command, in-process.
func recordRun(t *testing.T, log, trigger string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runArgs(context.Background(), []string{"record", "--log", log, "--op", "push", "--repo", "snappy-os",
		"--scope", "state", "--trigger", trigger, "--machine", "m1", "--dur-ms", "120", "--durability", "none"},
		&IOStreams{In: bytes.NewReader(nil), Out: &stdout, Err: &stderr})
	if code != 0 || stdout.Len() != 0 {
		t.Fatalf("record --trigger %s: exit %d, stdout %q, stderr %q", trigger, code, stdout.String(), stderr.String())
	}
}

// TestPrometheusScrapesServe proves a real Prometheus scraping synclog
// serve sees writestead_sync_runs_total grow by exactly the rows record
// appends, per trigger.
func TestPrometheusScrapesServe(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	// One row per trigger before Prometheus starts: each series exists
	// from the first scrape, so growth is measured from a known value.
	recordRun(t, log, "cron")
	recordRun(t, log, "stop-hook")
	base, stop := startServe(t, "--log", log, "--poll", "250ms")
	prom := startPrometheus(t, strings.TrimPrefix(base, "http://"))

	const query = `writestead_sync_runs_total{job="synclog"}`
	// waitFor polls Prometheus until the series have exactly the values
	// of want; a value above it fails at once.
	waitFor := func(want map[string]float64) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := promQuery(t, prom, query, "trigger")
			for trigger, v := range got {
				if v > want[trigger] {
					t.Fatalf("%s{trigger=%q} = %v, above %v: %v", query, trigger, v, want[trigger], got)
				}
			}
			if fmt.Sprint(got) == fmt.Sprint(want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 60s Prometheus has %v, want %v; up: %v", got, want, promQuery(t, prom, `up{job="synclog"}`, "job"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor(map[string]float64{"cron": 1, "stop-hook": 1})

	const cron, stopHook = 3, 5
	for range cron {
		recordRun(t, log, "cron")
	}
	for range stopHook {
		recordRun(t, log, "stop-hook")
	}
	waitFor(map[string]float64{"cron": 1 + cron, "stop-hook": 1 + stopHook})

	// Through PromQL too: the increase over the samples Prometheus holds,
	// and no more once it has scraped again.
	scrapedAt := func() float64 {
		return promQuery(t, prom, `timestamp(up{job="synclog"})`, "job")["synclog"]
	}
	last := scrapedAt()
	deadline := time.Now().Add(30 * time.Second)
	for scrapedAt() < last+2 {
		if time.Now().After(deadline) {
			t.Fatal("Prometheus stopped scraping serve")
		}
		time.Sleep(200 * time.Millisecond)
	}
	grew := promQuery(t, prom, `max_over_time(`+query+`[5m]) - min_over_time(`+query+`[5m])`, "trigger")
	if grew["cron"] != cron || grew["stop-hook"] != stopHook || len(grew) != 2 {
		t.Errorf("growth per trigger = %v, want cron %d, stop-hook %d", grew, cron, stopHook)
	}
	if up := promQuery(t, prom, `up{job="synclog"}`, "job"); up["synclog"] != 1 {
		t.Errorf("up = %v", up)
	}
	if c, stderr := stop(); c != 0 {
		t.Fatalf("serve exit %d: %s", c, stderr)
	}
}
