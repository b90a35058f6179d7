package ndjson

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"unsafe"
)

func freeSlots() int {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return len(pool.free)
}

func inPool(b []byte) bool {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= pool.base && p < pool.base+uintptr(len(pool.slots))
}

func TestPoolSlots(t *testing.T) {
	if b := poolBuf(); b == nil {
		t.Fatal("no slot in a fresh pool")
	} else {
		putBuf(b)
	}
	if got := freeSlots(); got != poolSlots {
		t.Fatalf("%d slots free before the test, want all %d", got, poolSlots)
	}
	seen := make(map[uintptr]bool)
	var taken [][]byte
	for range poolSlots {
		b := poolBuf()
		if b == nil {
			t.Fatalf("pool empty after %d of %d slots", len(taken), poolSlots)
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if len(b) != 0 || cap(b) != slotSize || !inPool(b) || seen[p] {
			t.Fatalf("slot %d: len %d cap %d, in the pool %v, seen before %v", len(taken), len(b), cap(b), inPool(b), seen[p])
		}
		seen[p] = true
		// Every byte of a slot is writable, and slots do not overlap.
		b = b[:slotSize]
		for i := range b {
			b[i] = byte(len(taken))
		}
		taken = append(taken, b)
	}
	for i, b := range taken {
		if bytes.Count(b, []byte{byte(i)}) != slotSize {
			t.Fatalf("slot %d was written by another slot", i)
		}
	}
	if b := poolBuf(); b != nil {
		t.Fatal("a slot past the last one")
	}
	// An empty pool: getBuf falls back to the heap.
	if b := getBuf(nil, ChunkSize); inPool(b) || cap(b) < ChunkSize {
		t.Fatalf("getBuf on an empty pool: cap %d, in the pool %v", cap(b), inPool(b))
	}
	// Buffers that are not slots are not taken, whatever their capacity.
	putBuf(make([]byte, 0, slotSize))
	putBuf(taken[3][1:])
	putBuf(nil)
	if got := freeSlots(); got != 0 {
		t.Fatalf("%d slots free after putting back foreign buffers", got)
	}
	for _, b := range taken {
		putBuf(b)
	}
	// A slot given back twice is taken back once.
	putBuf(taken[5][:0])
	if got := freeSlots(); got != poolSlots {
		t.Fatalf("%d slots free, want %d", got, poolSlots)
	}
	// A request bigger than a slot (a long line) comes from the heap.
	if b := getBuf(nil, slotSize+1); inPool(b) || cap(b) <= slotSize {
		t.Fatalf("getBuf of more than a slot: cap %d, in the pool %v", cap(b), inPool(b))
	}
}

// Every Scan gives back every slot it took: when it ends normally, when a
// merge fails, when its context is canceled, and with a line longer than a
// slot in the middle.
func TestScanGivesBackSlots(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	for buf.Len() < 12*ChunkSize {
		buf.WriteString(row() + "\n")
	}
	plain := writeFile(t, dir, "plain.ndjson", buf.Bytes())
	long := writeFile(t, dir, "long.ndjson", append(append(bytes.Clone(buf.Bytes()[:3*ChunkSize/2]), bytes.Repeat([]byte("x"), 2*slotSize)...), buf.Bytes()...))
	zipped := writeFile(t, dir, "plain.ndjson.gz", gz(t, buf.Bytes()))
	errStop := errors.New("stop")
	for _, tc := range []struct {
		name    string
		paths   []string
		workers int
		stopAt  int  // merge fails at this chunk; 0: never
		cancel  bool // the context is canceled instead
		wantErr error
	}{
		{name: "whole", paths: []string{plain}, workers: 2},
		{name: "one worker", paths: []string{plain}, workers: 1},
		{name: "many workers", paths: []string{plain, zipped}, workers: 8},
		{name: "long line", paths: []string{long}, workers: 2},
		{name: "merge fails", paths: []string{plain}, workers: 2, stopAt: 3, wantErr: errStop},
		{name: "canceled", paths: []string{plain, plain}, workers: 2, stopAt: 2, cancel: true, wantErr: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			merged := 0
			var lines int64
			_, err := Scan(ctx, tc.paths, ScanOptions{Workers: tc.workers},
				func(c *Chunk, _ *ChunkStats) int64 { return int64(bytes.Count(c.Data, newline)) },
				func(n int64) error {
					merged++
					lines += n
					if merged == tc.stopAt {
						if tc.cancel {
							cancel()
							return nil
						}
						return errStop
					}
					return nil
				})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && lines < countLines(buf.Bytes()) {
				t.Fatalf("%d lines merged, want at least %d", lines, countLines(buf.Bytes()))
			}
			if got := freeSlots(); got != poolSlots {
				t.Errorf("%d of %d slots back in the pool after the scan", got, poolSlots)
			}
		})
	}
}
