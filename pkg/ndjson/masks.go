package ndjson

import "math/bits"

// maskWords bounds the lines quoteMasks marks: 32 bytes a word. In longer
// lines, rows with long error messages say, parseFast finds the ends of
// strings with quoteEnd.
const maskWords = 128

// quoteMasksGo is quoteMasks byte by byte: the reference its vector
// versions are tested against.
func quoteMasksGo(b []byte, masks *[maskWords]uint32) (bad bool) {
	for w := 0; w*32 < len(b); w++ {
		var m uint32
		for k, c := range b[w*32 : min(len(b), w*32+32)] {
			if c == '"' {
				m |= 1 << k
			}
			if c == '\\' || c < 0x20 || c > 0x7F {
				bad = true
			}
		}
		masks[w] = m
	}
	return bad
}

// nextQuote returns the index of the first quote at or after i in a line
// of n bytes whose quote masks are m, or -1. Words of m past the line's
// end hold an earlier line's marks and are never read.
func nextQuote(m *[maskWords]uint32, i, n int) int {
	if i >= n {
		return -1
	}
	w := i >> 5
	if x := m[w&(maskWords-1)] >> (i & 31); x != 0 {
		return i + bits.TrailingZeros32(x)
	}
	for w++; w<<5 < n; w++ {
		if x := m[w&(maskWords-1)]; x != 0 {
			return w<<5 + bits.TrailingZeros32(x)
		}
	}
	return -1
}
