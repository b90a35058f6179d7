package rotate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/synclog/synclog/pkg/ndjson"
)

// A rotation replaces the log with a new file that starts with the rows it
// kept, copied from the old one. A reader that follows the log by offset
// (synclog serve) has read those rows already, from the old file; the
// handoff file tells it where the new file's own rows start, so it neither
// counts the kept rows twice nor misses a row. It is written atomically,
// under the appender's lock, before the new log is renamed into place, so a
// reader that sees the new log finds the handoff that names it.

// maxHandoffs bounds the transitions a handoff file remembers: enough for a
// reader that slept through a few rotations.
const maxHandoffs = 8

// FileID names a file by device and inode.
type FileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// Transition is one replacement of the log as a follower sees it: a reader
// that read Old to its end finds, in New, the rows it has not read yet from
// offset Kept on. Old is the file a rotation replaced or an older log whose
// rows that rotation's input began with.
type Transition struct {
	Old  FileID `json:"old"`
	New  FileID `json:"new"`
	Kept int64  `json:"kept_bytes"`
}

// Handoff is the content of the handoff file: the latest transitions,
// newest first.
type Handoff struct {
	Transitions []Transition `json:"transitions"`
}

// HandoffPath is the handoff file of log: .sync-events.ndjson.rotated
// beside it.
func HandoffPath(log string) string {
	return filepath.Join(filepath.Dir(log), "."+filepath.Base(log)+".rotated")
}

// ReadHandoff reads the handoff file of log; a missing one is an empty
// handoff.
func ReadHandoff(log string) (*Handoff, error) {
	f, err := os.OpenFile(HandoffPath(log), os.O_RDONLY|nofollow|nonblock, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return &Handoff{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, err
	}
	var h Handoff
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", HandoffPath(log), err)
	}
	return &h, nil
}

// Resume says where a reader that read old to its end starts in new, the
// file now at the log's path: the offset of the first byte it has not read
// yet, and true, when a rotation replaced old (or a log old's rows were
// carried into) with new; false when the handoff does not name exactly
// that transition (a replacement by another tool, a truncation), and the
// reader must read new from its start.
func (h *Handoff) Resume(old, new os.FileInfo) (int64, bool) {
	o, ok1 := fileID(old)
	n, ok2 := fileID(new)
	if h == nil || !ok1 || !ok2 {
		return 0, false
	}
	for _, t := range h.Transitions {
		if t.Old == o && t.New == n && t.Kept >= 0 && t.Kept <= new.Size() {
			return t.Kept, true
		}
	}
	return 0, false
}

// IDOf is the identity of the file fi describes; false where the platform
// has no device and inode numbers.
func IDOf(fi os.FileInfo) (FileID, bool) { return fileID(fi) }

// writeHandoff records, before the staged log replaces log, that a reader
// of log (and of each older log in ancestors, read to its end) continues in
// the staged file at the offsets given. The staged file is complete: what
// follows the kept rows is appended to it once it is the log. Transitions
// of earlier rotations are kept, for readers that have yet to notice them.
func writeHandoff(log, staged string, ancestors []ancestor) error {
	oldFI, err := os.Lstat(log)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(staged, os.O_RDONLY|nofollow|nonblock, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	newFI, err := f.Stat()
	if err != nil {
		return err
	}
	oldID, ok1 := fileID(oldFI)
	newID, ok2 := fileID(newFI)
	if !ok1 || !ok2 {
		return nil // no inodes to name: followers read the new log from its start
	}
	kept, err := endOfLastLine(f, newFI.Size())
	if err != nil {
		return fmt.Errorf("rotate %s: %w", log, err)
	}
	ts := []Transition{{Old: oldID, New: newID, Kept: kept}}
	for _, a := range ancestors {
		if a.ID != oldID {
			ts = append(ts, Transition{Old: a.ID, New: newID, Kept: a.Kept})
		}
	}
	prev, err := ReadHandoff(log)
	if err != nil {
		prev = &Handoff{} // a damaged handoff is replaced, not kept
	}
	for _, t := range prev.Transitions {
		if len(ts) == maxHandoffs {
			break
		}
		if t.New != newID { // a rotation retried after a crash names newID again
			ts = append(ts, t)
		}
	}
	b, err := json.Marshal(Handoff{Transitions: ts})
	if err != nil {
		return err
	}
	if err := ndjson.WriteFileAtomic(HandoffPath(log), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("rotate %s: write handoff: %w", log, err)
	}
	return nil
}

// ancestor is an older log whose rows, read to its end by a follower, the
// log being rotated began with: the follower continues in the new log at
// Kept, the bytes of the new log that came from them.
type ancestor struct {
	ID   FileID `json:"id"`
	Kept int64  `json:"kept_bytes"`
}

// ancestorMarks are the offsets in the log being rotated (f) up to which a
// follower of an older log has read it: one per transition of the handoff
// into f.
func ancestorMarks(log string, f *os.File) []mark {
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	id, ok := fileID(fi)
	if !ok {
		return nil
	}
	h, err := ReadHandoff(log)
	if err != nil {
		return nil
	}
	var marks []mark
	for _, t := range h.Transitions {
		if t.New == id && len(marks) < maxHandoffs-1 {
			marks = append(marks, mark{id: t.Old, at: t.Kept, kept: -1})
		}
	}
	return marks
}

// endOfLastLine is the offset just past the last newline of f's first size
// bytes: where a follower that read every complete line stands. A torn
// last line after it is still to be read.
func endOfLastLine(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}
