package lint

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// FrontMatterField is one top-level "key: value" line of a front matter.
type FrontMatterField struct {
	Key   string
	Value string // unquoted, without a trailing comment
	Line  int
}

// FrontMatter is the YAML front matter a markdown file begins with, read as
// flat "key: value" lines: enough for the scalars synclog writes there.
type FrontMatter struct {
	Fields []FrontMatterField
	// Closed: a closing "---" (or "...") was found.
	Closed bool
}

// Get returns the field named key.
func (fm *FrontMatter) Get(key string) (FrontMatterField, bool) {
	for _, f := range fm.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return FrontMatterField{}, false
}

// Bounds of what ReadFrontMatter reads: a front matter is a few lines.
const (
	maxFrontMatterLines = 200
	maxFrontMatterLine  = 4096
)

// ReadFrontMatter reads the front matter at the start of r. It returns nil
// when r does not begin with a line "---". It reads at most a few hundred
// short lines; a front matter longer than that is reported as not closed.
func ReadFrontMatter(r io.Reader) (*FrontMatter, error) {
	br := bufio.NewReaderSize(r, maxFrontMatterLine)
	line, err := readBoundedLine(br)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	line = bytes.TrimPrefix(line, []byte{0xEF, 0xBB, 0xBF})
	if string(bytes.TrimRight(line, " \t\r")) != "---" {
		return nil, nil
	}
	fm := &FrontMatter{}
	for n := 2; n <= maxFrontMatterLines && err == nil; n++ {
		line, err = readBoundedLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		text := strings.TrimRight(string(line), " \t\r")
		if text == "---" || text == "..." {
			fm.Closed = true
			return fm, nil
		}
		if f, ok := frontMatterField(text); ok {
			f.Line = n
			fm.Fields = append(fm.Fields, f)
		}
	}
	return fm, nil
}

// readBoundedLine reads one line without its newline; a line longer than
// the reader's buffer is cut there and the rest skipped.
func readBoundedLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		head := bytes.Clone(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		return head, err
	}
	return bytes.TrimSuffix(line, []byte{'\n'}), err
}

// frontMatterField reads a top-level "key: value" line. Comments, nested
// (indented) lines and lines without a key are not fields.
func frontMatterField(text string) (FrontMatterField, bool) {
	if text == "" || text[0] == ' ' || text[0] == '\t' || text[0] == '#' || text[0] == '-' {
		return FrontMatterField{}, false
	}
	i := strings.Index(text, ":")
	if i <= 0 || (i+1 < len(text) && text[i+1] != ' ' && text[i+1] != '\t') {
		return FrontMatterField{}, false
	}
	key := strings.TrimRight(text[:i], " \t")
	if strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 }) {
		return FrontMatterField{}, false // a control byte, or a line break YAML would see
	}
	val := strings.TrimSpace(text[i+1:])
	switch {
	case len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && strings.IndexByte(val[1:], val[0]) >= 0:
		val = val[1 : 1+strings.IndexByte(val[1:], val[0])]
	default:
		if j := strings.Index(val, " #"); j >= 0 {
			val = strings.TrimSpace(val[:j])
		}
	}
	if key == "" {
		return FrontMatterField{}, false
	}
	return FrontMatterField{Key: key, Value: val}, true
}

// lintSummary checks the dashboard's age from its front matter.
func (l *linter) lintSummary(src Source) error {
	name := src.name()
	if !l.active(RuleStaleSummary) && !l.active(RuleMissingSummary) {
		return nil
	}
	f, err := os.Open(src.Path)
	if errors.Is(err, fs.ErrNotExist) {
		l.emitDefault(name, 0, RuleMissingSummary, "there is no dashboard: run synclog summarize every tick")
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fm, err := ReadFrontMatter(f)
	if err != nil {
		return fmt.Errorf("%s: %w", src.Path, err)
	}
	switch {
	case fm == nil:
		l.emitDefault(name, 1, RuleStaleSummary, "the dashboard does not begin with a front matter (---), so its age is unknown")
		return nil
	case !fm.Closed:
		l.emitDefault(name, 1, RuleStaleSummary, "the dashboard's front matter is not closed by ---, so its age is unknown")
		return nil
	}
	ga, ok := fm.Get("generated_at")
	if !ok {
		l.emitDefault(name, 1, RuleStaleSummary, "the dashboard's front matter has no generated_at, so its age is unknown")
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, ga.Value)
	if err != nil {
		l.emitDefault(name, int64(ga.Line), RuleStaleSummary, fmt.Sprintf("generated_at %q is not an RFC 3339 time, so the dashboard's age is unknown", ga.Value))
		return nil
	}
	if age := l.opts.Now.Sub(t); age > l.opts.Tick {
		l.emitDefault(name, int64(ga.Line), RuleStaleSummary, fmt.Sprintf("generated_at %s is %s old, older than lint.tick %s: is summarize running every tick?",
			ga.Value, fmtDuration(age), fmtDuration(l.opts.Tick)))
	}
	return nil
}
