package ndjson

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Range is a run of whole lines of a source, as a Scan cut them: Len bytes
// from Off (a Chunk's Offset and the length of its Data).
type Range struct{ Off, Len int64 }

// ErrSourceChanged is returned by Reopen when the file at a source's path
// is not the file a Scan read, or is shorter than what it read.
var ErrSourceChanged = errors.New("no longer the file that was read")

// Reread is a source a Scan read, open again to read ranges of it.
type Reread struct {
	src *SourceStats
	f   *os.File
	buf []byte
}

// Reopen opens again the file src describes, which must be the one the Scan
// read: the same device and inode, and at least as long as it was. A log
// rotated away or truncated since gives ErrSourceChanged, and so does a
// source read from stdin or gzip, which has no ranges; a caller can read
// the whole log again instead. Once open, the file read is the one checked,
// whatever happens to its path.
func Reopen(src *SourceStats) (*Reread, error) {
	if !src.file.ok {
		return nil, fmt.Errorf("%s: %w", src.Path, ErrSourceChanged)
	}
	f, fi, err := openRegularStat(src.Path)
	if err != nil {
		return nil, err
	}
	if identOf(fi) != src.file || fi.Size() < src.Bytes {
		f.Close()
		return nil, fmt.Errorf("%s: %w", src.Path, ErrSourceChanged)
	}
	return &Reread{src: src, f: f}, nil
}

// Lines reads ranges, in order, and calls fn with each line that is not
// blank, as Chunk.Lines does. A range past what the Scan read is an error,
// and so is a file that shrank since Reopen.
func (r *Reread) Lines(ranges []Range, fn func(line []byte)) error {
	path := r.src.Path
	for _, rg := range ranges {
		if rg.Off < 0 || rg.Len < 0 || rg.Off+rg.Len > r.src.Bytes {
			return fmt.Errorf("%s: range %d+%d outside the %d bytes read", path, rg.Off, rg.Len, r.src.Bytes)
		}
		if int64(cap(r.buf)) < rg.Len {
			r.buf = make([]byte, rg.Len)
		}
		buf := r.buf[:rg.Len]
		if _, err := r.f.ReadAt(buf, rg.Off); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%s: truncated while read", path)
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		c := Chunk{Path: path, Data: buf, AtStart: rg.Off == 0}
		c.Lines(func(_ int64, line []byte) { fn(line) })
	}
	return nil
}

// Close closes the file.
func (r *Reread) Close() error { return r.f.Close() }
