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
	Indent     int  // default 2; 0 is compact
	Color      bool // ANSI colors as jq -C
	Pre        PreFilter
	Workers    int
	Stdin      io.Reader
	// OnProgress, when set, is called with the bytes of the logs read so
	// far (see ndjson.ScanOptions).
	OnProgress func(read int64)
	// Table collects every output and hands it to the Table function
	// instead of printing JSON.
	Table func(values []any) error

	// noPlan feeds every row whole to the program, as built before the
	// planner: tests compare the two.
	noPlan bool
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
	q, err := parse(program)
	if err != nil {
		return nil, nil, err
	}
	code, vars, err := compileParsed(q, args, inputs)
	if err != nil {
		return nil, nil, &CompileError{Program: program, Offset: -1, Err: err}
	}
	return code, vars, nil
}

// parse parses a program; the error is a *CompileError.
func parse(program string) (*gojq.Query, error) {
	q, err := gojq.Parse(program)
	if err != nil {
		off := -1
		var pe *gojq.ParseError
		if errors.As(err, &pe) {
			off = pe.Offset
		}
		return nil, &CompileError{Program: program, Offset: off, Err: err}
	}
	return q, nil
}

// compileParsed compiles a parsed program with the named args, and $ENV,
// $__prog_args and $ARGS as jq sets them.
func compileParsed(q *gojq.Query, args []Arg, inputs gojq.Iter) (*gojq.Code, []any, error) {
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
		return nil, nil, err
	}
	return code, values, nil
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

// runner is one Run: the program, how rows are fed to it, and what its
// outputs so far decide.
type runner struct {
	o         *Options
	plan      *plan
	enc       *Encoder
	sep       []byte
	out, errw io.Writer

	tableValues []any
	last        int // as chunkResult.last, for the last output
	errored     bool
	halted      *chunkResult
}

// Run runs the query over the rows of paths and writes outputs to out and
// runtime errors to errw. Rows that are not valid are skipped and counted.
func Run(ctx context.Context, paths []string, o Options, out, errw io.Writer) (*Result, error) {
	// Compile first, so a bad program fails before any file is read.
	code, vars, err := Compile(o.Program, o.Args, gojq.NewIter[any]())
	if err != nil {
		return nil, err
	}
	r := &runner{o: &o, plan: newPlan(&o, code, vars), sep: []byte{'\n'}, out: out, errw: errw}
	r.enc = &Encoder{Indent: o.Indent, Tab: o.Tab, Raw: o.Raw || o.Join, Color: o.Color}
	if o.Compact {
		r.enc.Indent, r.enc.Tab = 0, false
	}
	if o.Join {
		r.sep = nil
	}
	res := &Result{}
	if o.Slurp || o.NullInput {
		res.Stats, err = r.runWhole(ctx, paths)
	} else {
		res.Stats, err = r.runStream(ctx, paths)
	}
	if r.halted != nil {
		res.ExitCode = r.halted.haltCode
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if o.Table != nil {
		if err := o.Table(r.tableValues); err != nil {
			return res, err
		}
	}
	switch {
	case r.errored:
		res.ExitCode = ExitError
	case o.ExitStatus && r.last == 0:
		res.ExitCode = ExitNoOutput
	case o.ExitStatus && r.last == 1:
		res.ExitCode = ExitFalsy
	}
	return res, nil
}

var errHalt = errors.New("halt")

// scanOptions is how rows are read.
func (r *runner) scanOptions() ndjson.ScanOptions {
	return ndjson.ScanOptions{Workers: r.o.Workers, Stdin: r.o.Stdin, OnProgress: r.o.OnProgress}
}

// filter is the pre-filter, nil when there is none.
func (r *runner) filter() func(*ndjson.Event) bool {
	if !r.o.Pre.active() {
		return nil
	}
	pre := r.o.Pre
	return pre.Match
}

// emit writes a chunk's outputs and messages, in order, and keeps what they
// decide; it returns errHalt when the program halted.
func (r *runner) emit(cr *chunkResult) error {
	for _, s := range cr.segs {
		if s.errMsg != "" {
			fmt.Fprintln(r.errw, s.errMsg)
		} else if _, err := r.out.Write(s.out); err != nil {
			return err
		}
	}
	r.tableValues = append(r.tableValues, cr.values...)
	if cr.last != 0 {
		r.last = cr.last
	}
	if cr.errored {
		r.errored = true
	}
	if cr.halted {
		r.halted = cr
		return errHalt
	}
	return nil
}

// runWhole is -s and -n: rows are gathered in order and the program runs
// once, on the array of rows (-s) or on null with the rows as its inputs.
func (r *runner) runWhole(ctx context.Context, paths []string) (*ndjson.Stats, error) {
	o := r.o
	all := []any{}
	var stats *ndjson.Stats
	if !o.NullInput || strings.Contains(o.Program, "input") {
		// jq -n reads nothing unless the program asks for input or inputs.
		var err error
		all, stats, err = readValues(ctx, paths, r.scanOptions(), r.filter(), r.plan)
		if err != nil {
			return stats, err
		}
	}
	code, vars := r.plan.code, r.plan.vars
	var root any
	var err error
	switch {
	case o.NullInput && o.Slurp: // jq -ns: inputs yields one array of every row
		code, vars, err = Compile(o.Program, o.Args, gojq.NewIter[any](all))
	case o.NullInput:
		code, vars, err = Compile(o.Program, o.Args, gojq.NewIter(all...))
	default:
		root = all
	}
	if err != nil {
		return stats, err
	}
	cr := &chunkResult{}
	var buf []byte
	runInto(ctx, cr, &buf, code, vars, root, r.enc, r.sep, o.Table != nil, location{})
	flush(cr, &buf)
	err = r.emit(cr)
	if err == errHalt {
		err = nil
	}
	return stats, err
}

// runStream runs the program on each row, in parallel, and prints the
// outputs in order.
func (r *runner) runStream(ctx context.Context, paths []string) (*ndjson.Stats, error) {
	parsers := newParserPool(r.plan.newParser)
	filter := r.filter()
	return ndjson.Scan(ctx, paths, r.scanOptions(), func(c *ndjson.Chunk, st *ndjson.ChunkStats) *chunkResult {
		p := parsers.get()
		defer parsers.put(p)
		cr := &chunkResult{}
		var buf []byte
		var e ndjson.Event
		rows := r.plan.newRowValues()
		st.Blank += c.Lines(func(n int64, line []byte) {
			if !cr.halted && parseRow(p, c, n, line, &e, st, filter) {
				r.runRow(ctx, cr, &buf, &e, rows, st, location{c.Path, n, true})
			}
		})
		flush(cr, &buf)
		return cr
	}, r.emit)
}

// runRow runs the program on one row: natively through its leading
// selects when the plan has them, then on the row built with the keys the
// rest of the program observes.
func (r *runner) runRow(ctx context.Context, cr *chunkResult, buf *[]byte, e *ndjson.Event, rows [2]*rowValues,
	st *ndjson.ChunkStats, at location) {
	pl := r.plan
	code, build := pl.code, rows[0]
	if pl.pushedDown(e) {
		if !pl.match(e) {
			return
		}
		code, build = pl.rest, rows[1]
	}
	v, err := build.value(e)
	if err != nil {
		st.Skip(at.path, at.line, err)
		return
	}
	runInto(ctx, cr, buf, code, pl.vars, v, r.enc, r.sep, r.o.Table != nil, at)
}

// location is the file and line of a row, for error messages; the zero
// location is none. It is formatted only when an error is printed.
type location struct {
	path string
	line int64
	ok   bool
}

// runInto runs the program on one value and appends its outputs to buf, or,
// for errors, closes buf into a segment and adds the message.
func runInto(ctx context.Context, cr *chunkResult, buf *[]byte, code *gojq.Code, vars []any, v any,
	enc *Encoder, sep []byte, keep bool, where location) {
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
			if where.ok {
				cr.segs = append(cr.segs, segment{errMsg: fmt.Sprintf("synclog: error (at %s:%d): %s", where.path, where.line, errorText(err))})
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
