package query

// kind is what the row-key analysis knows about a value: the shapes it may
// take. A kind with no shape at all is a query that produces nothing.
type kind struct {
	val  bool  // a value that holds no row object anywhere inside it
	row  bool  // a row object
	elem *kind // an array whose elements are of kind *elem and may hold rows
}

// maxKindDepth bounds how deep arrays of rows may nest before the analysis
// gives up; it also makes the fixpoints of reduce and foreach terminate.
const maxKindDepth = 4

var (
	noKind  = kind{}
	valKind = kind{val: true}
	rowKind = kind{row: true}
)

// pure reports whether no value of kind k can hold a row.
func (k kind) pure() bool { return !k.row && k.elem == nil }

// join is the kind of a value that is of kind k or of kind o.
func (k kind) join(o kind) kind {
	j := kind{val: k.val || o.val, row: k.row || o.row}
	switch {
	case k.elem == nil:
		j.elem = o.elem
	case o.elem == nil:
		j.elem = k.elem
	default:
		e := k.elem.join(*o.elem)
		j.elem = &e
	}
	return j
}

// equal reports whether k and o describe the same shapes.
func (k kind) equal(o kind) bool {
	if k.val != o.val || k.row != o.row || (k.elem == nil) != (o.elem == nil) {
		return false
	}
	return k.elem == nil || k.elem.equal(*o.elem)
}

// depth is how deep arrays of rows nest in k.
func (k kind) depth() int {
	if k.elem == nil {
		return 0
	}
	return 1 + k.elem.depth()
}

// arrayOf is the kind of an array collecting values of kind k.
func arrayOf(k kind) kind {
	if k.pure() {
		return valKind
	}
	return kind{elem: &k}
}

// members is the kind of the values that .[] yields from a value of kind k,
// which must not be a row.
func (k kind) members() kind {
	m := kind{val: k.val}
	if k.elem != nil {
		m = m.join(*k.elem)
	}
	return m
}

// at is the kind of .[n] on a value of kind k, which must not be a row: a
// member, or null when n falls outside the array.
func (k kind) at() kind {
	m := k.members()
	if k.elem != nil {
		m.val = true
	}
	return m
}

// String renders k for test failures: val, row, [k] and unions with |.
func (k kind) String() string {
	s := ""
	add := func(x string) {
		if s != "" {
			s += "|"
		}
		s += x
	}
	if k.val {
		add("val")
	}
	if k.row {
		add("row")
	}
	if k.elem != nil {
		add("[" + k.elem.String() + "]")
	}
	if s == "" {
		return "none"
	}
	return s
}
