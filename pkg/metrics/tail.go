package metrics

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/synclog/synclog/pkg/ndjson"
	"github.com/synclog/synclog/pkg/rotate"
)

// readSize is how much a poll reads at a time.
const readSize = 256 << 10

// MaxLine bounds a line the tailer buffers while it waits for its newline;
// a longer line is skipped as one invalid line.
const MaxLine = 64 << 20

var bom = []byte{0xEF, 0xBB, 0xBF}

// beforeStat, when set by a test, runs in Poll just before it looks at the
// path.
var beforeStat func()

// Tailer follows one event log as it grows, counting every complete line
// into Counts once. It keeps the file open between polls. When the path
// names another file (rotation), it first reads the old file to its end
// through the open descriptor (rows appended just before the rotation),
// then goes on in the new one: after the rows a rotation by synclog rotate
// kept, which it counted in the old file already (see rotate.Handoff), or
// from its start after any other replacement. A file that shrank below the
// offset (truncation) is read again from its start. A last line without its
// newline is left for a later poll.
type Tailer struct {
	Path   string
	Counts *Counts

	mu        sync.Mutex
	f         *os.File
	info      os.FileInfo
	offset    int64  // end of the last complete line read
	pending   []byte // read past offset: the start of a line without its newline yet
	atStart   bool   // offset is 0 of the current file: a BOM may follow
	skipping  bool   // inside an over-long line, up to its newline
	parser    *ndjson.Parser
	buf       []byte
	bytesRead int64
	rotations int64
	handoffs  int64
}

// NewTailer returns a tailer of path counting into c. Nothing is read
// until the first Poll.
func NewTailer(path string, c *Counts) *Tailer {
	p := ndjson.NewParser()
	p.Lean = true
	return &Tailer{Path: path, Counts: c, parser: p}
}

// BytesRead is how many bytes the polls have read from the log files.
func (t *Tailer) BytesRead() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytesRead
}

// Rotations is how many times a poll found a new file at the path or the
// file truncated.
func (t *Tailer) Rotations() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rotations
}

// Handoffs is how many of the rotations were by synclog rotate and went on
// after the rows it kept rather than from the new file's start.
func (t *Tailer) Handoffs() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.handoffs
}

// Close closes the open log file.
func (t *Tailer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// Poll reads what was appended since the last poll. A log that does not
// exist yet is not an error: it has no rows.
func (t *Tailer) Poll() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return t.open(nil)
	}
	if beforeStat != nil {
		beforeStat()
	}
	cur, err := os.Stat(t.Path)
	if err == nil && !cur.Mode().IsRegular() {
		err = &fs.PathError{Op: "tail", Path: t.Path, Err: errors.New("not a regular file")}
	}
	if err != nil || !os.SameFile(t.info, cur) {
		// Whatever is at the path now, the file we have open may hold
		// rows appended before it was moved away. It is read to its end
		// only now that it is no longer the log: appenders write to the
		// file at the path (under the lock a rotation holds until it has
		// replaced it), so nothing follows what this read finds.
		if rerr := t.readToEnd(); rerr != nil {
			return rerr
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // rotated away and not yet recreated
		}
		if err != nil {
			return err
		}
		t.rotations++
		return t.open(t.info)
	}
	// Same file: shrunk below what we read means it was truncated.
	if st, err := t.f.Stat(); err == nil && st.Size() < t.offset+int64(len(t.pending)) {
		t.rotations++
		t.restart(0)
	}
	return t.readToEnd()
}

// restart reads the current file from offset on.
func (t *Tailer) restart(offset int64) {
	t.offset, t.atStart, t.skipping = offset, offset == 0, false
	t.pending = t.pending[:0]
}

// open starts the file at t.Path. After old, the file it replaced and that
// the tailer read to its end, it starts where the handoff of a rotation
// says the rows not yet counted start; otherwise at the beginning.
func (t *Tailer) open(old os.FileInfo) error {
	if t.f != nil {
		_ = t.f.Close()
		t.f = nil
	}
	t.restart(0)
	f, err := os.Open(t.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	t.f, t.info = f, info
	if old != nil {
		// The file just opened, not the one stat saw: another rotation
		// may have come between.
		if h, err := rotate.ReadHandoff(t.Path); err == nil {
			if off, ok := h.Resume(old, info); ok {
				t.handoffs++
				t.restart(off)
			}
		}
	}
	return t.readToEnd()
}

// readToEnd counts the complete lines from the offset to the end of the
// open file and moves the offset past them. A line without its newline yet
// is kept in pending, so the next poll reads only what follows it.
func (t *Tailer) readToEnd() error {
	pending := append(t.buf[:0], t.pending...) // the start of a line not yet complete, then what was read
	defer func() {
		// A buffer grown for one long line is not kept, nor is a long
		// line without its newline: the next poll reads it again.
		if cap(pending) > 4*readSize {
			pending = nil
		}
		if len(t.pending) > readSize {
			t.pending = nil
		}
		t.buf = pending[:0]
	}()
	t.pending = t.pending[:0]
	for {
		if cap(pending)-len(pending) < readSize {
			grown := make([]byte, len(pending), 2*cap(pending)+readSize)
			copy(grown, pending)
			pending = grown
		}
		start := len(pending)
		n, err := t.f.ReadAt(pending[start:start+readSize], t.offset+int64(start))
		t.bytesRead += int64(n)
		pending = pending[:start+n]
		if i := bytes.LastIndexByte(pending[start:], '\n'); i >= 0 {
			end := start + i + 1
			t.lines(pending[:end])
			t.offset += int64(end)
			pending = pending[:copy(pending, pending[end:])]
		}
		if len(pending) > MaxLine {
			// Count the over-long line once and drop what was read of it.
			if !t.skipping {
				t.Counts.AddSkipped(1)
				t.skipping = true
			}
			t.offset += int64(len(pending))
			pending = pending[:0]
		}
		if err == io.EOF || n == 0 {
			t.pending = append(t.pending, pending...)
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lines counts each line of data, which ends in a newline.
func (t *Tailer) lines(data []byte) {
	if t.atStart {
		data = bytes.TrimPrefix(data, bom)
		t.atStart = false
	}
	var ev ndjson.Event
	c := t.Counts
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := data[:i]
		data = data[i+1:]
		if t.skipping {
			// The tail of an over-long line already counted.
			t.skipping = false
			continue
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if isBlank(line) {
			continue
		}
		if err := t.parser.Parse(line, &ev); err != nil {
			c.skipped++
			continue
		}
		c.add(&ev)
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
