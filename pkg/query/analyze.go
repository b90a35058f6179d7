package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/itchyny/gojq"
)

// observedKeys decides which top-level keys of each row a parsed program can
// observe when it runs on a value of kind in (a row, or for -s an array of
// rows). It returns the keys, sorted, and an empty reason; or, when the
// program may observe a row as a whole (enumerate, serialise, compare or
// output it, or fail with it in the message), a reason and no keys.
//
// The analysis is an abstract interpretation over kinds (see kind): values
// that hold no row, rows, and arrays of those. Rows and arrays of rows may
// only go through a whitelist of operations whose results depend on nothing
// but the values of constant keys, the number and order of elements, and
// the fact that a row is an object. Anything else applied to a value that may
// hold a row, and anything the analysis does not know, observes everything.
func observedKeys(q *gojq.Query, in kind) (keys []string, reason string) {
	a := &analyzer{keys: map[string]bool{}}
	out := a.query(q, in, nil)
	if !a.failed() && !out.pure() {
		a.fail("the output may hold a row")
	}
	if a.failed() {
		return nil, a.reason
	}
	for k := range a.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, ""
}

// analyzer walks a program; it records the constant keys by which rows are
// indexed, and the first reason the program may observe whole rows.
type analyzer struct {
	keys   map[string]bool
	reason string
	// strict counts the enclosing builtins of unknown behaviour and paths
	// of assignments. There, gojq may run expressions as paths, and an
	// expression that indexes a value which is not a path of the input
	// (a variable's) fails with that value in the message: so no variable
	// may hold a row. The input is then always a value without rows. The
	// parts gojq runs as plain values inside paths (keys in [...], the
	// conditions of if, the sources of as) are not strict: see values.
	strict int
	steps  int // queries analysed, bounded by maxSteps
}

// maxSteps bounds the work of an analysis: the fixpoints of nested reduce
// and foreach multiply it.
const maxSteps = 100_000

// scope binds variable names (with their $) to kinds.
type scope struct {
	name string
	k    kind
	next *scope
}

func (s *scope) with(name string, k kind) *scope { return &scope{name, k, s} }

func (s *scope) lookup(name string) (kind, bool) {
	for ; s != nil; s = s.next {
		if s.name == name {
			return s.k, true
		}
	}
	return noKind, false
}

func (a *analyzer) failed() bool { return a.reason != "" }

// fail records why the program observes whole rows; the kind it returns
// stands for "nothing", which the caller ignores once the analysis failed.
func (a *analyzer) fail(format string, args ...any) kind {
	if a.reason == "" {
		a.reason = fmt.Sprintf(format, args...)
	}
	return noKind
}

// values runs f outside any strict context: on the parts of a path that
// gojq evaluates as plain values, which it never checks against the path.
func (a *analyzer) values(f func()) {
	saved := a.strict
	a.strict = 0
	f()
	a.strict = saved
}

// need fails unless k is pure.
func (a *analyzer) need(k kind, what string) {
	if !k.pure() {
		a.fail("%s may be given a row", what)
	}
}

// checkDepth fails when k nests arrays of rows too deep to follow.
func (a *analyzer) checkDepth(k kind) kind {
	if k.depth() > maxKindDepth {
		return a.fail("arrays of rows nest deeper than %d", maxKindDepth)
	}
	return k
}

func (a *analyzer) query(q *gojq.Query, in kind, env *scope) kind {
	a.steps++
	switch {
	case a.failed():
		return noKind
	case a.steps > maxSteps:
		return a.fail("the program is too complex to analyse")
	case len(q.FuncDefs) > 0:
		return a.fail("the program defines functions")
	case len(q.Imports) > 0:
		return a.fail("the program imports modules")
	case q.Term != nil:
		return a.term(q.Term, in, env)
	}
	switch q.Op {
	case gojq.OpPipe:
		if len(q.Patterns) > 0 {
			inner := env
			a.values(func() { inner = a.patterns(q.Patterns, a.query(q.Left, in, env), env) })
			return a.query(q.Right, in, inner)
		}
		return a.query(q.Right, a.query(q.Left, in, env), env)
	case gojq.OpComma, gojq.OpAlt:
		// // tests the truth of the left side, which any value has.
		return a.query(q.Left, in, env).join(a.query(q.Right, in, env))
	case gojq.OpAnd, gojq.OpOr:
		a.query(q.Left, in, env)
		a.query(q.Right, in, env)
		return valKind
	case gojq.OpAdd, gojq.OpSub, gojq.OpMul, gojq.OpDiv, gojq.OpMod,
		gojq.OpEq, gojq.OpNe, gojq.OpGt, gojq.OpLt, gojq.OpGe, gojq.OpLe:
		a.need(a.query(q.Left, in, env), "the left side of "+q.Op.String())
		a.need(a.query(q.Right, in, env), "the right side of "+q.Op.String())
		return valKind
	default: // =, |=, +=, //= and the other updates
		a.need(in, "the assignment "+q.Op.String())
		a.strict++
		a.need(a.query(q.Left, valKind, env), "the path of "+q.Op.String())
		a.strict--
		a.need(a.query(q.Right, valKind, env), "the value of "+q.Op.String())
		return valKind
	}
}

func (a *analyzer) term(t *gojq.Term, in kind, env *scope) kind {
	k := a.termBase(t, in, env)
	for _, s := range t.SuffixList {
		switch {
		case s.Index != nil:
			// The expressions inside [...] see the term's input, not k.
			k = a.index(k, s.Index, in, env)
		case s.Iter:
			k = a.iterate(k)
		}
		// s.Optional only hides errors, and the analysis already fails on
		// every error that could show a row.
	}
	return k
}

func (a *analyzer) termBase(t *gojq.Term, in kind, env *scope) kind {
	switch t.Type {
	case gojq.TermTypeIdentity:
		return in
	case gojq.TermTypeNull, gojq.TermTypeTrue, gojq.TermTypeFalse, gojq.TermTypeNumber:
		return valKind
	case gojq.TermTypeBreak:
		return noKind
	case gojq.TermTypeRecurse:
		a.need(in, "..")
		return valKind
	case gojq.TermTypeString:
		return a.str(t.Str, in, env)
	case gojq.TermTypeFormat:
		if t.Str == nil {
			a.need(in, t.Format)
			return valKind
		}
		return a.str(t.Str, in, env)
	case gojq.TermTypeIndex:
		return a.index(in, t.Index, in, env)
	case gojq.TermTypeFunc:
		return a.call(t.Func, in, env)
	case gojq.TermTypeObject:
		return a.object(t.Object, in, env)
	case gojq.TermTypeArray:
		if t.Array.Query == nil {
			return valKind
		}
		return a.checkDepth(arrayOf(a.query(t.Array.Query, in, env)))
	case gojq.TermTypeUnary:
		a.need(a.term(t.Unary.Term, in, env), "unary "+t.Unary.Op.String())
		return valKind
	case gojq.TermTypeIf:
		return a.ifThen(t.If, in, env)
	case gojq.TermTypeTry:
		out := a.query(t.Try.Body, in, env)
		if t.Try.Catch != nil {
			// The error value: a message, or error's argument, which
			// the analysis requires to hold no row.
			out = out.join(a.query(t.Try.Catch, valKind, env))
		}
		return out
	case gojq.TermTypeReduce:
		r := t.Reduce
		inner := a.patterns(r.Patterns, a.query(r.Query, in, env), env)
		return a.fixpoint(a.query(r.Start, in, env), func(acc kind) kind { return a.query(r.Update, acc, inner) })
	case gojq.TermTypeForeach:
		f := t.Foreach
		inner := a.patterns(f.Patterns, a.query(f.Query, in, env), env)
		acc := a.fixpoint(a.query(f.Start, in, env), func(acc kind) kind { return a.query(f.Update, acc, inner) })
		if f.Extract == nil {
			return acc
		}
		return a.query(f.Extract, acc, inner)
	case gojq.TermTypeLabel:
		return a.query(t.Label.Body, in, env)
	case gojq.TermTypeQuery:
		return a.query(t.Query, in, env)
	default:
		return a.fail("unknown term %q", t)
	}
}

// str is a string literal, with interpolations (and a format) applied to
// values that must hold no row.
func (a *analyzer) str(s *gojq.String, in kind, env *scope) kind {
	for _, q := range s.Queries {
		a.need(a.query(q, in, env), "string interpolation")
	}
	return valKind
}

func (a *analyzer) ifThen(e *gojq.If, in kind, env *scope) kind {
	a.values(func() { a.query(e.Cond, in, env) }) // only its truth is used
	out := a.query(e.Then, in, env)
	for _, el := range e.Elif {
		a.values(func() { a.query(el.Cond, in, env) })
		out = out.join(a.query(el.Then, in, env))
	}
	if e.Else == nil {
		return out.join(in)
	}
	return out.join(a.query(e.Else, in, env))
}

// fixpoint is the kind of the accumulator of reduce or foreach: the start
// joined with every update until nothing changes (and null, which an
// update that yields nothing leaves).
func (a *analyzer) fixpoint(acc kind, update func(kind) kind) kind {
	for range 8 * (maxKindDepth + 1) {
		next := a.checkDepth(acc.join(update(acc)).join(valKind))
		if a.failed() || next.equal(acc) {
			return next
		}
		acc = next
	}
	return a.fail("the kind of a reduce or foreach state does not settle")
}

// keyIndex is .[key] with a constant string key.
func (a *analyzer) keyIndex(k kind, key string) kind {
	if k.elem != nil {
		return a.fail("an array that may hold rows is indexed with %q", key)
	}
	if k.row {
		a.keys[key] = true
	}
	if !k.val && !k.row {
		return noKind
	}
	return valKind
}

// index is k[x], where the expressions inside x see in.
func (a *analyzer) index(k kind, x *gojq.Index, in kind, env *scope) kind {
	if key, ok := constKey(x); ok {
		return a.keyIndex(k, key)
	}
	if x.Str != nil {
		a.values(func() { a.str(x.Str, in, env) })
		a.need(k, "an index with a computed key")
		return valKind
	}
	if !x.IsSlice && isNumberLit(x.Start) {
		if k.row {
			return a.fail("a row is indexed with a number")
		}
		return k.at()
	}
	if x.IsSlice && (x.Start == nil || isNumberLit(x.Start)) && (x.End == nil || isNumberLit(x.End)) {
		if k.row {
			return a.fail("a row is sliced")
		}
		return kind{val: k.val, elem: k.elem}
	}
	for _, q := range []*gojq.Query{x.Start, x.End} {
		if q != nil {
			a.values(func() { a.need(a.query(q, in, env), "an index") })
		}
	}
	a.need(k, "an index with a computed key")
	return valKind
}

// iterate is k[].
func (a *analyzer) iterate(k kind) kind {
	if k.row {
		return a.fail("the values of a row are iterated")
	}
	return k.members()
}

func (a *analyzer) object(o *gojq.Object, in kind, env *scope) kind {
	for _, kv := range o.KeyVals {
		switch {
		case strings.HasPrefix(kv.Key, "$"): // {$x} or {$x: v}
			a.need(a.variable(kv.Key, env), "an object built from "+kv.Key)
		case kv.Key != "":
			if kv.Val == nil { // {key} is {key: .key}
				a.keyIndex(in, kv.Key)
			}
		case kv.KeyString != nil && kv.KeyString.Queries == nil:
			if kv.Val == nil {
				a.keyIndex(in, kv.KeyString.Str)
			}
		case kv.KeyString != nil:
			a.str(kv.KeyString, in, env)
			if kv.Val == nil {
				a.need(in, "an object key computed from the input")
			}
		case kv.KeyQuery != nil:
			a.need(a.query(kv.KeyQuery, in, env), "an object key")
		}
		if kv.Val != nil {
			a.need(a.query(kv.Val, in, env), "an object value")
		}
	}
	return valKind
}

func (a *analyzer) variable(name string, env *scope) kind {
	if k, ok := env.lookup(name); ok {
		if a.strict > 0 && !k.pure() {
			return a.fail("%s may hold a row, where gojq may show it in an error", name)
		}
		return k
	}
	return valKind // $ENV, $ARGS, $__prog_args and --arg variables
}

// patterns binds the variables of `as` patterns (several with ?//) to the
// parts of a value of kind src.
func (a *analyzer) patterns(ps []*gojq.Pattern, src kind, env *scope) *scope {
	if len(ps) == 1 {
		return a.pattern(ps[0], src, env)
	}
	// ?// retries the body with the next pattern when it fails, and binds
	// absent variables to null: allowed on values without rows only.
	a.need(src, "destructuring alternatives ?//")
	for _, p := range ps {
		env = a.pattern(p, valKind, env)
	}
	return env
}

func (a *analyzer) pattern(p *gojq.Pattern, k kind, env *scope) *scope {
	switch {
	case p.Name != "":
		return env.with(p.Name, k)
	case len(p.Array) > 0:
		if k.row {
			a.fail("a row is destructured as an array")
			return env
		}
		for _, e := range p.Array {
			env = a.pattern(e, k.at(), env)
		}
	case len(p.Object) > 0:
		for _, kv := range p.Object {
			var v kind
			switch {
			case kv.Key != "":
				v = a.keyIndex(k, strings.TrimPrefix(kv.Key, "$"))
				if strings.HasPrefix(kv.Key, "$") {
					env = env.with(kv.Key, v)
				}
			case kv.KeyString != nil && kv.KeyString.Queries == nil:
				v = a.keyIndex(k, kv.KeyString.Str)
			default: // a computed key, which sees the value destructured
				if kv.KeyString != nil {
					a.str(kv.KeyString, k, env)
				} else {
					a.need(a.query(kv.KeyQuery, k, env), "a pattern key")
				}
				a.need(k, "a pattern with a computed key")
				v = valKind
			}
			if kv.Val != nil {
				env = a.pattern(kv.Val, v, env)
			}
		}
	}
	return env
}

// constKey is the key of .name, ."name" and .["name"].
func constKey(x *gojq.Index) (string, bool) {
	switch {
	case x.Name != "":
		return x.Name, true
	case x.Str != nil:
		return x.Str.Str, x.Str.Queries == nil
	case !x.IsSlice && x.Start != nil && x.Start.Term != nil && len(x.Start.Term.SuffixList) == 0 &&
		x.Start.Term.Type == gojq.TermTypeString && x.Start.Term.Str.Queries == nil:
		return x.Start.Term.Str.Str, true
	}
	return "", false
}

// isNumberLit reports whether q is a number literal, possibly signed.
func isNumberLit(q *gojq.Query) bool {
	if q == nil || q.Term == nil || len(q.Term.SuffixList) > 0 {
		return false
	}
	t := q.Term
	if t.Type == gojq.TermTypeUnary {
		t = t.Unary.Term
	}
	return t.Type == gojq.TermTypeNumber && len(t.SuffixList) == 0
}

// constString is the value of q when it is a plain string literal.
func constString(q *gojq.Query) (string, bool) {
	if q.Term == nil || len(q.Term.SuffixList) > 0 || q.Term.Type != gojq.TermTypeString || q.Term.Str.Queries != nil {
		return "", false
	}
	return q.Term.Str.Str, true
}
