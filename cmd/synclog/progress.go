package main

import (
	"os"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progressThreshold is the size of the logs above which a scan shows a
// progress bar.
var progressThreshold int64 = 64 << 20

// scanProgress is the progress bar of one scan, or nothing.
type scanProgress struct {
	p   *mpb.Progress
	bar *mpb.Bar
}

// startProgress shows a progress bar on stderr for a scan of paths, when
// stderr is a terminal, --quiet is not given and the files add up to more
// than progressThreshold bytes. The returned value's update goes into the
// scan's OnProgress (nil when no bar is shown); done must be called when
// the scan ends. record never calls this: it scans nothing.
func (g *globalOptions) startProgress(label string, paths []string) *scanProgress {
	if g.Quiet || !g.isTerminal(g.io.Err) {
		return &scanProgress{}
	}
	var total int64
	for _, p := range paths {
		if p == "-" {
			return &scanProgress{} // no size to measure against
		}
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	if total <= progressThreshold {
		return &scanProgress{}
	}
	p := mpb.New(mpb.WithOutput(g.io.Err), mpb.WithRefreshRate(120*time.Millisecond),
		// A terminal by our own reckoning (which tests may set), whatever
		// the writer is.
		mpb.ForceTTY(), mpb.WithAutoRefresh())
	bar := p.New(total, mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
		mpb.BarWidth(30),
		mpb.PrependDecorators(
			decor.Name(label+" ", decor.WC{C: decor.DindentRight}),
			decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"),
		),
		mpb.AppendDecorators(
			decor.Percentage(decor.WC{W: 6}),
			decor.Name(" "),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), "done"),
		),
	)
	return &scanProgress{p: p, bar: bar}
}

// update is the scan's OnProgress: nil when no bar is shown.
func (s *scanProgress) update() func(int64) {
	if s.bar == nil {
		return nil
	}
	return func(read int64) { s.bar.SetCurrent(read) }
}

// done completes the bar (once; later calls do nothing) (or abandons it, when the scan failed) and waits
// for its last frame.
func (s *scanProgress) done(ok bool) {
	if s.bar == nil {
		return
	}
	if ok {
		s.bar.SetTotal(-1, true)
	} else {
		s.bar.Abort(false)
	}
	s.p.Wait()
	s.bar, s.p = nil, nil
}
