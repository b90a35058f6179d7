//go:build !amd64

package ndjson

// haveMasks is false: parseFast finds each string's end with quoteEnd.
const haveMasks = false

// quoteMasks is quoteMasksGo here; parseFast does not call it.
func quoteMasks(b []byte, masks *[maskWords]uint32) (bad bool) { return quoteMasksGo(b, masks) }
