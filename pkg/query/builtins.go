package query

import (
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// builtinRule analyses a call of a builtin, with its arguments, on a value
// of kind in.
type builtinRule func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind

// builtinRules, by name/arity, are the builtins that may be given rows or
// arrays of rows. Each was checked against gojq v0.12.20 (builtin.jq and
// func.go): its result depends only on the values of its arguments, the
// number and order of elements, and a row being an object; it never
// enumerates, compares or prints a row. Every other builtin must be given
// values that hold no row (see analyzer.generic).
var builtinRules map[string]builtinRule

// The rules refer back to the analyzer, which looks them up: they are set
// in init to break the initialization cycle.
func init() { builtinRules = newBuiltinRules() }

func newBuiltinRules() map[string]builtinRule {
	return map[string]builtinRule{
		"empty/0":  func(*analyzer, []*gojq.Query, kind, *scope) kind { return noKind },
		"not/0":    func(*analyzer, []*gojq.Query, kind, *scope) kind { return valKind },
		"type/0":   func(*analyzer, []*gojq.Query, kind, *scope) kind { return valKind },
		"length/0": ruleLength,
		"select/1": func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
			a.query(args[0], in, env) // only its truth is used
			return in
		},
		"error/0": func(a *analyzer, _ []*gojq.Query, in kind, _ *scope) kind {
			a.need(in, "error")
			return noKind
		},
		"error/1": func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
			a.need(a.query(args[0], in, env), "error's message")
			return noKind
		},
		"has/1": ruleHas,
		"map/1": func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
			return a.checkDepth(arrayOf(a.query(args[0], a.iterate(in), env)))
		},
		"first/0": ruleAt,
		"last/0":  ruleAt,
		"nth/1": func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
			if isNumberLit(args[0]) {
				return ruleAt(a, args, in, env)
			}
			return a.generic("nth", args, in, env)
		},
		"first/1": ruleGenerator,
		"last/1":  ruleGenerator,
		"limit/2": ruleCountGenerator,
		"skip/2":  ruleCountGenerator,
		"nth/2":   ruleCountGenerator,
		"isempty/1": func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
			a.query(args[0], in, env)
			return valKind
		},
		"reverse/0": func(a *analyzer, _ []*gojq.Query, in kind, _ *scope) kind {
			if in.row {
				return a.fail("reverse is given a row")
			}
			return kind{val: in.val, elem: in.elem}
		},
		// x_by(f) is _x_by(map([f])): a stable sort of the elements by their
		// keys [f], which alone are compared.
		"sort_by/1":   ruleBy(func(in, _ kind) kind { return kind{val: in.val, elem: in.elem} }),
		"unique_by/1": ruleBy(func(in, _ kind) kind { return kind{val: in.val, elem: in.elem} }),
		"group_by/1": ruleBy(func(in, _ kind) kind {
			g := kind{val: in.val}
			if in.elem != nil {
				g.elem = &kind{elem: in.elem}
			}
			return g
		}),
		"min_by/1": ruleBy(func(_, m kind) kind { return m.join(valKind) }),
		"max_by/1": ruleBy(func(_, m kind) kind { return m.join(valKind) }),
		"any/0":    ruleAnyAll0,
		"all/0":    ruleAnyAll0,
		"any/1":    ruleAnyAll1,
		"all/1":    ruleAnyAll1,
		"any/2":    ruleAnyAll2,
		"all/2":    ruleAnyAll2,
		// Filters by type: select(type == ...), and values and nulls, which
		// compare with null, a comparison that looks at the types alone.
		"arrays/0":    ruleTypeFilter,
		"objects/0":   ruleTypeFilter,
		"iterables/0": ruleTypeFilter,
		"scalars/0":   ruleTypeFilter,
		"booleans/0":  ruleTypeFilter,
		"numbers/0":   ruleTypeFilter,
		"strings/0":   ruleTypeFilter,
		"nulls/0":     ruleTypeFilter,
		"values/0":    ruleTypeFilter,
	}
}

func (a *analyzer) call(f *gojq.Func, in kind, env *scope) kind {
	if strings.HasPrefix(f.Name, "$") {
		return a.variable(f.Name, env)
	}
	if f.Name == "input" || f.Name == "inputs" {
		return a.fail("the program reads rows with %s", f.Name)
	}
	if rule, ok := builtinRules[f.Name+"/"+strconv.Itoa(len(f.Args))]; ok {
		return rule(a, f.Args, in, env)
	}
	return a.generic(f.Name, f.Args, in, env)
}

// generic is any other builtin: its input and the outputs of its arguments
// must hold no row. Arguments are analysed on values without rows, since a
// builtin given no rows can hand its closures nothing else, and strictly,
// since they may run as paths (path, del, paths, getpath, ...).
func (a *analyzer) generic(name string, args []*gojq.Query, in kind, env *scope) kind {
	a.need(in, name)
	a.strict++
	defer func() { a.strict-- }()
	for _, q := range args {
		a.need(a.query(q, valKind, env), "an argument of "+name)
	}
	return valKind
}

// ruleLength: the length of an array; of a row it would count its keys.
func ruleLength(a *analyzer, _ []*gojq.Query, in kind, _ *scope) kind {
	if in.row {
		return a.fail("length of a row counts its keys")
	}
	return valKind
}

// ruleHas: has("key") on a row tells whether the key is present.
func ruleHas(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
	if key, ok := constString(args[0]); ok && in.elem == nil {
		return a.keyIndex(in, key)
	}
	return a.generic("has", args, in, env)
}

// ruleAt: first, last and nth(n) are .[0], .[-1] and .[n].
func ruleAt(a *analyzer, _ []*gojq.Query, in kind, _ *scope) kind {
	if in.row {
		return a.fail("a row is indexed with a number")
	}
	return in.at()
}

// ruleGenerator: first(g) and last(g) output some of g's outputs.
func ruleGenerator(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
	return a.query(args[0], in, env)
}

// ruleCountGenerator: limit(n; g), skip(n; g) and nth(n; g) output some of
// g's outputs, chosen by the count n.
func ruleCountGenerator(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
	a.need(a.query(args[0], in, env), "a count")
	return a.query(args[1], in, env)
}

// ruleBy builds the rule of a builtin f(key) over an array, with the kind
// of its result computed from the input's kind and its members' kind.
//
// The key must not fail: when it does on one element, gojq reports the
// error, goes on with the other elements, and then fails with "length
// mismatch" and a preview of the whole array.
func ruleBy(result func(in, member kind) kind) builtinRule {
	return func(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
		m := a.iterate(in)
		a.need(a.query(args[0], m, env), "a sort key")
		if !in.pure() && !neverFails(args[0], m) {
			return a.fail("a sort key may fail on an array of rows")
		}
		return a.checkDepth(result(in, m))
	}
}

// neverFails reports whether q surely raises no error on a value of kind
// in: it is made only of literals, constant keys of a row, comparisons,
// and, or, and arrays, commas and parentheses of those.
func neverFails(q *gojq.Query, in kind) bool {
	if len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return false
	}
	if q.Term == nil {
		switch q.Op {
		case gojq.OpComma, gojq.OpAnd, gojq.OpOr, gojq.OpEq, gojq.OpNe, gojq.OpLt, gojq.OpLe, gojq.OpGt, gojq.OpGe:
			return neverFails(q.Left, in) && neverFails(q.Right, in)
		}
		return false
	}
	t := q.Term
	if len(t.SuffixList) > 0 {
		return false
	}
	switch t.Type {
	case gojq.TermTypeNull, gojq.TermTypeTrue, gojq.TermTypeFalse, gojq.TermTypeNumber:
		return true
	case gojq.TermTypeUnary:
		return isNumberLit(q)
	case gojq.TermTypeString:
		return t.Str.Queries == nil
	case gojq.TermTypeIndex:
		_, ok := constKey(t.Index)
		return ok && !in.val && in.elem == nil // an object, never another value
	case gojq.TermTypeArray:
		return t.Array.Query == nil || neverFails(t.Array.Query, in)
	case gojq.TermTypeQuery:
		return neverFails(t.Query, in)
	}
	return false
}

// ruleAnyAll0: any and all test the truth of each element.
func ruleAnyAll0(a *analyzer, _ []*gojq.Query, in kind, _ *scope) kind {
	a.iterate(in)
	return valKind
}

// ruleAnyAll1: any(f) and all(f) test the truth of f on each element.
func ruleAnyAll1(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
	a.query(args[0], a.iterate(in), env)
	return valKind
}

// ruleAnyAll2: any(g; f) and all(g; f) test the truth of f on g's outputs.
func ruleAnyAll2(a *analyzer, args []*gojq.Query, in kind, env *scope) kind {
	a.query(args[1], a.query(args[0], in, env), env)
	return valKind
}

// ruleTypeFilter: a filter on the type of its input outputs the input.
func ruleTypeFilter(_ *analyzer, _ []*gojq.Query, in kind, _ *scope) kind { return in }
