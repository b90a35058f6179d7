// Package hugepage maps anonymous memory that the kernel is asked to back
// with transparent huge pages, for buffers and tables that are large,
// written once and short of cache: on a machine where a page fault is slow
// (a VM can take over 10 µs for one), faulting them in 4 KiB at a time is
// a measurable part of a scan, and a huge page takes one fault for 2 MiB.
// Without transparent huge pages the memory behaves as ordinary memory.
// It exists on Linux only; callers elsewhere use the Go heap.
package hugepage
