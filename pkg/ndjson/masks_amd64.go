package ndjson

import "golang.org/x/sys/cpu"

// haveMasks reports whether quoteMasks runs on vector instructions here.
// Without them parseFast finds each string's end with quoteEnd instead.
var haveMasks = cpu.X86.HasAVX2

//go:noescape
func quoteMasksAVX2(b []byte, masks *[maskWords]uint32) (bad bool)

// quoteMasks marks the quotes of b, of 32 to 32*maskWords bytes, in masks,
// one bit a byte, and reports whether b holds a backslash, a byte below
// 0x20 or a byte above 0x7F.
func quoteMasks(b []byte, masks *[maskWords]uint32) (bad bool) {
	if haveMasks {
		return quoteMasksAVX2(b, masks)
	}
	return quoteMasksGo(b, masks)
}
