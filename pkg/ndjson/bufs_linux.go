package ndjson

import (
	"sync"
	"unsafe"

	"github.com/synclog/synclog/internal/hugepage"
)

// Chunk buffers come from one mapping that the kernel is asked to back with
// transparent huge pages. Each chunk is written once by read(2) and read
// once by a worker, so on a machine where a page fault is slow (a VM can
// take over 10 µs for one), faulting in 4 KiB pages was a measurable part
// of a scan. With huge pages a buffer costs one fault per 2 MiB, or none
// once the pool has been used. Without transparent huge pages the mapping
// behaves as ordinary memory.
//
// The pool lives as long as the process: Scan returns every buffer it took
// once its work and merges are done, so a later Scan, in a long-running
// serve for instance, reuses the same slots. When every slot is taken,
// getBuf falls back to the Go heap.
const poolSlots = 24 // at most 64: see taken

var pool struct {
	once  sync.Once
	mu    sync.Mutex
	base  uintptr // start of the slots, 2 MiB aligned; 0: no pool
	slots []byte  // poolSlots*slotSize bytes
	free  []int   // indexes of the free slots, lowest last
	taken uint64  // bit i: slot i is handed out
}

func initPool() {
	slots, _, err := hugepage.Map(poolSlots * slotSize)
	if err != nil {
		return
	}
	pool.slots = slots
	pool.base = uintptr(unsafe.Pointer(&pool.slots[0]))
	for i := poolSlots - 1; i >= 0; i-- {
		pool.free = append(pool.free, i)
	}
}

// poolBuf returns an empty buffer of capacity slotSize from the pool, or
// nil when every slot is taken.
func poolBuf() []byte {
	pool.once.Do(initPool)
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if len(pool.free) == 0 {
		return nil
	}
	i := pool.free[len(pool.free)-1]
	pool.free = pool.free[:len(pool.free)-1]
	pool.taken |= 1 << i
	return pool.slots[i*slotSize : i*slotSize : (i+1)*slotSize]
}

// putBuf gives b back to the pool if it is one of its slots, handed out and
// not yet given back. The caller must hold no other reference to it.
func putBuf(b []byte) {
	if cap(b) != slotSize {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.base == 0 || p < pool.base || p >= pool.base+uintptr(len(pool.slots)) || (p-pool.base)%slotSize != 0 {
		return
	}
	// A slot given back twice would be handed out twice: take it once.
	i := int((p - pool.base) / slotSize)
	if pool.taken&(1<<i) == 0 {
		return
	}
	pool.taken &^= 1 << i
	pool.free = append(pool.free, i)
}
