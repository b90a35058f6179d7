package ndjson

// slotSize is the capacity of a pooled chunk buffer: a chunk's bytes plus
// the room getBuf adds for the short carry of the chunk before.
const slotSize = ChunkSize + 2*bufSlack

// getBuf returns an empty buffer with room for size bytes, from free when
// one there is big enough, then from the process's pool of chunk buffers.
// Buffers made here get 64 KiB to spare, so that they fit again whatever
// the short carry of a later chunk.
func getBuf(free chan []byte, size int) []byte {
	select {
	case b := <-free:
		if cap(b) >= size {
			return b[:0]
		}
		putBuf(b)
	default:
	}
	if size <= slotSize {
		if b := poolBuf(); b != nil {
			return b
		}
	}
	return make([]byte, 0, (size+2*bufSlack-1)/bufSlack*bufSlack)
}

const bufSlack = 64 << 10
