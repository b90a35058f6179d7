package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// AlertName is the alert's name in its file and in Alertmanager.
const AlertName = "SyncDegraded"

// File names: sync-degraded-<id>.md.
const (
	FilePrefix = "sync-degraded-"
	FileSuffix = ".md"
)

// FileName is the name of a cluster's alert file.
func FileName(id string) string { return FilePrefix + id + FileSuffix }

// Rules are the cluster rules an alert file names.
type Rules struct {
	Window      time.Duration
	MinFailures int
}

const chainHeading = "## Error chain"

// Render writes a cluster's alert file: YAML front matter a program can
// read back (ParseFile), then the status, every failed row and what to
// look at next. It depends on nothing but the cluster and the rules, so the
// same log gives the same bytes.
func Render(c *Cluster, r Rules) []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	fmt.Fprintf(&b, "alert: %s\n", AlertName)
	fmt.Fprintf(&b, "id: %s\n", c.ID)
	fmt.Fprintf(&b, "status: %s\n", c.Status())
	for _, l := range c.Group {
		fmt.Fprintf(&b, "%s: %s\n", l.Name, frontString(l.Value))
	}
	fmt.Fprintf(&b, "first_failure: %s\n", ndjson.FormatTS(c.First))
	fmt.Fprintf(&b, "last_failure: %s\n", ndjson.FormatTS(c.Last))
	fmt.Fprintf(&b, "failures: %d\n", c.Count)
	fmt.Fprintf(&b, "last_error: %s\n", frontString(c.LastError()))
	if !c.Firing() {
		fmt.Fprintf(&b, "resolved_at: %s\n", ndjson.FormatTS(c.ResolvedAt))
	}
	fmt.Fprintf(&b, "window: %s\n", FormatDuration(r.Window))
	fmt.Fprintf(&b, "min_failures: %d\n", r.MinFailures)
	b.WriteString("---\n\n")

	fmt.Fprintf(&b, "# Sync degraded: %s\n\n", mdText(GroupText(c.Group)))
	span := fmt.Sprintf("%d failed %s from %s to %s (at least %d within %s)",
		c.Count, plural(c.Count, "run", "runs"), ndjson.FormatTS(c.First), ndjson.FormatTS(c.Last),
		r.MinFailures, FormatDuration(r.Window))
	if c.Firing() {
		fmt.Fprintf(&b, "**Firing.** %s, and no successful run of this group since.\n\n", span)
	} else {
		fmt.Fprintf(&b, "**Resolved** at %s by a successful run, after firing for %s: %s.\n\n",
			ndjson.FormatTS(c.ResolvedAt), FormatDuration(c.ResolvedAt.Sub(c.First)), span)
	}

	b.WriteString(chainHeading + "\n\n")
	b.WriteString("Every failed run, oldest first; each error is its chain, outermost first.\n\n")
	b.WriteString("| ts | machine | trigger | op | error |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, line := range c.Earlier {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	for i := range c.Failures {
		f := &c.Failures[i]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", ndjson.FormatTS(f.TS),
			mdCell(f.Machine), mdCell(f.Trigger), mdCell(f.Op), mdCell(f.Error))
	}

	b.WriteString("\n## What to look at next\n\n")
	last := c.LastError()
	if cause := innermost(last); cause != "" {
		fmt.Fprintf(&b, "- The last error's innermost cause: %s.\n", mdCode(cause))
	}
	for _, h := range hints(last) {
		fmt.Fprintf(&b, "- %s\n", h)
	}
	from := c.First.Add(-r.Window)
	var until time.Time
	if !c.Firing() {
		until = c.ResolvedAt
	}
	fmt.Fprintf(&b, "- This group's runs around the cluster: %s\n",
		mdCode(queryCommand(c.Group, from, until, false)))
	fmt.Fprintf(&b, "- Failures of every group at the time (one cause upstream?): %s\n",
		mdCode(queryCommand(nil, from, c.Last.Add(r.Window), true)))
	if c.Firing() {
		b.WriteString("- The alert resolves at this group's next successful run; nothing needs deleting.\n")
	}
	return b.Bytes()
}

// frontString writes s for the front matter: a JSON string, which YAML
// reads as a double-quoted scalar, with <, > and & escaped so no renderer
// of the front matter meets HTML.
func frontString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// GroupText names a group for people: "repo snappy-os, machine nuc".
func GroupText(g []Label) string {
	parts := make([]string, len(g))
	for i, l := range g {
		parts[i] = l.Name + " " + l.Value
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdText makes s safe as inline markdown text on one line.
func mdText(s string) string { return mdEscape(s, "\\|*_`[]#") }

// mdCell makes s safe in a table cell, escaping only what would break the
// table or inject HTML, so the file stays readable as plain text.
func mdCell(s string) string { return mdEscape(s, "\\|") }

// mdEscape puts a backslash before every rune of special, writes '<' as
// &lt; and turns control characters into spaces.
func mdEscape(s, special string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(special, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '<':
			b.WriteString("&lt;")
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode is s as a code span, or as escaped text when it holds a backtick
// or a line break.
func mdCode(s string) string {
	if strings.ContainsAny(s, "`\n\r") {
		return mdText(s)
	}
	return "`" + s + "`"
}

// innermost is the last link of an error chain joined by ": ".
func innermost(chain string) string {
	chain = strings.TrimSpace(chain)
	if i := strings.LastIndex(chain, ": "); i >= 0 {
		return strings.TrimSpace(chain[i+2:])
	}
	return chain
}

// hints are what to check first, by what the error says.
func hints(chain string) []string {
	e := strings.ToLower(chain)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(e, s) {
				return true
			}
		}
		return false
	}
	var out []string
	if has("x509", "certificate", "tls:") {
		out = append(out, "TLS failed: check the server's certificate (expiry, chain, name) and this machine's clock.")
	}
	if has("i/o timeout", "deadline exceeded", "timed out", "timeout") {
		out = append(out, "Timeouts: is the remote slow, or unreachable from this machine (network, VPN, firewall, DNS)?")
	}
	if has("dial tcp", "connection refused", "no such host", "connection reset", "broken pipe", "network is unreachable") {
		out = append(out, "The connection failed: can this machine reach the remote, and is the remote up?")
	}
	if has("status 5", "500 internal", "502 bad", "503 service", "504 gateway", "service unavailable", "bad gateway") {
		out = append(out, "The remote answered with a server error: check its health and its logs.")
	}
	if has("status 401", "status 403", "401 unauthorized", "403 forbidden", "permission denied", "unauthorized", "forbidden") {
		out = append(out, "Access was refused: check the credentials and permissions.")
	}
	if has("conflict") {
		out = append(out, "A manifest conflict: another machine pushed in between; pull, then push again.")
	}
	if has("no space left", "disk full", "quota") {
		out = append(out, "Storage is full: free space on this machine or the remote.")
	}
	if has("unexpected eof") {
		out = append(out, "A transfer was cut short: check the network and the remote's logs.")
	}
	if len(out) == 0 {
		out = append(out, "Read the error chain above: the innermost cause ends each line.")
	}
	return out
}

// queryFlags are the query pre-filters of group fields; other fields are
// matched by a jq program.
var queryFlags = map[string]string{
	"repo": "--repo", "machine": "--machine", "op": "--op", "trigger": "--trigger", "tenant": "--tenant",
}

// queryCommand is the synclog query that shows the rows of a group (or,
// with errorsOnly, the failures of every group) from from to until.
func queryCommand(g []Label, from, until time.Time, errorsOnly bool) string {
	args := []string{"synclog", "query", "-c"}
	var conds []string
	for _, l := range g {
		if flag, ok := queryFlags[l.Name]; ok {
			args = append(args, flag, shellQuote(l.Value))
			continue
		}
		conds = append(conds, fmt.Sprintf(".%s == %s", l.Name, ndjson.AppendJSONString(nil, l.Value)))
	}
	if errorsOnly {
		args = append(args, "--status", "error")
	}
	args = append(args, "--since", ndjson.FormatTS(from))
	if !until.IsZero() {
		args = append(args, "--until", ndjson.FormatTS(until))
	}
	if len(conds) > 0 {
		args = append(args, shellQuote("select("+strings.Join(conds, " and ")+")"))
	}
	return strings.Join(args, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+=,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FileHeader is what an alert file's front matter says.
type FileHeader struct {
	ID         string
	Status     string // firing or resolved
	Group      []Label
	First      time.Time
	Last       time.Time
	ResolvedAt time.Time
	Failures   int
	LastError  string
}

// ChainLine is one row of an alert file's error chain, as written.
type ChainLine struct {
	TS   time.Time
	Text string
}

// ParseFile reads the front matter of an alert file and the lines of its
// error chain. Any front matter Render did not write is an error.
func ParseFile(data []byte) (*FileHeader, []ChainLine, error) {
	rest, ok := bytes.CutPrefix(data, []byte("---\n"))
	if !ok {
		return nil, nil, errors.New("no front matter")
	}
	end := bytes.Index(rest, []byte("\n---\n"))
	if end < 0 {
		return nil, nil, errors.New("front matter not closed")
	}
	front, body := rest[:end+1], rest[end+5:]
	h := &FileHeader{}
	seen := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSuffix(string(front), "\n"), "\n") {
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, nil, fmt.Errorf("front matter line %d: not key: value", n+2)
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("front matter: %s given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "alert":
			if val != AlertName {
				err = fmt.Errorf("not a %s alert", AlertName)
			}
		case "id":
			if !validID(val) {
				err = fmt.Errorf("id %q is not a cluster id", val)
			}
			h.ID = val
		case "status":
			if val != "firing" && val != "resolved" {
				err = fmt.Errorf("status %q: want firing or resolved", val)
			}
			h.Status = val
		case "first_failure":
			h.First, err = parseTS(val)
		case "last_failure":
			h.Last, err = parseTS(val)
		case "resolved_at":
			h.ResolvedAt, err = parseTS(val)
		case "failures":
			h.Failures, err = strconv.Atoi(val)
			if err == nil && h.Failures < 1 {
				err = fmt.Errorf("failures %d", h.Failures)
			}
		case "last_error":
			h.LastError, err = jsonString(val)
		case "window", "min_failures":
		default:
			if !slices.Contains(Fields, key) {
				err = fmt.Errorf("unknown key %q", key)
				break
			}
			var v string
			v, err = jsonString(val)
			h.Group = append(h.Group, Label{Name: key, Value: v})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("front matter: %s: %w", key, err)
		}
	}
	for _, k := range []string{"alert", "id", "status", "first_failure", "last_failure", "failures"} {
		if !seen[k] {
			return nil, nil, fmt.Errorf("front matter: no %s", k)
		}
	}
	if len(h.Group) == 0 {
		return nil, nil, errors.New("front matter: no group")
	}
	if (h.Status == "resolved") != seen["resolved_at"] {
		return nil, nil, errors.New("front matter: resolved_at goes with status resolved, and only with it")
	}
	if h.Last.Before(h.First) {
		return nil, nil, errors.New("front matter: last_failure before first_failure")
	}
	return h, chainLines(body), nil
}

// jsonString reads a value written as a JSON string.
func jsonString(s string) (string, error) {
	var v string
	if !strings.HasPrefix(s, `"`) {
		return "", errors.New("not a string")
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", err
	}
	return v, nil
}

func parseTS(s string) (time.Time, error) {
	t, err := ndjson.ParseTS([]byte(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t, nil
}

// validID reports whether s is a cluster ID: 20260416T191038Z, or that
// with -N (N ≥ 2).
func validID(s string) bool {
	base, n, hasN := strings.Cut(s, "-")
	if _, err := time.Parse(IDFormat, base); err != nil || len(base) != len(IDFormat) {
		return false
	}
	if !hasN {
		return true
	}
	k, err := strconv.Atoi(n)
	return err == nil && k >= 2 && strconv.Itoa(k) == n
}

// chainLines returns the table rows under the error chain heading.
func chainLines(body []byte) []ChainLine {
	var out []ChainLine
	in := false
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "## ") {
			in = line == chainHeading
			continue
		}
		if !in || !strings.HasPrefix(line, "| ") {
			continue
		}
		cell, _, ok := strings.Cut(line[2:], " |")
		if !ok {
			continue
		}
		ts, err := ndjson.ParseTS([]byte(cell))
		if err != nil {
			continue // the header row
		}
		out = append(out, ChainLine{TS: ts, Text: line})
	}
	return out
}

// Existing is an alert file found in the directory.
type Existing struct {
	Path   string
	Header *FileHeader
	Chain  []ChainLine
}

// ReadDir parses every alert file in dir; a missing dir holds none, and a
// file that does not parse, or whose id is not the one its name carries,
// is left out.
func ReadDir(dir string) ([]Existing, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Existing
	for _, ent := range entries {
		name := ent.Name()
		if !ent.Type().IsRegular() || !strings.HasPrefix(name, FilePrefix) || !strings.HasSuffix(name, FileSuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		h, chain, err := ParseFile(data)
		if err != nil || FileName(h.ID) != name {
			continue // not ours, or edited out of shape: left as it is
		}
		out = append(out, Existing{Path: path, Header: h, Chain: chain})
	}
	return out, nil
}

// Reconcile carries the clusters that began before the lookback, whose
// alert files are the only record of their start. For each alert file of
// the current group fields that started before the lookback and still
// fired, or resolved inside it:
//
//   - the latest file of a group continues the group's first failure run
//     in the lookback when that run has no successful row of the group
//     before it, starts within window of the file's last failure, and the
//     file was not resolved before it: the cluster takes the file's ID and
//     first failure, and the file's error chain lines from before the
//     lookback;
//   - any other file still firing stays firing, its chain as the file has
//     it, until the group's first successful row in the lookback resolves
//     it.
//
// Files resolved before the lookback, and files of other group fields, are
// left alone. Clusters that carry no file's ID get theirs again
// (AssignIDs), clear of the IDs taken.
func Reconcile(cs []Cluster, d *Detector, existing []Existing, window time.Duration) []Cluster {
	start := d.Start()
	byGroup := map[string][]*Existing{}
	var keys []string
	for i := range existing {
		e := &existing[i]
		h := e.Header
		if !h.First.Before(start) || !sameFields(h.Group, d.groupBy) {
			continue
		}
		if h.Status == "resolved" && h.ResolvedAt.Before(start) {
			continue
		}
		k := groupKey(h.Group)
		if byGroup[k] == nil {
			keys = append(keys, k)
		}
		byGroup[k] = append(byGroup[k], e)
	}
	for i := range cs {
		cs[i].ID = ""
	}
	slices.Sort(keys) // a deterministic order; AssignIDs sorts at the end
	for _, k := range keys {
		files := byGroup[k]
		slices.SortFunc(files, func(a, b *Existing) int {
			if c := a.Header.Last.Compare(b.Header.Last); c != 0 {
				return c
			}
			return a.Header.First.Compare(b.Header.First)
		})
		latest := files[len(files)-1]
		run, firstOK := d.leading(latest.Header.Group, window)
		if h := latest.Header; run != nil && run.First.Sub(h.Last) <= window &&
			(h.Status == "firing" || !h.ResolvedAt.Before(run.First)) {
			c := *run
			c.ID, c.First = h.ID, h.First
			for _, l := range latest.Chain {
				if l.TS.Before(start) {
					c.Earlier = append(c.Earlier, l.Text)
				}
			}
			c.Count = len(c.Earlier) + len(c.Failures)
			if i := slices.IndexFunc(cs, func(x Cluster) bool { return x.cut && sameGroup(x.Group, c.Group) }); i >= 0 {
				cs[i] = c
			} else {
				cs = append(cs, c)
			}
			files = files[:len(files)-1]
		}
		for _, f := range files {
			h := f.Header
			if h.Status != "firing" {
				continue
			}
			c := Cluster{ID: h.ID, Group: h.Group, First: h.First, Last: h.Last, lastError: h.LastError}
			for _, l := range f.Chain {
				c.Earlier = append(c.Earlier, l.Text)
			}
			c.Count = len(c.Earlier)
			if !firstOK.IsZero() && firstOK.After(h.Last) {
				c.ResolvedAt = firstOK
			}
			cs = append(cs, c)
		}
	}
	AssignIDs(cs)
	return cs
}

// sameFields reports whether a group has exactly the fields given.
func sameFields(g []Label, fields []string) bool {
	if len(g) != len(fields) {
		return false
	}
	for i, l := range g {
		if l.Name != fields[i] {
			return false
		}
	}
	return true
}

// Change kinds: what a run did to an alert file.
const (
	ChangeNew      = "new"      // there was no file
	ChangeGrown    = "grown"    // more failures
	ChangeResolved = "resolved" // it fired, and a success followed
	ChangeUpdated  = "updated"  // anything else (other rules, a late row, a hand edit)
)

// Change is an alert file a run wrote.
type Change struct {
	Kind    string
	Path    string
	Cluster *Cluster
}

// WriteFiles writes the alert file of every cluster in dir, atomically,
// leaving a file that already holds the same bytes untouched (same mtime),
// and returns what changed, in cluster order.
func WriteFiles(dir string, cs []Cluster, r Rules) ([]Change, error) {
	var out []Change
	for i := range cs {
		c := &cs[i]
		path := filepath.Join(dir, FileName(c.ID))
		data := Render(c, r)
		kind := ChangeNew
		if fi, err := os.Lstat(path); err == nil {
			kind = ChangeUpdated
			if fi.Mode().IsRegular() {
				if old, err := os.ReadFile(path); err == nil {
					if bytes.Equal(old, data) {
						continue
					}
					if h, _, err := ParseFile(old); err == nil {
						switch {
						case h.Status == "firing" && !c.Firing():
							kind = ChangeResolved
						case c.Count > h.Failures:
							kind = ChangeGrown
						}
					}
				}
			}
		}
		wrote, err := ndjson.WriteFileIfChanged(path, data, 0o644)
		if err != nil {
			return out, err
		}
		if wrote {
			out = append(out, Change{Kind: kind, Path: path, Cluster: c})
		}
	}
	return out, nil
}
