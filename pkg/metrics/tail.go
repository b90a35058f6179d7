package metrics

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/synclog/synclog/pkg/ndjson"
)

// readSize is how much a poll reads at a time.
const readSize = 256 << 10

// MaxLine bounds a line the tailer buffers while it waits for its newline;
// a longer line is skipped as one invalid line.
const MaxLine = 64 << 20

var bom = []byte{0xEF, 0xBB, 0xBF}

// Tailer follows one event log as it grows, counting every complete line
// into Counts once. It keeps the file open between polls, so rows appended
// to a log just before it is rotated are still read from the old file; it
// starts the new file from its beginning when the path names another file
// (rotation) or the file shrank below the offset (truncation). A last line
// without its newline is left for a later poll.
type Tailer struct {
	Path   string
	Counts *Counts

	mu        sync.Mutex
	f         *os.File
	info      os.FileInfo
	offset    int64 // end of the last complete line read
	atStart   bool  // offset is 0 of the current file: a BOM may follow
	skipping  bool  // inside an over-long line, up to its newline
	parser    *ndjson.Parser
	buf       []byte
	bytesRead int64
	rotations int64
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

// Rotations is how many times a poll started a new file (rotation or
// truncation).
func (t *Tailer) Rotations() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rotations
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
	if t.f != nil {
		// The rest of the file we have open first: a rotation may have
		// moved it away after rows were appended to it.
		if err := t.readToEnd(); err != nil {
			return err
		}
	}
	cur, err := os.Stat(t.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // rotated away and not yet recreated, or never written
	}
	if err != nil {
		return err
	}
	if !cur.Mode().IsRegular() {
		return &fs.PathError{Op: "tail", Path: t.Path, Err: errors.New("not a regular file")}
	}
	switch {
	case t.f == nil:
		return t.open()
	case !os.SameFile(t.info, cur):
		t.rotations++
		return t.open()
	}
	// Same file: shrunk below what we read means it was truncated.
	if st, err := t.f.Stat(); err == nil && st.Size() < t.offset {
		t.rotations++
		t.offset, t.atStart, t.skipping = 0, true, false
		return t.readToEnd()
	}
	return nil
}

// open starts the file at t.Path from its beginning.
func (t *Tailer) open() error {
	if t.f != nil {
		_ = t.f.Close()
		t.f = nil
	}
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
	t.offset, t.atStart, t.skipping = 0, true, false
	return t.readToEnd()
}

// readToEnd counts the complete lines from the offset to the end of the
// open file and moves the offset past them.
func (t *Tailer) readToEnd() error {
	pending := t.buf[:0] // the start of a line not yet complete, then what was read
	defer func() {
		// A buffer grown for one over-long line is not kept.
		if cap(pending) > 4*readSize {
			pending = nil
		}
		t.buf = pending[:0]
	}()
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
