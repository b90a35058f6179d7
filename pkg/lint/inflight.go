package lint

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/synclog/synclog/pkg/ndjson"
)

// inFlightWait bounds how long lint waits for a writer to finish the row
// it is writing before it judges the log's unterminated last line.
const inFlightWait = 2 * time.Second

// inFlight reports whether the unterminated last line of the log at path,
// read up to size bytes, was a row still being written rather than a torn
// one. A synclog writer holds the log's sidecar lock while it writes a
// row, so lint waits, holding that lock shared, until no write is in
// flight: a log that has grown past size since was being appended to, and
// its last line is finished now or will be; one that has not is torn (its
// writer died inside the row). A torn fragment that a later append moves
// off the end is still reported, by the line rules, on the next run.
// Compressed sources and stdin are never in flight.
func inFlight(ctx context.Context, path string, size int64) bool {
	if path == "-" || strings.HasSuffix(path, ".gz") {
		return false
	}
	fl := flock.New(ndjson.LockPath(path), flock.SetFlag(os.O_RDONLY))
	lctx, cancel := context.WithTimeout(ctx, inFlightWait)
	defer cancel()
	ok, _ := fl.TryRLockContext(lctx, 5*time.Millisecond)
	switch {
	case ok:
		defer func() { _ = fl.Unlock(); _ = fl.Close() }()
	case lctx.Err() != nil && ctx.Err() == nil:
		// A writer has held the lock all this while: its row is in flight.
		_ = fl.Close()
		return true
	}
	// Without a lock file (no synclog writer), the size alone says.
	fi, err := os.Stat(path)
	return err == nil && fi.Size() > size
}
