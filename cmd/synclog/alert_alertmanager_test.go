package main

// Integration with a real Alertmanager: Debian's prometheus-alertmanager,
// which scripts/test installs. The test fails, never skips, when it is
// missing.

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startAlertmanager runs Alertmanager on a free loopback port with a null
// receiver, a temporary data dir and clustering off, waits until it is
// ready, and stops it when the test ends. It returns its base URL.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	bin := debianBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, bin, 30*time.Second, func(addr, data string) []string {
		return []string{"--config.file=" + cfg, "--storage.path=" + data, "--web.listen-address=" + addr,
			"--cluster.listen-address=", "--log.level=warn"}
	})
}

// gettableAlert is the part of GET /api/v2/alerts the test reads.
type gettableAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func getAlerts(t *testing.T, base string) []gettableAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts?filter=" + `alertname%3D%22SyncDegraded%22`)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts: %s: %s", resp.Status, body)
	}
	var alerts []gettableAlert
	if err := json.Unmarshal(body, &alerts); err != nil {
		t.Fatalf("GET /api/v2/alerts: %v: %s", err, body)
	}
	return alerts
}

// receivedResolved reads alertmanager_alerts_received_total for resolved
// alerts posted through API v2.
func receivedResolved(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^alertmanager_alerts_received_total\{status="resolved",version="v2"\} (\d+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no resolved counter in /metrics")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestAlertmanagerIntegration: after alert runs, Alertmanager shows the
// cluster firing with its labels and annotations; after a success and
// another run, it holds the alert as resolved.
func TestAlertmanagerIntegration(t *testing.T) {
	base := startAlertmanager(t)
	bin := relBinary(t)
	dir := relDir(t)
	r := relRun{bin: bin, dir: dir, env: relEnv(dir)}

	now := time.Now().UTC().Truncate(time.Second)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	log := filepath.Join(dir, DefaultLog)
	appendLog(t, log, alertRow(ts(-9*time.Minute), true), alertRow(ts(-6*time.Minute), true), alertRow(ts(-3*time.Minute), true))
	id := now.Add(-9 * time.Minute).Format("20060102T150405Z")

	res := r.run(t, "alert", "--now", ts(0), "--alertmanager", base)
	if res.code != 0 || res.stderr != "" || !strings.HasPrefix(res.stdout, "new "+id+" status=firing ") {
		t.Fatalf("first run: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	alerts := getAlerts(t, base)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts in Alertmanager, want 1: %+v", len(alerts), alerts)
	}
	a := alerts[0]
	want := map[string]string{"alertname": "SyncDegraded", "repo": "snappy-os", "machine": "nuc", "severity": "warning", "alert_id": id}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
		}
	}
	if a.Status.State != "active" || !a.StartsAt.Equal(now.Add(-9*time.Minute)) || !a.EndsAt.After(time.Now()) {
		t.Errorf("alert not firing: state %q startsAt %s endsAt %s", a.Status.State, a.StartsAt, a.EndsAt)
	}
	if !strings.HasPrefix(a.Annotations["summary"], "3 failed sync runs of repo snappy-os, machine nuc") ||
		!strings.Contains(a.Annotations["last_error"], "i/o timeout") ||
		a.Annotations["alert_file"] != filepath.Join(dir, DefaultAlertDir, "sync-degraded-"+id+".md") {
		t.Errorf("annotations %v", a.Annotations)
	}

	// A rerun posts the firing alert again: still one alert, still active.
	res = r.run(t, "alert", "--now", ts(0), "--alertmanager", base)
	if res.code != 0 || res.stdout != "" {
		t.Fatalf("rerun: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if alerts := getAlerts(t, base); len(alerts) != 1 || alerts[0].Status.State != "active" {
		t.Fatalf("after the rerun: %+v", alerts)
	}

	// A success resolves the cluster; Alertmanager gets it with endsAt at
	// the success, in the past, and no longer lists it as active.
	resolvedBefore := receivedResolved(t, base)
	appendLog(t, log, alertRow(ts(-1*time.Minute), false))
	res = r.run(t, "alert", "--now", time.Now().UTC().Format(time.RFC3339), "--alertmanager", base)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "resolved "+id+" status=resolved ") {
		t.Fatalf("after the success: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if got := receivedResolved(t, base); got != resolvedBefore+1 {
		t.Errorf("alertmanager received %d resolved alerts, want %d", got, resolvedBefore+1)
	}
	for _, a := range getAlerts(t, base) {
		// Alertmanager 0.25 leaves resolved alerts out of the list; one
		// still listed must have ended.
		if a.Labels["alert_id"] == id && (a.Status.State == "active" || a.EndsAt.After(time.Now())) {
			t.Errorf("alert still firing: state %q endsAt %s", a.Status.State, a.EndsAt)
		}
	}
}
