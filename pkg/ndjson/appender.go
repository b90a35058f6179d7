package ndjson

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofrs/flock"
)

// ErrLockTimeout is returned when the log's lock is not had in time.
var ErrLockTimeout = errors.New("timed out waiting for the log lock")

// Appender appends rows to a log file so that concurrent writers never
// interleave or lose rows.
type Appender struct {
	// Path is the log file.
	Path string
	// LockTimeout bounds the wait for the exclusive lock; 0 means 5s.
	LockTimeout time.Duration
	// NoSync skips fdatasync after the write.
	NoSync bool
}

// LockPath is the sidecar lock file that guards the log at path.
func LockPath(path string) string { return path + ".lock" }

// Append writes rows (each ending in '\n') with one write(2) under an
// exclusive lock on the sidecar lock file. If the log does not end in a
// newline, one is written first so a torn fragment stays on its own line.
// On a short write the file is truncated back to its old size.
func (a *Appender) Append(ctx context.Context, rows []byte) error {
	if len(rows) == 0 {
		return nil
	}
	if rows[len(rows)-1] != '\n' {
		return fmt.Errorf("append to %s: rows must end in a newline", a.Path)
	}
	return a.AppendWith(ctx, func() ([]byte, error) { return rows, nil })
}

// AppendWith appends, as Append does, the rows next returns, calling next
// under the lock: what next reads of the file stays true until the rows
// are written, so a writer that appends only what the file lacks never
// appends a row twice. When next returns no rows, nothing is written and a
// missing file is not created.
func (a *Appender) AppendWith(ctx context.Context, next func() ([]byte, error)) error {
	dir := filepath.Dir(a.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(a.Path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file (%s)", a.Path, describeMode(fi.Mode()))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}

	unlock, err := a.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()

	rows, err := next()
	if err != nil || len(rows) == 0 {
		return err
	}
	if rows[len(rows)-1] != '\n' {
		return fmt.Errorf("append to %s: rows must end in a newline", a.Path)
	}
	created := false
	if _, err := os.Lstat(a.Path); errors.Is(err, fs.ErrNotExist) {
		created = true
		if done, err := a.createWhole(rows); err != nil || done {
			return err
		}
	}
	f, err := a.openCurrent()
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s)", a.Path, describeMode(fi.Mode()))
	}
	size := fi.Size()
	buf := rows
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return fmt.Errorf("%s: read last byte: %w", a.Path, err)
		}
		if last[0] != '\n' {
			buf = append([]byte{'\n'}, rows...)
		}
	}
	n, werr := writeOnce(f, buf)
	if werr == nil && n > 0 && n < len(buf) {
		// A short write says nothing of why; writing the rest gets the
		// reason (ENOSPC, EDQUOT, EFBIG). It is cut off with the rest.
		_, werr = writeOnce(f, buf[n:])
		if werr != nil {
			werr = fmt.Errorf("short write (%d of %d bytes): %w", n, len(buf), werr)
		}
	}
	if werr != nil || n != len(buf) {
		if n > 0 {
			if terr := f.Truncate(size); terr != nil {
				return fmt.Errorf("%s: short write (%d of %d bytes) and truncate failed: %v", a.Path, n, len(buf), terr)
			}
		}
		if werr == nil {
			werr = fmt.Errorf("short write (%d of %d bytes)", n, len(buf))
		}
		return fmt.Errorf("write %s: %w", a.Path, werr)
	}
	if !a.NoSync {
		if err := datasync(f); err != nil {
			return fmt.Errorf("sync %s: %w", a.Path, err)
		}
		if created {
			if err := syncDir(dir); err != nil {
				return err
			}
		}
	}
	return f.Close()
}

// createWhole makes the missing file at a.Path with rows in it, whole or
// not at all: the rows go to a new file beside it, which is then linked
// into place, so a writer killed at any point leaves no file or the whole
// one, never an empty or a partial one (a killed writer may leave the new
// file, a dot file, behind). It reports false, having made nothing, when
// the link fails: the file system cannot link, or a file appeared at the
// path meanwhile; the caller then appends in place.
func (a *Appender) createWhole(rows []byte) (bool, error) {
	var f *os.File
	var err error
	for range 8 {
		// Not os.CreateTemp: its mode 0600 would ignore the umask, which
		// a file created in place (0644 less the umask) respects.
		name := filepath.Join(filepath.Dir(a.Path), "."+filepath.Base(a.Path)+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|nofollow, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("write %s: %w", a.Path, unwrapPathErr(err))
	}
	name := f.Name()
	defer os.Remove(name) // the link, when made, keeps the file
	defer f.Close()
	if _, err := f.Write(rows); err != nil {
		return false, fmt.Errorf("write %s: %w", a.Path, unwrapPathErr(err))
	}
	if !a.NoSync {
		if err := datasync(f); err != nil {
			return false, fmt.Errorf("sync %s: %w", a.Path, unwrapPathErr(err))
		}
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("write %s: %w", a.Path, unwrapPathErr(err))
	}
	if err := os.Link(name, a.Path); err != nil {
		return false, nil
	}
	if !a.NoSync {
		if err := syncDir(filepath.Dir(a.Path)); err != nil {
			return true, err
		}
	}
	return true, nil
}

// maxReopen bounds how often Append reopens a log that was replaced under
// it, and Lock relocks a lock file that was replaced under it.
const maxReopen = 8

// afterOpen, when set by a test, runs between opening the log and checking
// that it is still the file at its path.
var afterOpen func()

// openCurrent opens the log for appending and makes sure the open file is
// the one at the path: a rotation that renamed a new file into place
// between open(2) and now would otherwise leave the row in a file that is
// no longer the log. It reopens, a bounded number of times, until both
// agree (same device and inode).
func (a *Appender) openCurrent() (*os.File, error) {
	for range maxReopen {
		f, err := os.OpenFile(a.Path, os.O_RDWR|os.O_APPEND|os.O_CREATE|nofollow|nonblock, 0o644)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) && isLoop(pe.Err) {
				return nil, fmt.Errorf("%s: not a regular file (a symbolic link)", a.Path)
			}
			return nil, err
		}
		if afterOpen != nil {
			afterOpen()
		}
		same, err := IsFileAt(f, a.Path)
		if err != nil {
			f.Close()
			return nil, err
		}
		if same {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%s: replaced %d times while opening it", a.Path, maxReopen)
}

// IsFileAt reports whether the open file f is the file at path now (same
// device and inode; false when nothing is at path).
func IsFileAt(f *os.File, path string) (bool, error) {
	open, err := f.Stat()
	if err != nil {
		return false, err
	}
	at, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(open, at), nil
}

// Lock takes the exclusive lock on the log's sidecar lock file, the one
// every appender takes, and returns its release. A rotation holds it while
// it replaces the log. Should the lock file be replaced between its open
// and the lock, the lock is taken again on the file now at the path, so
// two holders never lock different files.
func (a *Appender) Lock(ctx context.Context) (func(), error) {
	for range maxReopen {
		fl, err := a.lockOnce(ctx)
		if err != nil {
			return nil, err
		}
		open, err := fl.Stat()
		if err != nil {
			_ = fl.Close()
			return nil, fmt.Errorf("lock %s: %w", LockPath(a.Path), unwrapPathErr(err))
		}
		if at, err := os.Lstat(LockPath(a.Path)); err == nil && os.SameFile(open, at) {
			return func() { _ = fl.Unlock(); _ = fl.Close() }, nil
		}
		_ = fl.Unlock()
		_ = fl.Close()
	}
	return nil, fmt.Errorf("%s: replaced %d times while locking it", LockPath(a.Path), maxReopen)
}

// lockOnce takes the exclusive lock on the file at the sidecar path.
func (a *Appender) lockOnce(ctx context.Context) (*flock.Flock, error) {
	lp := LockPath(a.Path)
	if fi, err := os.Lstat(lp); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", lp, describeMode(fi.Mode()))
	}
	fl := flock.New(lp, flock.SetFlag(os.O_CREATE|os.O_RDWR|nofollow|nonblock), flock.SetPermissions(0o644))
	// Fast path: an uncontended lock is had at once.
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", lp, unwrapPathErr(err))
	}
	if !ok {
		timeout := a.LockTimeout
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		lctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		ok, err = fl.TryLockContext(lctx, time.Millisecond)
		if !ok {
			fl.Close()
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("%s: %w after %s", lp, ErrLockTimeout, timeout)
			}
			return nil, fmt.Errorf("lock %s: %w", lp, unwrapPathErr(err))
		}
	}
	return fl, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// WriteFileAtomic replaces path with data: a temporary file in the same
// directory is written, synced and renamed over path, and the directory is
// synced, so a reader sees the old file or the new one, never a part. A
// symbolic link or FIFO planted at path is replaced, never followed.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		// The temporary file's random name means nothing to the user: name
		// the file being written.
		return fmt.Errorf("write %s: %w", path, unwrapPathErr(err))
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathErr(err))
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathErr(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, unwrapPathErr(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathErr(err))
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, unwrapLinkErr(err))
	}
	ok = true
	return syncDir(dir)
}

func unwrapLinkErr(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// WriteFileIfChanged writes data atomically unless path already is a regular
// file holding exactly data; it reports whether it wrote. An unchanged file
// keeps its mtime.
func WriteFileIfChanged(path string, data []byte, perm os.FileMode) (bool, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		if f, err := openRegular(path); err == nil {
			old := make([]byte, len(data)+1)
			n, _ := f.ReadAt(old, 0)
			f.Close()
			if n == len(data) && bytes.Equal(old[:n], data) {
				return false, nil
			}
		}
	}
	return true, WriteFileAtomic(path, data, perm)
}

// OpenRegular opens path for reading and refuses anything but a regular
// file, so that a FIFO or a device planted at path never blocks the caller.
func OpenRegular(path string) (*os.File, error) { return openRegular(path) }
