package lint

import (
	"math/rand/v2"
	"testing"
)

// TestSeenSet: the first position of every hash survives the table's
// growth, a hash of 0 included, against a map as reference.
func TestSeenSet(t *testing.T) {
	var arena slotArena
	defer arena.release()
	s := newSeenSet(0, &arena)
	ref := map[uint64]uint64{}
	r := rand.New(rand.NewPCG(3, 4))
	keys := []uint64{0, 1, 2}
	for range 20000 {
		keys = append(keys, r.Uint64()&0xffff) // many repeats
	}
	for i, k := range keys {
		first, seen := s.firstOrAdd(k, uint64(i))
		want, wantSeen := ref[k]
		if !wantSeen {
			ref[k] = uint64(i)
		}
		// 0 and 1 share a slot key: a hash of 0 is stored as 1.
		if k <= 1 {
			continue
		}
		if seen != wantSeen || (seen && first != want) {
			t.Fatalf("key %d at %d: (%d, %v), want (%d, %v)", k, i, first, seen, want, wantSeen)
		}
	}
	if len(s.slots) < s.n*4/3 {
		t.Errorf("load %d of %d slots", s.n, len(s.slots))
	}
}

// TestDupIndexDays: rows of different days never meet, even with one hash.
func TestDupIndexDays(t *testing.T) {
	d := newDupIndex()
	if _, seen := d.firstOrAdd(86400*10+5, 42, 1); seen {
		t.Fatal("new row seen")
	}
	if _, seen := d.firstOrAdd(86400*11+5, 42, 2); seen {
		t.Error("a row of another day taken as a copy")
	}
	if first, seen := d.firstOrAdd(86400*10+60, 42, 3); !seen || first != 1 {
		t.Errorf("(%d, %v), want (1, true)", first, seen)
	}
	if _, seen := d.firstOrAdd(-1, 42, 4); seen {
		t.Error("a row before 1970 taken as a copy of day 0")
	}
	if first, seen := d.firstOrAdd(-86399, 42, 5); !seen || first != 4 {
		t.Errorf("before 1970: (%d, %v), want (4, true)", first, seen)
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"state/log/sync-events.ndjson", "state/log/sync-events.ndjson", true},
		{"state/log/sync-events.ndjson", "state/log/sync-events.ndjson.1.gz", false},
		{"state/log/sync-events.ndjson*", "state/log/sync-events.ndjson.1.gz", true},
		{"state/log", "state/log/sync-events.ndjson", true},
		{"state/log/", "state/log/sync-events.ndjson", true},
		{"state/lo", "state/log/sync-events.ndjson", false},
		{"state/*", "state/log/sync-events.ndjson", true}, // state/log is a directory it matches
		{"state/*.md", "state/log/sync-summary.md", false},
		{"state/**/*.md", "state/log/sync-summary.md", true},
		{"state/**/*.md", "state/sync-summary.md", true},
		{"**/*.ndjson", "x.ndjson", true},
		{"*.ndjson", "a/b/x.ndjson", true},
		{"sync-events.ndjson", "state/log/sync-events.ndjson", true},
		{"/sync-events.ndjson", "state/log/sync-events.ndjson", false},
		{"./state/log/*", "state/log/x", true},
		{"log/*", "state/log/x", false},
		{"state/?og/x", "state/log/x", true},
		{"state/[lm]og/x", "state/mog/x", true},
		{"**", "anything/at/all", true},
		{"", "state", false},
	}
	for _, tc := range cases {
		if got := Match(tc.pattern, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
	if err := ValidatePattern("state/[a-"); err == nil {
		t.Error("a bad glob passed")
	}
	if got := ParseList(" a : b\n\nc\r\n:"); len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("ParseList: %q", got)
	}
}

// TestSlotArena: tables small and large come zeroed and apart, whether
// from the heap or a mapping, and keep what is written to them until
// release.
func TestSlotArena(t *testing.T) {
	var a slotArena
	defer a.release()
	sizes := []int{256, 16 << 10, 65536, 3, 1 << 20, 65536, 1 << 20} // 16 bytes a slot
	tables := make([][]seenSlot, len(sizes))
	for i, n := range sizes {
		tables[i] = a.slots(n)
		if len(tables[i]) != n {
			t.Fatalf("table %d: %d slots, want %d", i, len(tables[i]), n)
		}
		for j := range tables[i] {
			if tables[i][j] != (seenSlot{}) {
				t.Fatalf("table %d: slot %d not zero", i, j)
			}
			tables[i][j] = seenSlot{key: uint64(i + 1), pos: uint64(j)}
		}
	}
	for i, tab := range tables {
		for j, sl := range tab {
			if sl != (seenSlot{key: uint64(i + 1), pos: uint64(j)}) {
				t.Fatalf("table %d, slot %d: %+v, overwritten", i, j, sl)
			}
		}
	}
	spread := func(i uint64) uint64 { return i * 0x9E3779B97F4A7C15 }
	d := newDupIndex()
	for i := range uint64(200000) { // a busy day: its table outgrows the heap's share
		if _, seen := d.firstOrAdd(86400*3, spread(i), i); seen {
			t.Fatalf("row %d seen", i)
		}
	}
	if first, seen := d.firstOrAdd(86400*3+7, spread(5), 1<<30); !seen || first != 5 {
		t.Errorf("(%d, %v), want (5, true)", first, seen)
	}
	d.release()
	if d.days != nil || d.last != nil {
		t.Error("release kept the tables")
	}
}
