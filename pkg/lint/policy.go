package lint

import (
	"fmt"
	"path"
	"strings"
)

// Policy is the sync policy: what the sync scripts may carry (Allow) and
// what they must not (Deny), as globs over paths relative to the synced
// root.
type Policy struct {
	Allow, Deny []string
	// AllowFrom and DenyFrom say where each list came from, for messages:
	// "SYNC_ALLOW", "config sync.allow".
	AllowFrom, DenyFrom string
	// Logs are the event logs (per machine: they belong in Deny),
	// Aggregate the cost aggregate file (shared: it belongs in Allow),
	// Other further files checked for being in both lists.
	Logs      []PolicyFile
	Aggregate *PolicyFile
	Other     []PolicyFile
}

// PolicyFile is a file the policy is checked against: Rel is its path
// relative to the synced root, matched against the globs; Name is what
// findings show.
type PolicyFile struct {
	Rel  string
	Name string
}

// ParseList splits a SYNC_ALLOW or SYNC_DENY value into its globs: they are
// separated by colons or newlines, as the sync scripts write them; blanks
// around each are dropped, and so are empty entries.
func ParseList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ValidatePattern reports whether pattern is a glob Match can use.
func ValidatePattern(pattern string) error {
	for _, seg := range patternSegments(pattern) {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("glob %q: %w", pattern, err)
		}
	}
	return nil
}

// patternSegments cleans a glob and splits it at slashes. A glob without a
// slash matches a name at any depth, so it gets a leading "**".
func patternSegments(pattern string) []string {
	p := strings.TrimPrefix(pattern, "./")
	anchored := strings.HasPrefix(p, "/")
	p = strings.Trim(p, "/")
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s == "" || s == "." {
			continue
		}
		if s == "**" && len(segs) > 0 && segs[len(segs)-1] == "**" {
			continue
		}
		segs = append(segs, s)
	}
	if !anchored && len(segs) == 1 && segs[0] != "**" {
		segs = []string{"**", segs[0]}
	}
	return segs
}

// Match reports whether the glob pattern matches name, a slash-separated
// path relative to the synced root, in the manner of .gitignore: "*", "?"
// and "[...]" match within one path segment, "**" matches any number of
// segments, a pattern without a slash matches a file or directory name at
// any depth, and a pattern that matches a directory matches everything
// under it. A leading "/" or "./" anchors the pattern at the root.
func Match(pattern, name string) bool {
	ps := patternSegments(pattern)
	var ns []string
	for _, s := range strings.Split(strings.Trim(strings.TrimPrefix(name, "./"), "/"), "/") {
		if s != "" && s != "." {
			ns = append(ns, s)
		}
	}
	if len(ps) == 0 {
		return false
	}
	// m[i][j]: ps[i:] matches ns[j:], or a directory at the start of ns[j:].
	// Filled from the end, one row at a time: O(len(ps) * len(ns)).
	next := make([]bool, len(ns)+1)
	cur := make([]bool, len(ns)+1)
	for j := range next {
		next[j] = true // an exhausted pattern has matched a directory above
	}
	for i := len(ps) - 1; i >= 0; i-- {
		for j := len(ns); j >= 0; j-- {
			if ps[i] == "**" {
				cur[j] = next[j] || (j < len(ns) && cur[j+1])
				continue
			}
			ok := false
			if j < len(ns) && next[j+1] {
				ok, _ = path.Match(ps[i], ns[j])
			}
			cur[j] = ok
		}
		next, cur = cur, next
	}
	return next[0]
}

// firstMatch returns the first glob of list that matches name.
func firstMatch(list []string, name string) (string, bool) {
	for _, p := range list {
		if Match(p, name) {
			return p, true
		}
	}
	return "", false
}

// lintPolicy checks the sync policy. Nothing is checked while neither list
// has a glob: the sync scripts are not in use.
func (l *linter) lintPolicy(p *Policy) {
	if len(p.Allow) == 0 && len(p.Deny) == 0 {
		return
	}
	allowFrom, denyFrom := orDefault(p.AllowFrom, "SYNC_ALLOW"), orDefault(p.DenyFrom, "SYNC_DENY")

	// A path in both lists: the known files, and every glob of either
	// list taken as a path (so the same entry in both is caught too).
	seen := map[string]bool{}
	both := func(rel, name string) {
		if seen[rel] {
			return
		}
		seen[rel] = true
		a, okA := firstMatch(p.Allow, rel)
		d, okD := firstMatch(p.Deny, rel)
		if okA && okD {
			l.emit(name, 0, RuleSyncPolicy, Error, fmt.Sprintf("%q matches both %s (%q) and %s (%q): it cannot be synced and kept back at once",
				rel, allowFrom, a, denyFrom, d))
		}
	}
	files := append([]PolicyFile{}, p.Logs...)
	if p.Aggregate != nil {
		files = append(files, *p.Aggregate)
	}
	files = append(files, p.Other...)
	for _, f := range files {
		both(f.Rel, orDefault(f.Name, f.Rel))
	}
	for _, g := range append(append([]string{}, p.Allow...), p.Deny...) {
		both(g, g)
	}

	for _, f := range p.Logs {
		if _, ok := firstMatch(p.Deny, f.Rel); !ok {
			l.emit(orDefault(f.Name, f.Rel), 0, RuleSyncPolicy, Warning, fmt.Sprintf("the event log %q is per-machine, but %s does not match it: machines would overwrite each other's logs",
				f.Rel, denyFrom))
		}
	}
	if f := p.Aggregate; f != nil {
		if _, ok := firstMatch(p.Allow, f.Rel); !ok {
			l.emit(orDefault(f.Name, f.Rel), 0, RuleSyncPolicy, Warning, fmt.Sprintf("%s does not match the aggregate file %q: the cost rollup would not be shared",
				allowFrom, f.Rel))
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
