package ndjson

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQuotePos checks quotePos, in its vector version where this machine
// has AVX-512 (VBMI2), against a search for each quote with IndexByte: on
// every length up to 200 and random ones up to qposMax, with bytes that
// are mostly letters, with quotes and any byte among them, and on lines of
// nothing but quotes. The list it writes to holds an earlier line's
// positions past the new count, which must not matter.
func TestQuotePos(t *testing.T) {
	t.Logf("vector version: %v", haveQPos)
	rng := rand.New(rand.NewPCG(5, 6))
	var q qposList
	for i := range q {
		q[i] = 0xFFFF
	}
	check := func(b []byte) {
		t.Helper()
		var want []uint16
		for i := 0; ; {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				break
			}
			want = append(want, uint16(i+j))
			i += j + 1
		}
		wantBad := bytes.ContainsFunc(b, func(r rune) bool { return r == '\\' || r < 0x20 || r > 0x7F })
		count, bad := quotePos(b, &q)
		if count != len(want) || !slices.Equal(q[:count], want) || bad != wantBad {
			t.Fatalf("quotePos(%q) = %v, bad %v; want %v, bad %v", b, q[:count], bad, want, wantBad)
		}
	}
	line := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			switch r := rng.IntN(16); {
			case r < 3:
				b[i] = '"'
			case r == 3:
				b[i] = byte(rng.IntN(256))
			default:
				b[i] = byte('a' + rng.IntN(26))
			}
		}
		return b
	}
	for n := 1; n <= 200; n++ {
		for range 20 {
			check(line(n))
		}
	}
	for range 2000 {
		check(line(1 + rng.IntN(qposMax)))
	}
	for _, n := range []int{1, 63, 64, 65, qposMax} {
		check(bytes.Repeat([]byte{'"'}, n))
		check(bytes.Repeat([]byte{'a'}, n))
	}
}
