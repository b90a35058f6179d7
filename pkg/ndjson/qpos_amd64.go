package ndjson

import "golang.org/x/sys/cpu"

// haveQPos reports whether quotePos runs on vector instructions here
// (AVX-512 with VBMI2's compress). Without them parseFast walks a row
// from each value's end to the next key instead.
var haveQPos = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI2 &&
	cpu.X86.HasPOPCNT && cpu.X86.HasBMI2

//go:noescape
func quotePosAVX512(b []byte, q *qposList) (count int, bad bool)

// quotePos writes the index of each quote in b, of 1 to qposMax bytes, to
// q in order and returns how many there are, and reports whether b holds a
// backslash, a byte below 0x20 or a byte above 0x7F.
func quotePos(b []byte, q *qposList) (count int, bad bool) {
	if haveQPos {
		return quotePosAVX512(b, q)
	}
	return quotePosGo(b, q)
}
