// Package query runs jq programs (gojq) over the rows of sync-event logs,
// in parallel, with jq's output format and exit statuses.
package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/itchyny/gojq"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Exit statuses, as jq 1.6 uses them.
const (
	ExitOK       = 0
	ExitFalsy    = 1 // -e: the last output was false or null
	ExitCompile  = 2 // the program does not compile (jq uses 3; synclog's usage status is 2)
	ExitNoOutput = 4 // -e: no output at all
	ExitError    = 5 // a runtime error
)

// Arg is a named variable: --arg gives a string, --argjson any JSON value.
type Arg struct {
	Name  string
	Value any
}

// PreFilter selects rows before the jq program sees them.
type PreFilter struct {
	Since, Until                               time.Time // inclusive; zero means unbounded
	Repo, Machine, Tenant, Op, Status, Trigger string    // exact matches; "" means any
}

// Match reports whether e passes the pre-filter.
func (p *PreFilter) Match(e *ndjson.Event) bool {
	if !p.Since.IsZero() && e.TS.Before(p.Since) {
		return false
	}
	if !p.Until.IsZero() && e.TS.After(p.Until) {
		return false
	}
	if p.Repo != "" && e.Repo != p.Repo {
		return false
	}
	if p.Machine != "" && e.Machine != p.Machine {
		return false
	}
	if p.Tenant != "" && e.Tenant() != p.Tenant {
		return false
	}
	if p.Op != "" && e.Op != p.Op {
		return false
	}
	if p.Trigger != "" && e.Trigger != p.Trigger {
		return false
	}
	if p.Status != "" {
		st := e.Status
		if st == "" {
			st = ndjson.StatusOK
		}
		if st != p.Status {
			return false
		}
	}
	return true
}

func (p *PreFilter) active() bool { return *p != PreFilter{} }

// Options is one query.
type Options struct {
	Program    string
	Args       []Arg
	Compact    bool
	Raw        bool
	Join       bool // raw, and no newline after each output
	Slurp      bool
	NullInput  bool
	ExitStatus bool // -e
	Tab        bool
	Indent     int // default 2; 0 is compact
	Pre        PreFilter
	Workers    int
	Stdin      io.Reader
	// Table collects every output and hands it to the Table function
	// instead of printing JSON.
	Table func(values []any) error
}

// CompileError is a program that does not parse or compile.
type CompileError struct {
	Program string
	Offset  int // byte offset of the error, -1 when unknown
	Err     error
}

func (e *CompileError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("compile error: %v", e.Err)
	}
	line := e.Program
	off := e.Offset
	// Show the line of the program that holds the error, with a caret.
	if i := strings.LastIndexByte(line[:min(off, len(line))], '\n'); i >= 0 {
		line, off = line[i+1:], off-i-1
	}
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	return fmt.Sprintf("compile error: %v\n    %s\n    %s^", e.Err, line, strings.Repeat(" ", max(off-1, 0)))
}

func (e *CompileError) Unwrap() error { return e.Err }

// Result is how a query ended.
type Result struct {
	ExitCode int
	Stats    *ndjson.Stats
}

// Compile parses and compiles a program with the named args; inputs feeds
// jq's input and inputs (nil: there are none).
func Compile(program string, args []Arg, inputs gojq.Iter) (*gojq.Code, []any, error) {
	q, err := gojq.Parse(program)
	if err != nil {
		off := -1
		var pe *gojq.ParseError
		if errors.As(err, &pe) {
			off = pe.Offset
		}
		return nil, nil, &CompileError{Program: program, Offset: off, Err: err}
	}
	names := []string{"$ENV", "$__prog_args", "$ARGS"}
	named := map[string]any{}
	for _, a := range args {
		named[a.Name] = a.Value
	}
	env := map[string]any{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	values := []any{env, []any{}, map[string]any{"named": named, "positional": []any{}}}
	for _, a := range args {
		names = append(names, "$"+a.Name)
		values = append(values, a.Value)
	}
	code, err := gojq.Compile(q, gojq.WithVariables(names), gojq.WithEnvironLoader(os.Environ),
		gojq.WithInputIter(inputs))
	if err != nil {
		return nil, nil, &CompileError{Program: program, Offset: -1, Err: err}
	}
	return code, values, nil
}

// eventValue is the row as jq sees it: the object as read, keys sorted.
func eventValue(e *ndjson.Event) (any, error) {
	m := make(map[string]any, 12+len(e.Extra))
	m["ts"] = e.TSRaw
	m["op"] = e.Op
	m["repo"] = e.Repo
	m["scope"] = e.Scope
	m["files"] = int(e.Files)
	m["bytes"] = int(e.Bytes)
	m["dur_ms"] = int(e.DurMS)
	m["manifest_before"] = e.ManifestBefore
	m["manifest_after"] = e.ManifestAfter
	m["trigger"] = e.Trigger
	m["machine"] = e.Machine
	if e.Status != "" {
		m["status"] = e.Status
	}
	if e.Error != "" {
		m["error"] = e.Error
	}
	if e.TenantID != "" {
		m["tenant_id"] = e.TenantID
	}
	if e.HasFilesTotal {
		m["files_total"] = int(e.FilesTotal)
	}
	if e.SessionID != "" {
		m["session_id"] = e.SessionID
	}
	for _, f := range e.Extra {
		v, err := ndjson.ParseValue(f.Value)
		if err != nil {
			return nil, err
		}
		m[f.Key] = v
	}
	return m, nil
}

// input is one row handed to the program.
type input struct {
	v any
}

// segment is a piece of a chunk's output: text for stdout, or a message for stderr.
type segment struct {
	out    []byte
	errMsg string
}

type chunkResult struct {
	segs     []segment
	last     int // 0 no output, 1 falsy, 2 truthy
	errored  bool
	halted   bool
	haltCode int
	values   []any // for tables
}

// Run runs the query over the rows of paths and writes outputs to out and
// runtime errors to errw. Rows that are not valid are skipped and counted.
func Run(ctx context.Context, paths []string, o Options, out, errw io.Writer) (*Result, error) {
	// Compile first, so a bad program fails before any file is read.
	code, vars, err := Compile(o.Program, o.Args, gojq.NewIter[any]())
	if err != nil {
		return nil, err
	}
	enc := &Encoder{Indent: o.Indent, Tab: o.Tab, Raw: o.Raw || o.Join}
	if o.Compact {
		enc.Indent, enc.Tab = 0, false
	}
	sep := []byte{'\n'}
	if o.Join {
		sep = nil
	}
	parseOpts := ndjson.ReadOptions{
		ScanOptions: ndjson.ScanOptions{Workers: o.Workers, Stdin: o.Stdin},
		KeepExtra:   true,
	}
	if o.Pre.active() {
		pre := o.Pre
		parseOpts.Filter = pre.Match
	}

	res := &Result{}
	var tableValues []any
	last := 0
	errored := false

	if o.Slurp || o.NullInput {
		// Whole-input modes: rows are gathered in order and the program runs once.
		var rows []input
		if !o.NullInput || strings.Contains(o.Program, "input") {
			// jq -n reads nothing unless the program asks for input or inputs.
			stats, err := readInputs(ctx, paths, parseOpts, func(in input) { rows = append(rows, in) })
			res.Stats = stats
			if err != nil {
				return res, err
			}
		}
		all := make([]any, len(rows))
		for i := range rows {
			all[i] = rows[i].v
		}
		rows = nil
		var root any
		switch {
		case o.NullInput && o.Slurp: // jq -ns: inputs yields one array of every row
			code, vars, err = Compile(o.Program, o.Args, gojq.NewIter[any](all))
		case o.NullInput:
			code, vars, err = Compile(o.Program, o.Args, gojq.NewIter(all...))
		default:
			root = all
		}
		if err != nil {
			return res, err
		}
		cr := runOne(ctx, code, vars, root, enc, sep, o.Table != nil)
		for _, s := range cr.segs {
			if s.errMsg != "" {
				fmt.Fprintln(errw, s.errMsg)
			} else if _, err := out.Write(s.out); err != nil {
				return res, err
			}
		}
		tableValues = cr.values
		last, errored = cr.last, cr.errored
		if cr.halted {
			res.ExitCode = cr.haltCode
			return res, nil
		}
	} else {
		parsers := make(chan *ndjson.Parser, 64)
		getParser := func() *ndjson.Parser {
			select {
			case p := <-parsers:
				return p
			default:
				p := ndjson.NewParser()
				p.KeepExtra, p.KeepRawTS = true, true
				return p
			}
		}
		putParser := func(p *ndjson.Parser) {
			select {
			case parsers <- p:
			default:
			}
		}
		var halted *chunkResult
		stats, err := ndjson.Scan(ctx, paths, parseOpts.ScanOptions, func(c *ndjson.Chunk, st *ndjson.ChunkStats) *chunkResult {
			p := getParser()
			defer putParser(p)
			cr := &chunkResult{}
			var buf []byte
			var e ndjson.Event
			st.Blank += c.Lines(func(n int64, line []byte) {
				if cr.halted {
					return
				}
				if err := p.Parse(line, &e); err != nil {
					st.Skip(c.Path, n, err)
					return
				}
				st.Rows++
				if parseOpts.Filter != nil && !parseOpts.Filter(&e) {
					return
				}
				v, err := eventValue(&e)
				if err != nil {
					st.Skip(c.Path, n, err)
					return
				}
				where := fmt.Sprintf("%s:%d", c.Path, n)
				runInto(ctx, cr, &buf, code, vars, v, enc, sep, o.Table != nil, where)
			})
			if len(buf) > 0 {
				cr.segs = append(cr.segs, segment{out: buf})
			}
			return cr
		}, func(cr *chunkResult) error {
			for _, s := range cr.segs {
				if s.errMsg != "" {
					fmt.Fprintln(errw, s.errMsg)
				} else if _, err := out.Write(s.out); err != nil {
					return err
				}
			}
			tableValues = append(tableValues, cr.values...)
			if cr.last != 0 {
				last = cr.last
			}
			if cr.errored {
				errored = true
			}
			if cr.halted {
				halted = cr
				return errHalt
			}
			return nil
		})
		res.Stats = stats
		if halted != nil {
			res.ExitCode = halted.haltCode
			return res, nil
		}
		if err != nil {
			return res, err
		}
	}
	if o.Table != nil {
		if err := o.Table(tableValues); err != nil {
			return res, err
		}
	}
	switch {
	case errored:
		res.ExitCode = ExitError
	case o.ExitStatus && last == 0:
		res.ExitCode = ExitNoOutput
	case o.ExitStatus && last == 1:
		res.ExitCode = ExitFalsy
	}
	return res, nil
}

var errHalt = errors.New("halt")

func readInputs(ctx context.Context, paths []string, opts ndjson.ReadOptions, fn func(input)) (*ndjson.Stats, error) {
	var firstErr error
	opts.KeepExtra = true
	opts.KeepRawTS = true
	stats, err := ndjson.ReadEvents(ctx, paths, opts, func(r *ndjson.Row) error {
		v, err := eventValue(&r.Event)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s:%d: %w", r.Path, r.Line, err)
			}
			return nil
		}
		fn(input{v: v})
		return nil
	})
	if err == nil {
		err = firstErr
	}
	return stats, err
}

func runOne(ctx context.Context, code *gojq.Code, vars []any, v any, enc *Encoder, sep []byte, keep bool) *chunkResult {
	cr := &chunkResult{}
	var buf []byte
	runInto(ctx, cr, &buf, code, vars, v, enc, sep, keep, "")
	if len(buf) > 0 {
		cr.segs = append(cr.segs, segment{out: buf})
	}
	return cr
}

// runInto runs the program on one value and appends its outputs to buf, or,
// for errors, closes buf into a segment and adds the message.
func runInto(ctx context.Context, cr *chunkResult, buf *[]byte, code *gojq.Code, vars []any, v any,
	enc *Encoder, sep []byte, keep bool, where string) {
	iter := code.RunWithContext(ctx, v, vars...)
	for {
		x, ok := iter.Next()
		if !ok {
			return
		}
		if err, ok := x.(error); ok {
			var he *gojq.HaltError
			if errors.As(err, &he) {
				cr.halted = true
				cr.haltCode = he.ExitCode()
				if hv := he.Value(); hv != nil {
					flush(cr, buf)
					msg := ""
					if s, ok := hv.(string); ok {
						msg = strings.TrimSuffix(s, "\n")
					} else {
						msg = string((&Encoder{}).Append(nil, hv))
					}
					cr.segs = append(cr.segs, segment{errMsg: msg})
				}
				return
			}
			flush(cr, buf)
			cr.errored = true
			if where != "" {
				cr.segs = append(cr.segs, segment{errMsg: fmt.Sprintf("synclog: error (at %s): %s", where, errorText(err))})
			} else {
				cr.segs = append(cr.segs, segment{errMsg: fmt.Sprintf("synclog: error: %s", errorText(err))})
			}
			continue
		}
		if x == nil || x == false {
			cr.last = 1
		} else {
			cr.last = 2
		}
		if keep {
			cr.values = append(cr.values, x)
			continue
		}
		*buf = enc.Append(*buf, x)
		*buf = append(*buf, sep...)
	}
}

// errorText is what jq prints for a runtime error: error("msg") shows msg,
// error(value) shows the value and "(not a string)".
func errorText(err error) string {
	var ve gojq.ValueError
	if errors.As(err, &ve) {
		switch v := ve.Value().(type) {
		case string:
			return v
		case nil:
			return "null (null)"
		default:
			return string((&Encoder{}).Append(nil, v)) + " (not a string)"
		}
	}
	return err.Error()
}

func flush(cr *chunkResult, buf *[]byte) {
	if len(*buf) > 0 {
		cr.segs = append(cr.segs, segment{out: *buf})
		*buf = nil
	}
}
