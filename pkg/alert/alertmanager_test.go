package alert

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPostable(t *testing.T) {
	now := t0.Add(time.Hour)
	cs := []Cluster{sampleCluster(false), sampleCluster(true)}
	cs[1].ID = "20260416T100000Z-2"
	got := Postable(cs, now, func(c *Cluster) string { return "/alerts/" + FileName(c.ID) })
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	// The documented body of POST /api/v2/alerts: an array of
	// postableAlert objects (labels, annotations, startsAt, endsAt).
	var body []map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 2 {
		t.Fatalf("%d alerts", len(body))
	}
	for i, a := range body {
		for k := range a {
			if k != "labels" && k != "annotations" && k != "startsAt" && k != "endsAt" {
				t.Errorf("alert %d: key %q is not in the API", i, k)
			}
		}
	}
	firing, resolved := got[0], got[1]
	wantLabels := map[string]string{"alertname": "SyncDegraded", "severity": "warning", "repo": "snappy-os",
		"machine": "m1", "alert_id": "20260416T100000Z"}
	if len(firing.Labels) != len(wantLabels) {
		t.Errorf("labels %v, want %v", firing.Labels, wantLabels)
	}
	for k, v := range wantLabels {
		if firing.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, firing.Labels[k], v)
		}
	}
	if firing.StartsAt != "2026-04-16T10:00:00Z" || firing.EndsAt != "2026-04-16T12:00:00Z" {
		t.Errorf("firing: startsAt %s endsAt %s, want the first failure and now + 1h", firing.StartsAt, firing.EndsAt)
	}
	if resolved.EndsAt != "2026-04-16T10:05:00Z" || resolved.Labels["alert_id"] != "20260416T100000Z-2" {
		t.Errorf("resolved: endsAt %s labels %v, want resolved_at", resolved.EndsAt, resolved.Labels)
	}
	ann := firing.Annotations
	if ann["summary"] != "3 failed sync runs of repo snappy-os, machine m1 since 2026-04-16T10:00:00Z" ||
		ann["last_error"] != "ob sync: push state: fail at 2m0s" || ann["alert_file"] != "/alerts/sync-degraded-20260416T100000Z.md" {
		t.Errorf("annotations %v", ann)
	}
}

func TestAlertsURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:9093":                "http://127.0.0.1:9093/api/v2/alerts",
		"http://127.0.0.1:9093/":               "http://127.0.0.1:9093/api/v2/alerts",
		"https://am.example/prefix":            "https://am.example/prefix/api/v2/alerts",
		"http://127.0.0.1:9093/api/v2/alerts":  "http://127.0.0.1:9093/api/v2/alerts",
		"http://user:pw@127.0.0.1:9093/am/v2/": "http://user:pw@127.0.0.1:9093/am/v2/api/v2/alerts",
	} {
		got, err := AlertsURL(in)
		if err != nil || got != want {
			t.Errorf("AlertsURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"127.0.0.1:9093", "ftp://x", "http://", "http://h/?a=b", "::"} {
		if _, err := AlertsURL(in); err == nil {
			t.Errorf("AlertsURL(%q): no error", in)
		}
	}
}

func fastClient(url string) *Client {
	return &Client{URL: url, Timeout: 2 * time.Second, Attempts: 3, Backoff: 10 * time.Millisecond}
}

var oneAlert = []PostableAlert{{Labels: map[string]string{"alertname": "SyncDegraded"}, StartsAt: "2026-04-16T10:00:00Z"}}

func TestPostRetries(t *testing.T) {
	var calls atomic.Int32
	var gotBody, gotType, gotMethod, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		gotBody, gotType, gotMethod, gotPath = string(b), r.Header.Get("Content-Type"), r.Method, r.URL.Path
		switch n {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	if err := fastClient(srv.URL).Post(context.Background(), oneAlert); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
	if gotMethod != "POST" || gotPath != "/api/v2/alerts" || gotType != "application/json" ||
		gotBody != `[{"labels":{"alertname":"SyncDegraded"},"startsAt":"2026-04-16T10:00:00Z"}]` {
		t.Errorf("request %s %s %s %s", gotMethod, gotPath, gotType, gotBody)
	}
}

func TestPostGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"code":500,"message":"boom"}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	err := fastClient(srv.URL).Post(context.Background(), oneAlert)
	if err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") || !strings.Contains(err.Error(), "boom") ||
		!strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("err %v", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
}

// A 4xx other than 429 is the request's fault: no retry.
func TestPostNoRetryOnBadRequest(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "at least one label pair required", http.StatusBadRequest)
	}))
	defer srv.Close()
	err := fastClient(srv.URL).Post(context.Background(), oneAlert)
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: at least one label pair required") {
		t.Errorf("err %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
}

func TestPostTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &Client{URL: srv.URL, Timeout: 50 * time.Millisecond, Attempts: 2, Backoff: 10 * time.Millisecond}
	start := time.Now()
	err := c.Post(context.Background(), oneAlert)
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("err %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2", calls.Load())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestPostRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	err := fastClient(url).Post(context.Background(), oneAlert)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err %v", err)
	}
}

func TestPostNothing(t *testing.T) {
	c := &Client{URL: "http://127.0.0.1:1"}
	if err := c.Post(context.Background(), nil); err != nil {
		t.Errorf("empty post: %v", err)
	}
}

func TestPostCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{URL: srv.URL, Timeout: time.Second, Attempts: 5, Backoff: time.Hour}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	err := c.Post(ctx, oneAlert)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("did not stop when cancelled")
	}
}
