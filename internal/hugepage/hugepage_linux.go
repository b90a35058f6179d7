package hugepage

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Size is the size of a huge page, which Map aligns its memory to.
const Size = 2 << 20

// Map maps n bytes of zeroed memory, aligned to Size and advised
// MADV_HUGEPAGE. mem is those n bytes; whole is the mapping, for Unmap.
func Map(n int) (mem, whole []byte, err error) {
	whole, err = unix.Mmap(-1, 0, n+Size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, nil, err
	}
	off := 0
	if r := int(uintptr(unsafe.Pointer(&whole[0])) % Size); r != 0 {
		off = Size - r
	}
	mem = whole[off : off+n : off+n]
	// A hint: EINVAL on a kernel without transparent huge pages is fine.
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE)
	return mem, whole, nil
}

// Unmap lets go of a mapping Map returned as whole; no byte of it may be
// used afterwards.
func Unmap(whole []byte) error { return unix.Munmap(whole) }
