package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Options is one run of the alert rules over the logs.
type Options struct {
	Paths []string  // logs, in order
	Stdin io.Reader // read for the path "-"
	// OnProgress, when set, is called with the bytes of the logs read so
	// far (see ndjson.ScanOptions).
	OnProgress func(read int64)

	Now         time.Time // the present; rows after it are ignored
	GeneratedAt time.Time // status.json's generated_at

	Window       time.Duration
	MinFailures  int
	GroupBy      []string // fields of Fields
	Lookback     time.Duration
	StatusWindow time.Duration
	Threshold    float64

	Dir        string // alert files
	StatusFile string // status.json
}

// Validate checks the rules.
func (o *Options) Validate() error {
	switch {
	case o.Window <= 0:
		return fmt.Errorf("window %s: want a positive duration", o.Window)
	case o.MinFailures < 1:
		return fmt.Errorf("min failures %d: want at least 1", o.MinFailures)
	case o.Lookback <= 0:
		return fmt.Errorf("lookback %s: want a positive duration", o.Lookback)
	case o.StatusWindow <= 0:
		return fmt.Errorf("status window %s: want a positive duration", o.StatusWindow)
	case math.IsNaN(o.Threshold) || o.Threshold < 0 || o.Threshold > 1:
		return fmt.Errorf("threshold %v: want a share from 0 to 1", o.Threshold)
	}
	_, err := ParseGroupBy(o.GroupBy)
	return err
}

// Rules are the options' cluster rules.
func (o *Options) Rules() Rules { return Rules{Window: o.Window, MinFailures: o.MinFailures} }

// Read makes one pass over the logs into a Detector (rows of the lookback)
// and a Tenants tracker (rows of the status window).
func Read(ctx context.Context, o *Options) (*Detector, *Tenants, *ndjson.Stats, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, nil, err
	}
	groupBy, _ := ParseGroupBy(o.GroupBy)
	d := NewDetector(groupBy, o.Now, o.Lookback)
	t := NewTenants(o.Now)
	from := d.Start()
	if s := o.Now.Add(-o.StatusWindow); s.Before(from) {
		from = s
	}
	now := o.Now
	st, err := ndjson.ReadEvents(ctx, o.Paths, ndjson.ReadOptions{
		ScanOptions: ndjson.ScanOptions{Stdin: o.Stdin, OnProgress: o.OnProgress},
		Lean:        true,
		// Rows outside both windows are dropped on the workers. Dropping
		// them leaves the order of the others as it was, which is all the
		// sequence numbers must keep.
		Filter: func(e *ndjson.Event) bool { return !e.TS.Before(from) && !e.TS.After(now) },
	}, func(r *ndjson.Row) error {
		d.Add(&r.Event)
		t.Add(&r.Event)
		return nil
	})
	if err != nil {
		return nil, nil, st, err
	}
	return d, t, st, nil
}

// Result is what Run found and did.
type Result struct {
	Clusters []Cluster // in ID order
	Changes  []Change  // the alert files written
	Status   Status
	Stats    *ndjson.Stats
	// StatusChanged reports whether status.json was written.
	StatusChanged bool
}

// Firing counts the firing clusters.
func (r *Result) Firing() int {
	n := 0
	for i := range r.Clusters {
		if r.Clusters[i].Firing() {
			n++
		}
	}
	return n
}

// Run reads the logs once, finds the clusters of the lookback, writes
// their alert files in o.Dir (only those whose bytes change) and writes
// the status to o.StatusFile (only when it changes).
func Run(ctx context.Context, o *Options) (*Result, error) {
	if o.Dir == "" || o.StatusFile == "" {
		return nil, errors.New("alert: no alert directory or status file")
	}
	d, t, st, err := Read(ctx, o)
	if err != nil {
		return &Result{Stats: st}, err
	}
	res := &Result{Stats: st}
	existing, err := ReadDir(o.Dir)
	if err != nil {
		return res, err
	}
	res.Clusters = Reconcile(d.Clusters(o.Window, o.MinFailures), d, existing, o.Window)
	res.Changes, err = WriteFiles(o.Dir, res.Clusters, o.Rules())
	if err != nil {
		return res, err
	}
	res.Status = ComputeStatus(t, o.StatusWindow, o.Threshold, res.Firing(), o.GeneratedAt)
	res.StatusChanged, err = ndjson.WriteFileIfChanged(o.StatusFile, res.Status.JSON(), 0o644)
	return res, err
}
