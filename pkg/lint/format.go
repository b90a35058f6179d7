package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Formats lists the output formats, in the order help gives them.
var Formats = []string{"text", "json", "sarif", "github"}

// Tool names the program in a SARIF log.
type Tool struct {
	Name           string
	Version        string // omitted when empty
	InformationURI string // omitted when empty
}

// RuleLevel is a rule as a run configured it: its effective default
// severity and whether it ran.
type RuleLevel struct {
	Rule
	Level   Severity
	Enabled bool
}

// Levels returns every rule with the severity opts give it.
func Levels(opts Options) []RuleLevel {
	out := make([]RuleLevel, len(Rules))
	for i, r := range Rules {
		lv := r.Severity
		if s, ok := opts.Severity[r.ID]; ok {
			lv = s
		}
		out[i] = RuleLevel{Rule: r, Level: lv, Enabled: !opts.Disabled[r.ID]}
	}
	return out
}

// WriteText writes one finding a line, as compilers and golangci-lint do:
// "path:line: severity: message [rule]"; "path: ..." for a whole file.
func WriteText(w io.Writer, fs []Finding) error { return WriteTextColor(w, fs, false) }

// The ANSI colors of the text format.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// WriteTextColor is WriteText, with ANSI colors when color is set: the
// position bold, the severity red, yellow or cyan, the rule id dim.
func WriteTextColor(w io.Writer, fs []Finding, color bool) error {
	var b bytes.Buffer
	paint := func(code, s string) {
		if color {
			b.WriteString(code)
			b.WriteString(s)
			b.WriteString(ansiReset)
			return
		}
		b.WriteString(s)
	}
	for _, f := range fs {
		pos := f.Path
		if f.Line > 0 {
			pos += ":" + strconv.FormatInt(f.Line, 10)
		}
		paint(ansiBold, pos)
		b.WriteString(": ")
		sev := ansiCyan
		switch f.Severity {
		case Error:
			sev = ansiRed
		case Warning:
			sev = ansiYellow
		}
		paint(sev, f.Severity.String())
		fmt.Fprintf(&b, ": %s ", oneLine(f.Message))
		paint(ansiDim, "["+f.Rule+"]")
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// oneLine keeps a message on its line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// WriteJSON writes the findings as one JSON array of
// {path, line, severity, rule, message}; [] when there are none.
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	return encodeJSON(w, fs)
}

func encodeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteGitHub writes GitHub Actions workflow commands, one annotation per
// finding: "::error file=path,line=N,title=rule::message". Info findings
// are notices.
func WriteGitHub(w io.Writer, fs []Finding) error {
	var b bytes.Buffer
	for _, f := range fs {
		cmd := "error"
		switch f.Severity {
		case Warning:
			cmd = "warning"
		case Info:
			cmd = "notice"
		}
		fmt.Fprintf(&b, "::%s file=%s", cmd, escapeGitHubProperty(f.Path))
		if f.Line > 0 {
			fmt.Fprintf(&b, ",line=%d", f.Line)
		}
		fmt.Fprintf(&b, ",title=%s::%s\n", escapeGitHubProperty("synclog "+f.Rule), escapeGitHubData(f.Message))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// escapeGitHubData escapes a workflow command's message, as the runner
// unescapes it: %, CR and LF.
func escapeGitHubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeGitHubProperty escapes a workflow command's property value: the
// message's escapes plus the separators ':' and ','.
func escapeGitHubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// SARIFSchema is the JSON schema WriteSARIF's output names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// The subset of SARIF 2.1.0 synclog writes; field order is output order.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		Name                 string       `json:"name"`
		ShortDescription     sarifText    `json:"shortDescription"`
		Help                 sarifText    `json:"help"`
		DefaultConfiguration sarifRuleCfg `json:"defaultConfiguration"`
	}
	sarifRuleCfg struct {
		Enabled bool   `json:"enabled"`
		Level   string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int64 `json:"startLine"`
	}
)

// SARIFLevel is the SARIF level of a severity: error, warning or note.
func SARIFLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes a SARIF 2.1.0 log of one run: the tool with every rule
// and its configured level, and a result per finding located by file URI
// (relative paths stay relative, for the checkout they are read in) and
// start line.
func WriteSARIF(w io.Writer, tool Tool, rules []RuleLevel, fs []Finding) error {
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: tool.InformationURI, Rules: []sarifRule{}}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   r.ID,
			Name:                 r.Name,
			ShortDescription:     sarifText{sentence(r.Catches)},
			Help:                 sarifText{sentence(r.Fix)},
			DefaultConfiguration: sarifRuleCfg{Enabled: r.Enabled, Level: SARIFLevel(r.Level)},
		})
	}
	for _, f := range fs {
		i, ok := index[f.Rule]
		if !ok {
			return fmt.Errorf("finding of rule %q, which the rules do not list", f.Rule)
		}
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(f.Path)}}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line}
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Rule, RuleIndex: i, Level: SARIFLevel(f.Severity),
			Message:   sarifText{sentence(f.Message)},
			Locations: []sarifLocation{{PhysicalLocation: loc}},
		})
	}
	return encodeJSON(w, sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// sentence ends s with a period, as SARIF wants its messages.
func sentence(s string) string {
	s = oneLine(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

// fileURI turns a path into a URI reference: relative paths stay relative,
// absolute ones become file URIs.
func fileURI(p string) string {
	slash := filepath.ToSlash(p)
	if filepath.IsAbs(p) {
		if !strings.HasPrefix(slash, "/") {
			slash = "/" + slash // a Windows drive
		}
		return (&url.URL{Scheme: "file", Path: slash}).String()
	}
	u := (&url.URL{Path: slash}).String()
	return u
}

// CountLine says how many findings a run had, for the end of text output:
// "3 findings: 1 error, 2 warnings". It is empty when there were none.
func CountLine(r *Result, maxPerRule int) string {
	total := r.Total()
	if total == 0 {
		return ""
	}
	var parts []string
	for s := Error; s >= Info; s-- {
		if n := r.Counts[s]; n > 0 {
			name := s.String()
			if n != 1 && s != Info {
				name += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		}
	}
	noun := "findings"
	if total == 1 {
		noun = "finding"
	}
	line := fmt.Sprintf("%d %s: %s", total, noun, strings.Join(parts, ", "))
	if r.Omitted > 0 {
		line += fmt.Sprintf(" (%d not shown: more than %d of one rule)", r.Omitted, maxPerRule)
	}
	return line
}
