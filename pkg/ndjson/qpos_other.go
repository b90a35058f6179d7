//go:build !amd64

package ndjson

// haveQPos is false: without AVX-512, parseFast walks a row from each
// value's end to the next key.
const haveQPos = false

// quotePos writes the index of each quote in b, of 1 to qposMax bytes, to
// q in order and returns how many there are, and reports whether b holds a
// backslash, a byte below 0x20 or a byte above 0x7F.
func quotePos(b []byte, q *qposList) (count int, bad bool) { return quotePosGo(b, q) }
