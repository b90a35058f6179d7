package ndjson

import (
	"bytes"
	"slices"
	"testing"
)

// checkMasks compares quoteMasks with the byte-by-byte reference on b, and
// nextQuote with a plain search from every index.
func checkMasks(t *testing.T, b []byte) {
	t.Helper()
	if len(b) < 32 || len(b) > 32*maskWords {
		return
	}
	var got, want [maskWords]uint32
	for i := range got {
		got[i] = ^uint32(0) // the marks of a longer line before
	}
	gotBad, wantBad := quoteMasks(b, &got), quoteMasksGo(b, &want)
	words := (len(b) + 31) / 32
	if gotBad != wantBad || !slices.Equal(got[:words], want[:words]) {
		t.Fatalf("%q: masks %x bad %v, want %x bad %v", b, got[:words], gotBad, want[:words], wantBad)
	}
	for i := range len(b) + 1 {
		want := bytes.IndexByte(b[i:], '"')
		if want >= 0 {
			want += i
		}
		if got := nextQuote(&got, i, len(b)); got != want {
			t.Fatalf("%q: nextQuote from %d = %d, want %d", b, i, got, want)
		}
	}
}

// TestQuoteMasks: every length from 32 to a few blocks, quotes and bad
// bytes at every position, and the longest line masks take.
func TestQuoteMasks(t *testing.T) {
	for n := 32; n <= 140; n++ {
		base := bytes.Repeat([]byte("a"), n)
		checkMasks(t, base)
		for i := range n {
			for _, c := range []byte{'"', '\\', 0x1F, 0x00, 0x7F, 0x80, 0xFF, ' '} {
				b := bytes.Clone(base)
				b[i] = c
				checkMasks(t, b)
				b[n-1-i/2] = '"'
				checkMasks(t, b)
			}
		}
	}
	long := bytes.Repeat([]byte(`{"k":"v"} `), 32*maskWords/10)
	long = append(long, bytes.Repeat([]byte{'"'}, 32*maskWords-len(long))...)
	checkMasks(t, long)
}

func FuzzQuoteMasks(f *testing.F) {
	for _, c := range fastLines {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkMasks(t, b) })
}
