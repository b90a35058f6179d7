package hugepage

import (
	"testing"
	"unsafe"
)

// TestMap: the memory is n bytes, zeroed, writable and aligned to a huge
// page, whatever n, and Unmap takes the mapping back.
func TestMap(t *testing.T) {
	for _, n := range []int{1, 4096, Size - 1, Size, 3*Size + 17} {
		mem, whole, err := Map(n)
		if err != nil {
			t.Fatalf("Map(%d): %v", n, err)
		}
		if len(mem) != n || cap(mem) != n {
			t.Errorf("Map(%d): len %d cap %d", n, len(mem), cap(mem))
		}
		if p := uintptr(unsafe.Pointer(&mem[0])); p%Size != 0 {
			t.Errorf("Map(%d): %#x not aligned to %d", n, p, Size)
		}
		for i := range mem {
			if mem[i] != 0 {
				t.Fatalf("Map(%d): byte %d is %d", n, i, mem[i])
			}
			mem[i] = byte(i)
		}
		if err := Unmap(whole); err != nil {
			t.Errorf("Unmap: %v", err)
		}
	}
}
