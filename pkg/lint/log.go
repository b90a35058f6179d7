package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// rowRec is what a worker found on one line that the in-order pass needs.
type rowRec struct {
	line   int64
	hash   uint64 // of the line as read, when duplicate-row runs
	ts     time.Time
	valid  bool // a valid row (else finds holds why not)
	future bool // flagged future-ts: never taken as the previous row
	pushOK bool // a successful push, part of the manifest chain
	repo   string
	scope  string
	// The manifests: their hashes for the chain, before as read (in the
	// chunk's data, which outlives the chunk's merge) for a message, and
	// the head of after, all a message shows of it.
	before    []byte
	beforeH   uint64
	afterH    uint64
	afterHead manifestHead
	finds     []pending // findings of this line alone
}

// pending is a finding a worker found, emitted in order by the merge.
type pending struct {
	rule string
	sev  Severity
	msg  string
}

// chunkOut is a worker's result for one chunk.
type chunkOut struct {
	path string
	recs *[]rowRec
}

type chainKey struct{ repo, scope string }

type chainLink struct {
	afterH    uint64
	afterHead manifestHead
	line      int64
}

// manifestHead is the start of a manifest hash, as much as a message shows.
type manifestHead struct {
	b [manifestShown]byte
	n int // the whole length
}

const manifestShown = 19

func headOf(m []byte) manifestHead {
	h := manifestHead{n: len(m)}
	copy(h.b[:], m)
	return h
}

func (h manifestHead) String() string {
	if h.n > manifestShown {
		return fmt.Sprintf("%q", string(h.b[:])+"…")
	}
	return fmt.Sprintf("%q", string(h.b[:h.n]))
}

// logPass is the in-order state of the row rules. Its memory grows with the
// number of (repo, scope) groups, and with the rows only through dups: one
// 64-bit hash and one position per distinct row, kept only while
// duplicate-row runs.
type logPass struct {
	l     *linter
	srcs  []Source
	index map[string]int // path -> place in srcs
	cur   int
	// The previous row: its ts and line.
	prevTS   time.Time
	prevLine int64
	gotPrv   bool
	chain    map[chainKey]*chainLink
	// dups maps the hash of each row seen to where it was first seen:
	// source index << 40 | line. Two different rows of one day share a
	// 64-bit hash with odds of about n²/2⁶⁵ for n rows that day.
	dups *dupIndex
}

// lintLogs runs the row rules over every log, in order, parsing on every
// core and checking order, duplicates and the manifest chain on one
// goroutine.
func (l *linter) lintLogs(ctx context.Context, srcs []Source) error {
	paths := make([]string, len(srcs))
	pass := &logPass{l: l, srcs: srcs, index: make(map[string]int, len(srcs)), cur: -1}
	for i, s := range srcs {
		paths[i] = s.Path
		if _, dup := pass.index[s.Path]; dup {
			return fmt.Errorf("%s: named twice", s.Path)
		}
		pass.index[s.Path] = i
	}
	if l.active(RuleDuplicateRow) {
		pass.dups = newDupIndex()
		defer pass.dups.release()
	}
	seed := maphash.MakeSeed()
	workers := sync.Pool{New: func() any { return l.newRowWorker(seed) }}
	recPool := sync.Pool{}
	st, err := ndjson.Scan(ctx, paths, ndjson.ScanOptions{Workers: l.opts.Workers, Stdin: l.opts.Stdin, OnProgress: l.opts.OnProgress},
		func(c *ndjson.Chunk, _ *ndjson.ChunkStats) chunkOut {
			w := workers.Get().(*rowWorker)
			defer workers.Put(w)
			recs, _ := recPool.Get().(*[]rowRec)
			if recs == nil {
				recs = new([]rowRec)
			}
			*recs = w.checkChunk(c, (*recs)[:0])
			return chunkOut{path: c.Path, recs: recs}
		}, func(out chunkOut) error {
			pass.merge(out)
			clear(*out.recs) // drop the findings and strings it holds
			recPool.Put(out.recs)
			return nil
		})
	if err != nil {
		return err
	}
	for _, src := range st.Sources {
		if src.Partial && !inFlight(ctx, src.Path, src.Bytes) {
			i := pass.index[src.Path]
			l.group = 1 + i
			l.emitDefault(srcs[i].name(), src.LastLine+1, RuleTornLine,
				"the file does not end with a newline: its last line is a torn write or one still in flight")
		}
	}
	l.group = 1 + len(srcs)
	return nil
}

// rowWorker checks the lines of a chunk on one of the workers. Its parser
// is lean: the manifests, needed for successful pushes only, are read off
// the line, and a row written in a way that cannot be read off is parsed
// again in full.
type rowWorker struct {
	l                *linter
	seed             maphash.Seed
	lean, full       *ndjson.Parser
	ev, fullEv       ndjson.Event
	dups, chain, utc bool
}

func (l *linter) newRowWorker(seed maphash.Seed) *rowWorker {
	w := &rowWorker{l: l, seed: seed, lean: ndjson.NewParser(), full: ndjson.NewParser(),
		dups: l.active(RuleDuplicateRow), chain: l.active(RuleManifestChain), utc: l.active(RuleTSNotUTC)}
	w.lean.Lean = true
	w.lean.KeepRawTS = w.utc
	return w
}

// checkChunk runs the rules that need one line only, and appends to recs
// what the in-order pass needs of each line.
func (w *rowWorker) checkChunk(c *ndjson.Chunk, recs []rowRec) []rowRec {
	l := w.l
	since := l.opts.Since
	ev := &w.ev
	c.Lines(func(n int64, line []byte) {
		if !since.IsZero() {
			if t, ok := leadingTS(line); ok && t.Before(since) {
				return
			}
		}
		if err := w.lean.Parse(line, ev); err != nil {
			rec := rowRec{line: n}
			if pd, ok := l.rowError(err, line); ok {
				rec.finds = append(rec.finds, pd)
			}
			recs = append(recs, rec)
			return
		}
		if !since.IsZero() && ev.TS.Before(since) {
			return
		}
		rec := rowRec{line: n, ts: ev.TS, valid: true}
		if w.dups {
			rec.hash = maphash.Bytes(w.seed, line)
		}
		rec.finds = l.checkRow(ev, ev.TSRaw, rec.finds)
		for _, f := range rec.finds {
			if f.rule == RuleFutureTS {
				rec.future = true
			}
		}
		if w.chain && ev.Op == ndjson.OpPush && !ev.Failed() {
			rec.pushOK = true
			rec.repo, rec.scope = ev.Repo, ev.Scope
			before, after, ok := manifests(line)
			if !ok {
				_ = w.full.Parse(line, &w.fullEv) // valid: the lean parse said so
				before, after = []byte(w.fullEv.ManifestBefore), []byte(w.fullEv.ManifestAfter)
			}
			rec.before = before
			rec.beforeH, rec.afterH = maphash.Bytes(w.seed, before), maphash.Bytes(w.seed, after)
			rec.afterHead = headOf(after)
		}
		recs = append(recs, rec)
	})
	return recs
}

// rowError turns a parse error into the finding of its rule: a line that is
// not JSON is torn-line when it looks like a fragment of a row.
func (l *linter) rowError(err error, line []byte) (pending, bool) {
	var re *ndjson.RowError
	if !errors.As(err, &re) {
		return pending{RuleInvalidJSON, Error, err.Error()}, l.active(RuleInvalidJSON)
	}
	rule := string(re.Reason)
	if re.Reason == ndjson.ReasonBadEncoding {
		rule = RuleInvalidJSON // not valid UTF-8 is not valid JSON
	}
	if rule == RuleInvalidJSON && l.active(RuleTornLine) {
		if msg, ok := tornFragment(line); ok {
			return pending{RuleTornLine, Error, msg}, true
		}
	}
	if _, known := ruleIndex[rule]; !known {
		rule = RuleInvalidJSON
	}
	return pending{rule, Error, re.Msg}, l.active(rule)
}

// tornFragment recognises a line that holds part of a row: the head of one
// cut short, the tail of one whose head is lost, or a fragment run into the
// next row by two writers interleaving.
func tornFragment(line []byte) (string, bool) {
	b := bytes.TrimSpace(line)
	if len(b) == 0 {
		return "", false
	}
	if i := bytes.Index(b[1:], []byte(`{"ts"`)); i >= 0 {
		return fmt.Sprintf("the line holds a fragment of a row, then a row from byte %d (writes interleaved)", i+2), true
	}
	if i := bytes.Index(b, []byte("}{")); i >= 0 {
		return fmt.Sprintf("two rows on one line, joined at byte %d (a newline lost)", i+2), true
	}
	if b[0] == '{' && b[len(b)-1] != '}' {
		return "the row is cut short (a torn write)", true
	}
	if b[0] != '{' && b[len(b)-1] == '}' && bytes.Contains(b, []byte(`":`)) {
		return "the line begins in the middle of a row (a torn write)", true
	}
	return "", false
}

// leadingTS reads ts from a line that begins with it, as synclog writes rows.
func leadingTS(line []byte) (time.Time, bool) {
	const pre = `{"ts":"`
	if !bytes.HasPrefix(line, []byte(pre)) {
		return time.Time{}, false
	}
	rest := line[len(pre):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return time.Time{}, false
	}
	t, err := ndjson.ParseTS(rest[:q])
	return t, err == nil
}

// checkRow runs the rules that need one valid row only.
func (l *linter) checkRow(e *ndjson.Event, rawTS string, out []pending) []pending {
	o := &l.opts
	if e.Failed() && strings.TrimSpace(e.Error) == "" && l.active(RuleErrorWithoutMessage) {
		out = append(out, pending{RuleErrorWithoutMessage, Error, `status is "error" but the row has no error message`})
	}
	if l.active(RuleTSNotUTC) {
		if raw := rawTS; len(raw) > 0 && raw[len(raw)-1] != 'Z' && raw[len(raw)-1] != 'z' {
			out = append(out, pending{RuleTSNotUTC, Info, fmt.Sprintf("ts %q is not in UTC (Z)", raw)})
		}
	}
	if ahead := e.TS.Sub(o.Now); ahead > o.Skew && l.active(RuleFutureTS) {
		out = append(out, pending{RuleFutureTS, Warning, fmt.Sprintf("ts %s is %s after now (%s), more than lint.skew %s",
			ndjson.FormatTS(e.TS), fmtGap(e.TS, o.Now), ndjson.FormatTS(o.Now), fmtDuration(o.Skew))})
	}
	if e.Op == ndjson.OpPush && e.HasFilesTotal && e.FilesTotal > 0 &&
		float64(e.Files) > o.MassChange*float64(e.FilesTotal) && l.active(RuleMassChange) {
		out = append(out, pending{RuleMassChange, Warning, fmt.Sprintf("push of %s/%s touches %d of %d files (%s), more than lint.mass_change %s",
			e.Repo, e.Scope, e.Files, e.FilesTotal, percent(float64(e.Files)/float64(e.FilesTotal)), percent(o.MassChange))})
	}
	if !l.triggers[e.Trigger] && l.active(RuleUnknownTrigger) {
		out = append(out, pending{RuleUnknownTrigger, Warning, fmt.Sprintf("trigger %q is not in lint.triggers", e.Trigger)})
	}
	return out
}

// percent writes a fraction as a percentage with at most one decimal.
func percent(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// merge runs the rules that need the rows in order, on one goroutine.
func (p *logPass) merge(out chunkOut) {
	l := p.l
	if i := p.index[out.path]; i != p.cur {
		// A new file: order and chain start afresh.
		p.cur, p.gotPrv = i, false
		p.chain = make(map[chainKey]*chainLink)
		l.group = 1 + i
	}
	name := p.srcs[p.cur].name()
	recs := *out.recs
	for k := range recs {
		r := &recs[k]
		if !r.valid {
			for _, f := range r.finds {
				l.emit(name, r.line, f.rule, f.sev, f.msg)
			}
			continue
		}
		if p.dups != nil {
			if first, seen := p.dups.firstOrAdd(r.ts.Unix(), r.hash, uint64(p.cur)<<40|uint64(r.line)); seen {
				// The copy is reported once, as a copy; what else it
				// holds was reported on the original.
				l.emitDefault(name, r.line, RuleDuplicateRow, "row identical to "+p.where(first))
				continue
			}
		}
		for _, f := range r.finds {
			l.emit(name, r.line, f.rule, f.sev, f.msg)
		}
		if !r.future {
			if p.gotPrv && r.ts.Before(p.prevTS.Add(-l.opts.Skew)) {
				l.emitDefault(name, r.line, RuleOutOfOrder, fmt.Sprintf("ts %s is %s earlier than %s of line %d, more than lint.skew %s",
					ndjson.FormatTS(r.ts), fmtGap(p.prevTS, r.ts), ndjson.FormatTS(p.prevTS), p.prevLine, fmtDuration(l.opts.Skew)))
			}
			p.prevTS, p.prevLine, p.gotPrv = r.ts, r.line, true
		}
		if r.pushOK {
			k := chainKey{r.repo, r.scope}
			last := p.chain[k]
			if last == nil {
				last = &chainLink{}
				p.chain[k] = last
			} else if last.afterH != r.beforeH {
				l.emitDefault(name, r.line, RuleManifestChain, fmt.Sprintf(
					"push of %s/%s starts from manifest %s, but the previous successful push (line %d) ended at %s: a push went unrecorded, or two writers raced",
					r.repo, r.scope, headOf(r.before), last.line, last.afterHead))
			}
			last.afterH, last.afterHead, last.line = r.afterH, r.afterHead, r.line
		}
	}
}

// where names the first place a row was seen.
func (p *logPass) where(pos uint64) string {
	src, line := int(pos>>40), int64(pos&(1<<40-1))
	if src == p.cur {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s:%d", p.srcs[src].name(), line)
}

// manifests reads manifest_before and manifest_after off a valid row
// written as synclog writes it: the two keys next to each other, in that
// order, and no backslash anywhere in the line (so no key is spelled with an
// escape, and a key's quotes cannot stand inside a string). It reports false
// when it cannot be sure: then the row must be parsed.
func manifests(line []byte) (before, after []byte, ok bool) {
	const kb, ka = `manifest_before":"`, `","manifest_after":"`
	if bytes.IndexByte(line, '\\') >= 0 {
		return nil, nil, false
	}
	// Searching from the key's first letter skips the many quotes.
	i := bytes.Index(line, []byte(kb))
	if i < 1 || line[i-1] != '"' {
		return nil, nil, false
	}
	rest := line[i+len(kb):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 || !bytes.HasPrefix(rest[q:], []byte(ka)) {
		return nil, nil, false
	}
	before, rest = rest[:q], rest[q+len(ka):]
	q = bytes.IndexByte(rest, '"')
	if q < 0 {
		return nil, nil, false
	}
	after, rest = rest[:q], rest[q+1:]
	// The first manifest_before was the one found; one further on (a
	// repeated key, or a nested object's) would make it unsure.
	if bytes.Contains(rest, []byte(`manifest_`)) {
		return nil, nil, false
	}
	return before, after, true
}
