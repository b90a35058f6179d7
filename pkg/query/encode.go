package query

import (
	"math"
	"math/big"
	"sort"
	"strconv"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Encoder renders values the way jq 1.6 prints them: keys sorted (as gojq
// keeps objects), numbers in jq's shortest form, strings escaped as jq does.
type Encoder struct {
	Indent int  // spaces per level; 0 means compact
	Tab    bool // indent with one tab per level
	Raw    bool // print strings without quotes
	// Color writes ANSI colors as jq 1.6 does with -C and its default
	// JQ_COLORS: null dark gray, false, true and numbers default, strings
	// green, arrays and objects bold, object keys bold blue.
	Color bool
}

// palette holds the escape sequences colored output puts around values;
// every one is empty without colors, so one walk writes both forms.
type palette struct {
	reset, null, scalar, str, box, key string
}

// jqColors are jq 1.6's default colors; box is arrays and objects.
var jqColors = palette{
	reset:  "\x1b[0m",
	null:   "\x1b[1;30m",
	scalar: "\x1b[0;39m",
	str:    "\x1b[0;32m",
	box:    "\x1b[1;39m",
	key:    "\x1b[34;1m",
}

// Append appends v to b, without a trailing newline.
func (enc *Encoder) Append(b []byte, v any) []byte {
	if s, ok := v.(string); ok && enc.Raw {
		return append(b, s...)
	}
	p := &palette{}
	if enc.Color {
		p = &jqColors
	}
	return enc.value(b, v, 0, p)
}

func (enc *Encoder) pretty() bool { return enc.Tab || enc.Indent > 0 }

func (enc *Encoder) newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	if enc.Tab {
		for range depth {
			b = append(b, '\t')
		}
		return b
	}
	for range depth * enc.Indent {
		b = append(b, ' ')
	}
	return b
}

// value appends v, with colors byte for byte as jq 1.6 -C prints them when
// p has any: a scalar is wrapped in its color and a reset; an array or
// object opens with its color, puts the color before each separator and
// before the closing bracket, and resets after it; an object resets before
// each key.
func (enc *Encoder) value(b []byte, v any, depth int, p *palette) []byte {
	switch v := v.(type) {
	case nil:
		return append(append(append(b, p.null...), "null"...), p.reset...)
	case string:
		b = append(b, p.str...)
		return append(AppendString(b, v), p.reset...)
	case []any:
		b = append(b, p.box...)
		if len(v) == 0 {
			return append(append(b, "[]"...), p.reset...)
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(append(b, p.box...), ',')
			}
			if enc.pretty() {
				b = enc.newline(b, depth+1)
			}
			b = enc.value(b, x, depth+1, p)
		}
		b = append(b, p.box...)
		if enc.pretty() {
			b = enc.newline(b, depth)
		}
		return append(append(append(b, p.box...), ']'), p.reset...)
	case map[string]any:
		b = append(b, p.box...)
		if len(v) == 0 {
			return append(append(b, "{}"...), p.reset...)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(append(b, p.box...), ',')
			}
			if enc.pretty() {
				b = enc.newline(b, depth+1)
			}
			b = append(append(b, p.reset...), p.key...)
			b = append(AppendString(b, k), p.reset...)
			b = append(append(b, p.box...), ':')
			if enc.pretty() {
				b = append(b, ' ')
			}
			b = append(b, p.reset...)
			b = enc.value(b, v[k], depth+1, p)
		}
		b = append(b, p.box...)
		if enc.pretty() {
			b = enc.newline(b, depth)
		}
		return append(append(append(b, p.box...), '}'), p.reset...)
	}
	return append(appendScalar(append(b, p.scalar...), v), p.reset...)
}

// appendScalar appends a boolean or a number; anything else is null.
func appendScalar(b []byte, v any) []byte {
	switch v := v.(type) {
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case int:
		if int64(v) > -1e16 && int64(v) < 1e16 {
			return strconv.AppendInt(b, int64(v), 10)
		}
		return AppendNumber(b, float64(v))
	case float64:
		return AppendNumber(b, v)
	case *big.Int:
		f, _ := new(big.Float).SetInt(v).Float64()
		return AppendNumber(b, f)
	}
	return append(b, "null"...)
}

// AppendNumber formats f as jq 1.6 does: the shortest digits that read
// back as f, in fixed notation unless the decimal exponent is below -4 or
// beyond 15 places past the digits; NaN is null; infinities are clamped to
// the largest finite double.
func AppendNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "null"...)
	case math.IsInf(f, 1):
		f = math.MaxFloat64
	case math.IsInf(f, -1):
		f = -math.MaxFloat64
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], math.Abs(f), 'e', -1, 64)
	// e is d[.ddd]e±XX
	mant, exp := e, 0
	for i, c := range e {
		if c == 'e' {
			mant = e[:i]
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	digits := make([]byte, 0, 17)
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	decpt := exp + 1
	if f < 0 {
		b = append(b, '-')
	}
	if decpt <= -4 || decpt > len(digits)+15 {
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		x := decpt - 1
		if x < 0 {
			b = append(b, '-')
			x = -x
		} else {
			b = append(b, '+')
		}
		if x < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(x), 10)
	}
	switch {
	case decpt <= 0:
		b = append(b, '0', '.')
		for range -decpt {
			b = append(b, '0')
		}
		b = append(b, digits...)
	case decpt >= len(digits):
		b = append(b, digits...)
		for range decpt - len(digits) {
			b = append(b, '0')
		}
	default:
		b = append(b, digits[:decpt]...)
		b = append(b, '.')
		b = append(b, digits[decpt:]...)
	}
	return b
}

// AppendString appends s as a JSON string escaped as jq escapes it, which
// is the way synclog writes strings: ", \ and control characters (and DEL)
// escaped, nothing HTML-escaped, invalid UTF-8 replaced by U+FFFD.
func AppendString(b []byte, s string) []byte { return ndjson.AppendJSONString(b, s) }
