package ndjson

import (
	"encoding/binary"
	"math"
	"math/bits"
	"time"
	"unsafe"
)

// Slots of the schema keys, as bits of parseFast's seen set. Slots 0 to 10
// are the required keys, in the order of the k* bits.
const (
	slotTS = iota
	slotOp
	slotRepo
	slotScope
	slotFiles
	slotBytes
	slotDurMS
	slotManifestBefore
	slotManifestAfter
	slotTrigger
	slotMachine
	slotStatus
	slotError
	slotTenantID
	slotSessionID
	slotFilesTotal
	slotStart // before the first key, in Parser.next
)

// keyLit is a key as `"key":`, in words for comparing eight bytes at a
// time: the first eight bytes (masked when shorter), the eight after them
// and the last eight; need is how many bytes litAt reads.
type keyLit struct {
	first, mid, last, mask uint64
	size, need             int
}

// slotNames are the schema keys by slot.
var slotNames = [...]string{
	slotTS: "ts", slotOp: "op", slotRepo: "repo", slotScope: "scope", slotFiles: "files",
	slotBytes: "bytes", slotDurMS: "dur_ms", slotManifestBefore: "manifest_before",
	slotManifestAfter: "manifest_after", slotTrigger: "trigger", slotMachine: "machine",
	slotStatus: "status", slotError: "error", slotTenantID: "tenant_id",
	slotSessionID: "session_id", slotFilesTotal: "files_total",
}

// newKeyLit returns lit, of at most 24 bytes, in words.
func newKeyLit(lit string) keyLit {
	k := keyLit{size: len(lit), need: max(len(lit), 8), mask: ^uint64(0)}
	var pad [24]byte
	copy(pad[:], lit)
	if k.size < 8 {
		k.mask = 1<<(8*k.size) - 1
	}
	k.first = binary.LittleEndian.Uint64(pad[:]) & k.mask
	k.mid = binary.LittleEndian.Uint64(pad[8:])
	if k.size >= 8 {
		k.last = binary.LittleEndian.Uint64([]byte(lit)[k.size-8:])
	}
	return k
}

// keyLits are the keys as `"key":`.
var keyLits = func() (t [slotFilesTotal + 1]keyLit) {
	for slot, name := range slotNames {
		t[slot] = newKeyLit(`"` + name + `":`)
	}
	return t
}()

// stepLits are the keys as walkQuotes meets them: with the byte before
// (',' in stepLits[0], '{' before the first key in stepLits[1]) and, for a
// string, the quote that opens the value, as `,"repo":"` or `{"ts":"`.
var stepLits = func() (t [2][slotFilesTotal + 1]keyLit) {
	for slot, name := range slotNames {
		lit := `"` + name + `":`
		if intSlots&(1<<slot) == 0 {
			lit += `"`
		}
		t[0][slot] = newKeyLit("," + lit)
		t[1][slot] = newKeyLit("{" + lit)
	}
	return t
}()

// keyAt matches the schema key that b starts with, as `"key":`, and
// returns its slot and the length of that literal, or slot -1. The first
// bytes pick the one key it can be; a few eight-byte comparisons check it
// whole.
func keyAt(b []byte) (slot, size int) {
	if len(b) < 8 {
		return -1, 0 // no key and value are shorter: `"op":"x"}` is 9 bytes
	}
	// One load for the bytes that pick the key and check its start.
	x := binary.LittleEndian.Uint64(b)
	if byte(x) != '"' {
		return -1, 0
	}
	switch byte(x >> 8) {
	case 't':
		switch byte(x >> 16) {
		case 's':
			slot = slotTS
		case 'r':
			slot = slotTrigger
		default:
			slot = slotTenantID
		}
	case 'o':
		slot = slotOp
	case 'r':
		slot = slotRepo
	case 's':
		switch byte(x >> 16) {
		case 'c':
			slot = slotScope
		case 't':
			slot = slotStatus
		default:
			slot = slotSessionID
		}
	case 'f':
		if byte(x>>48) == '_' {
			slot = slotFilesTotal
		} else {
			slot = slotFiles
		}
	case 'b':
		slot = slotBytes
	case 'd':
		slot = slotDurMS
	case 'm':
		switch {
		case byte(x>>24) == 'c':
			slot = slotMachine
		case len(b) > 10 && b[10] == 'b':
			slot = slotManifestBefore
		default:
			slot = slotManifestAfter
		}
	case 'e':
		slot = slotError
	default:
		return -1, 0
	}
	if k := &keyLits[slot]; len(b) >= k.size && litAt(b, k) {
		return slot, k.size
	}
	return -1, 0
}

// intSlots marks the slots whose value is an integer.
const intSlots = 1<<slotFiles | 1<<slotBytes | 1<<slotDurMS | 1<<slotFilesTotal

// parseFast parses the rows almost every log is made of: one compact
// object of schema keys, each key once, every value a string without
// escapes, control bytes or bytes above 0x7F, or a non-negative integer of
// at most 18 digits, and the row valid. For any other line it returns
// false, having possibly written to e, and Parse runs the general parser.
// Every line it accepts is one the general parser accepts with the same
// Event (FuzzParseFast checks this), so the fast path changes no result.
// Every byte it accepts is checked: structure and keys byte by byte,
// strings eight bytes at a time, so the line needs no other pass.
//
// The walk over the keys only finds where each value is, reading the
// integers as it goes; the strings are read once it is done, in a fixed
// order. The walk is then the same few steps for every key, and ts, read
// first, settles before any name whether DetailFrom leaves the names out.
// With AVX-512 the walk is walkQuotes, which finds each key from a list of
// the row's quotes; elsewhere, and for rows over qposMax bytes, it is walk.
func (p *Parser) parseFast(b []byte, e *Event) bool {
	n := len(b)
	if n < 2 || b[0] != '{' || uint64(n) > math.MaxUint32 {
		return false
	}
	*e = Event{}
	// at holds where each string value seen starts and ends, as
	// start<<32 | end.
	var at [slotFilesTotal + 1]uint64
	var seen uint32
	var ok bool
	if haveQPos && !p.noQPos && n <= qposMax {
		seen, ok = p.walkQuotes(b, e, &at)
	} else {
		seen, ok = p.walk(b, e, &at)
	}
	if !ok {
		return false
	}
	if seen&kRequired != kRequired || (e.HasFilesTotal && e.Files > e.FilesTotal) {
		return false
	}
	str := func(slot int) (int, int) { return int(at[slot] >> 32), int(uint32(at[slot])) }
	vs, ve := str(slotTS)
	tsRaw := b[vs:ve]
	t, ok := p.tsz(tsRaw)
	if !ok {
		return false
	}
	e.TS = t
	vs, ve = str(slotOp)
	if e.Op, ok = either(b[vs:ve], OpPush, OpPull); !ok {
		return false
	}
	if seen&(1<<slotStatus) != 0 {
		vs, ve = str(slotStatus)
		if e.Status, ok = either(b[vs:ve], StatusOK, StatusError); !ok {
			return false
		}
	}
	vs, ve = str(slotMachine)
	e.Machine = p.internAt(b, vs, ve)
	if seen&(1<<slotError) != 0 {
		e.Present |= KeyError
	}
	if seen&(1<<slotTenantID) != 0 {
		e.Present |= KeyTenantID
	}
	if seen&(1<<slotSessionID) != 0 {
		e.Present |= KeySessionID
	}
	if !p.skims(t) {
		vs, ve = str(slotRepo)
		e.Repo = p.internAt(b, vs, ve)
		vs, ve = str(slotScope)
		e.Scope = p.internAt(b, vs, ve)
		vs, ve = str(slotTrigger)
		e.Trigger = p.internAt(b, vs, ve)
		if seen&(1<<slotTenantID) != 0 {
			vs, ve = str(slotTenantID)
			e.TenantID = p.internAt(b, vs, ve)
		}
		if seen&(1<<slotError) != 0 {
			vs, ve = str(slotError)
			if p.BorrowError && ve > vs {
				e.Error = unsafe.String(&b[vs], ve-vs)
			} else {
				e.Error = p.errorString(b, vs, ve)
			}
		}
	}
	if !p.Lean {
		vs, ve = str(slotManifestBefore)
		e.ManifestBefore = string(b[vs:ve])
		vs, ve = str(slotManifestAfter)
		e.ManifestAfter = string(b[vs:ve])
		if seen&(1<<slotSessionID) != 0 {
			vs, ve = str(slotSessionID)
			e.SessionID = string(b[vs:ve])
		}
	}
	if p.KeepRawTS {
		e.TSRaw = string(tsRaw)
	}
	return true
}

// walk is parseFast's walk over the keys of b: it checks each byte, sets
// the integers in e and where each string is in at, and returns the keys
// seen, as bits of their slots. It goes from each value's end to the next
// key.
func (p *Parser) walk(b []byte, e *Event, at *[slotFilesTotal + 1]uint64) (seen uint32, ok bool) {
	n := len(b)
	// With vector instructions, one pass over the line marks its quotes
	// and checks it for bytes a string here may not hold; each string's
	// end is then read off the marks.
	masked := haveMasks && !p.noMasks && n >= 32 && n <= 32*maskWords
	if masked && quoteMasks(b, &p.masks) {
		return 0, false
	}
	i := 1
	prev := slotStart
	for {
		// Rows of one log list their keys in one order, so the key after
		// the last one is nearly always the one that followed it before:
		// try that literal first, and only then look the key up.
		slot, size := -1, 0
		if k := &keyLits[p.next[prev]]; i+24 <= n && litAt(b[i:], k) {
			slot, size = int(p.next[prev]), k.size
		} else if slot, size = keyAt(b[i:]); slot >= 0 {
			p.next[prev] = uint8(slot)
		}
		if slot < 0 || seen&(1<<slot) != 0 {
			return 0, false
		}
		prev = slot
		seen |= 1 << slot
		i += size
		if i >= n {
			return 0, false
		}
		if intSlots&(1<<slot) != 0 {
			v, j := uintAt(b, i)
			if j < 0 {
				return 0, false
			}
			i = j
			e.setInt(slot, v)
		} else {
			if b[i] != '"' {
				return 0, false
			}
			var ve int
			if masked {
				ve = nextQuote(&p.masks, i+1, n)
			} else {
				ve = quoteEnd(b, i+1)
			}
			if ve < 0 {
				return 0, false
			}
			at[slot] = uint64(i+1)<<32 | uint64(ve)
			i = ve + 1
		}
		if i >= n {
			return 0, false
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] != '}' || i+1 != n {
			return 0, false
		}
		break
	}
	return seen, true
}

// walkQuotes is walk for a row whose quotes quotePos lists. A key's
// opening quote is found by counting quotes: four for each string before
// it and two for each integer. So where each key is does not wait on
// reading the value before it, and the checks of successive keys overlap.
// Every byte is still checked: each key's separator must be where the
// value before it ends, the literal from the separator to a string's
// opening quote is compared whole, a string ends at the next quote, and
// the object must end where the last value does.
func (p *Parser) walkQuotes(b []byte, e *Event, at *[slotFilesTotal + 1]uint64) (seen uint32, ok bool) {
	n := len(b)
	count, bad := quotePos(b, &p.qpos)
	if bad {
		return 0, false
	}
	q := &p.qpos
	end := 0 // where the next separator must be
	prev := slotStart
	for ord := 0; ord < count; {
		sep := int(q[ord&(qposMax-1)]) - 1
		if sep != end {
			return 0, false
		}
		first := prev >> 4 // 1 before the first key (slotStart is 16)
		slot := int(p.next[prev])
		k := &stepLits[first][slot]
		if sep+k.need > n || !litAt(b[sep:], k) {
			// Not the key that followed prev last time: look it up.
			if slot, _ = keyAt(b[sep+1:]); slot < 0 {
				return 0, false
			}
			k = &stepLits[first][slot]
			if sep+k.need > n || !litAt(b[sep:], k) {
				return 0, false
			}
			p.next[prev] = uint8(slot)
		}
		if seen&(1<<slot) != 0 {
			return 0, false
		}
		seen |= 1 << slot
		prev = slot
		vs := sep + k.size
		if intSlots&(1<<slot) != 0 {
			v, j := uintAt(b, vs)
			if j < 0 {
				return 0, false
			}
			e.setInt(slot, v)
			end = j
			ord += 2
		} else {
			if ord+3 >= count {
				return 0, false
			}
			ve := int(q[(ord+3)&(qposMax-1)])
			at[slot] = uint64(vs)<<32 | uint64(ve)
			end = ve + 1
			ord += 4
		}
	}
	if end != n-1 || b[end] != '}' {
		return 0, false
	}
	return seen, true
}

// setInt sets the integer of slot, one of intSlots, to v.
func (e *Event) setInt(slot int, v int64) {
	switch slot {
	case slotFiles:
		e.Files = v
	case slotBytes:
		e.Bytes = v
	case slotDurMS:
		e.DurMS = v
	default:
		e.FilesTotal, e.HasFilesTotal = v, true
	}
}

// either returns x or y, the one v spells, or false.
func either(v []byte, x, y string) (string, bool) {
	// Comparisons, not a switch: a switch on string(v) with cases that
	// are not constants converts v, which costs a copy.
	if string(v) == x {
		return x, true
	}
	if string(v) == y {
		return y, true
	}
	return "", false
}

// litAt reports whether b, of at least eight bytes and at least k.size,
// starts with the key literal k.
func litAt(b []byte, k *keyLit) bool {
	return binary.LittleEndian.Uint64(b)&k.mask == k.first &&
		(k.size <= 8 || binary.LittleEndian.Uint64(b[k.size-8:]) == k.last) &&
		(k.size <= 16 || binary.LittleEndian.Uint64(b[8:]) == k.mid)
}

// quoteEnd returns the index of the first quote at or after i, or -1 when
// a backslash, a control byte or a byte above 0x7F comes first, or no
// quote does. It looks at eight bytes at a time. In each of the masks
// below the lowest flagged byte is a real hit (borrows only run upward
// from one), which is all the comparison of the two needs.
func quoteEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		bs := x ^ (ones * '\\')
		quotes := (q - ones) &^ q & highs
		bad := ((bs-ones)&^bs | (x-ones*0x20)&^x | x) & highs
		if quotes|bad != 0 {
			qpos, bpos := bits.TrailingZeros64(quotes), bits.TrailingZeros64(bad)
			if bpos < qpos {
				return -1
			}
			return i + qpos>>3
		}
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i
		case c == '\\' || c < 0x20 || c > 0x7F:
			return -1
		}
	}
	return -1
}

// uintAt reads a JSON integer of 1 to 18 digits at i and returns it and
// the index after it, or j = -1 for anything else (a sign, a leading zero,
// more digits; a fraction or exponent fails at the caller's next byte).
func uintAt(b []byte, i int) (v int64, j int) {
	if i+8 <= len(b) {
		// Up to seven digits, as most are, from one load: find the first
		// byte that is not a digit, and add the digits before it up in
		// three steps, pairs, then fours, then the eight.
		x := binary.LittleEndian.Uint64(b[i:])
		lo := x &^ highs
		digit := (lo + ones*(0x80-'0')) &^ (lo + ones*(0x80-'9'-1)) &^ x & highs
		if d := bits.TrailingZeros64(^digit&highs) >> 3; d < 8 {
			if d == 0 || (d > 1 && b[i] == '0') {
				return 0, -1
			}
			y := (x - ones*'0') << (64 - 8*d)
			y = (y*10 + y>>8) & 0x00FF00FF00FF00FF
			y = (y*100 + y>>16) & 0x0000FFFF0000FFFF
			y = (y*10000 + y>>32) & 0xFFFFFFFF
			return int64(y), i + d
		}
	}
	j = i
	for j < len(b) {
		c := b[j] - '0'
		if c > 9 {
			break
		}
		v = v*10 + int64(c)
		j++
	}
	if d := j - i; d == 0 || d > 18 || (d > 1 && b[i] == '0') {
		return 0, -1
	}
	return v, j
}

// tsz is parseTSZ for the ts of consecutive rows, which mostly fall on
// one day: when b's date is the last one parseTSZ took, only its time of
// day is parsed.
func (p *Parser) tsz(b []byte) (time.Time, bool) {
	if len(b) != 20 {
		return time.Time{}, false
	}
	d := &p.day
	date0, date1 := binary.LittleEndian.Uint64(b), uint16(b[8])|uint16(b[9])<<8
	if d.ok && date0 == d.date0 && date1 == d.date1 {
		h0, h1, m0, m1, s0, s1 := b[11]-'0', b[12]-'0', b[14]-'0', b[15]-'0', b[17]-'0', b[18]-'0'
		if (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' || (b[19] != 'Z' && b[19] != 'z') ||
			h0 > 9 || h1 > 9 || m0 > 5 || m1 > 9 || s0 > 5 || s1 > 9 || h0*10+h1 > 23 {
			return time.Time{}, false
		}
		sec := int64(h0*10+h1)*3600 + int64(m0*10+m1)*60 + int64(s0*10+s1)
		return time.Unix(d.unix+sec, 0).UTC(), true
	}
	t, ok := parseTSZ(b)
	if ok {
		sec := int64(b[11]-'0')*36000 + int64(b[12]-'0')*3600 + int64(b[14]-'0')*600 +
			int64(b[15]-'0')*60 + int64(b[17]-'0')*10 + int64(b[18]-'0')
		*d = lastDay{ok: true, date0: date0, date1: date1, unix: t.Unix() - sec}
	}
	return t, ok
}

// lastDay is the date of the last ts parseTSZ took, as its first ten
// bytes, and the Unix time of its midnight.
type lastDay struct {
	ok    bool
	date0 uint64
	date1 uint16
	unix  int64
}

// errorString returns line[i:j], an error message, as a string: the same
// string as for the message before it in the same slot of a small cache,
// as messages repeat, or a new one.
func (p *Parser) errorString(line []byte, i, j int) string {
	v := line[i:j]
	n := len(v)
	if n < 8 {
		return string(v)
	}
	x := binary.LittleEndian.Uint64(v) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(v[n-8:]), 29) ^ uint64(n)
	slot := &p.errors[x*0x9E3779B97F4A7C15>>(64-6)]
	if *slot != string(v) {
		*slot = string(v)
	}
	return *slot
}

// parseTSZ parses YYYY-MM-DDTHH:MM:SSZ, the form synclog writes, without
// going through time.Date.
func parseTSZ(b []byte) (t time.Time, ok bool) {
	if !tszShape(b) {
		return time.Time{}, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	h, ok4 := digits(b[11:13])
	mi, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 ||
		d > monthDays(mo, y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Unix(daysFromCivil(y, mo, d)*86400+int64(h*3600+mi*60+sec), 0).UTC(), true
}

// tszShape reports whether b has the punctuation of YYYY-MM-DDTHH:MM:SSZ.
func tszShape(b []byte) bool {
	return len(b) == 20 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == 't') &&
		b[13] == ':' && b[16] == ':' && (b[19] == 'Z' || b[19] == 'z')
}

// monthDays is the length of month mo (1 to 12) of year y.
func monthDays(mo, y int) int {
	if mo == 2 {
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (mo+mo/8)%2
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (y from 0 to 9999).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400                     // [0, 399]
	mp := (m + 9) % 12                     // March is 0
	doy := (153*mp+2)/5 + d - 1            // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}
