package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Severity is the severity label of every alert.
const Severity = "warning"

// FiringValidity is how long after a post Alertmanager keeps a firing alert
// without hearing of it again: the endsAt of a firing alert is now plus
// this. Cron posts every tick, so the alert fires as long as synclog runs
// at least this often, and resolves by itself when synclog stops.
const FiringValidity = time.Hour

// maxAnnotation bounds the error carried in an annotation.
const maxAnnotation = 2048

// PostableAlert is one element of the body of POST /api/v2/alerts.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Postable turns clusters into Alertmanager alerts, one per cluster (the
// alert_id label tells them apart): a firing one ends at now +
// FiringValidity, a resolved one at its resolved_at. file names a
// cluster's alert file, for an annotation; it may be nil.
func Postable(cs []Cluster, now time.Time, file func(*Cluster) string) []PostableAlert {
	out := make([]PostableAlert, 0, len(cs))
	for i := range cs {
		c := &cs[i]
		labels := map[string]string{"alertname": AlertName, "severity": Severity, "alert_id": c.ID}
		for _, l := range c.Group {
			if l.Value != "" { // Alertmanager reads an empty label as no label
				labels[l.Name] = l.Value
			}
		}
		ann := map[string]string{
			"summary": fmt.Sprintf("%d failed %s of %s since %s", c.Count, plural(c.Count, "sync run", "sync runs"),
				GroupText(c.Group), ndjson.FormatTS(c.First)),
			"last_error": truncate(c.LastError(), maxAnnotation),
		}
		if file != nil {
			if f := file(c); f != "" {
				ann["alert_file"] = f
			}
		}
		end := now.Add(FiringValidity)
		if !c.Firing() {
			end = c.ResolvedAt
		}
		out = append(out, PostableAlert{
			Labels:      labels,
			Annotations: ann,
			StartsAt:    ndjson.FormatTS(c.First),
			EndsAt:      ndjson.FormatTS(end),
		})
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Client posts alerts to Alertmanager's API v2.
type Client struct {
	// URL is Alertmanager's base URL (http://127.0.0.1:9093, with its
	// route prefix if it has one), or the full URL of /api/v2/alerts.
	URL  string
	HTTP *http.Client // nil: a client without a global timeout
	// Timeout bounds each attempt (default 10s).
	Timeout time.Duration
	// Attempts is how many times a post is tried (default 3): again after
	// a network error, a 5xx or a 429; never after another 4xx.
	Attempts int
	// Backoff is the wait before the second attempt, doubled before each
	// one after it (default 500ms).
	Backoff time.Duration
}

// Client defaults.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 3
	DefaultBackoff  = 500 * time.Millisecond
)

// AlertsURL is the URL of POST /api/v2/alerts under base.
func AlertsURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("alertmanager URL %q: want http://host:port or https://host:port", base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("alertmanager URL %q: no query or fragment, please", base)
	}
	if !strings.HasSuffix(u.Path, "/api/v2/alerts") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v2/alerts"
	}
	return u.String(), nil
}

// Post sends alerts in one request, retrying as the Client says. Nothing
// is sent when alerts is empty.
func (c *Client) Post(ctx context.Context, alerts []PostableAlert) error {
	if len(alerts) == 0 {
		return nil
	}
	target, err := AlertsURL(c.URL)
	if err != nil {
		return err
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	timeout, attempts, backoff := c.Timeout, c.Attempts, c.Backoff
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	var last error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(backoff << (i - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("post %s: %w (after %v)", target, ctx.Err(), last)
			case <-t.C:
			}
		}
		retry, err := c.postOnce(ctx, hc, target, body, timeout)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	if attempts > 1 {
		return fmt.Errorf("%w (%d attempts)", last, attempts)
	}
	return last
}

// postOnce makes one attempt; it reports whether another may succeed.
func (c *Client) postOnce(ctx context.Context, hc *http.Client, target string, body []byte, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "synclog")
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return true, fmt.Errorf("post %s: no answer within %s", target, timeout)
		}
		return true, fmt.Errorf("post %s: %w", target, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	text := strings.TrimSpace(string(msg))
	if text == "" {
		return retry, fmt.Errorf("post %s: %s", target, resp.Status)
	}
	return retry, fmt.Errorf("post %s: %s: %s", target, resp.Status, text)
}
