//go:build !linux

package lint

// slotArena hands out the tables of one dupIndex; off Linux they come from
// the Go heap (see slots_linux.go).
type slotArena struct{}

// slots returns a zeroed table of n slots.
func (*slotArena) slots(n int) []seenSlot { return make([]seenSlot, n) }

// release lets go of the arena's memory.
func (*slotArena) release() {}
