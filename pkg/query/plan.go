package query

import (
	"github.com/itchyny/gojq"

	"github.com/synclog/synclog/pkg/ndjson"
)

// plan is how Run feeds rows to a program: built with only the keys the
// program can observe, and, when streaming a program that starts with
// select(C), with C evaluated natively so that gojq runs only on the rows
// that pass.
type plan struct {
	code *gojq.Code
	vars []any
	proj *projection // the keys code can observe

	// preds, when not empty, are the conditions of the leading selects.
	// A row without keys outside the schema that passes them all runs
	// rest, built with restProj; other rows run code.
	preds    []*predicate
	rest     *gojq.Code
	restProj *projection

	// fields are the schema keys that some projection or predicate reads:
	// the parser need not keep the others.
	fields uint32
}

// rowsKind is the kind of -s's input, an array of rows.
var rowsKind = kind{elem: &kind{row: true}}

// newPlan plans the compiled program of o. Programs that read rows with
// input or inputs (-n) see them whole.
func newPlan(o *Options, code *gojq.Code, vars []any) *plan {
	p := &plan{code: code, vars: vars, proj: fullProjection, fields: allFields}
	if o.noPlan || o.NullInput {
		return p
	}
	defer p.setFields()
	q, err := gojq.Parse(o.Program) // a tree of its own, which nothing compiles
	if err != nil {
		return p
	}
	in := rowKind
	if o.Slurp {
		in = rowsKind
	}
	p.proj = projectionFor(q, in)
	if o.Slurp {
		return p
	}
	preds, rest := splitSelects(q)
	if len(preds) == 0 {
		return p
	}
	if rest == nil { // the program is only selects: it outputs whole rows
		rest = &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeIdentity}}
	}
	restProj := projectionFor(rest, rowKind)
	restCode, _, err := compileParsed(rest, o.Args, gojq.NewIter[any]())
	if err != nil {
		return p
	}
	p.preds, p.rest, p.restProj = preds, restCode, restProj
	return p
}

// setFields sets p.fields from the projections and predicates.
func (p *plan) setFields() {
	p.fields = p.proj.fields
	if len(p.preds) > 0 {
		p.fields |= p.restProj.fields
	}
	for _, pr := range p.preds {
		p.fields |= pr.fields()
	}
}

// newParser is a parser that keeps what the plan reads: ts as written only
// when it is read, and manifests and session ids only when read.
func (p *plan) newParser() *ndjson.Parser {
	parser := ndjson.NewParser()
	parser.KeepExtra = true // the plan needs to see keys outside the schema
	parser.KeepRawTS = p.fields&fieldTS != 0
	parser.Lean = p.fields&(fieldManifestBefore|fieldManifestAfter|fieldSessionID) == 0
	return parser
}

// projectionFor is the projection of rows for a program run on in.
func projectionFor(q *gojq.Query, in kind) *projection {
	keys, reason := observedKeys(q, in)
	if reason != "" {
		return fullProjection
	}
	return newProjection(keys)
}

// newRowValues builds the rows of a chunk: [0] for code, [1] for rest.
func (p *plan) newRowValues() [2]*rowValues {
	rows := [2]*rowValues{newRowValues(p.proj)}
	if p.rest != nil {
		rows[1] = newRowValues(p.restProj)
	}
	return rows
}

// pushedDown reports whether e goes through the native selects.
func (p *plan) pushedDown(e *ndjson.Event) bool { return len(p.preds) > 0 && len(e.Extra) == 0 }

// match reports whether e passes every native select; e must be pushedDown.
func (p *plan) match(e *ndjson.Event) bool {
	for _, pr := range p.preds {
		if !pr.eval(e).truthy() {
			return false
		}
	}
	return true
}
