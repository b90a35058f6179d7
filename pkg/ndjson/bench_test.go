package ndjson

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchLines is testdata/sample.ndjson split into lines (no newlines).
func benchLines(b *testing.B) [][]byte {
	b.Helper()
	data, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// BenchmarkParse measures the row parser alone, per mode the commands use.
func BenchmarkParse(b *testing.B) {
	lines := benchLines(b)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	for _, mode := range []struct {
		name                  string
		extra, keepRawT, lean bool
	}{{"plain", false, false, false}, {"keep", true, true, false}, {"lean", false, false, true}} {
		b.Run(mode.name, func(b *testing.B) {
			p := NewParser()
			p.KeepExtra, p.KeepRawTS, p.Lean = mode.extra, mode.keepRawT, mode.lean
			var e Event
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range lines {
					if err := p.Parse(l, &e); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkReadEvents measures a whole read of a ~40 MB log: chunking,
// parallel parsing and ordered delivery.
func BenchmarkReadEvents(b *testing.B) {
	data, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "log.ndjson")
	big := bytes.Repeat(data, 250) // 100k rows
	if err := os.WriteFile(path, big, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	for b.Loop() {
		var n int
		st, err := ReadEvents(context.Background(), []string{path}, ReadOptions{}, func(r *Row) error { n++; return nil })
		if err != nil || st.Skipped() != 0 || n != 100000 {
			b.Fatalf("rows %d, err %v", n, err)
		}
	}
}

// TestPlain8 checks the eight-byte test against the byte table on every
// byte value at every position, among plain neighbours of either kind.
func TestPlain8(t *testing.T) {
	for _, fill := range []byte{'a', 0xff, 0x80, 0x20, 0x7f} {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				want := true
				for _, x := range b {
					want = want && plainStr[x]
				}
				if got := plain8(binary.LittleEndian.Uint64(b[:])); got != want {
					t.Fatalf("plain8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

// TestControlBytes checks both string paths: a line without control bytes
// takes the vectorised one, a line with a tab between tokens the careful
// one, and a control byte inside a string is refused either way.
func TestControlBytes(t *testing.T) {
	ok := row("repo", `"a\tb"`)
	tabbed := strings.Replace(ok, `,"op"`, ",\t\"op\"", 1)
	for _, l := range []string{ok, tabbed} {
		var e Event
		if err := ParseEvent([]byte(l), &e); err != nil || e.Repo != "a\tb" || e.Op != "push" {
			t.Errorf("%q: %v %+v", l, err, e)
		}
	}
	for _, l := range []string{row("repo", "\"a\tb\""), strings.Replace(tabbed, `"a\tb"`, "\"a\x01b\"", 1)} {
		var e Event
		if err := ParseEvent([]byte(l), &e); err == nil {
			t.Errorf("%q: accepted a control byte in a string", l)
		}
	}
}
