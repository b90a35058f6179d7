package ndjson

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A log renamed away and replaced between the appender's open(2) and its
// write, as a rotation that did not take the lock would do: the row goes to
// the file now at the path, never to the one renamed away.
func TestAppenderReopensReplacedLog(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.ndjson")
	old := numbered(0) + "\n"
	if err := os.WriteFile(p, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(dir, "log.ndjson.1")
	replaced := 0
	afterOpen = func() {
		if replaced > 0 {
			return
		}
		replaced++
		if err := os.Rename(p, moved); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(p, []byte(numbered(1)+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { afterOpen = nil })
	a := &Appender{Path: p}
	if err := a.Append(context.Background(), []byte(numbered(2)+"\n")); err != nil {
		t.Fatal(err)
	}
	if replaced != 1 {
		t.Fatalf("the log was replaced %d times, want 1", replaced)
	}
	if got := string(readFile(t, moved)); got != old {
		t.Errorf("the file renamed away was written to: %q", got)
	}
	if got, want := string(readFile(t, p)), numbered(1)+"\n"+numbered(2)+"\n"; got != want {
		t.Errorf("log is %q, want %q", got, want)
	}
}

// A log removed between open(2) and the write is created again and the row
// goes there.
func TestAppenderReopensRemovedLog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.ndjson")
	if err := os.WriteFile(p, []byte(numbered(0)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	once := false
	afterOpen = func() {
		if !once {
			once = true
			if err := os.Remove(p); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { afterOpen = nil })
	if err := (&Appender{Path: p}).Append(context.Background(), []byte(numbered(1)+"\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := string(readFile(t, p)), numbered(1)+"\n"; got != want {
		t.Errorf("log is %q, want %q", got, want)
	}
}

// A log replaced at every open: Append gives up after a bounded number of
// tries with an error naming the path, and writes nowhere.
func TestAppenderGivesUpOnEverReplacedLog(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.ndjson")
	// The log exists: a missing one is created whole, by a link, not opened.
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	afterOpen = func() {
		n++
		if err := os.Rename(p, filepath.Join(dir, "gone")); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { afterOpen = nil })
	err := (&Appender{Path: p}).Append(context.Background(), []byte(numbered(1)+"\n"))
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("err = %v, want one naming %s and saying it was replaced", err, p)
	}
	if n != maxReopen {
		t.Errorf("opened %d times, want %d", n, maxReopen)
	}
	if got := readFile(t, p); len(got) != 0 {
		t.Errorf("log is %q, want empty", got)
	}
	if got := readFile(t, filepath.Join(dir, "gone")); len(got) != 0 {
		t.Errorf("a file renamed away holds %q", got)
	}
}

// Lock is the lock Append takes: while one holder has it, a second Lock
// times out, and after the release it is had at once.
func TestLockExcludes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.ndjson")
	a := &Appender{Path: p, LockTimeout: 50 * time.Millisecond}
	unlock, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lock(context.Background()); err == nil {
		t.Fatal("a second Lock was had while the first was held")
	}
	unlock()
	unlock2, err := a.Lock(context.Background())
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	unlock2()
}
