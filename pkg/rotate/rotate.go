// Package rotate moves old rows of the sync-event log into monthly gzip
// archives beside it, without losing a row that a concurrent appender writes.
//
// A rotation stages every new file as a temporary file in the log's
// directory: each archive it touches (the old archive followed by a new gzip
// member) and the new active log. It reads the log in two passes: the first
// without the appender's lock (ndjson.Appender.Lock), the second, under it,
// over what was appended meanwhile; it keeps the lock until the end, so no
// row is appended to a log about to be replaced. With every staged file
// fsynced, it commits by writing a journal atomically, and only then renames
// the archives and, last, the log into place. A crash before the commit
// leaves the old files alone (the next rotation removes the temporary
// files); a crash after it leaves a journal that the next rotation finishes
// first: it renames what was not renamed yet, and carries the rows appended
// to the old log since the crash into the new one. So a crash never loses a
// row, and never leaves one in both an archive and the log once the next
// rotation has run. Rotations take turns on a lock of their own.
//
// Before it renames the new log into place, a rotation writes a handoff
// beside the log (see Handoff): which file replaced which, and how much of
// the new log is rows already in the old one, so a reader that follows the
// log by offset does not count them twice.
package rotate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Options say what to rotate.
type Options struct {
	// Log is the active log file.
	Log string
	// Before is the cutoff: valid rows whose ts is before it move.
	Before time.Time
	// DryRun reads the log and reports what would move, changing nothing
	// and taking no lock.
	DryRun bool
	// LockTimeout bounds the wait for the log's lock; 0 means 5s.
	LockTimeout time.Duration
}

// Archive is one monthly archive a rotation appends to.
type Archive struct {
	Path  string
	Month string // UTC, 2006-01
	Rows  int64  // rows moved into it by this rotation
}

// Result says what a rotation did, or would do.
type Result struct {
	Archives []Archive // by month
	Moved    int64     // rows moved to the archives
	Kept     int64     // valid rows kept in the log
	Blank    int64     // blank lines kept in the log
	// Bad counts the lines that are not valid rows, kept in the log;
	// Examples names the first ndjson.MaxExamples of them.
	Bad      int64
	Examples []ndjson.Skip
	// Torn is set when the log ends in a line without its newline (a write
	// that died, or one in flight): it is kept as it is, at the end.
	Torn bool
	// Recovered is set when an interrupted rotation was finished first;
	// Pending, on a dry run, when one would be.
	Recovered, Pending bool
}

// ArchivePath is the archive beside log for the UTC month of t:
// sync-events.ndjson gives sync-events-2026-03.ndjson.gz; a log without the
// .ndjson extension gets the month and .gz after its name.
func ArchivePath(log string, t time.Time) string {
	month := t.UTC().Format("2006-01")
	if stem, ok := strings.CutSuffix(log, ".ndjson"); ok {
		return stem + "-" + month + ".ndjson.gz"
	}
	return log + "-" + month + ".gz"
}

// crashAt, when set by a test, is asked at each step whether the process
// "dies" there: Rotate then returns errCrash at once, cleaning up nothing.
var crashAt func(point string) bool

var errCrash = errors.New("simulated crash")

func crash(point string) bool { return crashAt != nil && crashAt(point) }

// Rotate moves the valid rows of opts.Log older than opts.Before into
// monthly gzip archives and keeps the rest, lines that are not valid rows
// included, in the log.
func Rotate(ctx context.Context, opts Options) (*Result, error) {
	if opts.Log == "" {
		return nil, errors.New("rotate: no log")
	}
	res := &Result{}
	if opts.DryRun {
		if _, err := os.Lstat(journalPath(opts.Log)); err == nil {
			res.Pending = true
		}
		f, err := openLog(opts.Log)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sp := newSplitter(opts.Log, opts.Before, res, nil)
		if _, err := sp.feed(f, true); err != nil {
			return res, err
		}
		sp.done()
		return res, nil
	}

	// A missing log is named as such, not as a lock file that cannot be made.
	if _, err := os.Lstat(opts.Log); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", opts.Log)
	}
	// A log its writers may not write is not rotated: record could not
	// append to it either, and the new log would keep its mode. Refused
	// before anything is written, naming the log.
	if err := writable(opts.Log); err != nil {
		return nil, fmt.Errorf("rotate %s: %w", opts.Log, err)
	}
	// Rotations take turns on a lock of their own, held throughout; the
	// appender's lock is held only while a rotation changes files and
	// while it reads what was appended since its first pass.
	unlockRotate, err := (&ndjson.Appender{Path: rotateLockBase(opts.Log), LockTimeout: opts.LockTimeout}).Lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlockRotate()
	lock := func() (func(), error) {
		return (&ndjson.Appender{Path: opts.Log, LockTimeout: opts.LockTimeout}).Lock(ctx)
	}
	unlock, err := lock()
	if err != nil {
		return nil, err
	}
	recovered, err := recoverJournal(opts.Log)
	if err == nil {
		err = removeTemps(opts.Log)
	}
	unlock()
	if err != nil {
		return nil, err
	}
	res.Recovered = recovered
	if crash("start") {
		return nil, errCrash
	}
	j, unlock, err := stage(opts.Log, opts.Before, res, lock)
	if unlock != nil {
		defer unlock()
	}
	if err != nil || j == nil {
		return res, err
	}
	if crash("staged") {
		return nil, errCrash
	}
	// The commit point: once the journal is in place, the rotation happens,
	// now or at the next run.
	jb, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	if err := ndjson.WriteFileAtomic(journalPath(opts.Log), jb, 0o600); err != nil {
		removeStaged(opts.Log, j)
		return nil, fmt.Errorf("rotate %s: write journal: %w", opts.Log, err)
	}
	if crash("committed") {
		return nil, errCrash
	}
	if err := apply(opts.Log, j); err != nil {
		return nil, err
	}
	return res, nil
}

// journal is a committed rotation: the staged files and where they go.
type journal struct {
	// LogSize is the size of the log the new log was made from: whatever
	// follows it in the log was appended later and is carried over.
	LogSize int64 `json:"log_size"`
	// NewLog is the staged log (a base name in the log's directory) and
	// NewLogSize its size as staged.
	NewLog     string `json:"new_log"`
	NewLogSize int64  `json:"new_log_size"`
	// Archives maps each staged archive to the archive it replaces.
	Archives []journalArchive `json:"archives"`
	// Ancestors are the older logs a follower may have read to their end
	// before this log, and where it continues in the new log.
	Ancestors []ancestor `json:"ancestors,omitempty"`
}

type journalArchive struct {
	Staged string `json:"staged"`
	Path   string `json:"path"`
}

// rotateLockBase names the lock rotations take turns on:
// .sync-events.ndjson.rotate.lock beside the log.
func rotateLockBase(log string) string {
	return filepath.Join(filepath.Dir(log), "."+filepath.Base(log)+".rotate")
}

func journalPath(log string) string {
	return filepath.Join(filepath.Dir(log), "."+filepath.Base(log)+".rotate-journal")
}

// tempPrefix starts the name of every file a rotation stages. It begins
// with a dot so that a glob of the log's name (sync-events*) never sees it.
func tempPrefix(log string) string { return "." + filepath.Base(log) + ".rotate-tmp-" }

// removeTemps removes files staged by a rotation that died before its
// commit (or left behind after one it finished).
func removeTemps(log string) error {
	dir := filepath.Dir(log)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	prefix := tempPrefix(log)
	jtmp := "." + filepath.Base(journalPath(log)) + ".tmp-"
	htmp := "." + filepath.Base(HandoffPath(log)) + ".tmp-"
	removed := false
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, prefix) || strings.HasPrefix(n, jtmp) || strings.HasPrefix(n, htmp) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removed = true
		}
	}
	if removed {
		return syncDir(dir)
	}
	return nil
}

func removeStaged(log string, j *journal) {
	dir := filepath.Dir(log)
	os.Remove(filepath.Join(dir, j.NewLog))
	for _, a := range j.Archives {
		os.Remove(filepath.Join(dir, a.Staged))
	}
}

// recoverJournal finishes a rotation that committed and then died.
func recoverJournal(log string) (bool, error) {
	jf, err := os.OpenFile(journalPath(log), os.O_RDONLY|nofollow|nonblock, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", journalPath(log), err)
	}
	jb, err := io.ReadAll(io.LimitReader(jf, 1<<20))
	jf.Close()
	if err != nil {
		return false, fmt.Errorf("%s: %w", journalPath(log), err)
	}
	var j journal
	if err := json.Unmarshal(jb, &j); err != nil || j.NewLog == "" {
		return false, fmt.Errorf("%s: not a rotation journal (%v); move it away once the log and archives are checked", journalPath(log), err)
	}
	for _, name := range append([]string{j.NewLog}, stagedNames(&j)...) {
		if strings.ContainsAny(name, `/\`) || !strings.HasPrefix(name, tempPrefix(log)) {
			return false, fmt.Errorf("%s: names %q, not a file it staged", journalPath(log), name)
		}
	}
	for _, a := range j.Archives {
		if strings.ContainsAny(a.Path, `/\`) || !strings.HasSuffix(a.Path, ".gz") {
			return false, fmt.Errorf("%s: names %q, not an archive beside the log", journalPath(log), a.Path)
		}
	}
	if err := apply(log, &j); err != nil {
		return false, fmt.Errorf("finish the interrupted rotation: %w", err)
	}
	return true, nil
}

func stagedNames(j *journal) []string {
	var out []string
	for _, a := range j.Archives {
		out = append(out, a.Staged)
	}
	return out
}

// apply carries out a committed journal. Every step can be done again: a
// staged file that is gone was renamed already.
func apply(log string, j *journal) error {
	dir := filepath.Dir(log)
	for _, a := range j.Archives {
		staged := filepath.Join(dir, a.Staged)
		if err := os.Rename(staged, filepath.Join(dir, a.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate %s: %w", log, err)
		}
	}
	if crash("archives") {
		return errCrash
	}
	// The archives are durable before the log loses their rows.
	if err := syncDir(dir); err != nil {
		return err
	}
	staged := filepath.Join(dir, j.NewLog)
	if _, err := os.Lstat(staged); err == nil {
		if err := carryOver(log, staged, j); err != nil {
			return err
		}
		// Followers of the log (serve) learn where the new log's own rows
		// start before they can see it.
		if err := writeHandoff(log, staged, j.Ancestors); err != nil {
			return err
		}
		if crash("carried") {
			return errCrash
		}
		if err := os.Rename(staged, log); err != nil {
			return fmt.Errorf("rotate %s: %w", log, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if crash("renamed") {
		return errCrash
	}
	if err := os.Remove(journalPath(log)); err != nil {
		return err
	}
	return syncDir(dir)
}

// carryOver makes the staged log its staged rows followed by whatever was
// appended to the log after it was staged (nothing, unless a rotation died
// after its commit and record ran before this one).
func carryOver(log, staged string, j *journal) error {
	src, err := openLog(log)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < j.LogSize {
		return fmt.Errorf("%s: %d bytes, shorter than the %d bytes the interrupted rotation read; it was changed by something else: check it, then remove %s",
			log, fi.Size(), j.LogSize, journalPath(log))
	}
	dst, err := os.OpenFile(staged, os.O_RDWR|nofollow, 0)
	if errors.Is(err, fs.ErrPermission) {
		// The staged log has the log's mode, which may have become
		// read-only since it was staged: the carry-over must still be made,
		// since the journal has committed the rotation.
		if st, serr := os.Lstat(staged); serr == nil && st.Mode().IsRegular() {
			if os.Chmod(staged, st.Mode().Perm()|0o200) == nil {
				defer os.Chmod(staged, st.Mode().Perm())
				dst, err = os.OpenFile(staged, os.O_RDWR|nofollow, 0)
			}
		}
	}
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := dst.Truncate(j.NewLogSize); err != nil {
		return err
	}
	if fi.Size() > j.LogSize {
		if _, err := dst.Seek(j.NewLogSize, io.SeekStart); err != nil {
			return err
		}
		// Should the staged log end in a torn fragment, the appender put a
		// newline after it in the old log, so the carried part starts with it.
		if _, err := io.Copy(dst, io.NewSectionReader(src, j.LogSize, fi.Size()-j.LogSize)); err != nil {
			return fmt.Errorf("rotate %s: %w", log, err)
		}
	}
	if err := dst.Sync(); err != nil {
		return fmt.Errorf("rotate %s: sync: %w", log, err)
	}
	return dst.Close()
}

// openLog opens the log for reading, refusing anything but a regular file.
func openLog(log string) (*os.File, error) {
	f, err := os.OpenFile(log, os.O_RDONLY|nofollow|nonblock, 0)
	if err != nil {
		if isLoop(err) {
			return nil, fmt.Errorf("%s: not a regular file (a symbolic link)", log)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", log)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", log)
	}
	return f, nil
}

// sink receives the lines of a split.
type sink interface {
	keep(line []byte) error
	move(month string, t time.Time, line []byte) error
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// splitter sends each line of the log to the log or to an archive: valid
// rows older than before move; every other line (newer rows, blank lines,
// lines that are not valid rows, a torn last line) is kept, byte for byte.
// With a nil sink it only counts.
type splitter struct {
	log    string
	before time.Time
	res    *Result
	s      sink
	p      *ndjson.Parser
	ev     ndjson.Event
	cs     ndjson.ChunkStats
	months map[string]int64
	line   int64 // number of the next line
	pos    int64 // offset in the log of the next line
	kept   int64 // bytes kept so far
	// marks are offsets in the log at which to note how many bytes were
	// kept before them (see ancestorMarks).
	marks []mark
}

// mark notes, at offset at of the log being split, the bytes kept before
// it (-1 until the split reaches it on a line boundary).
type mark struct {
	id   FileID
	at   int64
	kept int64
}

// advance moves past a line of n bytes.
func (sp *splitter) advance(n int) {
	sp.pos += int64(n)
	for i := range sp.marks {
		if sp.marks[i].at == sp.pos {
			sp.marks[i].kept = sp.kept
		}
	}
}

// ancestors are the marks reached.
func (sp *splitter) ancestors() []ancestor {
	var out []ancestor
	for _, m := range sp.marks {
		if m.kept >= 0 {
			out = append(out, ancestor{ID: m.id, Kept: m.kept})
		}
	}
	return out
}

func newSplitter(log string, before time.Time, res *Result, s sink) *splitter {
	return &splitter{log: log, before: before, res: res, s: s, p: ndjson.NewParser(), months: map[string]int64{}, line: 1}
}

// feed splits the lines r holds and returns the bytes it consumed. Unless
// final, a last line without its newline is left unread (a write may be in
// flight); when final, it is kept as a torn line.
func (sp *splitter) feed(r io.Reader, final bool) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var consumed int64
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return consumed, fmt.Errorf("%s: %w", sp.log, err)
		}
		if len(line) == 0 {
			return consumed, nil
		}
		if line[len(line)-1] != '\n' {
			if !final {
				return consumed, nil
			}
			sp.res.Torn = true
			consumed += int64(len(line))
			err := sp.keep(line)
			sp.advance(len(line))
			return consumed, err
		}
		consumed += int64(len(line))
		if err := sp.split(line); err != nil {
			return consumed, err
		}
		sp.advance(len(line))
	}
}

// split sends one complete line to the log or an archive.
func (sp *splitter) split(line []byte) error {
	n := sp.line
	sp.line++
	content := line[:len(line)-1]
	if n == 1 {
		content = bytes.TrimPrefix(content, bom)
	}
	content = bytes.TrimSuffix(content, []byte{'\r'})
	if len(bytes.Trim(content, " \t\r")) == 0 {
		sp.res.Blank++
		return sp.keep(line)
	}
	if perr := sp.p.Parse(content, &sp.ev); perr != nil {
		sp.cs.Skip(sp.log, n, perr)
		return sp.keep(line)
	}
	e := &sp.ev
	if !e.TS.Before(sp.before) {
		sp.res.Kept++
		return sp.keep(line)
	}
	month := e.TS.UTC().Format("2006-01")
	sp.months[month]++
	sp.res.Moved++
	if sp.s == nil {
		return nil
	}
	if n == 1 {
		line = bytes.TrimPrefix(line, bom)
	}
	return sp.s.move(month, e.TS, line)
}

func (sp *splitter) keep(line []byte) error {
	sp.kept += int64(len(line))
	if sp.s == nil {
		return nil
	}
	return sp.s.keep(line)
}

// done fills in the counts of the result.
func (sp *splitter) done() {
	sp.res.Bad, sp.res.Examples = sp.cs.Skipped, sp.cs.Examples
	keys := make([]string, 0, len(sp.months))
	for m := range sp.months {
		keys = append(keys, m)
	}
	sort.Strings(keys)
	for _, m := range keys {
		t, _ := time.Parse("2006-01", m)
		sp.res.Archives = append(sp.res.Archives, Archive{Path: ArchivePath(sp.log, t), Month: m, Rows: sp.months[m]})
	}
}
