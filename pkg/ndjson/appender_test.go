package ndjson

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppenderAppends(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state", "log", "sync-events.ndjson") // the directories are made
	a := &Appender{Path: p}
	r1, r2 := numbered(1)+"\n", numbered(2)+"\n"+numbered(3)+"\n"
	if err := a.Append(context.Background(), []byte(r1)); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(context.Background(), []byte(r2)); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, p)); got != r1+r2 {
		t.Errorf("log is %q", got)
	}
	if fi, err := os.Stat(LockPath(p)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("lock file: %v", err)
	}
	// Rows must end in a newline; nothing is written otherwise.
	if err := a.Append(context.Background(), []byte(numbered(4))); err == nil {
		t.Error("accepted a row without a newline")
	}
	if got := string(readFile(t, p)); got != r1+r2 {
		t.Errorf("log is %q", got)
	}
}

// A log that ends in a torn fragment gets a newline first, so the fragment
// stays alone on its line and the new row is whole.
func TestAppenderIsolatesFragment(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.ndjson")
	frag := numbered(1)[:33]
	if err := os.WriteFile(p, []byte(numbered(0)+"\n"+frag), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &Appender{Path: p, NoSync: true}
	if err := a.Append(context.Background(), []byte(numbered(2)+"\n")); err != nil {
		t.Fatal(err)
	}
	want := numbered(0) + "\n" + frag + "\n" + numbered(2) + "\n"
	if got := string(readFile(t, p)); got != want {
		t.Fatalf("log is\n%q\nwant\n%q", got, want)
	}
	// Readers see the fragment as one skipped line and both rows.
	rows, st, err := readAll(t, []string{p}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || st.Skipped() != 1 || st.Sources[0].Examples[0].Line != 2 || st.Sources[0].Partial {
		t.Errorf("rows %d, stats %+v", len(rows), st.Sources[0])
	}
	// A log ending in '\n' gets no extra newline.
	if err := a.Append(context.Background(), []byte(numbered(3)+"\n")); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, p)); got != want+numbered(3)+"\n" {
		t.Errorf("log is %q", got)
	}
}

// The appender refuses anything but a regular file at the log path, leaves
// it as it was, and never hangs on a FIFO.
func TestAppenderRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.ndjson")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.ndjson")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.ndjson")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.ndjson")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A symlink or FIFO at the lock path is refused too.
	lockLinked := filepath.Join(dir, "locklink.ndjson")
	if err := os.Symlink(victim, LockPath(lockLinked)); err != nil {
		t.Fatal(err)
	}
	lockFifo := filepath.Join(dir, "lockfifo.ndjson")
	if err := syscall.Mkfifo(LockPath(lockFifo), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{link, "a symbolic link"},
		{dangling, "a symbolic link"},
		{sub, "a directory"},
		{fifo, "a FIFO"},
		{lockLinked, "a symbolic link"},
		{lockFifo, "a FIFO"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				a := &Appender{Path: tt.path, LockTimeout: time.Second}
				done <- a.Append(context.Background(), []byte(row()+"\n"))
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Append hangs")
			}
			if err == nil || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one naming %s and %q", err, tt.path, tt.want)
			}
		})
	}
	if got := string(readFile(t, victim)); got != "precious\n" {
		t.Errorf("victim is now %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dangling link target created: %v", err)
	}
	if ents, _ := os.ReadDir(sub); len(ents) != 0 {
		t.Errorf("directory now holds %v", ents)
	}
}

// While another holder has the lock, Append waits LockTimeout and then
// fails with ErrLockTimeout without writing; once it is free, Append works.
func TestAppenderLockTimeout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.ndjson")
	if err := os.WriteFile(p, []byte(numbered(1)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file description: this one is another
	// holder, as another process would be.
	lf, err := os.OpenFile(LockPath(p), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	a := &Appender{Path: p, LockTimeout: 300 * time.Millisecond, NoSync: true}
	start := time.Now()
	err = a.Append(context.Background(), []byte(numbered(2)+"\n"))
	el := time.Since(start)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("err %v, want ErrLockTimeout", err)
	}
	if !strings.Contains(err.Error(), LockPath(p)) {
		t.Errorf("error %q does not name the lock file", err)
	}
	if el < 250*time.Millisecond || el > 3*time.Second {
		t.Errorf("gave up after %v, want about 300ms", el)
	}
	if got := string(readFile(t, p)); got != numbered(1)+"\n" {
		t.Errorf("log changed while locked: %q", got)
	}
	// A cancelled context ends the wait early.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	a.LockTimeout = 10 * time.Second
	start = time.Now()
	if err := a.Append(ctx, []byte(numbered(2)+"\n")); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("cancelled wait: err %v after %v", err, time.Since(start))
	}
	// Released mid-wait: the waiter gets the lock and appends.
	fd := int(lf.Fd())
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(100 * time.Millisecond)
		_ = syscall.Flock(fd, syscall.LOCK_UN)
	}()
	defer func() { <-released }()
	a.LockTimeout = 5 * time.Second
	if err := a.Append(context.Background(), []byte(numbered(2)+"\n")); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, p)); got != numbered(1)+"\n"+numbered(2)+"\n" {
		t.Errorf("log is %q", got)
	}
}

// Concurrent appenders never interleave or lose a row.
func TestAppenderConcurrent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.ndjson")
	const writers, each = 8, 50
	pad := strings.Repeat("p", 3000) // rows bigger than a pipe buffer page
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &Appender{Path: p, NoSync: w%2 == 0}
			for i := range each {
				line := row("session_id", fmt.Sprintf(`"w%d-%d"`, w, i), "pad", `"`+pad+`"`) + "\n"
				if err := a.Append(context.Background(), []byte(line)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]int{}
	lines := strings.Split(strings.TrimSuffix(string(readFile(t, p)), "\n"), "\n")
	for i, l := range lines {
		var e Event
		if err := ParseEvent([]byte(l), &e); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		seen[e.SessionID]++
	}
	if len(lines) != writers*each || len(seen) != writers*each {
		t.Errorf("%d lines, %d distinct rows; want %d", len(lines), len(seen), writers*each)
	}
}

// On a full filesystem a failed append leaves the log byte-identical.
func TestAppenderFullFilesystem(t *testing.T) {
	dir := mountTmpfs(t, 64<<10)
	p := filepath.Join(dir, "log.ndjson")
	old := []byte(numbered(1) + "\n" + numbered(2)[:40]) // ends in a fragment
	if err := os.WriteFile(p, old, 0o644); err != nil {
		t.Fatal(err)
	}
	a := &Appender{Path: p}
	if err := a.Append(context.Background(), []byte(numbered(3)+"\n")); err != nil { // needs the lock file too
		t.Fatal(err)
	}
	old = readFile(t, p)
	fillFS(t, dir, 4096)
	big := row("pad", `"`+strings.Repeat("x", 32<<10)+`"`) + "\n"
	err := a.Append(context.Background(), []byte(big))
	if err == nil {
		t.Fatal("append to a full filesystem succeeded")
	}
	// Linux reports a write that runs out of space as short, or as ENOSPC
	// when nothing fits: either way the error names the log.
	if !strings.Contains(err.Error(), p) || !(errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "short write")) {
		t.Errorf("err %v, want ENOSPC or a short write, naming the log", err)
	}
	if got := readFile(t, p); !bytes.Equal(got, old) {
		t.Errorf("log changed: %d bytes, was %d", len(got), len(old))
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "filler log.ndjson log.ndjson.lock" {
		t.Errorf("directory holds %v", names)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out", "summary.md")
	if err := WriteFileAtomic(p, []byte("one\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, p)); got != "two\n" {
		t.Errorf("content %q", got)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	assertOnly(t, filepath.Dir(p), "summary.md")

	// A planted symlink is replaced, its target untouched.
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out", "status.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(link, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("link not replaced by a regular file: %v %v", fi.Mode(), err)
	}
	if got := string(readFile(t, link)); got != "{}\n" {
		t.Errorf("content %q", got)
	}
	if got := string(readFile(t, victim)); got != "precious\n" {
		t.Errorf("victim now %q", got)
	}
	// A FIFO is replaced without hanging.
	fifo := filepath.Join(dir, "out", "metrics.prom")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- WriteFileAtomic(fifo, []byte("m 1\n"), 0o644) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WriteFileAtomic hangs on a FIFO")
	}
	// A directory at the path is an error, and no temp file is left.
	sub := filepath.Join(dir, "out", "alerts")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(sub, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("over a directory: err %v", err)
	}
	assertOnly(t, filepath.Dir(p), "alerts", "metrics.prom", "status.json", "summary.md")
}

// On a full filesystem WriteFileAtomic fails, keeps the old file and leaves
// no temp file behind.
func TestWriteFileAtomicFullFilesystem(t *testing.T) {
	dir := mountTmpfs(t, 64<<10)
	p := filepath.Join(dir, "summary.md")
	if err := WriteFileAtomic(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fillFS(t, dir, 4096)
	err := WriteFileAtomic(p, bytes.Repeat([]byte("new\n"), 16<<10), 0o644)
	if err == nil || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err %v, want ENOSPC", err)
	}
	if got := string(readFile(t, p)); got != "old\n" {
		t.Errorf("content %q", got)
	}
	assertOnly(t, dir, "filler", "summary.md")
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func TestWriteFileIfChanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "status.json")
	wrote, err := WriteFileIfChanged(p, []byte("a\n"), 0o644)
	if err != nil || !wrote {
		t.Fatalf("first write: %v %v", wrote, err)
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	wrote, err = WriteFileIfChanged(p, []byte("a\n"), 0o644)
	if err != nil || wrote {
		t.Fatalf("unchanged: wrote %v, err %v", wrote, err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(old) {
		t.Errorf("mtime %v, want %v kept", fi.ModTime(), old)
	}
	// Same size, other bytes: written.
	wrote, err = WriteFileIfChanged(p, []byte("b\n"), 0o644)
	if err != nil || !wrote || string(readFile(t, p)) != "b\n" {
		t.Fatalf("changed: wrote %v, err %v", wrote, err)
	}
	// Longer and shorter: written.
	for _, s := range []string{"b\nc\n", "b"} {
		if wrote, err := WriteFileIfChanged(p, []byte(s), 0o644); err != nil || !wrote || string(readFile(t, p)) != s {
			t.Fatalf("%q: wrote %v, err %v", s, wrote, err)
		}
	}
	// A symlink to a file holding the same bytes is replaced, not trusted.
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if wrote, err := WriteFileIfChanged(link, []byte("b"), 0o644); err != nil || !wrote {
		t.Fatalf("symlink: wrote %v, err %v", wrote, err)
	}
	if fi, _ := os.Lstat(link); !fi.Mode().IsRegular() {
		t.Errorf("symlink kept")
	}
	assertOnly(t, dir, "link", "status.json", "victim")
}
