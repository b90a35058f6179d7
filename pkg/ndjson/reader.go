package ndjson

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// ChunkSize is the size of the blocks a Scan reads; a line longer than this
// spans blocks and is carried whole into one chunk.
const ChunkSize = 1 << 20

// MaxExamples bounds the skipped lines a SourceStats keeps for reporting.
const MaxExamples = 20

var bom = []byte{0xEF, 0xBB, 0xBF}

// Skip records one line that is not a valid row.
type Skip struct {
	Path   string
	Line   int64
	Reason Reason
	Msg    string
}

func (s Skip) String() string { return fmt.Sprintf("%s:%d: %s", s.Path, s.Line, s.Msg) }

// SourceStats counts what a scan saw in one source.
type SourceStats struct {
	Path      string
	Rows      int64            // valid rows
	Skipped   int64            // lines that are not valid rows
	Blank     int64            // empty or whitespace-only lines, not counted as rows or skips
	ByReason  map[Reason]int64 // skipped lines per reason
	Examples  []Skip           // the first MaxExamples skipped lines
	Partial   bool             // the source ends in an unterminated line (a write in flight)
	Bytes     int64            // bytes read, decompressed
	LastLine  int64            // number of the last complete line
	Truncated bool             // reserved: a source that shrank while read
	// file is the file read, when the source was one read as it is (not
	// stdin, not gzip): Reopen opens it again to read its chunks again.
	file fileIdent
}

// fileIdent is a file's device and inode.
type fileIdent struct {
	dev, ino uint64
	ok       bool
}

// Stats is the outcome of a scan over every source.
type Stats struct {
	Sources []*SourceStats
}

// Rows is the total of valid rows.
func (s *Stats) Rows() int64 {
	var n int64
	for _, src := range s.Sources {
		n += src.Rows
	}
	return n
}

// Skipped is the total of skipped lines.
func (s *Stats) Skipped() int64 {
	var n int64
	for _, src := range s.Sources {
		n += src.Skipped
	}
	return n
}

// Examples returns up to max skipped lines over all sources, in order.
func (s *Stats) Examples(max int) []Skip {
	var out []Skip
	for _, src := range s.Sources {
		for _, ex := range src.Examples {
			if len(out) == max {
				return out
			}
			out = append(out, ex)
		}
	}
	return out
}

// Chunk is a run of whole lines from one source.
type Chunk struct {
	Path      string
	FirstLine int64  // number of the first line in Data, set by Scan before work sees the chunk (1 with RelativeLines)
	Data      []byte // whole lines, each ending in '\n'
	AtStart   bool   // Data begins at the start of its source
	// Offset is where Data starts in its source, for a file read as it is
	// (not stdin, not gzip), which Reopen can read again; else -1.
	Offset int64
	// Source is the index of the chunk's source in the paths Scan was
	// given, and in Stats.Sources.
	Source int
	// lines is the number of lines in Data, once Lines has gone through
	// them (counted).
	lines   int64
	counted bool
}

// Lines calls fn with each line of c that is not blank, without its line
// terminator ("\n" or "\r\n") and without a leading BOM, and returns the
// number of blank lines seen.
func (c *Chunk) Lines(fn func(line int64, b []byte)) (blank int64) {
	data := c.Data
	if c.AtStart {
		data = bytes.TrimPrefix(data, bom)
	}
	n := c.FirstLine
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if isBlank(line) {
			blank++
		} else {
			fn(n, line)
		}
		n++
	}
	c.lines, c.counted = n-c.FirstLine, true
	return blank
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// ChunkStats is what the worker of one chunk counted.
type ChunkStats struct {
	Rows, Skipped, Blank int64
	ByReason             map[Reason]int64
	Examples             []Skip
}

// Skip counts a skipped line.
func (cs *ChunkStats) Skip(path string, line int64, err error) {
	cs.Skipped++
	var re *RowError
	reason := ReasonInvalidJSON
	msg := err.Error()
	if errors.As(err, &re) {
		reason = re.Reason
	}
	if cs.ByReason == nil {
		cs.ByReason = make(map[Reason]int64, 4)
	}
	cs.ByReason[reason]++
	if len(cs.Examples) < MaxExamples {
		cs.Examples = append(cs.Examples, Skip{Path: path, Line: line, Reason: reason, Msg: msg})
	}
}

// ScanOptions tunes a scan.
type ScanOptions struct {
	// Workers run the per-chunk work; 0 means GOMAXPROCS.
	Workers int
	// Stdin is read for the path "-".
	Stdin io.Reader
	// RelativeLines spares the count of each chunk's lines that numbers
	// them before work runs: work sees FirstLine 1 in every chunk, must
	// number lines only through its ChunkStats (Skip), whose lines Scan
	// makes absolute as it merges, and should read the chunk with Lines,
	// which counts its lines as it goes (else Scan counts them after work).
	RelativeLines bool
	// OnProgress, when set, is called from the reading goroutine with the
	// bytes of the sources read so far, as they are on disk (compressed
	// bytes for .gz sources), so that it reaches the sum of their sizes.
	OnProgress func(read int64)
}

// Scan reads every source in order, cuts it into chunks of whole lines,
// runs work on the chunks in parallel and calls merge with the results in
// source and line order, on one goroutine. The line a source ends with
// without a newline is a write in flight: it is not passed on, and the
// source is marked Partial. Memory is bounded by a few chunks per worker.
func Scan[R any](ctx context.Context, paths []string, opts ScanOptions,
	work func(c *Chunk, st *ChunkStats) R, merge func(R) error) (*Stats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	stats := &Stats{}
	type job struct {
		seq   int
		src   *SourceStats
		chunk *Chunk
		done  chan struct{}
		res   R
		cs    ChunkStats
		// Lines are counted by the workers rather than the reader, which
		// only cuts chunks: prev is the source's chunk before this one, and
		// counted is closed once lines holds the number of lines in this
		// chunk and its FirstLine is set.
		prev    *job
		lines   int64
		counted chan struct{}
	}
	jobs := make(chan *job, workers*2)
	ordered := make(chan *job, workers*2)
	// Buffers go back to the reader once merged: a few chunks per worker
	// are ever in flight, so a scan of any size reuses the same few
	// buffers and never faults in fresh memory for each chunk.
	free := make(chan []byte, workers*4+4)

	// Reader: one goroutine cuts sources into chunks.
	var readErr error
	go func() {
		defer close(jobs)
		defer close(ordered)
		seq := 0
		var raw int64 // bytes of the sources read, as on disk
		for i, path := range paths {
			src := &SourceStats{Path: path}
			stats.Sources = append(stats.Sources, src)
			var prev *job
			err := readSource(ctx, path, opts.Stdin, src, &raw, func(c *Chunk) bool {
				c.Source = i
				j := &job{seq: seq, src: src, chunk: c, done: make(chan struct{}), prev: prev, counted: make(chan struct{})}
				seq++
				prev = j
				select {
				case ordered <- j:
				case <-ctx.Done():
					putBuf(c.Data) // no job holds it
					return false
				}
				select {
				case jobs <- j:
				case <-ctx.Done():
					close(j.done) // queued for the merger, never for a worker
					return false
				}
				if opts.OnProgress != nil {
					opts.OnProgress(raw)
				}
				return true
			}, free)
			if err != nil {
				readErr = err
				cancel(err)
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				// Number the chunk's lines: count them, in parallel with
				// the other workers, then wait for the chunk before, which
				// a worker took earlier, to be counted too.
				c := j.chunk
				if opts.RelativeLines {
					c.FirstLine, j.prev = 1, nil
					close(j.counted)
					if ctx.Err() == nil {
						j.res = work(c, &j.cs)
						if !c.counted {
							c.lines = int64(bytes.Count(c.Data, newline))
						}
						j.lines = c.lines
					}
					close(j.done)
					continue
				}
				if ctx.Err() == nil {
					j.lines = int64(bytes.Count(c.Data, newline))
				}
				c.FirstLine = 1
				if j.prev != nil {
					<-j.prev.counted
					c.FirstLine = j.prev.chunk.FirstLine + j.prev.lines
					// Let go of the chunk before, or every job of the
					// source, and its result, would stay reachable.
					j.prev = nil
				}
				close(j.counted)
				if ctx.Err() == nil {
					j.res = work(j.chunk, &j.cs)
				}
				close(j.done)
			}
		}()
	}

	var mergeErr error
	var stuck *job // the job the merge loop stopped at; its worker may still run
	for j := range ordered {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			stuck = j
			break
		}
		src := j.src
		first := j.chunk.FirstLine
		if opts.RelativeLines {
			first = src.LastLine + 1
			for k := range j.cs.Examples {
				j.cs.Examples[k].Line += first - 1
			}
		}
		src.LastLine = first + j.lines - 1
		src.Rows += j.cs.Rows
		src.Skipped += j.cs.Skipped
		src.Blank += j.cs.Blank
		for r, n := range j.cs.ByReason {
			if src.ByReason == nil {
				src.ByReason = make(map[Reason]int64)
			}
			src.ByReason[r] += n
		}
		for _, ex := range j.cs.Examples {
			if len(src.Examples) < MaxExamples {
				src.Examples = append(src.Examples, ex)
			}
		}
		buf := j.chunk.Data
		if err := merge(j.res); err != nil {
			mergeErr = err
			cancel(err)
			stuck = j
			break
		}
		select {
		case free <- buf[:0]:
		default:
			putBuf(buf)
		}
	}
	// Drain so the reader and workers can finish, then give every buffer
	// back to the pool: no work and no merge holds one any more.
	for j := range ordered {
		<-j.done
		putBuf(j.chunk.Data)
	}
	wg.Wait()
	if stuck != nil {
		putBuf(stuck.chunk.Data)
	}
	for len(free) > 0 {
		putBuf(<-free)
	}
	if mergeErr != nil {
		return stats, mergeErr
	}
	if readErr != nil {
		return stats, readErr
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return stats, err
	}
	return stats, ctx.Err()
}

// readSource reads one source and emits chunks of whole lines.
func readSource(ctx context.Context, path string, stdin io.Reader, src *SourceStats, raw *int64,
	emit func(*Chunk) bool, free chan []byte) error {
	var r io.Reader
	if path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		r = stdin
	} else {
		f, fi, err := openRegularStat(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
		src.file = identOf(fi)
	}
	br := bufio.NewReaderSize(&countingReader{r: r, n: raw}, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
		src.file = fileIdent{}
	} else {
		r = br
	}

	atStart := true
	var off int64 // where buf starts in the source
	var carry []byte
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		buf := getBuf(free, len(carry)+ChunkSize)
		buf = append(buf, carry...)
		n, err := io.ReadFull(r, buf[len(buf):len(buf)+ChunkSize])
		buf = buf[:len(buf)+n]
		src.Bytes += int64(n)
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			putBuf(buf)
			return fmt.Errorf("%s: %w", path, err)
		}
		cut := bytes.LastIndexByte(buf, '\n') + 1
		carry = append(carry[:0], buf[cut:]...)
		if cut == 0 {
			putBuf(buf) // all of it is in carry now
		}
		if cut > 0 {
			c := &Chunk{Path: path, Data: buf[:cut], AtStart: atStart, Offset: -1}
			if src.file.ok {
				c.Offset = off
			}
			off += int64(cut)
			atStart = false
			if !emit(c) {
				return nil
			}
		} else if !eof {
			// A line longer than the buffer: keep growing the carry.
			continue
		}
		if eof {
			rest := carry
			if atStart {
				rest = bytes.TrimPrefix(rest, bom)
			}
			if len(rest) > 0 && !isBlank(rest) {
				src.Partial = true
			} else if len(rest) > 0 {
				// A blank last line without its newline is counted as blank, like
				// any other: pass it on as a line of its own.
				emit(&Chunk{Path: path, Data: append(carry, '\n'), AtStart: atStart, Offset: -1})
			}
			return nil
		}
	}
}

var newline = []byte{'\n'}

// openRegular opens path for reading and refuses anything but a regular
// file, so a FIFO or a device never blocks a reader.
func openRegular(path string) (*os.File, error) {
	f, _, err := openRegularStat(path)
	return f, err
}

// openRegularStat is openRegular that also returns what the open file is.
func openRegularStat(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", path, describeMode(fi.Mode()))
	}
	return f, fi, nil
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return m.String()
}

// ExpandPaths resolves log patterns against root: relative patterns are
// joined to root, globs are expanded and sorted, and a pattern without glob
// characters is kept as it is even when the file does not exist (so the
// error names it). "-" stands for stdin. Duplicates are dropped.
func ExpandPaths(root string, patterns []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, pat := range patterns {
		if pat == "-" {
			add(pat)
			continue
		}
		if !filepath.IsAbs(pat) && root != "" {
			pat = filepath.Join(root, pat)
		}
		if !strings.ContainsAny(pat, "*?[") {
			add(pat)
			continue
		}
		matches, err := filepath.Glob(pat)
		if err != nil {
			return nil, fmt.Errorf("log pattern %q: %w", pat, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("log pattern %q matches no file", pat)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if strings.HasSuffix(m, ".lock") {
				continue // the appender's sidecar lock file
			}
			add(m)
		}
	}
	return out, nil
}

// Row is one valid row with where it came from.
type Row struct {
	Path  string
	Line  int64
	Event Event
}

// ReadOptions tunes ReadEvents.
type ReadOptions struct {
	ScanOptions
	KeepExtra bool
	KeepRawTS bool
	Lean      bool // see Parser.Lean
	// Filter, when set, drops rows before they are passed on; it runs on the
	// workers.
	Filter func(*Event) bool
}

// ReadEvents parses every source in parallel and calls fn with each valid
// row in order on one goroutine; lines that are not valid rows are counted
// in the returned Stats.
func ReadEvents(ctx context.Context, paths []string, opts ReadOptions, fn func(*Row) error) (*Stats, error) {
	parsers := sync.Pool{New: func() any {
		p := NewParser()
		p.KeepExtra, p.KeepRawTS, p.Lean = opts.KeepExtra, opts.KeepRawTS, opts.Lean
		return p
	}}
	return Scan(ctx, paths, opts.ScanOptions, func(c *Chunk, st *ChunkStats) []Row {
		p := parsers.Get().(*Parser)
		defer parsers.Put(p)
		rows := make([]Row, 0, len(c.Data)/256+1)
		st.Blank += c.Lines(func(n int64, line []byte) {
			rows = append(rows, Row{Path: c.Path, Line: n})
			r := &rows[len(rows)-1]
			if err := p.Parse(line, &r.Event); err != nil {
				rows = rows[:len(rows)-1]
				st.Skip(c.Path, n, err)
				return
			}
			st.Rows++
			if opts.Filter != nil && !opts.Filter(&r.Event) {
				rows = rows[:len(rows)-1]
			}
		})
		return rows
	}, func(rows []Row) error {
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// countingReader adds the bytes read through it to *n. Only the reading
// goroutine reads or writes *n.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
