package ndjson

import "golang.org/x/sys/cpu"

// haveMasks reports whether quoteMasks runs on vector instructions here.
// Without them parseFast finds each string's end with quoteEnd instead.
var haveMasks = cpu.X86.HasAVX2

//go:noescape
func quoteMasksAVX2(b []byte, masks *[maskWords]uint32) (bad bool)

func quoteMasks(b []byte, masks *[maskWords]uint32) (bad bool) {
	return quoteMasksAVX2(b, masks)
}
