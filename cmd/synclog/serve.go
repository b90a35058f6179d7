package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/synclog/synclog/pkg/alert"
	"github.com/synclog/synclog/pkg/metrics"
)

// DefaultListen is serve's address: loopback, Prometheus's exporter port
// range.
const DefaultListen = "127.0.0.1:9464"

// HTTP server limits: a slow or stuck client never holds a connection.
const (
	serveReadHeaderTimeout = 5 * time.Second
	serveReadTimeout       = 10 * time.Second
	serveWriteTimeout      = 30 * time.Second
	serveIdleTimeout       = 60 * time.Second
	serveShutdownTimeout   = 10 * time.Second
	serveMaxHeaderBytes    = 16 << 10
)

type serveOptions struct {
	g            *globalOptions
	Listen       string
	Namespace    string
	Poll         time.Duration
	AlertDir     string
	Window       spanValue
	MinFailures  int
	GroupBy      []string
	Lookback     spanValue
	StatusWindow spanValue
	Threshold    float64
}

func newServeCmd(g *globalOptions) *cobra.Command {
	o := &serveOptions{g: g}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve the log's metrics and the tenant status over HTTP",
		Long: `Serve follows the event log and answers over HTTP, on loopback unless
--listen names another address:

  /metrics   the metrics of 'synclog metrics', plus the process's own
             (process_*, go_*) and serve's: <ns>_serve_log_bytes_read_total,
             <ns>_serve_log_reopens_total, <ns>_serve_log_handoffs_total; it
             carries machine ids and is for the operator
  /_status   the tenant status that 'synclog alert' writes to status.json,
             recomputed per request from the log and the alert files
             (counts only: it may be shown to tenants)
  /healthz   "ok"

Any other path is 404; no path from a request touches the file system.

The log (--log, one file, no glob) is read from its start once, then only the
bytes appended since the last read, on every scrape and every --poll. The file
stays open: when the path names a new file, the old one is first read to its
end, so rows appended just before a rotation are counted. After 'synclog
rotate', which leaves a note beside the log (.<log>.rotated) saying how much
of the new log is rows it kept, the new log is read from the end of those
rows, counted already in the old one. After any other replacement (logrotate,
say), or when the file is shorter than what was read (truncation), the new
file is read from its start: rows a tool copied into it from the old one
count again. A last line without its newline waits for it. Counters start again from the log's rows when serve
restarts, which Prometheus's rate() takes as a counter reset.

/_status uses alert's settings (alert.dir, alert.window, alert.min_failures,
alert.group_by, alert.lookback, alert.status_window, alert.tenant_threshold),
so it says what status.json would say if alert ran now.

SIGTERM or SIGINT stops it: it stops accepting, lets requests in flight finish
(up to 10s), and exits 0.

Exit status: 0 stopped by a signal; 1 a failure (the address in use, the log
unreadable); 2 a usage or configuration error.`,
		Example: `  synclog serve
  synclog serve --listen 127.0.0.1:9464 --log /var/lib/synclog/sync-events.ndjson
  curl -s 127.0.0.1:9464/_status`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Listen, "listen", DefaultListen, "address to listen on (host:port; a port of 0 picks a free one)")
	fs.StringVar(&o.Namespace, "namespace", metrics.DefaultNamespace, "prefix of every metric name")
	fs.DurationVar(&o.Poll, "poll", 5*time.Second, "how often the log is read between scrapes")
	fs.StringVar(&o.AlertDir, "alert-dir", DefaultAlertDir, "directory of the alert files, for /_status")
	o.Window, o.Lookback, o.StatusWindow = spanValue(alert.DefaultWindow), spanValue(alert.DefaultLookback), spanValue(alert.DefaultStatusWindow)
	fs.Var(&o.Window, "window", "alert window, for /_status")
	fs.IntVar(&o.MinFailures, "min-failures", alert.DefaultMinFailures, "alert min failures, for /_status")
	fs.StringSliceVar(&o.GroupBy, "group-by", alert.DefaultGroupBy, "alert group fields, for /_status")
	fs.Var(&o.Lookback, "lookback", "alert lookback, for /_status")
	fs.Var(&o.StatusWindow, "status-window", "a tenant with a row this recent is active, for /_status")
	fs.Float64Var(&o.Threshold, "threshold", alert.DefaultThreshold, "share of failing tenants above which /_status is degraded")
	for flag, key := range map[string]string{
		"listen":        "serve.listen",
		"namespace":     "metrics.namespace",
		"poll":          "serve.poll",
		"alert-dir":     "alert.dir",
		"window":        "alert.window",
		"min-failures":  "alert.min_failures",
		"group-by":      "alert.group_by",
		"lookback":      "alert.lookback",
		"status-window": "alert.status_window",
		"threshold":     "alert.tenant_threshold",
	} {
		setConfigKey(fs, flag, key)
	}
	return cmd
}

// server is serve's state: the log's counts and how /_status is computed.
type server struct {
	g       *globalOptions
	tail    *metrics.Tailer
	gather  prometheus.Gatherer
	status  alert.Options
	statMu  sync.Mutex // one /_status pass at a time
	pollErr func(error)
}

func runServe(ctx context.Context, o *serveOptions) error {
	g := o.g
	if err := metrics.ValidNamespace(o.Namespace); err != nil {
		return usageErrorf("--namespace: %v", err)
	}
	if o.Poll <= 0 {
		return usageErrorf("--poll %s: want a positive duration", o.Poll)
	}
	if len(g.logPatterns()) != 1 || strings.ContainsAny(g.logPatterns()[0], "*?[") || g.logPatterns()[0] == "-" {
		return usageErrorf("--log: serve follows one file, not stdin or a glob")
	}
	logPath := g.path(g.logPatterns()[0])
	if strings.HasSuffix(logPath, ".gz") {
		return usageErrorf("--log %s: serve follows a plain log, not a .gz archive", logPath)
	}
	status := alert.Options{
		Paths: []string{logPath}, MinFailures: o.MinFailures, Threshold: o.Threshold,
		Window: time.Duration(o.Window), Lookback: time.Duration(o.Lookback), StatusWindow: time.Duration(o.StatusWindow),
		Dir: g.path(o.AlertDir),
	}
	var err error
	if status.GroupBy, err = alert.ParseGroupBy(o.GroupBy); err != nil {
		return usageErrorf("--group-by: %v", err)
	}
	if err := status.Validate(); err != nil {
		return usageErrorf("%v", err)
	}

	counts := metrics.NewCounts()
	tail := metrics.NewTailer(logPath, counts)
	defer tail.Close()
	if err := tail.Poll(); err != nil {
		return err
	}
	own := prometheus.NewRegistry()
	own.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: o.Namespace, Subsystem: "serve", Name: "log_bytes_read_total",
			Help: "Bytes serve has read from the event log since it started.",
		}, func() float64 { return float64(tail.BytesRead()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: o.Namespace, Subsystem: "serve", Name: "log_reopens_total",
			Help: "Times serve found the event log replaced or truncated.",
		}, func() float64 { return float64(tail.Rotations()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: o.Namespace, Subsystem: "serve", Name: "log_handoffs_total",
			Help: "Times serve followed a rotation by synclog rotate past the rows it kept, counted before in the old log.",
		}, func() float64 { return float64(tail.Handoffs()) }),
	)
	s := &server{
		g:      g,
		tail:   tail,
		gather: prometheus.Gatherers{metrics.Registry(o.Namespace, counts), own},
		status: status,
	}
	var warnMu sync.Mutex
	var lastWarn string
	s.pollErr = func(err error) {
		// One line per distinct error, not one per poll.
		warnMu.Lock()
		defer warnMu.Unlock()
		if msg := err.Error(); msg != lastWarn {
			lastWarn = msg
			g.warnf("%v", err)
		}
	}

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		WriteTimeout:      serveWriteTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    serveMaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		g.warnf("listening on %s, which is not loopback: /metrics carries machine ids", ln.Addr())
	}
	g.warnf("serving %s on http://%s", logPath, ln.Addr())

	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(o.Poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := tail.Poll(); err != nil {
					s.pollErr(err)
				}
			}
		}
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		<-done
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), serveShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-done
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	g.warnf("shut down")
	return nil
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	metricsHandler := promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             serveWriteTimeout - time.Second,
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if err := s.tail.Poll(); err != nil {
			s.pollErr(err)
		}
		metricsHandler.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /_status", s.serveStatus)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// serveStatus answers what status.json would hold if alert ran now.
func (s *server) serveStatus(w http.ResponseWriter, r *http.Request) {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	now := s.g.now
	if !s.g.nowGiven {
		now = s.g.clock()
	}
	o := s.status
	o.Now, o.GeneratedAt = now, now
	d, tenants, _, err := alert.Read(r.Context(), &o)
	if err != nil {
		s.statusError(w, err)
		return
	}
	existing, err := alert.ReadDir(o.Dir)
	if err != nil {
		s.statusError(w, err)
		return
	}
	res := alert.Result{Clusters: alert.Reconcile(d.Clusters(o.Window, o.MinFailures), d, existing, o.Window)}
	st := alert.ComputeStatus(tenants, o.StatusWindow, o.Threshold, res.Firing(), o.GeneratedAt)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(st.JSON())
}

func (s *server) statusError(w http.ResponseWriter, err error) {
	s.g.warnf("/_status: %v", err)
	// The reason stays in the operator's log: tenants may see this page.
	http.Error(w, "status unavailable", http.StatusServiceUnavailable)
}
