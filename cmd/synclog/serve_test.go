package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/synclog/synclog/pkg/ndjson"
)

var servingRE = regexp.MustCompile(`on http://(127\.0\.0\.1:\d+)`)

// startServe runs synclog serve in-process on a free loopback port and
// returns its base URL and a function that stops it and returns its exit
// status and stderr.
func startServe(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- runArgs(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...),
			&IOStreams{In: bytes.NewReader(nil), Out: io.Discard, Err: stderr})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() (int, string) {
				cancel()
				return <-code, stderr.String()
			}
			t.Cleanup(func() { cancel() })
			return "http://" + m[1], stop
		}
		select {
		case c := <-code:
			cancel()
			t.Fatalf("serve exited %d: %s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// metricValue reads one series' value from an exposition.
func metricValue(t *testing.T, expo, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(expo)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func copySample(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "sample.ndjson")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeEndpoints proves /metrics serves what 'synclog metrics' prints
// plus the process's own metrics and grows with the log, /_status is
// byte-for-byte the status.json 'synclog alert' writes for the same --now,
// /healthz answers, every other path is 404, and a cancelled context (what
// SIGTERM does in run) shuts the server down with exit 0.
func TestServeEndpoints(t *testing.T) {
	dir := t.TempDir()
	log := copySample(t, dir)
	now := "2026-04-16T20:00:00Z"
	var want bytes.Buffer
	if c := runArgs(context.Background(), []string{"metrics", "--log", log}, &IOStreams{In: bytes.NewReader(nil), Out: &want, Err: io.Discard}); c != 0 {
		t.Fatalf("metrics exit %d", c)
	}
	alertDir := filepath.Join(dir, "alerts")
	statusFile := filepath.Join(dir, "status.json")
	if c := runArgs(context.Background(), []string{"alert", "--log", log, "--now", now, "--dir", alertDir, "--status-file", statusFile},
		&IOStreams{In: bytes.NewReader(nil), Out: io.Discard, Err: io.Discard}); c != 0 {
		t.Fatalf("alert exit %d", c)
	}
	wantStatus, err := os.ReadFile(statusFile)
	if err != nil {
		t.Fatal(err)
	}

	base, stop := startServe(t, "--log", log, "--now", now, "--alert-dir", alertDir)

	code, body, hdr := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(want.Bytes()), []byte("\n")) {
		if !bytes.Contains([]byte(body), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	for _, s := range []string{"process_resident_memory_bytes", "go_goroutines", "writestead_serve_log_bytes_read_total"} {
		if !bytes.Contains([]byte(body), []byte(s)) {
			t.Errorf("/metrics lacks %s", s)
		}
	}
	if ct := hdr.Get("Content-Type"); !regexp.MustCompile(`^text/plain; version=0\.0\.4`).MatchString(ct) {
		t.Errorf("/metrics content type %q", ct)
	}

	code, body, hdr = get(t, base+"/_status")
	if code != 200 || body != string(wantStatus) || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("/_status = %d %q (%s), want %q", code, body, hdr.Get("Content-Type"), wantStatus)
	}
	if code, body, _ = get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	for _, p := range []string{"/", "/metrics/", "/sample.ndjson", "/../sample.ndjson", "/_status/x"} {
		if code, _, _ = get(t, base+p); code != 404 {
			t.Errorf("%s = %d, want 404", p, code)
		}
	}

	// Rows appended are counted at the next scrape.
	_, body, _ = get(t, base+"/metrics")
	read := metricValue(t, body, "writestead_serve_log_bytes_read_total")
	a := &ndjson.Appender{Path: log, NoSync: true}
	for range 3 {
		if err := a.Append(context.Background(), []byte(testRow("mcp", 1))); err != nil {
			t.Fatal(err)
		}
	}
	_, body, _ = get(t, base+"/metrics")
	if got := metricValue(t, body, `writestead_sync_runs_total{trigger="mcp"}`); got != 33+3 {
		t.Errorf("mcp runs = %v, want 36", got)
	}
	if got := metricValue(t, body, "writestead_serve_log_bytes_read_total") - read; got != float64(3*len(testRow("mcp", 1))) {
		t.Errorf("the scrape read %v bytes, want only the %d appended", got, 3*len(testRow("mcp", 1)))
	}

	c, stderr := stop()
	if c != 0 || !regexp.MustCompile(`(?m)^synclog: shut down$`).MatchString(stderr) {
		t.Fatalf("exit %d, stderr %s", c, stderr)
	}
}

func testRow(trigger string, n int) string {
	return fmt.Sprintf(`{"ts":"2026-04-16T10:00:00Z","op":"push","repo":"r","scope":"s","files":1,"bytes":10,"dur_ms":%d,"manifest_before":"","manifest_after":"m","trigger":%q,"machine":"m1","status":"ok"}`+"\n", n, trigger)
}

// TestServeWritersAndRotation proves that while 8 writers append through
// the locked appender, scrapes run, and the log is rotated once (renamed
// under the lock, as a rotation does), serve ends with counts equal to the
// rows written, per trigger.
func TestServeWritersAndRotation(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	base, stop := startServe(t, "--log", log, "--poll", "20ms")

	const writers, rows = 8, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			a := &ndjson.Appender{Path: log, NoSync: true}
			trigger := fmt.Sprintf("w%d", w%4)
			for i := range rows {
				if err := a.Append(context.Background(), []byte(testRow(trigger, i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	scrapes := make(chan struct{})
	go func() {
		defer close(scrapes)
		for range 20 {
			get(t, base+"/metrics")
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(30 * time.Millisecond)
	lk := flock.New(ndjson.LockPath(log))
	if err := lk.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	<-scrapes

	_, body, _ := get(t, base+"/metrics")
	for w := range 4 {
		series := fmt.Sprintf(`writestead_sync_runs_total{trigger="w%d"}`, w)
		if got := metricValue(t, body, series); got != 2*rows {
			t.Errorf("%s = %v, want %d", series, got, 2*rows)
		}
	}
	if got := metricValue(t, body, "writestead_sync_duration_seconds_count"); got != writers*rows {
		t.Errorf("count = %v, want %d", got, writers*rows)
	}
	if got := metricValue(t, body, "writestead_serve_log_reopens_total"); got != 1 {
		t.Errorf("reopens = %v, want 1", got)
	}
	if c, stderr := stop(); c != 0 {
		t.Fatalf("exit %d: %s", c, stderr)
	}
}

// TestServeSIGTERM proves the real process shuts down cleanly, exit 0, on
// SIGTERM. The synclog on $PATH is this test binary, installed by
// testscript.Main.
func TestServeSIGTERM(t *testing.T) {
	bin, err := exec.LookPath("synclog")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := copySample(t, dir)
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log", log)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var base string
	for sc.Scan() {
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			base = "http://" + m[1]
			break
		}
	}
	if base == "" {
		_ = cmd.Process.Kill()
		t.Fatal("serve did not start")
	}
	if code, _, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, rest)
	}
	if !bytes.Contains(rest, []byte("synclog: shut down")) {
		t.Errorf("stderr after SIGTERM: %s", rest)
	}
}
