package lint

import (
	"unsafe"

	"github.com/synclog/synclog/internal/hugepage"
)

// slotArena hands out the tables of one dupIndex from huge-page mappings
// (package hugepage). The index of a large log is tens of MiB of tables
// that are written once each; faulting them in 4 KiB at a time was a third
// of lint's time on a 1M-row log here. Small tables come from the Go heap.
// release unmaps everything: no table may be used after it.
type slotArena struct {
	maps [][]byte // every mapping, for release
	free []byte   // the rest of the last one
}

const (
	arenaMapping = 16 << 20 // the least a mapping takes
	arenaMinimum = 256 << 10
)

// slots returns a zeroed table of n slots.
func (a *slotArena) slots(n int) []seenSlot {
	size := n * int(unsafe.Sizeof(seenSlot{}))
	if size < arenaMinimum {
		return make([]seenSlot, n)
	}
	if len(a.free) < size {
		mem, whole, err := hugepage.Map(max(arenaMapping, size))
		if err != nil {
			return make([]seenSlot, n)
		}
		a.maps = append(a.maps, whole)
		a.free = mem
	}
	b := a.free[:size:size]
	a.free = a.free[size:]
	return unsafe.Slice((*seenSlot)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// release unmaps the arena's memory.
func (a *slotArena) release() {
	for _, m := range a.maps {
		_ = hugepage.Unmap(m)
	}
	a.maps, a.free = nil, nil
}
