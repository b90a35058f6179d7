package lint

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// slotArena hands out the tables of one dupIndex from mappings the kernel
// is asked to back with transparent huge pages. The index of a large log
// is tens of MiB of tables that are written once each, and on a machine
// where a page fault is slow (a VM can take over 10 µs for one) faulting
// them in 4 KiB at a time was a third of lint's time on a 1M-row log; a
// huge page takes one fault for 2 MiB. Without transparent huge pages the
// mappings behave as ordinary memory. Small tables come from the Go heap.
// release unmaps everything: no table may be used after it.
type slotArena struct {
	maps [][]byte // every mapping, for release
	free []byte   // the rest of the last one
}

const (
	hugePage     = 2 << 20
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
		m, err := unix.Mmap(-1, 0, max(arenaMapping, size)+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			return make([]seenSlot, n)
		}
		a.maps = append(a.maps, m)
		off := 0
		if r := int(uintptr(unsafe.Pointer(&m[0])) % hugePage); r != 0 {
			off = hugePage - r
		}
		a.free = m[off:]
		// A hint: EINVAL on a kernel without transparent huge pages is fine.
		_ = unix.Madvise(a.free, unix.MADV_HUGEPAGE)
	}
	b := a.free[:size:size]
	a.free = a.free[size:]
	return unsafe.Slice((*seenSlot)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// release unmaps the arena's memory.
func (a *slotArena) release() {
	for _, m := range a.maps {
		_ = unix.Munmap(m)
	}
	a.maps, a.free = nil, nil
}
