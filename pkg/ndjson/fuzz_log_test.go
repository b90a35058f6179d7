package ndjson

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
)

// hugeLine is the size of the very long line a whole-log fuzz input may
// carry: 10 MB, ten times ChunkSize.
const hugeLine = 10 << 20

// Flags of FuzzLog's flags byte.
const (
	logBOM       = 1 << iota // the log starts with a byte order mark
	logHuge                  // a 10 MB line in the middle
	logHugeValid             // ... which is a valid row (else garbage)
	logNoFinalNL             // the last line has no newline
	logRaw                   // the fuzz recipe's own bytes are lines of the log too
)

// logLine is one line FuzzLog can put in a log, and what a reader must make
// of it.
type logLine struct {
	text string
	kind int // 0 good, 1 bad, 2 blank
}

var logLines = []logLine{
	{row(), 0},
	{row() + "\r", 0}, // CRLF
	{"", 2},
	{" \t ", 2},
	{row("repo", "\"a\x00b\""), 1},   // NUL
	{row("repo", "\"\xff\xfe\""), 1}, // invalid UTF-8
	{"not json at all", 1},
	{row()[:len(row())/2], 1}, // torn
	{row("repo", `"`+strings.Repeat("long", 4<<10)+`"`), 0}, // 16 KB
	{"[]", 1},
	{`{"ts":"2026-04-16T19:10:38Z"}`, 1}, // missing keys
	{"\r", 2},
	{row("ts", `"2026-04-16T19:10:38+05:45"`, "status", `"error"`, "error", `"x"`), 0},
	{"\x00\x00\x00", 1},
	{"\xEF\xBB\xBF" + row(), 1}, // a BOM that does not start the log
}

// The 10 MB lines, made once: a valid row with a 10 MB error, and garbage.
var (
	hugeRow     = sync.OnceValue(func() string { return row("error", `"`+strings.Repeat("e", hugeLine)+`"`) })
	hugeGarbage = sync.OnceValue(func() string { return strings.Repeat("\xff{", hugeLine/2) })
)

// chunkedReader returns data in reads of random sizes, from one byte up.
type chunkedReader struct {
	data []byte
	rng  *rand.Rand
	max  int
	peak *uint64
	n    int
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() uint64 {
	metrics.Read(heapSample)
	return heapSample[0].Value.Uint64()
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.n++; r.n%16 == 0 {
		if h := heapBytes(); h > *r.peak {
			*r.peak = h
		}
	}
	n := min(len(p), len(r.data), 1+r.rng.IntN(r.max))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// FuzzLog reads whole logs built from a recipe: valid rows, CRLF, blank and
// whitespace lines, NUL bytes, invalid UTF-8, torn rows, a BOM, a 10 MB
// line, a last line without its newline and the recipe's own bytes, read
// through stdin in reads of random sizes. Pass: no panic; good + skipped +
// blank lines (+ the unterminated last one) = all lines, and each count is
// what the recipe put in; the heap a scan adds stays within a bound set by
// the longest line and the chunk size, not by the log's length.
func FuzzLog(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, uint64(1), byte(logBOM))
	f.Add([]byte{0, 0, 7, 0}, uint64(7), byte(logHuge|logHugeValid|logNoFinalNL))
	f.Add([]byte{5, 4, 2, 0}, uint64(99), byte(logHuge|logBOM))
	f.Add([]byte("{\"ts\":1}\n\r\n\xff"), uint64(3), byte(logRaw|logNoFinalNL))
	f.Add([]byte{2, 3, 11}, uint64(0), byte(logBOM|logNoFinalNL))
	f.Fuzz(func(t *testing.T, recipe []byte, seed uint64, flags byte) {
		if len(recipe) > 4096 {
			recipe = recipe[:4096]
		}
		var b bytes.Buffer
		if flags&logHuge != 0 {
			b.Grow(hugeLine + 64<<10)
		}
		var good, bad, blank int64
		if flags&logBOM != 0 {
			b.WriteString("\xEF\xBB\xBF")
		}
		longest, lastAdded := 0, -1
		add := func(text string, kind int) {
			lastAdded = kind
			b.WriteString(text)
			b.WriteByte('\n')
			longest = max(longest, len(text)+1)
			switch kind {
			case 0:
				good++
			case 1:
				bad++
			default:
				blank++
			}
		}
		for i, c := range recipe {
			l := logLines[int(c)%len(logLines)]
			if i == 0 && flags&logBOM == 0 && strings.HasPrefix(l.text, "\xEF\xBB\xBF") {
				l.kind = 0 // this BOM starts the log
			}
			add(l.text, l.kind)
			if i == len(recipe)/2 && flags&logHuge != 0 {
				if flags&logHugeValid != 0 {
					add(hugeRow(), 0)
				} else {
					add(hugeGarbage(), 1)
				}
			}
		}
		raw := flags&logRaw != 0
		if raw {
			b.Write(recipe)
			b.WriteByte('\n')
			longest = max(longest, len(recipe)+1)
			lastAdded = -1
		}
		partial := false
		content := b.Bytes()
		if flags&logNoFinalNL != 0 && len(content) > 0 && content[len(content)-1] == '\n' {
			content = content[:len(content)-1]
			last := content[bytes.LastIndexByte(content, '\n')+1:]
			if len(bytes.Trim(bytes.TrimPrefix(last, bom), " \t\r")) > 0 {
				partial = true
				switch lastAdded {
				case 0:
					good--
				case 1:
					bad--
				}
			} else if lastAdded == 2 && len(bytes.TrimPrefix(last, bom)) == 0 {
				// An empty last line loses its only byte with the newline:
				// it is no line at all (nor is the BOM that starts a log
				// and ends it). A whitespace one is still a blank line.
				blank--
			}
		}

		rng := rand.New(rand.NewPCG(seed, seed>>32))
		maxRead := 1 << (seed % 17) // reads of 1 byte up to 64 KiB
		if len(content) > 1<<20 {
			maxRead = max(maxRead, 4<<10)
		}
		runtime.GC()
		base := heapBytes()
		peak := base
		in := &chunkedReader{data: content, rng: rng, max: maxRead, peak: &peak}
		var rows int64
		st, err := ReadEvents(context.Background(), []string{"-"},
			ReadOptions{ScanOptions: ScanOptions{Stdin: in, Workers: 1 + int(seed%3)}, KeepExtra: true},
			func(*Row) error { rows++; return nil })
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if h := heapBytes(); h > peak {
			peak = h
		}
		src := st.Sources[0]
		all := src.Rows + src.Skipped + src.Blank
		if src.Partial {
			all++
		}
		if want := countLines(content); all != want {
			t.Fatalf("good %d + skipped %d + blank %d + partial %v = %d, want all %d lines", src.Rows, src.Skipped, src.Blank, src.Partial, all, want)
		}
		if rows != src.Rows || src.Bytes != int64(len(content)) {
			t.Fatalf("%d rows passed on, %d counted; %d bytes read of %d", rows, src.Rows, src.Bytes, len(content))
		}
		if !raw && (src.Rows != good || src.Skipped != bad || src.Blank != blank || src.Partial != partial) {
			t.Fatalf("good %d, skipped %d, blank %d, partial %v; the recipe has %d, %d, %d, %v",
				src.Rows, src.Skipped, src.Blank, src.Partial, good, bad, blank, partial)
		}
		if ex := expect(content); src.Rows != ex.good || src.Skipped != int64(len(ex.bad)) || src.Blank != ex.blank || src.Partial != ex.partial {
			t.Fatalf("good %d, skipped %d, blank %d, partial %v; line by line %d, %d, %d, %v",
				src.Rows, src.Skipped, src.Blank, src.Partial, ex.good, len(ex.bad), ex.blank, ex.partial)
		}
		// A scan holds the line it carries (twice while it grows), the chunk
		// buffers in the workers' queues (ChunkSize and more each) and what
		// it parsed of one chunk; with the log and its copies the test holds
		// (base), that is what is live, and the collector lets the heap grow
		// to twice what is live before it collects.
		live := int64(base) + int64(3*longest) + 24*ChunkSize
		grown, bound := int64(peak)-int64(base), 2*live-int64(base)
		if longest > ChunkSize {
			t.Logf("%d bytes, longest line %d: the heap grew by %d MB from %d MB (bound %d MB)", len(content), longest, grown>>20, base>>20, bound>>20)
		}
		if grown > bound {
			t.Fatalf("the scan grew the heap by %d MB for a longest line of %d bytes: over %d MB", grown>>20, longest, bound>>20)
		}
	})
}
