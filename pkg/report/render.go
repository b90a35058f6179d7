package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/synclog/synclog/pkg/cost"
	"github.com/synclog/synclog/pkg/ndjson"
)

// JSON is the --format json document; field order is key order.
type JSON struct {
	GeneratedAt   string        `json:"generated_at"`
	Now           string        `json:"now"`
	TZ            string        `json:"tz"`
	Sources       []JSONSource  `json:"sources"`
	Rows          int64         `json:"rows"`
	Skipped       int64         `json:"skipped"`
	PushesPerHour []JSONHour    `json:"pushes_per_hour"`
	BytesPerDay   []JSONDay     `json:"bytes_per_day"`
	Repos         []JSONRepo    `json:"repos"`
	Machines      []JSONMachine `json:"machines"`
	Triggers      []JSONTrigger `json:"triggers"`
	Cost          JSONCost      `json:"cost"`
}

// JSONSource is one log read.
type JSONSource struct {
	Path    string           `json:"path"`
	Rows    int64            `json:"rows"`
	Skipped int64            `json:"skipped"`
	Reasons map[string]int64 `json:"reasons"` // skipped lines per lint rule id
	Partial bool             `json:"partial"` // ends in a write in flight
}

// JSONHour is one hour of pushes.
type JSONHour struct {
	Hour   string `json:"hour"`
	Pushes int64  `json:"pushes"`
	Failed int64  `json:"failed"`
}

// JSONDay is one day of bytes.
type JSONDay struct {
	Day    string `json:"day"`
	Pushed int64  `json:"pushed"`
	Pulled int64  `json:"pulled"`
}

// JSONRepo is one repo over the last 7 days.
type JSONRepo struct {
	Repo        string  `json:"repo"`
	Runs        int64   `json:"runs"`
	Errors      int64   `json:"errors"`
	FailureRate float64 `json:"failure_rate"`
	LastError   *string `json:"last_error"`
}

// JSONMachine is one machine.
type JSONMachine struct {
	Machine     string  `json:"machine"`
	LastSuccess *string `json:"last_success"`
	AgeSeconds  *int64  `json:"age_seconds"`
	Stale       bool    `json:"stale"`
}

// JSONTrigger is one trigger over the last 7 days.
type JSONTrigger struct {
	Trigger string `json:"trigger"`
	Runs    int64  `json:"runs"`
	Errors  int64  `json:"errors"`
}

// JSONCost is the week's cost.
type JSONCost struct {
	WeekCents      int64  `json:"week_cents"`
	WeekExactCents string `json:"week_exact_cents"`
}

func stamp(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339Nano) }

// rate rounds a failure rate to four places, so outputs stay short and stable.
func rate(r RunStat) float64 { return math.Round(r.FailureRate()*1e4) / 1e4 }

// ToJSON turns s into the --format json document.
func (s *Summary) ToJSON() *JSON {
	j := &JSON{
		GeneratedAt:   stamp(s.GeneratedAt, s.Loc),
		Now:           stamp(s.Now, s.Loc),
		TZ:            s.Loc.String(),
		Sources:       []JSONSource{},
		Rows:          s.Rows,
		Skipped:       s.Skipped,
		PushesPerHour: make([]JSONHour, 0, len(s.PushesPerHour)),
		BytesPerDay:   make([]JSONDay, 0, len(s.BytesPerDay)),
		Repos:         []JSONRepo{},
		Machines:      []JSONMachine{},
		Triggers:      []JSONTrigger{},
		Cost:          JSONCost{WeekCents: s.WeekCents, WeekExactCents: cost.FormatExact(s.WeekExact)},
	}
	for _, src := range s.Sources {
		js := JSONSource{Path: src.Path, Rows: src.Rows, Skipped: src.Skipped, Reasons: map[string]int64{}, Partial: src.Partial}
		for r, n := range src.ByReason {
			js.Reasons[string(r)] = n
		}
		j.Sources = append(j.Sources, js)
	}
	for _, h := range s.PushesPerHour {
		j.PushesPerHour = append(j.PushesPerHour, JSONHour{Hour: stamp(h.Start, s.Loc), Pushes: h.Pushes, Failed: h.Failed})
	}
	for _, d := range s.BytesPerDay {
		j.BytesPerDay = append(j.BytesPerDay, JSONDay{Day: d.Day(), Pushed: d.Pushed, Pulled: d.Pulled})
	}
	for _, r := range s.Repos {
		jr := JSONRepo{Repo: r.Name, Runs: r.Runs, Errors: r.Errors, FailureRate: rate(r)}
		if r.HasError {
			jr.LastError = &r.LastError
		}
		j.Repos = append(j.Repos, jr)
	}
	for _, m := range s.Machines {
		jm := JSONMachine{Machine: m.Name, Stale: m.Stale}
		if !m.LastSuccess.IsZero() {
			ls := m.LastSuccess.UTC().Format(time.RFC3339Nano)
			age := int64(m.Age / time.Second)
			jm.LastSuccess, jm.AgeSeconds = &ls, &age
		}
		j.Machines = append(j.Machines, jm)
	}
	for _, t := range s.Triggers {
		j.Triggers = append(j.Triggers, JSONTrigger{Trigger: t.Name, Runs: t.Runs, Errors: t.Errors})
	}
	return j
}

// WriteJSON writes the --format json document, indented, with a newline.
func WriteJSON(w io.Writer, s *Summary) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.ToJSON()); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// HumanBytes formats n bytes with binary prefixes: 512 B, 1.5 KiB, 12.0 MiB.
func HumanBytes(n int64) string {
	if n < 1024 && n > -1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := -1
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// HumanAge formats a duration as its two largest units: 45s, 3m 20s,
// 5h 12m, 2d 4h.
func HumanAge(d time.Duration) string {
	if d < 0 {
		return "in " + HumanAge(-d)
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	default:
		return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
	}
}

// Percent formats a rate as a percentage with one decimal.
func Percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + " %" }

// reposByFailure orders repos worst first: failure rate, then errors, then name.
func reposByFailure(rs []RunStat) []RunStat {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b RunStat) int {
		if c := cmp.Compare(b.FailureRate(), a.FailureRate()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Errors, a.Errors); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// machinesByStaleness puts stale machines first, oldest first, then the rest by name.
func machinesByStaleness(ms []Machine) []Machine {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b Machine) int {
		if a.Stale != b.Stale {
			if a.Stale {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// triggersByRuns orders triggers busiest first, then by name.
func triggersByRuns(ts []RunStat) []RunStat {
	out := slices.Clone(ts)
	slices.SortStableFunc(out, func(a, b RunStat) int {
		if c := cmp.Compare(b.Runs, a.Runs); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// reasonList is "3 invalid-json, 1 bad-ts", largest first.
func reasonList(by map[ndjson.Reason]int64) string {
	type rc struct {
		r string
		n int64
	}
	var rs []rc
	for r, n := range by {
		rs = append(rs, rc{string(r), n})
	}
	slices.SortFunc(rs, func(a, b rc) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.r, b.r)
	})
	parts := make([]string, len(rs))
	for i, x := range rs {
		parts[i] = fmt.Sprintf("%d %s", x.n, x.r)
	}
	return strings.Join(parts, ", ")
}

// hourLabel is an hour bucket's short label, its wall-clock start.
func hourLabel(t time.Time) string { return t.Format("15:04") }

// dayLabel is a day bucket's short label.
func dayLabel(d DayBucket) string { return d.Start.Format("Mon 01-02") }

// shortDuration is d without zero trailing units: 24h, 1h30m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
