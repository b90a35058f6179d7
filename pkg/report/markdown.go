package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/synclog/synclog/pkg/cost"
)

// maxCell bounds the runes of a free-text cell (an error message).
const maxCell = 120

// cellEscaper keeps a cell inside its table cell: pipes escaped, line
// breaks flattened, HTML and Markdown's inline code left inert.
var cellEscaper = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'")

func cell(s string) string {
	s = cellEscaper.Replace(s)
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-1]) + "…"
	}
	return s
}

// WriteMarkdown writes the dashboard: a front matter that lint reads
// (generated_at), then one section per view, with Mermaid xychart-beta
// charts that GitHub and Obsidian render.
func WriteMarkdown(w io.Writer, s *Summary) error {
	var b bytes.Buffer
	j := s.ToJSON()
	fmt.Fprintf(&b, "---\ngenerated_at: %s\nnow: %s\ntz: %s\n---\n\n", j.GeneratedAt, j.Now, j.TZ)
	b.WriteString("# Sync summary\n\n")
	fmt.Fprintf(&b, "Generated %s for %s (%s). **%d rows** read, **%d skipped**.\n\n", j.GeneratedAt, j.Now, j.TZ, s.Rows, s.Skipped)
	b.WriteString("| Source | Rows | Skipped | Why skipped |\n|---|---:|---:|---|\n")
	for _, src := range s.Sources {
		why := reasonList(src.ByReason)
		if src.Partial {
			why = strings.TrimPrefix(why+"; ends in a write in flight", "; ")
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", cell(src.Path), src.Rows, src.Skipped, cell(why))
	}

	// Pushes per hour.
	b.WriteString("\n## Pushes per hour (last 24 hours)\n\n")
	labels := make([]string, len(s.PushesPerHour))
	pushes := make([]string, len(s.PushesPerHour))
	failed := make([]string, len(s.PushesPerHour))
	var maxPush, totalPush, totalFailed int64
	for i, h := range s.PushesPerHour {
		labels[i] = strconv.Quote(hourLabel(h.Start))
		pushes[i] = strconv.FormatInt(h.Pushes, 10)
		failed[i] = strconv.FormatInt(h.Failed, 10)
		maxPush = max(maxPush, h.Pushes)
		totalPush += h.Pushes
		totalFailed += h.Failed
	}
	fmt.Fprintf(&b, "%d pushes, %d failed, from %s to now.\n\n", totalPush, totalFailed, j.PushesPerHour[0].Hour)
	b.WriteString("```mermaid\nxychart-beta\n    title \"Pushes per hour (bars), failed (line)\"\n")
	fmt.Fprintf(&b, "    x-axis [%s]\n", strings.Join(labels, ", "))
	fmt.Fprintf(&b, "    y-axis \"pushes\" 0 --> %d\n", max(maxPush, 1))
	fmt.Fprintf(&b, "    bar [%s]\n    line [%s]\n```\n", strings.Join(pushes, ", "), strings.Join(failed, ", "))

	// Bytes per day.
	b.WriteString("\n## Bytes per day (last 7 days, successful runs)\n\n")
	var maxBytes int64
	for _, d := range s.BytesPerDay {
		maxBytes = max(maxBytes, d.Pushed, d.Pulled)
	}
	unit, div := chartUnit(maxBytes)
	dl := make([]string, len(s.BytesPerDay))
	pu := make([]string, len(s.BytesPerDay))
	pl := make([]string, len(s.BytesPerDay))
	for i, d := range s.BytesPerDay {
		dl[i] = strconv.Quote(dayLabel(d))
		pu[i] = strconv.FormatFloat(float64(d.Pushed)/div, 'f', 1, 64)
		pl[i] = strconv.FormatFloat(float64(d.Pulled)/div, 'f', 1, 64)
	}
	b.WriteString("```mermaid\nxychart-beta\n    title \"Pushed (bars) and pulled (line) per day\"\n")
	fmt.Fprintf(&b, "    x-axis [%s]\n    y-axis %q\n", strings.Join(dl, ", "), unit)
	fmt.Fprintf(&b, "    bar [%s]\n    line [%s]\n```\n\n", strings.Join(pu, ", "), strings.Join(pl, ", "))
	b.WriteString("| Day | Pushed | Pulled |\n|---|---:|---:|\n")
	for _, d := range s.BytesPerDay {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", d.Day(), HumanBytes(d.Pushed), HumanBytes(d.Pulled))
	}

	// Repos.
	b.WriteString("\n## Repos (last 7 days, worst first)\n\n")
	if len(s.Repos) == 0 {
		b.WriteString("No runs in the last 7 days.\n")
	} else {
		b.WriteString("| Repo | Runs | Errors | Failure rate | Last error |\n|---|---:|---:|---:|---|\n")
		for _, r := range reposByFailure(s.Repos) {
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s |\n", cell(r.Name), r.Runs, r.Errors, Percent(r.FailureRate()), cell(r.LastError))
		}
	}

	// Machines.
	b.WriteString("\n## Machines (stale first)\n\n")
	if len(s.Machines) == 0 {
		b.WriteString("No machines in the log.\n")
	} else {
		fmt.Fprintf(&b, "A machine is stale when its last successful push is missing or older than %s.\n\n", shortDuration(s.StaleAfter))
		b.WriteString("| Machine | Last successful push | Age | State |\n|---|---|---:|---|\n")
		for _, m := range machinesByStaleness(s.Machines) {
			last, age := "never", "–"
			if !m.LastSuccess.IsZero() {
				last, age = stamp(m.LastSuccess, s.Loc), HumanAge(m.Age)
			}
			state := "ok"
			if m.Stale {
				state = "**stale**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(m.Name), last, age, state)
		}
	}

	// Triggers.
	b.WriteString("\n## Triggers (last 7 days)\n\n")
	if len(s.Triggers) == 0 {
		b.WriteString("No runs in the last 7 days.\n")
	} else {
		b.WriteString("| Trigger | Runs | Errors | Failure rate |\n|---|---:|---:|---:|\n")
		for _, t := range triggersByRuns(s.Triggers) {
			fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", cell(t.Name), t.Runs, t.Errors, Percent(t.FailureRate()))
		}
	}

	// Cost.
	b.WriteString("\n## Cost (7 UTC days to today)\n\n")
	fmt.Fprintf(&b, "**%s** (%d cents; exact %s cents). Each tenant's day is rounded to whole cents, any part of a cent to 1 cent, so the rounded total may exceed the exact one slightly.\n",
		dollars(s.WeekCents), s.WeekCents, cost.FormatExact(s.WeekExact))
	_, err := w.Write(b.Bytes())
	return err
}

// dollars formats cents as $12.34.
func dollars(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s$%d.%02d", sign, cents/100, cents%100)
}

// chartUnit picks the binary unit that keeps the largest value readable.
func chartUnit(maxBytes int64) (string, float64) {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	div := 1.0
	i := 0
	for float64(maxBytes)/div >= 1024 && i < len(units)-1 {
		div *= 1024
		i++
	}
	return units[i], div
}
