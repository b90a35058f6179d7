package alert

import (
	"slices"
	"time"
)

// The default backtest grid: window × min_failures.
var (
	DefaultGridWindows     = []time.Duration{5 * time.Minute, 10 * time.Minute, 30 * time.Minute}
	DefaultGridMinFailures = []int{2, 3, 5}
)

const week = 7 * 24 * time.Hour

// Cell is how one pair of thresholds would have done over the lookback.
type Cell struct {
	Window      time.Duration
	MinFailures int
	Clusters    int     // clusters that would have fired
	PerWeek     float64 // Clusters scaled to a week of lookback
	// MedianFiring and MaxFiring are how long the clusters stayed firing:
	// from the first failure to resolved_at, or to now for those still
	// firing. The median of an even count is the mean of the middle two.
	MedianFiring time.Duration
	MaxFiring    time.Duration
	FiringNow    int // still firing at now
}

// Backtest is the replay of the lookback under a grid of thresholds.
type Backtest struct {
	From, To time.Time // the lookback
	Rows     int64     // rows inside it
	Failed   int64
	Earliest time.Time // ts of the earliest row inside it; zero when none
	Cells    []Cell    // windows, then min_failures, in the order given
}

// RunBacktest replays the rows d holds under every pair of windows ×
// minFailures. Clusters are counted per week of lookback: a lookback of 7d
// shows the counts themselves.
func RunBacktest(d *Detector, windows []time.Duration, minFailures []int) *Backtest {
	b := &Backtest{From: d.Start(), To: d.Now(), Rows: d.Rows, Failed: d.Failed}
	if d.Rows > 0 {
		b.Earliest = d.Earliest
	}
	span := b.To.Sub(b.From)
	for _, w := range windows {
		for _, m := range minFailures {
			cs := d.Clusters(w, m)
			cell := Cell{Window: w, MinFailures: m, Clusters: len(cs)}
			if span > 0 {
				cell.PerWeek = float64(len(cs)) * float64(week) / float64(span)
			}
			firing := make([]time.Duration, len(cs))
			for i := range cs {
				end := d.Now()
				if cs[i].Firing() {
					cell.FiringNow++
				} else {
					end = cs[i].ResolvedAt
				}
				firing[i] = end.Sub(cs[i].First)
			}
			slices.Sort(firing)
			if n := len(firing); n > 0 {
				cell.MaxFiring = firing[n-1]
				if n%2 == 1 {
					cell.MedianFiring = firing[n/2]
				} else {
					cell.MedianFiring = (firing[n/2-1] + firing[n/2]) / 2
				}
			}
			b.Cells = append(b.Cells, cell)
		}
	}
	return b
}
