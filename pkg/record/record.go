// Package record builds sync-event rows from flags, stdin or a wrapped sync
// command, and appends them to the log.
package record

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/synclog/synclog/pkg/ndjson"
)

// Limits on what record reads.
const (
	MaxHookPayload = 1 << 20 // bytes of a hook payload
	HookTimeout    = 2 * time.Second
	MaxStatsFile   = 1 << 20 // bytes of the $SYNCLOG_STATS file
	MaxErrorTail   = 1024    // bytes of stderr kept in the error
	stderrKeep     = 16 << 10
)

// StatsEnv names the file a wrapped command may write its stats to.
const StatsEnv = "SYNCLOG_STATS"

// Stats is what a wrapped command reports in the $SYNCLOG_STATS file.
type Stats struct {
	Files          *int64  `json:"files"`
	Bytes          *int64  `json:"bytes"`
	ManifestBefore *string `json:"manifest_before"`
	ManifestAfter  *string `json:"manifest_after"`
	FilesTotal     *int64  `json:"files_total"`
}

// Set names the event fields the user gave explicitly; they win over what
// a wrapped command reports.
type Set struct {
	Files, Bytes, ManifestBefore, ManifestAfter, FilesTotal, Status, Error, DurMS bool
}

// ReadHookPayload reads a Claude Code hook payload from r, at most
// MaxHookPayload bytes within HookTimeout, and returns its session_id. An
// empty, late, oversized or invalid payload yields "" and no error: the hook
// must never fail on it.
func ReadHookPayload(r io.Reader) string {
	type result struct{ b []byte }
	ch := make(chan result, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(r, MaxHookPayload+1))
		ch <- result{b}
	}()
	var b []byte
	select {
	case res := <-ch:
		b = res.b
	case <-time.After(HookTimeout):
		return ""
	}
	if len(b) > MaxHookPayload {
		return ""
	}
	var p struct {
		SessionID string `json:"session_id"`
	}
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	return p.SessionID
}

// ParseRows validates rows given as ndjson (one object per line) and renders
// them as synclog writes them. name labels errors ("stdin"). Every row is
// checked before any is returned: one bad row fails them all, with the error
// naming its line.
func ParseRows(name string, r io.Reader) ([]byte, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []byte
	var errs []string
	n, line := 0, 0
	p := ndjson.NewParser()
	p.KeepExtra = true
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
			b = bytes.TrimRight(b, "\r\n")
			if line == 1 {
				b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
			}
			if len(bytes.TrimSpace(b)) > 0 {
				var e ndjson.Event
				if perr := p.Parse(b, &e); perr != nil {
					if len(errs) < 10 {
						errs = append(errs, fmt.Sprintf("%s:%d: %v", name, line, perr))
					}
				} else {
					out = e.AppendJSON(out)
					n++
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(errs) > 0 {
		return nil, 0, fmt.Errorf("%s; nothing appended", strings.Join(errs, "; "))
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("%s: no rows", name)
	}
	return out, n, nil
}

// Validate checks an event built from flags before it is written.
func Validate(e *ndjson.Event) error {
	var missing []string
	if e.Op == "" {
		missing = append(missing, "--op")
	}
	if e.Repo == "" {
		missing = append(missing, "--repo")
	}
	if e.Scope == "" {
		missing = append(missing, "--scope")
	}
	if e.Trigger == "" {
		missing = append(missing, "--trigger")
	}
	if e.Machine == "" {
		missing = append(missing, "--machine")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	// Render and parse: the row must pass the same checks readers apply.
	var got ndjson.Event
	if err := ndjson.ParseEvent(bytes.TrimSuffix(e.AppendJSON(nil), []byte{'\n'}), &got); err != nil {
		return err
	}
	if e.Status == ndjson.StatusError && e.Error == "" {
		return errors.New("--status error needs --error")
	}
	return nil
}

// Wrapped is the outcome of running a sync command.
type Wrapped struct {
	ExitCode int
	Duration time.Duration
	Error    string // "" when the command succeeded
	Stats    Stats
	StatsErr error // the stats file was present but unreadable
}

// Run runs argv with stdin, stdout and stderr passed through (stderr also
// kept, bounded), forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to it, and
// reads the stats it writes to the file named by $SYNCLOG_STATS.
func Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) (*Wrapped, error) {
	statsFile, err := os.CreateTemp("", "synclog-stats-*.json")
	if err != nil {
		return nil, fmt.Errorf("stats file: %w", err)
	}
	statsPath := statsFile.Name()
	statsFile.Close()
	defer os.Remove(statsPath)

	tail := &tailBuffer{max: stderrKeep}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdin
	cmd.Stdout = stdout
	cmd.Stderr = io.MultiWriter(stderr, tail)
	cmd.Env = append(os.Environ(), StatsEnv+"="+statsPath)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)

	w := &Wrapped{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		w.Duration = time.Since(start)
		w.ExitCode = 127
		if !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, os.ErrNotExist) {
			w.ExitCode = 126
		}
		w.Error = fmt.Sprintf("exec %s: %v", argv[0], unwrapExec(err))
		return w, nil
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
loop:
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case waitErr = <-done:
			break loop
		}
	}
	w.Duration = time.Since(start)
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return nil, waitErr
		}
		status := ""
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			w.ExitCode = 128 + int(ws.Signal())
			status = fmt.Sprintf("killed by signal %s", ws.Signal())
		} else {
			w.ExitCode = ee.ExitCode()
			status = fmt.Sprintf("exit status %d", w.ExitCode)
		}
		if t := lastLines(tail.Bytes(), MaxErrorTail); t != "" {
			status += ": " + t
		}
		w.Error = status
	}
	w.Stats, w.StatsErr = readStats(statsPath)
	return w, nil
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readStats(path string) (Stats, error) {
	var s Stats
	f, err := os.Open(path)
	if err != nil {
		return s, nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxStatsFile+1))
	if err != nil {
		return s, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return s, nil
	}
	if len(b) > MaxStatsFile {
		return s, fmt.Errorf("$%s file over %d bytes", StatsEnv, MaxStatsFile)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Stats{}, fmt.Errorf("$%s file: %w", StatsEnv, err)
	}
	return s, nil
}

// Merge writes the wrapped command's outcome into e; fields the user set
// explicitly are kept.
func (w *Wrapped) Merge(e *ndjson.Event, set Set) {
	if !set.DurMS {
		e.DurMS = w.Duration.Milliseconds()
	}
	if !set.Status {
		if w.ExitCode == 0 {
			e.Status = ndjson.StatusOK
		} else {
			e.Status = ndjson.StatusError
		}
	}
	if !set.Error && w.Error != "" {
		e.Error = w.Error
	}
	s := w.Stats
	if s.Files != nil && !set.Files && *s.Files >= 0 {
		e.Files = *s.Files
	}
	if s.Bytes != nil && !set.Bytes && *s.Bytes >= 0 {
		e.Bytes = *s.Bytes
	}
	if s.ManifestBefore != nil && !set.ManifestBefore {
		e.ManifestBefore = *s.ManifestBefore
	}
	if s.ManifestAfter != nil && !set.ManifestAfter {
		e.ManifestAfter = *s.ManifestAfter
	}
	if s.FilesTotal != nil && !set.FilesTotal && *s.FilesTotal >= 0 {
		e.FilesTotal, e.HasFilesTotal = *s.FilesTotal, true
	}
	if e.HasFilesTotal && e.Files > e.FilesTotal {
		e.HasFilesTotal = false // inconsistent stats: keep the row valid
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) Bytes() []byte { return t.buf }

// lastLines joins the last non-empty lines of b with ": ", newest last,
// keeping at most max bytes and whole UTF-8 characters.
func lastLines(b []byte, max int) string {
	b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var keep []string
	size := 0
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		add := len(l)
		if len(keep) > 0 {
			add += 2
		}
		if size+add > max {
			if len(keep) == 0 {
				// One long line: keep its end.
				l = l[len(l)-max:]
				for len(l) > 0 && !utf8.RuneStart(l[0]) {
					l = l[1:]
				}
				keep = append(keep, l)
			}
			break
		}
		keep = append(keep, l)
		size += add
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	return strings.Join(keep, ": ")
}
