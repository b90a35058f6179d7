package report

import (
	"strconv"
	"strings"

	"github.com/synclog/synclog/pkg/cost"
)

// Table is one section of --format table: a title and its cells.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// barWidth is the width, in cells, of the longest bar.
const barWidth = 24

// bar draws v against maxV with eighth-block characters.
func bar(v, maxV int64) string {
	if v <= 0 || maxV <= 0 {
		return ""
	}
	eighths := int((v*barWidth*8 + maxV - 1) / maxV) // round up: a non-zero value shows
	full, rest := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if rest > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[rest-1])
	}
	return s
}

// Tables turns s into the sections of --format table, in the order and
// sort orders of the markdown dashboard.
func (s *Summary) Tables() []Table {
	j := s.ToJSON()
	var out []Table
	src := Table{Title: "Sources (generated " + j.GeneratedAt + ", now " + j.Now + ", tz " + j.TZ + ")",
		Header: []string{"source", "rows", "skipped", "why skipped"}}
	for _, x := range s.Sources {
		src.Rows = append(src.Rows, []string{x.Path, itoa(x.Rows), itoa(x.Skipped), reasonList(x.ByReason)})
	}
	src.Rows = append(src.Rows, []string{"total", itoa(s.Rows), itoa(s.Skipped), ""})
	out = append(out, src)

	var maxPush int64
	for _, h := range s.PushesPerHour {
		maxPush = max(maxPush, h.Pushes)
	}
	hours := Table{Title: "Pushes per hour (last 24 hours)", Header: []string{"hour", "pushes", "failed", ""}}
	for i, h := range s.PushesPerHour {
		hours.Rows = append(hours.Rows, []string{j.PushesPerHour[i].Hour, itoa(h.Pushes), itoa(h.Failed), bar(h.Pushes, maxPush)})
	}
	out = append(out, hours)

	var maxBytes int64
	for _, d := range s.BytesPerDay {
		maxBytes = max(maxBytes, d.Pushed+d.Pulled)
	}
	days := Table{Title: "Bytes per day (last 7 days, successful runs)", Header: []string{"day", "pushed", "pulled", ""}}
	for _, d := range s.BytesPerDay {
		days.Rows = append(days.Rows, []string{d.Day(), HumanBytes(d.Pushed), HumanBytes(d.Pulled), bar(d.Pushed+d.Pulled, maxBytes)})
	}
	out = append(out, days)

	repos := Table{Title: "Repos (last 7 days, worst first)", Header: []string{"repo", "runs", "errors", "failure rate", "last error"}}
	for _, r := range reposByFailure(s.Repos) {
		repos.Rows = append(repos.Rows, []string{r.Name, itoa(r.Runs), itoa(r.Errors), Percent(r.FailureRate()), r.LastError})
	}
	out = append(out, repos)

	machines := Table{Title: "Machines (stale after " + shortDuration(s.StaleAfter) + ")", Header: []string{"machine", "last successful push", "age", "state"}}
	for _, m := range machinesByStaleness(s.Machines) {
		last, age, state := "never", "", "ok"
		if !m.LastSuccess.IsZero() {
			last, age = stamp(m.LastSuccess, s.Loc), HumanAge(m.Age)
		}
		if m.Stale {
			state = "stale"
		}
		machines.Rows = append(machines.Rows, []string{m.Name, last, age, state})
	}
	out = append(out, machines)

	triggers := Table{Title: "Triggers (last 7 days)", Header: []string{"trigger", "runs", "errors", "failure rate"}}
	for _, t := range triggersByRuns(s.Triggers) {
		triggers.Rows = append(triggers.Rows, []string{t.Name, itoa(t.Runs), itoa(t.Errors), Percent(t.FailureRate())})
	}
	out = append(out, triggers)

	out = append(out, Table{Title: "Cost (7 UTC days to today)", Header: []string{"cents", "exact cents", "dollars"},
		Rows: [][]string{{itoa(s.WeekCents), cost.FormatExact(s.WeekExact), dollars(s.WeekCents)}}})
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
