package ndjson

// qposMax bounds the rows whose quotes quotePos lists, and so the quotes
// it can list.
const qposMax = 1024

// qposList is where quotePos lists a row's quotes: qposMax of them, and
// room past them for the last whole block the vector version stores.
type qposList [qposMax + 32]uint16

// quotePosGo is quotePos byte by byte: the reference its vector version is
// tested against.
func quotePosGo(b []byte, q *qposList) (count int, bad bool) {
	for i, c := range b {
		if c == '"' {
			q[count] = uint16(i)
			count++
		}
		if c == '\\' || c < 0x20 || c > 0x7F {
			bad = true
		}
	}
	return count, bad
}
