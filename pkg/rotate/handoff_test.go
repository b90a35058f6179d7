package rotate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/synclog/synclog/pkg/ndjson"
)

func idOf(t *testing.T, path string) FileID {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := IDOf(fi)
	if !ok {
		t.Fatal("no file id")
	}
	return id
}

func readHandoff(t *testing.T, log string) *Handoff {
	t.Helper()
	h, err := ReadHandoff(log)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRotateWritesHandoff proves a rotation leaves beside the log a handoff
// naming the old log and the new one, with kept_bytes the length of the
// complete lines it kept, which start the new log; a torn last line after
// them is not in it.
func TestRotateWritesHandoff(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "sync-events.ndjson")
	content, _, kept := sampleLog() // ends in a torn line
	write(t, log, content)
	old := idOf(t, log)
	if _, err := Rotate(context.Background(), Options{Log: log, Before: cutoff}); err != nil {
		t.Fatal(err)
	}
	h := readHandoff(t, log)
	torn := row("2026-01-02T00:00:00Z", "torn")[:50]
	want := Transition{Old: old, New: idOf(t, log), Kept: int64(len(kept) - len(torn))}
	if len(h.Transitions) != 1 || h.Transitions[0] != want {
		t.Fatalf("handoff %+v, want %+v", h.Transitions, want)
	}
	if got := string(readFile(t, log)); got[:want.Kept] != kept[:len(kept)-len(torn)] {
		t.Errorf("the log does not start with the kept lines: %q", got)
	}
	if _, err := os.Stat(HandoffPath(log)); err != nil || filepath.Base(HandoffPath(log)) != ".sync-events.ndjson.rotated" {
		t.Errorf("handoff at %s: %v", HandoffPath(log), err)
	}

	// A second rotation of the new log names it as the old one, and the
	// first log too: a reader that read it to its end continues after the
	// bytes of it that are still in the log.
	first, second := old, idOf(t, log)
	apr1 := row("2026-04-01T00:00:00Z", "apr1")
	if err := (&ndjson.Appender{Path: log, NoSync: true}).Append(context.Background(), []byte(row("2026-05-01T00:00:00Z", "may"))); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, log)
	if _, err := Rotate(context.Background(), Options{Log: log, Before: cutoff.AddDate(0, 0, 2)}); err != nil {
		t.Fatal(err)
	}
	third := idOf(t, log)
	after := string(readFile(t, log))
	h = readHandoff(t, log)
	// The first log's complete lines, less apr1 that moved, are the start
	// of the third; all of the second's.
	wantTs := []Transition{
		{Old: second, New: third, Kept: int64(len(after))},
		{Old: first, New: third, Kept: want.Kept - int64(len(apr1))},
		want,
	}
	if fmt.Sprint(h.Transitions) != fmt.Sprint(wantTs) {
		t.Fatalf("handoff %+v, want %+v", h.Transitions, wantTs)
	}
	if len(before)-len(apr1) != len(after) {
		t.Errorf("the second rotation moved %d bytes, want apr1's %d", len(before)-len(after), len(apr1))
	}
}

// TestRotateHandoffAfterCrash proves the handoff names the old log, the
// log in place once the next rotation finished, and the bytes of it that
// came from the old log, whatever point the first rotation died at.
func TestRotateHandoffAfterCrash(t *testing.T) {
	for _, point := range []string{"start", "staged", "committed", "archives", "carried", "renamed"} {
		for _, torn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/torn=%v", point, torn), func(t *testing.T) {
				dir := t.TempDir()
				log := filepath.Join(dir, "sync-events.ndjson")
				apr, after := row("2026-04-02T00:00:00Z", "apr"), row("2026-04-03T00:00:00Z", "after")
				content := row("2026-02-01T00:00:00Z", "feb") + apr
				if torn {
					content += `{"ts":"2026-0`
				}
				write(t, log, content)
				old := idOf(t, log)
				crashAt = func(p string) bool { return p == point }
				_, err := Rotate(context.Background(), Options{Log: log, Before: cutoff})
				crashAt = nil
				if !errors.Is(err, errCrash) {
					t.Fatalf("err = %v, want the simulated crash", err)
				}
				if err := (&ndjson.Appender{Path: log, NoSync: true}).Append(context.Background(), []byte(after)); err != nil {
					t.Fatal(err)
				}
				if _, err := Rotate(context.Background(), Options{Log: log, Before: cutoff}); err != nil {
					t.Fatal(err)
				}
				got := string(readFile(t, log))
				// Every byte of the log came from the old one, but after a
				// crash once the log was renamed: then "after" was appended
				// to the new log.
				kept := got
				if point == "renamed" {
					kept = apr
				}
				h := readHandoff(t, log)
				want := Transition{Old: old, New: idOf(t, log), Kept: int64(len(kept))}
				if len(h.Transitions) != 1 || h.Transitions[0] != want || got[:len(kept)] != kept {
					t.Errorf("handoff %+v, want %+v; log %q", h.Transitions, want, got)
				}
			})
		}
	}
}

// TestRotateNoHandoffWhenNothingMoves proves a rotation that leaves the log
// alone writes no handoff.
func TestRotateNoHandoffWhenNothingMoves(t *testing.T) {
	log := filepath.Join(t.TempDir(), "sync-events.ndjson")
	write(t, log, row("2026-04-02T00:00:00Z", "apr"))
	if _, err := Rotate(context.Background(), Options{Log: log, Before: cutoff}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(HandoffPath(log)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("handoff after a rotation that moved nothing: %v", err)
	}
}
