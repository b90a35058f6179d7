package ndjson

import (
	"errors"
	"math"
	"strconv"
)

// ParseValue decodes one JSON value into the types gojq works on:
// map[string]any, []any, string, int, float64, bool and nil. Integers that
// fit an int stay ints; other numbers become float64, with overflow clamped
// to ±math.MaxFloat64 as jq does. A repeated key keeps its last value.
func ParseValue(b []byte) (any, error) {
	d := valueDecoder{scanner: scanner{b: b}}
	v, err := d.decode(0)
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i < len(d.b) {
		return nil, errors.New("trailing data after the value")
	}
	return v, nil
}

type valueDecoder struct {
	scanner
}

func (d *valueDecoder) decode(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nesting too deep")
	}
	d.ws()
	if d.i >= len(d.b) {
		return nil, errors.New("unexpected end of input")
	}
	switch c := d.b[d.i]; c {
	case '"':
		v, esc, err := d.str()
		if err != nil {
			return nil, err
		}
		if esc {
			v = unescape(v)
		}
		return string(v), nil
	case '{':
		d.i++
		m := make(map[string]any, 16)
		d.ws()
		if d.peek() == '}' {
			d.i++
			return m, nil
		}
		for {
			d.ws()
			k, esc, err := d.str()
			if err != nil {
				return nil, err
			}
			if esc {
				k = unescape(k)
			}
			d.ws()
			if d.peek() != ':' {
				return nil, errors.New("expected ':' after an object key")
			}
			d.i++
			v, err := d.decode(depth + 1)
			if err != nil {
				return nil, err
			}
			m[string(k)] = v
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				return m, nil
			default:
				return nil, errors.New("expected ',' or '}' in an object")
			}
		}
	case '[':
		d.i++
		a := []any{}
		d.ws()
		if d.peek() == ']' {
			d.i++
			return a, nil
		}
		for {
			v, err := d.decode(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return a, nil
			default:
				return nil, errors.New("expected ',' or ']' in an array")
			}
		}
	case 't':
		return true, d.lit("true")
	case 'f':
		return false, d.lit("false")
	case 'n':
		return nil, d.lit("null")
	default:
		start := d.i
		if err := d.number(); err != nil {
			return nil, err
		}
		lit := d.b[start:d.i]
		integer := true
		for _, c := range lit {
			if c == '.' || c == 'e' || c == 'E' {
				integer = false
				break
			}
		}
		if integer && len(lit) < 16 {
			n, err := strconv.Atoi(string(lit))
			if err == nil {
				return n, nil
			}
		}
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil {
			if math.IsInf(f, 1) {
				return math.MaxFloat64, nil
			}
			if math.IsInf(f, -1) {
				return -math.MaxFloat64, nil
			}
			if f == 0 { // underflow
				return 0.0, nil
			}
			return nil, err
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), nil
		}
		return f, nil
	}
}
