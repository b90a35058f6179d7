// Package lint checks the sync-event log, the dashboard, the aggregate file
// and the sync policy for drift, and reports findings by file and line.
package lint

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Severity ranks a finding. The zero value is Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = [...]string{"info", "warning", "error"}

func (s Severity) String() string {
	if s < Info || s > Error {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Rule ids.
const (
	RuleInvalidJSON         = "invalid-json"
	RuleMissingField        = "missing-field"
	RuleBadType             = "bad-type"
	RuleBadTS               = "bad-ts"
	RuleTSNotUTC            = "ts-not-utc"
	RuleBadOp               = "bad-op"
	RuleBadStatus           = "bad-status"
	RuleErrorWithoutMessage = "error-without-message"
	RuleTornLine            = "torn-line"
	RuleOutOfOrder          = "out-of-order"
	RuleFutureTS            = "future-ts"
	RuleDuplicateRow        = "duplicate-row"
	RuleManifestChain       = "manifest-chain"
	RuleMassChange          = "mass-change"
	RuleUnknownTrigger      = "unknown-trigger"
	RuleStaleSummary        = "stale-summary"
	RuleMissingSummary      = "missing-summary"
	RuleSyncPolicy          = "sync-policy"
)

// Rule is one check: its id, default severity, what it catches and how to
// fix what it catches.
type Rule struct {
	ID       string
	Severity Severity
	// Name is the rule's friendly name in PascalCase, as SARIF wants it.
	Name    string
	Catches string
	Fix     string
}

// Rules lists every rule, in the order the documentation gives them.
var Rules = []Rule{
	{RuleInvalidJSON, Error, "InvalidJson",
		"a line of the log or the aggregate file is not a JSON object (or not valid UTF-8)",
		"remove or repair the line; synclog record never writes one"},
	{RuleMissingField, Error, "MissingField",
		"a row lacks a required key (ts, op, repo, scope, files, bytes, dur_ms, manifest_before, manifest_after, trigger, machine)",
		"fix the writer that left the key out, then repair or drop the row"},
	{RuleBadType, Error, "BadType",
		"a key has the wrong type, a number is negative or not an integer, or files is more than files_total",
		"fix the writer; counts are integers >= 0 and files <= files_total"},
	{RuleBadTS, Error, "BadTimestamp",
		"ts (or an aggregate's generated_at) is not an RFC 3339 time with a zone",
		"write times as RFC 3339 in UTC, e.g. 2026-04-16T19:10:38Z"},
	{RuleTSNotUTC, Info, "TimestampNotUtc",
		"ts carries an offset instead of Z",
		"write ts in UTC with Z, as synclog record does"},
	{RuleBadOp, Error, "BadOp",
		"op is neither push nor pull",
		"record pushes and pulls only"},
	{RuleBadStatus, Error, "BadStatus",
		"status is neither ok nor error",
		"write status ok or error, or leave it out (ok)"},
	{RuleErrorWithoutMessage, Error, "ErrorWithoutMessage",
		"a row with status error has no error message",
		"record the error chain in error (synclog record -- CMD does it from CMD's stderr)"},
	{RuleTornLine, Error, "TornLine",
		"the file does not end with a newline, or a line holds a fragment of a row (a torn or interleaved write)",
		"append through synclog record, which writes each row whole under a lock; drop the fragment"},
	{RuleOutOfOrder, Warning, "OutOfOrder",
		"a row's ts is earlier than the previous row's by more than lint.skew",
		"check the clock of the machine that wrote it (NTP), or a log merged out of order"},
	{RuleFutureTS, Warning, "FutureTimestamp",
		"a row's ts is later than now plus lint.skew",
		"check the clock of the machine that wrote it"},
	{RuleDuplicateRow, Warning, "DuplicateRow",
		"a row identical to an earlier one (a retried append or a copied archive)",
		"drop the copy; rotate with synclog rotate, which never copies a row twice"},
	{RuleManifestChain, Warning, "ManifestChain",
		"a successful push starts from a manifest other than the one the previous successful push of its repo and scope ended at",
		"a push went unrecorded or two writers raced: run every sync through the hook, then resync the scope"},
	{RuleMassChange, Warning, "MassChange",
		"a push touches more than lint.mass_change of files_total",
		"check that the push was meant (a checkout, a rename, a wiped directory); raise lint.mass_change if it was"},
	{RuleUnknownTrigger, Warning, "UnknownTrigger",
		"a row's trigger is outside lint.triggers",
		"add the trigger to lint.triggers, or fix the caller's --trigger"},
	{RuleStaleSummary, Warning, "StaleSummary",
		"the dashboard's generated_at is older than lint.tick before now, or cannot be read",
		"check that cron runs synclog summarize every tick"},
	{RuleMissingSummary, Info, "MissingSummary",
		"there is no dashboard",
		"run synclog summarize (from cron, every tick)"},
	{RuleSyncPolicy, Error, "SyncPolicy",
		"error: a path matches both SYNC_ALLOW and SYNC_DENY; warning: the event log is not matched by SYNC_DENY, or the aggregate file not by SYNC_ALLOW",
		"deny the per-machine event log, allow the aggregate file, and keep the two lists apart"},
}

// ruleIndex maps a rule id to its place in Rules.
var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(Rules))
	for i, r := range Rules {
		m[r.ID] = i
	}
	return m
}()

// LookupRule finds a rule by id.
func LookupRule(id string) (Rule, bool) {
	i, ok := ruleIndex[id]
	if !ok {
		return Rule{}, false
	}
	return Rules[i], true
}

// RuleIDs lists every rule id, comma separated, for messages.
func RuleIDs() string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

// Finding is one problem at a place. Line is 1-based; 0 means the finding
// is about the whole file (or a file that is not there).
type Finding struct {
	Path     string   `json:"path"`
	Line     int64    `json:"line"`
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Message  string   `json:"message"`
}

// Source is a file to lint: Path is opened ("-" is Options.Stdin), Name is
// what findings show.
type Source struct {
	Path string
	Name string
}

func (s Source) name() string {
	if s.Name == "" {
		return s.Path
	}
	return s.Name
}

// DefaultTriggers are the triggers lint.triggers allows by default.
var DefaultTriggers = []string{"stop-hook", "cron", "cli", "mcp", "write", "edit", "background", "manual"}

// Defaults of Options.
const (
	DefaultSkew       = 5 * time.Minute
	DefaultMassChange = 0.5
	DefaultTick       = 15 * time.Minute
	DefaultMaxPerRule = 50
)

// Options tune a run. DefaultOptions gives the defaults; every field is
// taken as it is.
type Options struct {
	Now        time.Time     // the present
	Skew       time.Duration // out-of-order and future-ts tolerance
	MassChange float64       // mass-change threshold, a fraction of files_total
	Triggers   []string      // the triggers a row may have
	Tick       time.Duration // a dashboard older than this is stale
	// Since, when set, leaves out rows whose ts is before it: they are
	// neither checked nor taken as the previous row.
	Since time.Time
	// MinSeverity drops findings below it; they are neither shown nor
	// counted.
	MinSeverity Severity
	// Severity overrides the severity of every finding of a rule.
	Severity map[string]Severity
	// Disabled rules are not run.
	Disabled map[string]bool
	// MaxPerRule bounds the findings kept per rule; the rest are counted
	// in Result.Omitted. 0 keeps every finding.
	MaxPerRule int
	// Workers parse the log; 0 means GOMAXPROCS.
	Workers int
	// Stdin is read for the path "-".
	Stdin io.Reader
	// OnProgress, when set, is called with the bytes of the logs read so
	// far (see ndjson.ScanOptions).
	OnProgress func(read int64)
}

// DefaultOptions are the defaults at now: every finding shown, none
// hidden by severity.
func DefaultOptions(now time.Time) Options {
	return Options{
		Now:        now,
		Skew:       DefaultSkew,
		MassChange: DefaultMassChange,
		Triggers:   DefaultTriggers,
		Tick:       DefaultTick,
	}
}

// Input names what to lint. Nil or empty parts are not checked.
type Input struct {
	// Logs are event logs (ndjson, optionally gzip), checked by the row
	// rules in order. Out-of-order and manifest-chain start afresh in each
	// file; duplicate-row looks across all of them.
	Logs []Source
	// Summaries are dashboards; a missing file is missing-summary.
	Summaries []Source
	// Aggregates are cost aggregate files; a missing file holds nothing.
	Aggregates []Source
	// Policy is the sync policy; nil skips sync-policy.
	Policy *Policy
}

// Result is the outcome of a run.
type Result struct {
	// Findings kept, ordered by source, line and rule.
	Findings []Finding
	// Counts holds every finding at or above MinSeverity by severity,
	// those over MaxPerRule included.
	Counts [Error + 1]int
	// Omitted is the number of findings over MaxPerRule.
	Omitted int
}

// Total is the number of findings, omitted ones included.
func (r *Result) Total() int { return r.Counts[Info] + r.Counts[Warning] + r.Counts[Error] }

// AtLeast is the number of findings at or above s, omitted ones included.
func (r *Result) AtLeast(s Severity) int {
	n := 0
	for i := s; i <= Error; i++ {
		n += r.Counts[i]
	}
	return n
}

// linter holds the settings of a run and collects its findings. Its
// methods run on one goroutine, except the read-only ones the log's
// workers call (active).
type linter struct {
	opts     Options
	sev      []Severity // effective severity per rule, where overridden
	override []bool
	on       []bool // enabled and able to reach MinSeverity
	triggers map[string]bool
	perRule  []int
	res      Result
	group    int // order of the source being read
	order    []findingOrder
}

// findingOrder sorts findings: source group, line, rule.
type findingOrder struct {
	group int
	rule  int
}

func newLinter(opts Options) *linter {
	n := len(Rules)
	l := &linter{opts: opts, triggers: make(map[string]bool, len(opts.Triggers)),
		sev: make([]Severity, n), override: make([]bool, n), on: make([]bool, n), perRule: make([]int, n)}
	for _, t := range opts.Triggers {
		l.triggers[t] = true
	}
	for i, r := range Rules {
		if s, ok := opts.Severity[r.ID]; ok {
			l.sev[i], l.override[i] = s, true
		}
		// A rule whose findings can all fall below MinSeverity is not run.
		top := r.Severity
		if l.override[i] {
			top = l.sev[i]
		}
		l.on[i] = !opts.Disabled[r.ID] && top >= opts.MinSeverity
	}
	return l
}

// active reports whether rule id runs.
func (l *linter) active(id string) bool { return l.on[ruleIndex[id]] }

// emit records a finding of rule at path:line with the rule's natural
// severity sev, unless the rule is off or the severity is below the
// minimum.
func (l *linter) emit(path string, line int64, id string, sev Severity, msg string) {
	i := ruleIndex[id]
	if !l.on[i] {
		return
	}
	if l.override[i] {
		sev = l.sev[i]
	}
	if sev < l.opts.MinSeverity {
		return
	}
	l.res.Counts[sev]++
	if l.opts.MaxPerRule > 0 && l.perRule[i] >= l.opts.MaxPerRule {
		l.res.Omitted++
		return
	}
	l.perRule[i]++
	l.res.Findings = append(l.res.Findings, Finding{Path: path, Line: line, Severity: sev, Rule: id, Message: msg})
	l.order = append(l.order, findingOrder{group: l.group, rule: i})
}

// emitDefault records a finding at the rule's default severity.
func (l *linter) emitDefault(path string, line int64, id string, msg string) {
	l.emit(path, line, id, Rules[ruleIndex[id]].Severity, msg)
}

// Run lints in and returns what it found. An error means a file could not
// be read; findings are never errors.
func Run(ctx context.Context, in Input, opts Options) (*Result, error) {
	l := newLinter(opts)
	if len(in.Logs) > 0 {
		if err := l.lintLogs(ctx, in.Logs); err != nil {
			return nil, err
		}
	}
	for _, s := range in.Summaries {
		l.group++
		if err := l.lintSummary(s); err != nil {
			return nil, err
		}
	}
	for _, a := range in.Aggregates {
		l.group++
		if err := l.lintAggregate(ctx, a); err != nil {
			return nil, err
		}
	}
	if in.Policy != nil {
		l.group++
		l.lintPolicy(in.Policy)
	}
	l.sort()
	return &l.res, nil
}

func (l *linter) sort() {
	idx := make([]int, len(l.res.Findings))
	for i := range idx {
		idx[i] = i
	}
	fs, ord := l.res.Findings, l.order
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := idx[a], idx[b]
		if ord[x].group != ord[y].group {
			return ord[x].group < ord[y].group
		}
		if fs[x].Line != fs[y].Line {
			return fs[x].Line < fs[y].Line
		}
		return ord[x].rule < ord[y].rule
	})
	out := make([]Finding, len(fs))
	for i, j := range idx {
		out[i] = fs[j]
	}
	l.res.Findings = out
}

// fmtGap writes how far apart a and b are, as fmtDuration does. Beyond what
// a time.Duration holds (about 292 years), where Time.Sub saturates and
// would print the same wrong figure for every gap, it is written in whole
// hours.
func fmtGap(a, b time.Time) string {
	if d := a.Sub(b); d > minDuration && d < maxDuration {
		return fmtDuration(d)
	}
	secs := a.Unix() - b.Unix()
	if secs < 0 {
		secs = -secs
	}
	return fmt.Sprintf("%dh", secs/3600)
}

const (
	minDuration = time.Duration(-1 << 63)
	maxDuration = time.Duration(1<<63 - 1)
)

// fmtDuration writes d rounded to the second, without zero tails: 3h, 1h30m, 45s.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
