package ndjson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Reason classifies why a line is not a valid row. The names double as lint
// rule ids.
type Reason string

// Reasons a line is skipped.
const (
	ReasonInvalidJSON  Reason = "invalid-json"  // not JSON, or not an object
	ReasonBadEncoding  Reason = "bad-encoding"  // invalid UTF-8 or a NUL byte
	ReasonMissingField Reason = "missing-field" // a required key is absent
	ReasonBadType      Reason = "bad-type"      // wrong type, negative number, files > files_total
	ReasonBadTS        Reason = "bad-ts"        // ts is not RFC 3339 with a zone
	ReasonBadOp        Reason = "bad-op"        // op is neither push nor pull
	ReasonBadStatus    Reason = "bad-status"    // status is neither ok nor error
)

// RowError says why a line is not a valid row.
type RowError struct {
	Reason Reason
	Msg    string
}

func (e *RowError) Error() string { return e.Msg }

func rowErr(r Reason, format string, args ...any) *RowError {
	return &RowError{Reason: r, Msg: fmt.Sprintf(format, args...)}
}

// key bits for required and known keys.
const (
	kTS = 1 << iota
	kOp
	kRepo
	kScope
	kFiles
	kBytes
	kDurMS
	kManifestBefore
	kManifestAfter
	kTrigger
	kMachine
	kRequired = 1<<iota - 1
)

// Parser turns one line into an Event. It interns the low-cardinality string
// fields, so a Parser must not be shared between goroutines.
type Parser struct {
	// KeepExtra keeps keys outside the schema in Event.Extra, and optional
	// keys given as null, so the row can be rebuilt as it was read.
	KeepExtra bool
	// KeepRawTS keeps ts as written in Event.TSRaw.
	KeepRawTS bool
	// BorrowError makes Event.Error, where the fast path reads it, the
	// line's own bytes rather than a copy: valid only as long as the line
	// is (for a Scan's chunk, until its merge returns). A reader that keeps
	// a few messages of many rows copies the ones it keeps, once.
	BorrowError bool
	// Lean checks manifest_before, manifest_after and session_id but leaves
	// them empty in the Event: readers that never look at them save an
	// allocation per field and row.
	Lean bool
	// DetailFrom, when not zero, leaves Repo, Scope, Trigger, TenantID and
	// Error empty in the Event of a row whose ts is before it (their
	// presence bits stay set). A reader that looks at older rows only for
	// their ts, op, status, counts and machine saves the work of reading
	// those names. Which rows are valid does not change.
	DetailFrom time.Time
	intern     map[string]string
	recent     [256]string      // a direct-mapped cache in front of intern
	words      [512]internWords // a direct-mapped cache in front of that for parseFast
	masks      [maskWords]uint32
	day        lastDay
	// next is the slot of the key that followed each slot (or the start of
	// the row) in the last row that had it, for parseFast.
	next   [slotStart + 1]uint8
	errors [64]string // recent error messages, for parseFast
	// noMasks makes parseFast find strings' ends without quoteMasks, as
	// where there are no vector instructions, for tests.
	noMasks bool
	// qpos lists the quotes of the row parseFast walks with walkQuotes;
	// noQPos makes it walk without them, for tests.
	qpos   qposList
	noQPos bool
}

// NewParser returns a Parser ready for use.
func NewParser() *Parser { return &Parser{intern: make(map[string]string, 64)} }

// ParseEvent parses line (without its newline) into e, which it resets. The
// error, when not nil, is a *RowError.
func ParseEvent(line []byte, e *Event) error {
	p := Parser{KeepExtra: true}
	return p.Parse(line, e)
}

// internString returns a string equal to b, reusing an earlier one.
func (p *Parser) internString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h := (uint(len(b))*131 + uint(b[0])*31 + uint(b[len(b)/2])*7 + uint(b[len(b)-1])) & 255
	if s := p.recent[h]; s == string(b) {
		return s
	}
	if p.intern == nil {
		p.intern = make(map[string]string, 64)
	}
	s, ok := p.intern[string(b)]
	if !ok {
		s = string(b)
		if len(p.intern) < 4096 {
			p.intern[s] = s
		}
	}
	p.recent[h] = s
	return s
}

// internAt is internString for line[i:j], a value parseFast found. A value
// of at most 16 bytes with eight bytes of line from its start is looked up
// by its first and last eight bytes, loaded as two words: a hit in
// p.words costs two compares and no call.
func (p *Parser) internAt(line []byte, i, j int) string {
	n := j - i
	if n == 0 || n > 16 || i+8 > len(line) {
		return p.internString(line[i:j])
	}
	w0 := binary.LittleEndian.Uint64(line[i:])
	var w1 uint64
	if n < 8 {
		w0 &= 1<<(8*n) - 1
	} else if n > 8 {
		w1 = binary.LittleEndian.Uint64(line[j-8:])
	}
	h := (w0 ^ bits.RotateLeft64(w1, 29) ^ uint64(n)) * 0x9E3779B97F4A7C15 >> (64 - 9)
	w := &p.words[h]
	if w.n == n && w.w0 == w0 && w.w1 == w1 {
		return w.s
	}
	s := p.internString(line[i:j])
	*w = internWords{w0: w0, w1: w1, n: n, s: s}
	return s
}

// internWords is an entry of Parser.words: a string of n bytes, at most
// 16, as its first eight bytes (zero-padded) and, beyond eight, its last
// eight; the two words and n are the string.
type internWords struct {
	w0, w1 uint64
	n      int
	s      string
}

// Parse parses line (without its newline) into e, which it resets.
func (p *Parser) Parse(line []byte, e *Event) error {
	if p.parseFast(line, e) {
		return nil
	}
	return p.parse(line, e)
}

// parse is the general parser: every line, every error.
func (p *Parser) parse(line []byte, e *Event) error {
	*e = Event{}
	if !utf8.Valid(line) {
		return rowErr(ReasonBadEncoding, "invalid UTF-8")
	}
	ctl := hasControl(line)
	if ctl && bytes.IndexByte(line, 0) >= 0 {
		return rowErr(ReasonBadEncoding, "NUL byte in line")
	}
	s := scanner{b: line, noCtl: !ctl}
	s.ws()
	if s.i >= len(s.b) {
		return rowErr(ReasonInvalidJSON, "empty line")
	}
	if s.b[s.i] != '{' {
		if err := s.value(); err != nil {
			return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
		}
		return rowErr(ReasonInvalidJSON, "not a JSON object")
	}
	s.i++
	var seen int
	var tsRaw []byte
	var status []byte
	// typeErrs holds, per known key (by slot), the type error of its last
	// occurrence: a repeated key's last value wins, as in jq.
	var typeErrs [16]*RowError
	var hasStatus bool
	s.ws()
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			s.ws()
			key, esc, err := s.str()
			if err != nil {
				return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
			}
			if esc {
				key = unescape(key)
			}
			s.ws()
			if s.peek() != ':' {
				return rowErr(ReasonInvalidJSON, "invalid JSON: expected ':' at byte %d", s.i+1)
			}
			s.i++
			s.ws()
			start := s.i
			var target *string
			var itarget *int64
			var bit, slot int
			intern, lean := false, false
			var present Keys
			switch string(key) {
			case "ts":
				bit, slot = kTS, 0
			case "op":
				target, bit, intern, slot = &e.Op, kOp, true, 1
			case "repo":
				target, bit, intern, slot = &e.Repo, kRepo, true, 2
			case "scope":
				target, bit, intern, slot = &e.Scope, kScope, true, 3
			case "files":
				itarget, bit, slot = &e.Files, kFiles, 4
			case "bytes":
				itarget, bit, slot = &e.Bytes, kBytes, 5
			case "dur_ms":
				itarget, bit, slot = &e.DurMS, kDurMS, 6
			case "manifest_before":
				target, bit, slot, lean = &e.ManifestBefore, kManifestBefore, 7, p.Lean
			case "manifest_after":
				target, bit, slot, lean = &e.ManifestAfter, kManifestAfter, 8, p.Lean
			case "trigger":
				target, bit, intern, slot = &e.Trigger, kTrigger, true, 9
			case "machine":
				target, bit, intern, slot = &e.Machine, kMachine, true, 10
			case "status":
				bit, slot = -1, 11
			case "error":
				target, slot, present = &e.Error, 12, KeyError
			case "tenant_id":
				target, intern, slot, present = &e.TenantID, true, 13, KeyTenantID
			case "session_id":
				target, slot, lean, present = &e.SessionID, 14, p.Lean, KeySessionID
			case "files_total":
				itarget = &e.FilesTotal
				bit, slot = -2, 15
			default:
				if err := s.value(); err != nil {
					return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
				}
				if p.KeepExtra {
					e.Extra = setExtra(e.Extra, string(key), bytes.Clone(line[start:s.i]))
				}
				goto next
			}
			typeErrs[slot] = nil
			if len(e.Extra) > 0 {
				e.Extra = delExtra(e.Extra, string(key)) // an earlier null of this key
			}
			switch {
			case bit == kTS || bit == -1:
				c := s.peek()
				if c == '"' {
					v, esc, err := s.str()
					if err != nil {
						return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
					}
					if esc {
						v = unescape(v)
					}
					if bit == kTS {
						tsRaw = v
						seen |= kTS
					} else {
						status, hasStatus = v, true
					}
					break
				}
				if err := s.value(); err != nil {
					return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
				}
				if bit == -1 && c == 'n' {
					status, hasStatus = nil, false // null status: absent
					if p.KeepExtra {
						e.Extra = setExtra(e.Extra, "status", []byte("null"))
					}
					break
				}
				name := "ts"
				if bit == -1 {
					name = "status"
				}
				typeErrs[slot] = rowErr(ReasonBadType, "key %q: want a string, got %s", name, kindOf(c))
				if bit == kTS {
					seen |= kTS
				}
			case itarget != nil:
				c := s.peek()
				v, ok, err := s.int()
				if err != nil {
					return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
				}
				if bit == -2 && c == 'n' {
					e.FilesTotal, e.HasFilesTotal = 0, false
					if p.KeepExtra {
						e.Extra = setExtra(e.Extra, "files_total", []byte("null"))
					}
					break // null files_total: absent
				}
				if bit > 0 {
					seen |= bit
				}
				if !ok || v < 0 {
					what := kindOf(c)
					if c == '-' || (c >= '0' && c <= '9') {
						what = "number " + string(line[start:s.i])
					}
					typeErrs[slot] = rowErr(ReasonBadType, "key %q: want an integer >= 0, got %s", string(key), what)
					break
				}
				*itarget = v
				if bit == -2 {
					e.HasFilesTotal = true
				}
			default:
				c := s.peek()
				if c == '"' {
					v, esc, err := s.str()
					if err != nil {
						return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
					}
					if esc {
						v = unescape(v)
					}
					switch {
					case lean:
						*target = ""
					case intern:
						*target = p.internString(v)
					default:
						*target = string(v)
					}
					e.Present |= present
					seen |= bit
					break
				}
				if err := s.value(); err != nil {
					return rowErr(ReasonInvalidJSON, "invalid JSON: %v", err)
				}
				e.Present &^= present
				if bit == 0 && c == 'n' {
					*target = "" // null optional key: absent
					if p.KeepExtra {
						e.Extra = setExtra(e.Extra, string(key), []byte("null"))
					}
					break
				}
				seen |= bit
				typeErrs[slot] = rowErr(ReasonBadType, "key %q: want a string, got %s", string(key), kindOf(c))
			}
		next:
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
				continue
			case '}':
				s.i++
			default:
				if s.i >= len(s.b) {
					return rowErr(ReasonInvalidJSON, "invalid JSON: unexpected end of line")
				}
				return rowErr(ReasonInvalidJSON, "invalid JSON: unexpected %q at byte %d", s.b[s.i], s.i+1)
			}
			break
		}
	}
	s.ws()
	if s.i < len(s.b) {
		return rowErr(ReasonInvalidJSON, "invalid JSON: trailing data at byte %d", s.i+1)
	}
	if missing := kRequired &^ seen; missing != 0 {
		for i, k := range RequiredKeys {
			if missing&(1<<i) != 0 {
				return rowErr(ReasonMissingField, "missing key %q", k)
			}
		}
	}
	for _, te := range typeErrs {
		if te != nil {
			return te
		}
	}
	t, err := ParseTS(tsRaw)
	if err != nil {
		return rowErr(ReasonBadTS, "key \"ts\": %q is not an RFC 3339 time with a zone", tsRaw)
	}
	e.TS = t
	if p.KeepRawTS {
		e.TSRaw = string(tsRaw)
	}
	if e.Op != OpPush && e.Op != OpPull {
		return rowErr(ReasonBadOp, "key \"op\": want \"push\" or \"pull\", got %q", e.Op)
	}
	if hasStatus {
		switch string(status) {
		case StatusOK:
			e.Status = StatusOK
		case StatusError:
			e.Status = StatusError
		default:
			return rowErr(ReasonBadStatus, "key \"status\": want \"ok\" or \"error\", got %q", status)
		}
	}
	if e.HasFilesTotal && e.Files > e.FilesTotal {
		return rowErr(ReasonBadType, "key \"files\": %d is more than files_total %d", e.Files, e.FilesTotal)
	}
	if p.skims(t) {
		e.dropDetail()
	}
	return nil
}

// skims reports whether a row of ts t is one whose detail DetailFrom
// leaves out.
func (p *Parser) skims(t time.Time) bool {
	return !p.DetailFrom.IsZero() && t.Before(p.DetailFrom)
}

// dropDetail empties the fields DetailFrom leaves out.
func (e *Event) dropDetail() {
	e.Repo, e.Scope, e.Trigger, e.TenantID, e.Error = "", "", "", "", ""
}

func setExtra(fs []Field, k string, v []byte) []Field {
	for i := range fs {
		if fs[i].Key == k {
			fs[i].Value = v // a repeated key: the last one wins, as in jq
			return fs
		}
	}
	return append(fs, Field{Key: k, Value: v})
}

func delExtra(fs []Field, k string) []Field {
	for i := range fs {
		if fs[i].Key == k {
			return append(fs[:i], fs[i+1:]...)
		}
	}
	return fs
}

func kindOf(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// ParseTS parses an RFC 3339 time with a zone (Z or an offset), with or
// without fractional seconds.
func ParseTS(b []byte) (time.Time, error) {
	// Fast path: YYYY-MM-DDTHH:MM:SSZ, the form synclog writes.
	if t, ok := parseTSZ(b); ok {
		return t, nil
	} else if tszShape(b) {
		return time.Time{}, errors.New("bad time")
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err == nil {
		// An offset can carry a time out of the years RFC 3339 can write in UTC.
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return time.Time{}, errors.New("bad time: year out of range in UTC")
		}
	}
	return t, err
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// scanner walks one line of JSON.
type scanner struct {
	b []byte
	i int
	// noCtl: the line is known to hold no control byte (below 0x20), so
	// strings need no byte-by-byte check.
	noCtl bool
}

// hasControl reports whether b holds a byte below 0x20.
func hasControl(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-ones*0x20)&^x&highs != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return true
		}
	}
	return false
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str reads a string at s.i and returns its raw contents (escapes not
// decoded) and whether it holds escapes.
func (s *scanner) str() ([]byte, bool, error) {
	if s.peek() != '"' {
		if s.i >= len(s.b) {
			return nil, false, errors.New("unexpected end of line, expected a string")
		}
		return nil, false, fmt.Errorf("unexpected %q at byte %d, expected a string", s.b[s.i], s.i+1)
	}
	s.i++
	start := s.i
	if s.noCtl {
		// No control byte in the line: the string ends at the next quote
		// unless a backslash comes first. Both searches are vectorised.
		if q := bytes.IndexByte(s.b[start:], '"'); q >= 0 && bytes.IndexByte(s.b[start:start+q], '\\') < 0 {
			s.i = start + q + 1
			return s.b[start : start+q], false, nil
		}
	}
	esc := false
	for s.i < len(s.b) {
		// Skip plain bytes eight at a time, then one at a time; only
		// quotes, backslashes and control bytes need a closer look.
		for s.i+8 <= len(s.b) && plain8(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		for s.i < len(s.b) && plainStr[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, esc, nil
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.b) {
				return nil, false, errors.New("unexpected end of line in a string")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return nil, false, errors.New("unexpected end of line in a string")
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if unhex(h) < 0 {
						return nil, false, fmt.Errorf("bad \\u escape at byte %d", s.i+1)
					}
				}
				s.i += 6
			default:
				return nil, false, fmt.Errorf("bad escape at byte %d", s.i+1)
			}
		case c < 0x20:
			return nil, false, fmt.Errorf("control character in a string at byte %d", s.i+1)
		default:
			s.i++
		}
	}
	return nil, false, errors.New("unexpected end of line in a string")
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes of x is a quote, a
// backslash or a control byte (below 0x20). A zero byte of v shows as a
// high bit in (v - ones) &^ v; bytes of x below 0x20 show in x - 0x20*ones.
// Both tests may flag bytes after a real hit, never miss one, and only the
// "all plain" answer is used.
func plain8(x uint64) bool {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	hit := (q - ones) &^ q
	hit |= (bs - ones) &^ bs
	hit |= (x - ones*0x20) &^ x
	return hit&highs == 0
}

// plainStr marks the bytes that stand for themselves inside a JSON string.
var plainStr = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescape decodes the escapes of a string already checked by str.
func unescape(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); {
		c := v[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch v[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hex4(v[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(v) && v[i] == '\\' && v[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(v[i+2:]))); r2 != utf8.RuneError {
						out = utf8.AppendRune(out, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, v[i+1])
		}
		i += 2
	}
	return out
}

func hex4(b []byte) int {
	return unhex(b[0])<<12 | unhex(b[1])<<8 | unhex(b[2])<<4 | unhex(b[3])
}

// int reads a number and reports whether it is an integer that fits int64.
// Other JSON values are consumed and reported as not ok.
func (s *scanner) int() (int64, bool, error) {
	start := s.i
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, false, s.value()
	}
	if err := s.number(); err != nil {
		return 0, false, err
	}
	lit := s.b[start:s.i]
	if n, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
		return n, true, nil
	}
	// 7.0 or 7e2 are integers too; 1e400 and 0.5 are not.
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false, nil
	}
	return int64(f), true, nil
}

func (s *scanner) number() error {
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	default:
		return fmt.Errorf("bad number at byte %d", start+1)
	}
	if s.peek() == '.' {
		s.i++
		n := s.i
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
		if s.i == n {
			return fmt.Errorf("bad number at byte %d", start+1)
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		n := s.i
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
		if s.i == n {
			return fmt.Errorf("bad number at byte %d", start+1)
		}
	}
	return nil
}

const maxDepth = 512

// value skips one JSON value, checking its syntax.
func (s *scanner) value() error { return s.valueDepth(0) }

func (s *scanner) valueDepth(depth int) error {
	if depth > maxDepth {
		return errors.New("nesting too deep")
	}
	s.ws()
	if s.i >= len(s.b) {
		return errors.New("unexpected end of line")
	}
	switch c := s.b[s.i]; c {
	case '"':
		_, _, err := s.str()
		return err
	case '{':
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			s.ws()
			if _, _, err := s.str(); err != nil {
				return err
			}
			s.ws()
			if s.peek() != ':' {
				return fmt.Errorf("expected ':' at byte %d", s.i+1)
			}
			s.i++
			if err := s.valueDepth(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return nil
			default:
				return fmt.Errorf("expected ',' or '}' at byte %d", s.i+1)
			}
		}
	case '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.valueDepth(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return fmt.Errorf("expected ',' or ']' at byte %d", s.i+1)
			}
		}
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return s.number()
		}
		return fmt.Errorf("unexpected %q at byte %d", c, s.i+1)
	}
}

func (s *scanner) lit(w string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		return fmt.Errorf("bad literal at byte %d", s.i+1)
	}
	s.i += len(w)
	return nil
}
