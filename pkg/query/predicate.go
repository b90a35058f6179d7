package query

import (
	"cmp"
	"math"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/synclog/synclog/pkg/ndjson"
)

// scalar is a JSON scalar as jq compares it: null, false, true, a number or
// a string. The type order is jq's: null < false < true < numbers < strings.
type scalar struct {
	typ   uint8
	isInt bool // a number held in i, as gojq keeps integers; else in f
	i     int
	f     float64
	s     string
}

const (
	typeNull uint8 = iota
	typeFalse
	typeTrue
	typeNumber
	typeString
)

func boolScalar(b bool) scalar {
	if b {
		return scalar{typ: typeTrue}
	}
	return scalar{typ: typeFalse}
}

func stringScalar(s string) scalar { return scalar{typ: typeString, s: s} }

func intScalar(i int64) scalar { return scalar{typ: typeNumber, isInt: true, i: int(i)} }

// scalarOf converts a value gojq produced; ok is false for other values
// (big integers, arrays, objects).
func scalarOf(v any) (scalar, bool) {
	switch v := v.(type) {
	case nil:
		return scalar{typ: typeNull}, true
	case bool:
		return boolScalar(v), true
	case int:
		return scalar{typ: typeNumber, isInt: true, i: v}, true
	case float64:
		return scalar{typ: typeNumber, f: v}, true
	case string:
		return stringScalar(v), true
	}
	return scalar{}, false
}

func (x scalar) truthy() bool { return x.typ != typeNull && x.typ != typeFalse }

func (x scalar) float() float64 {
	if x.isInt {
		return float64(x.i)
	}
	return x.f
}

// compareScalars is gojq's Compare restricted to scalars: the types' order,
// then integers as integers, other numbers as float64 (NaN below all), and
// strings bytewise.
func compareScalars(l, r scalar) int {
	if l.typ != r.typ {
		return cmp.Compare(l.typ, r.typ)
	}
	switch l.typ {
	case typeNumber:
		if l.isInt && r.isInt {
			return cmp.Compare(l.i, r.i)
		}
		a, b := l.float(), r.float()
		switch {
		case a < b || math.IsNaN(a):
			return -1
		case a == b:
			return 0
		default:
			return 1
		}
	case typeString:
		return strings.Compare(l.s, r.s)
	}
	return 0
}

// predOp is the operation of a predicate node.
type predOp uint8

const (
	predField predOp = iota // a schema key of the row
	predConst
	predNot
	predAnd
	predOr
	predEq
	predNe
	predLt
	predLe
	predGt
	predGe
)

var cmpOps = map[gojq.Operator]predOp{
	gojq.OpEq: predEq, gojq.OpNe: predNe, gojq.OpLt: predLt,
	gojq.OpLe: predLe, gojq.OpGt: predGt, gojq.OpGe: predGe,
}

// predicate is the condition of a select that runs natively on an event
// with no keys outside the schema: schema keys, scalar literals,
// comparisons, and, or, not. It gives what gojq gives on the row's value.
type predicate struct {
	op    predOp
	field uint32 // predField: the key's bit
	c     scalar // predConst
	l, r  *predicate
}

// eval is the predicate's value on e, which must have no Extra keys.
func (p *predicate) eval(e *ndjson.Event) scalar {
	switch p.op {
	case predField:
		return fieldScalar(e, p.field)
	case predConst:
		return p.c
	case predNot:
		return boolScalar(!p.l.eval(e).truthy())
	case predAnd:
		return boolScalar(p.l.eval(e).truthy() && p.r.eval(e).truthy())
	case predOr:
		return boolScalar(p.l.eval(e).truthy() || p.r.eval(e).truthy())
	}
	c := compareScalars(p.l.eval(e), p.r.eval(e))
	switch p.op {
	case predEq:
		return boolScalar(c == 0)
	case predNe:
		return boolScalar(c != 0)
	case predLt:
		return boolScalar(c < 0)
	case predLe:
		return boolScalar(c <= 0)
	case predGt:
		return boolScalar(c > 0)
	default:
		return boolScalar(c >= 0)
	}
}

// fields are the schema keys p reads.
func (p *predicate) fields() uint32 {
	if p == nil {
		return 0
	}
	return p.field | p.l.fields() | p.r.fields()
}

// fieldScalar is the value of a schema key as eventValue builds it: an
// optional key the row does not hold is absent, which jq reads as null.
func fieldScalar(e *ndjson.Event, field uint32) scalar {
	optional := func(s string, present bool) scalar {
		if s == "" && !present {
			return scalar{}
		}
		return stringScalar(s)
	}
	switch field {
	case fieldTS:
		return stringScalar(e.TSRaw)
	case fieldOp:
		return stringScalar(e.Op)
	case fieldRepo:
		return stringScalar(e.Repo)
	case fieldScope:
		return stringScalar(e.Scope)
	case fieldFiles:
		return intScalar(e.Files)
	case fieldBytes:
		return intScalar(e.Bytes)
	case fieldDurMS:
		return intScalar(e.DurMS)
	case fieldManifestBefore:
		return stringScalar(e.ManifestBefore)
	case fieldManifestAfter:
		return stringScalar(e.ManifestAfter)
	case fieldTrigger:
		return stringScalar(e.Trigger)
	case fieldMachine:
		return stringScalar(e.Machine)
	case fieldStatus:
		return optional(e.Status, false)
	case fieldError:
		return optional(e.Error, e.HasError())
	case fieldTenantID:
		return optional(e.TenantID, e.HasTenantID())
	case fieldSessionID:
		return optional(e.SessionID, e.HasSessionID())
	case fieldFilesTotal:
		if e.HasFilesTotal {
			return intScalar(e.FilesTotal)
		}
	}
	return scalar{}
}

// compilePredicate compiles the condition of a select, when it is made only
// of schema keys, scalar literals, comparisons, and, or, not and
// parentheses. Each of those yields exactly one value and never fails.
func compilePredicate(q *gojq.Query) (*predicate, bool) {
	if len(q.FuncDefs) > 0 || len(q.Imports) > 0 {
		return nil, false
	}
	if q.Term != nil {
		return predicateTerm(q.Term)
	}
	op, isCmp := cmpOps[q.Op]
	switch {
	case isCmp:
	case q.Op == gojq.OpAnd:
		op = predAnd
	case q.Op == gojq.OpOr:
		op = predOr
	case q.Op == gojq.OpPipe && len(q.Patterns) == 0 && isCall(q.Right, "not"):
		l, ok := compilePredicate(q.Left)
		return &predicate{op: predNot, l: l}, ok
	default:
		return nil, false
	}
	l, ok1 := compilePredicate(q.Left)
	r, ok2 := compilePredicate(q.Right)
	return &predicate{op: op, l: l, r: r}, ok1 && ok2
}

func predicateTerm(t *gojq.Term) (*predicate, bool) {
	if len(t.SuffixList) > 0 {
		return nil, false
	}
	switch t.Type {
	case gojq.TermTypeQuery:
		return compilePredicate(t.Query)
	case gojq.TermTypeIndex:
		key, ok := constKey(t.Index)
		if f := schemaFields[key]; ok && f != 0 {
			return &predicate{op: predField, field: f}, true
		}
	case gojq.TermTypeNull, gojq.TermTypeTrue, gojq.TermTypeFalse, gojq.TermTypeNumber, gojq.TermTypeString, gojq.TermTypeUnary:
		if c, ok := literal(t); ok {
			return &predicate{op: predConst, c: c}, true
		}
	}
	return nil, false
}

// literal is the value of a constant term, computed by gojq itself so that
// numbers are read exactly as gojq reads them.
func literal(t *gojq.Term) (scalar, bool) {
	if t.Type == gojq.TermTypeString && t.Str.Queries != nil ||
		t.Type == gojq.TermTypeUnary && !isNumberLit(&gojq.Query{Term: t}) {
		return scalar{}, false
	}
	code, err := gojq.Compile(&gojq.Query{Term: t})
	if err != nil {
		return scalar{}, false
	}
	iter := code.Run(nil)
	v, ok := iter.Next()
	if !ok {
		return scalar{}, false
	}
	if _, more := iter.Next(); more {
		return scalar{}, false
	}
	return scalarOf(v)
}

// isCall reports whether q is a call of the builtin name without arguments.
func isCall(q *gojq.Query, name string) bool {
	return q.Term != nil && q.Term.Type == gojq.TermTypeFunc && len(q.Term.SuffixList) == 0 &&
		q.Term.Func.Name == name && len(q.Term.Func.Args) == 0 && len(q.FuncDefs) == 0
}

// splitSelects peels the leading select(C) stages of a pipeline whose
// conditions compile natively: the program is select(C1) | ... | REST. rest
// is nil when nothing follows the selects.
func splitSelects(q *gojq.Query) (preds []*predicate, rest *gojq.Query) {
	for cur := q; ; {
		if len(cur.FuncDefs) > 0 || len(cur.Imports) > 0 {
			return preds, cur
		}
		stage, next := cur, (*gojq.Query)(nil)
		if cur.Term == nil && cur.Op == gojq.OpPipe && len(cur.Patterns) == 0 {
			stage, next = cur.Left, cur.Right
		}
		p, ok := selectCondition(stage)
		if !ok {
			return preds, cur
		}
		preds = append(preds, p)
		if next == nil {
			return preds, nil
		}
		cur = next
	}
}

// selectCondition compiles C when q is select(C).
func selectCondition(q *gojq.Query) (*predicate, bool) {
	if q.Term == nil || q.Term.Type != gojq.TermTypeFunc || len(q.Term.SuffixList) > 0 || len(q.FuncDefs) > 0 {
		return nil, false
	}
	f := q.Term.Func
	if f.Name != "select" || len(f.Args) != 1 {
		return nil, false
	}
	return compilePredicate(f.Args[0])
}
