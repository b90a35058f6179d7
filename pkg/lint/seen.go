package lint

import (
	"math/bits"
)

// dupIndex maps 64-bit row hashes to where each row was first seen, one
// table per UTC day of the rows' ts: identical rows share their ts, and a
// log is mostly in time order, so the table in use is the day's, small
// enough to stay in cache, instead of one the size of the whole log. It
// takes about 30 bytes a distinct row.
type dupIndex struct {
	days    map[int64]*seenSet
	lastDay int64
	last    *seenSet
	arena   slotArena // the tables' memory
}

func newDupIndex() *dupIndex { return &dupIndex{days: map[int64]*seenSet{}} }

// release lets go of the tables' memory; d must not be used afterwards.
func (d *dupIndex) release() {
	d.days, d.last = nil, nil
	d.arena.release()
}

// firstOrAdd returns where the row of hash h and ts unix seconds sec was
// first seen, or adds it at pos.
func (d *dupIndex) firstOrAdd(sec int64, h, pos uint64) (uint64, bool) {
	day := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		day--
	}
	if d.last == nil || day != d.lastDay {
		s := d.days[day]
		if s == nil {
			// Sized for as many rows as the day before, so that a busy
			// day's table is not grown and rehashed eight times over.
			hint := 0
			if d.last != nil {
				hint = d.last.n
			}
			s = newSeenSet(hint, &d.arena)
			d.days[day] = s
		}
		d.last, d.lastDay = s, day
	}
	return d.last.firstOrAdd(h, pos)
}

// seenSet maps 64-bit hashes to positions. It is an open-addressing table
// with linear probing: the keys are hashes already, so they index the table
// as they are. A slot is 16 bytes; the load stays between 3/8 and 3/4.
type seenSet struct {
	slots []seenSlot
	n     int
	arena *slotArena
}

type seenSlot struct {
	key uint64 // 0: empty; a hash of 0 is stored as 1
	pos uint64
}

func newSeenSet(hint int, arena *slotArena) *seenSet {
	size := 256
	if hint > 0 {
		size = max(size, 1<<bits.Len(uint(hint*4/3)))
	}
	return &seenSet{slots: arena.slots(size), arena: arena}
}

// firstOrAdd returns where h was first seen, or adds it at pos.
func (s *seenSet) firstOrAdd(h, pos uint64) (uint64, bool) {
	if h == 0 {
		h = 1
	}
	if s.n >= len(s.slots)*3/4 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		switch sl.key {
		case h:
			return sl.pos, true
		case 0:
			sl.key, sl.pos = h, pos
			s.n++
			return 0, false
		}
	}
}

func (s *seenSet) grow() {
	old := s.slots
	s.slots = s.arena.slots(len(old) * 2)
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.key == 0 {
			continue
		}
		i := sl.key & mask
		for s.slots[i].key != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}
