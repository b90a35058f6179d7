// Package metrics turns the sync-event log into Prometheus metrics: counts
// kept per row, a collector that exposes them, and a tailer that follows a
// growing log.
package metrics

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/synclog/synclog/pkg/ndjson"
)

// DefaultNamespace is the metric prefix the seed's dashboard queries use.
const DefaultNamespace = "writestead"

var namespaceRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidNamespace reports whether ns can prefix a metric name.
func ValidNamespace(ns string) error {
	if !namespaceRE.MatchString(ns) || strings.HasPrefix(ns, "__") {
		return fmt.Errorf("namespace %q: want letters, digits and underscores, not starting with a digit or __", ns)
	}
	return nil
}

// Counts are the totals of a log: what every metric is computed from. Its
// methods are safe for concurrent use.
type Counts struct {
	mu          sync.Mutex
	runs        map[string]uint64 // per trigger
	errors      map[string]uint64 // per trigger
	bytes       map[string]uint64 // per op
	durSum      float64           // seconds
	durCount    uint64
	lastSuccess map[string]time.Time // latest successful push per machine
	skipped     uint64
}

// NewCounts returns empty counts.
func NewCounts() *Counts {
	return &Counts{
		runs:        map[string]uint64{},
		errors:      map[string]uint64{},
		bytes:       map[string]uint64{},
		lastSuccess: map[string]time.Time{},
	}
}

// Add counts one row.
func (c *Counts) Add(e *ndjson.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(e)
}

func (c *Counts) add(e *ndjson.Event) {
	c.runs[e.Trigger]++
	if e.Failed() {
		c.errors[e.Trigger]++
	}
	c.bytes[e.Op] += uint64(e.Bytes)
	c.durSum += float64(e.DurMS) / 1000
	c.durCount++
	if !e.Failed() && e.Op == ndjson.OpPush {
		if last, ok := c.lastSuccess[e.Machine]; !ok || e.TS.After(last) {
			c.lastSuccess[e.Machine] = e.TS
		}
	}
}

// AddSkipped counts lines that are not valid rows.
func (c *Counts) AddSkipped(n int64) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	c.skipped += uint64(n)
	c.mu.Unlock()
}

// Runs is the number of rows counted for trigger.
func (c *Counts) Runs(trigger string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[trigger]
}

// Total is the number of rows counted.
func (c *Counts) Total() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.durCount
}

// Collector exposes Counts as Prometheus metrics under a namespace. It is
// an unchecked collector (Describe sends nothing) since its label values
// come from the log.
type Collector struct {
	counts      *Counts
	runs        *prometheus.Desc
	errors      *prometheus.Desc
	duration    *prometheus.Desc
	bytes       *prometheus.Desc
	lastSuccess *prometheus.Desc
	skipped     *prometheus.Desc
}

// NewCollector returns a collector of c's metrics prefixed with ns.
func NewCollector(ns string, c *Counts) *Collector {
	name := func(n string) string { return prometheus.BuildFQName(ns, "sync", n) }
	return &Collector{
		counts:      c,
		runs:        prometheus.NewDesc(name("runs_total"), "Sync runs recorded in the event log, by trigger.", []string{"trigger"}, nil),
		errors:      prometheus.NewDesc(name("errors_total"), "Failed sync runs recorded in the event log, by trigger.", []string{"trigger"}, nil),
		duration:    prometheus.NewDesc(name("duration_seconds"), "Duration of the sync runs recorded in the event log.", nil, nil),
		bytes:       prometheus.NewDesc(name("bytes_total"), "Bytes transferred by the sync runs recorded in the event log, by op.", []string{"op"}, nil),
		lastSuccess: prometheus.NewDesc(name("last_success_timestamp_seconds"), "Unix time of the latest successful push of each machine.", []string{"machine"}, nil),
		skipped:     prometheus.NewDesc(name("log_rows_skipped_total"), "Lines of the event log that are not valid rows.", nil, nil),
	}
}

// Describe sends nothing: the collector is unchecked.
func (*Collector) Describe(chan<- *prometheus.Desc) {}

// Collect sends the current values.
func (col *Collector) Collect(ch chan<- prometheus.Metric) {
	c := col.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, n := range c.runs {
		ch <- constMetric(col.runs, prometheus.CounterValue, float64(n), t)
	}
	// Every trigger and op has its series from the start, at 0 when it
	// never failed or moved a byte, so ratios and rates never lack one.
	for t := range c.runs {
		ch <- constMetric(col.errors, prometheus.CounterValue, float64(c.errors[t]), t)
	}
	for _, op := range []string{ndjson.OpPull, ndjson.OpPush} {
		ch <- constMetric(col.bytes, prometheus.CounterValue, float64(c.bytes[op]), op)
	}
	for m, ts := range c.lastSuccess {
		ch <- constMetric(col.lastSuccess, prometheus.GaugeValue, float64(ts.UnixMilli())/1000, m)
	}
	// A summary without quantiles: _sum and _count, as the seed has it.
	// The sum is rounded to the millisecond the log records, so float
	// addition order never shows in the output.
	sum := math.Round(c.durSum*1000) / 1000
	ch <- must(prometheus.NewConstSummary(col.duration, c.durCount, sum, nil))
	ch <- constMetric(col.skipped, prometheus.CounterValue, float64(c.skipped))
}

func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	return must(prometheus.NewConstMetric(d, t, v, labels...))
}

// must turns a metric that cannot be built (a label value that is not
// UTF-8) into one that fails the gather with the reason, never a panic.
func must(m prometheus.Metric, err error) prometheus.Metric {
	if err != nil {
		return prometheus.NewInvalidMetric(prometheus.NewDesc("invalid", "", nil, nil), err)
	}
	return m
}

// Registry returns a registry holding only the log's metrics.
func Registry(ns string, c *Counts) *prometheus.Registry {
	r := prometheus.NewPedanticRegistry()
	r.MustRegister(NewCollector(ns, c))
	return r
}

// Exposition renders what g gathers in the Prometheus text format, metric
// families and series sorted, so the same counts give the same bytes.
func Exposition(g prometheus.Gatherer) ([]byte, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}
