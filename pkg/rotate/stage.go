package rotate

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

// stager writes the staged files of one rotation: the new log and, per
// month, the archive as it will be.
type stager struct {
	log, dir string
	perm     os.FileMode
	newLog   *stagedFile
	archives map[string]*stagedArchive
	order    []string // months, as first seen
}

type stagedFile struct {
	f *os.File
	w *bufio.Writer
}

type stagedArchive struct {
	path string // the archive
	sf   *stagedFile
	zw   *gzip.Writer
}

func (s *stager) create(perm os.FileMode) (*stagedFile, error) {
	f, err := os.CreateTemp(s.dir, tempPrefix(s.log)+"*")
	if err != nil {
		return nil, fmt.Errorf("rotate %s: %w", s.log, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return nil, err
	}
	return &stagedFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (s *stager) keep(line []byte) error {
	if _, err := s.newLog.w.Write(line); err != nil {
		return fmt.Errorf("write %s: %w", s.log, unwrapPathErr(err))
	}
	return nil
}

func (s *stager) move(month string, t time.Time, line []byte) error {
	a := s.archives[month]
	if a == nil {
		var err error
		if a, err = s.openArchive(ArchivePath(s.log, t)); err != nil {
			return err
		}
		s.archives[month] = a
		s.order = append(s.order, month)
	}
	if _, err := a.zw.Write(line); err != nil {
		return fmt.Errorf("write %s: %w", a.path, unwrapPathErr(err))
	}
	return nil
}

// openArchive stages the archive at path: a copy of it as it is, to which
// the rows of this rotation are added as a new gzip member.
func (s *stager) openArchive(path string) (*stagedArchive, error) {
	perm := s.perm
	var old *os.File
	if fi, err := os.Lstat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file (%s)", path, fi.Mode().Type())
		}
		if old, err = os.OpenFile(path, os.O_RDONLY|nofollow|nonblock, 0); err != nil {
			return nil, err
		}
		defer old.Close()
		perm = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sf, err := s.create(perm)
	if err != nil {
		return nil, err
	}
	a := &stagedArchive{path: path, sf: sf}
	if old != nil {
		if _, err := io.Copy(sf.w, old); err != nil {
			sf.f.Close()
			os.Remove(sf.f.Name())
			return nil, fmt.Errorf("copy %s: %w", path, err)
		}
	}
	// No name or time in the header: the same rows give the same bytes.
	a.zw = gzip.NewWriter(sf.w)
	return a, nil
}

// finish flushes and fsyncs a staged file and returns its size.
func (sf *stagedFile) finish(what string) (int64, error) {
	if err := sf.w.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", what, unwrapPathErr(err))
	}
	if err := sf.f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", what, unwrapPathErr(err))
	}
	fi, err := sf.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), sf.f.Close()
}

// stage splits the log into staged files, fsynced, and returns the journal
// that would put them in place (nil when no row is old enough to move) and
// the release of the appender's lock, which it holds on return unless it
// failed to take it. It reads the log in two passes: the first, without the
// lock, reads every whole line there is; the second, under the lock, reads
// what was appended since. So record waits for a rotation only as long as
// that tail and the renames take, never for a pass over the whole log.
func stage(log string, before time.Time, res *Result, lock func() (func(), error)) (j *journal, unlock func(), err error) {
	f, err := openLog(log)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	s := &stager{log: log, dir: filepath.Dir(log), perm: fi.Mode().Perm(), archives: map[string]*stagedArchive{}}
	var staged []*os.File
	defer func() {
		if err != nil || j == nil {
			for _, f := range staged {
				f.Close()
				os.Remove(f.Name())
			}
		}
	}()
	if s.newLog, err = s.create(s.perm); err != nil {
		return nil, nil, err
	}
	staged = append(staged, s.newLog.f)
	chownLike(s.newLog.f.Name(), fi)
	sp := newSplitter(log, before, res, trackingSink{s, &staged})
	sp.marks = ancestorMarks(log, f)
	sp.advance(0)
	read, err := sp.feed(io.NewSectionReader(f, 0, fi.Size()), false)
	if err != nil {
		return nil, nil, err
	}

	if crash("read") {
		return nil, nil, errCrash
	}
	if unlock, err = lock(); err != nil {
		return nil, nil, err
	}
	// Appenders only append, so what was read stands; but a log replaced
	// meanwhile (by a tool that does not take the lock) is not this one.
	if same, err := ndjson.IsFileAt(f, log); err != nil || !same {
		if err == nil {
			err = fmt.Errorf("%s: replaced while it was rotated; nothing moved, run again", log)
		}
		return nil, unlock, err
	}
	if fi, err = f.Stat(); err != nil {
		return nil, unlock, err
	}
	if fi.Size() < read {
		return nil, unlock, fmt.Errorf("%s: shrank while it was rotated; nothing moved, run again", log)
	}
	if crash("tail") {
		return nil, unlock, errCrash
	}
	if _, err := sp.feed(io.NewSectionReader(f, read, fi.Size()-read), true); err != nil {
		return nil, unlock, err
	}
	sp.done()
	if res.Moved == 0 {
		return nil, unlock, nil
	}
	j = &journal{LogSize: fi.Size(), NewLog: filepath.Base(s.newLog.f.Name()), Ancestors: sp.ancestors()}
	for _, m := range s.order {
		a := s.archives[m]
		if err := a.zw.Close(); err != nil {
			return nil, unlock, fmt.Errorf("write %s: %w", a.path, unwrapPathErr(err))
		}
		chownLike(a.sf.f.Name(), fi)
		if _, err := a.sf.finish(a.path); err != nil {
			return nil, unlock, err
		}
		j.Archives = append(j.Archives, journalArchive{Staged: filepath.Base(a.sf.f.Name()), Path: filepath.Base(a.path)})
	}
	if j.NewLogSize, err = s.newLog.finish(log); err != nil {
		return nil, unlock, err
	}
	return j, unlock, nil
}

// trackingSink remembers every file the stager creates, so a failed
// rotation removes them all.
type trackingSink struct {
	s      *stager
	staged *[]*os.File
}

func (t trackingSink) keep(line []byte) error { return t.s.keep(line) }

func (t trackingSink) move(month string, ts time.Time, line []byte) error {
	had := t.s.archives[month] != nil
	err := t.s.move(month, ts, line)
	if a := t.s.archives[month]; !had && a != nil {
		*t.staged = append(*t.staged, a.sf.f)
	}
	return err
}

// unwrapPathErr drops the name of the staged file from an error: the
// message names the file it stands for instead.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
