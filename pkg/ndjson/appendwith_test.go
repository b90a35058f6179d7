package ndjson

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// AppendWith creates nothing when there is nothing to append, passes on
// next's error, and runs next under the lock: writers that append only the
// rows the file lacks never append one twice.
func TestAppendWith(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agg.ndjson")
	a := &Appender{Path: path, NoSync: true}
	if err := a.AppendWith(ctx, func() ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("nothing to append, yet %s exists: %v", path, err)
	}
	boom := errors.New("boom")
	if err := a.AppendWith(ctx, func() ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if err := a.AppendWith(ctx, func() ([]byte, error) { return []byte("no newline"), nil }); err == nil {
		t.Fatal("rows without a final newline appended")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := a.AppendWith(ctx, func() ([]byte, error) {
				b, err := os.ReadFile(path)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					return nil, err
				}
				if len(b) > 0 {
					return nil, nil // already there
				}
				return []byte("once\n"), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if b, err := os.ReadFile(path); err != nil || string(b) != "once\n" {
		t.Fatalf("%q, %v: want the row once", b, err)
	}
	// The file was made whole beside the log and linked into place: nothing
	// of that is left behind.
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[agg.ndjson agg.ndjson.lock]" {
		t.Errorf("directory holds %v", names)
	}
}
