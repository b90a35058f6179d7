package query

import (
	"context"
	"fmt"

	"github.com/synclog/synclog/pkg/ndjson"
)

// parserPool hands parsers to the workers of a scan; a parser is not safe
// for concurrent use.
type parserPool struct {
	idle chan *ndjson.Parser
	make func() *ndjson.Parser
}

func newParserPool(mk func() *ndjson.Parser) *parserPool {
	return &parserPool{idle: make(chan *ndjson.Parser, 64), make: mk}
}

func (pp *parserPool) get() *ndjson.Parser {
	select {
	case p := <-pp.idle:
		return p
	default:
		return pp.make()
	}
}

func (pp *parserPool) put(p *ndjson.Parser) {
	select {
	case pp.idle <- p:
	default:
	}
}

// parseRow parses line n of c into e and counts it; it reports whether e
// is a valid row that passes the pre-filter (nil: none).
func parseRow(p *ndjson.Parser, c *ndjson.Chunk, n int64, line []byte, e *ndjson.Event,
	st *ndjson.ChunkStats, filter func(*ndjson.Event) bool) bool {
	if err := p.Parse(line, e); err != nil {
		st.Skip(c.Path, n, err)
		return false
	}
	st.Rows++
	return filter == nil || filter(e)
}

// chunkValues is the rows of a chunk as values, and the first row that
// could not be built.
type chunkValues struct {
	vals []any
	err  error
}

// readValues reads the valid rows of paths that pass filter, in order, as
// values built with the keys of the plan's projection, on the scan's
// workers. A row whose value cannot be built is left out and its error
// (the first one) returned.
func readValues(ctx context.Context, paths []string, opts ndjson.ScanOptions, filter func(*ndjson.Event) bool,
	pl *plan) ([]any, *ndjson.Stats, error) {
	parsers := newParserPool(pl.newParser)
	var parts [][]any
	total := 0
	var firstErr error
	stats, err := ndjson.Scan(ctx, paths, opts, func(c *ndjson.Chunk, st *ndjson.ChunkStats) chunkValues {
		p := parsers.get()
		defer parsers.put(p)
		cv := chunkValues{vals: make([]any, 0, len(c.Data)/256+1)}
		rows := newRowValues(pl.proj)
		var e ndjson.Event
		st.Blank += c.Lines(func(n int64, line []byte) {
			if !parseRow(p, c, n, line, &e, st, filter) {
				return
			}
			v, err := rows.value(&e)
			if err != nil {
				if cv.err == nil {
					cv.err = fmt.Errorf("%s:%d: %w", c.Path, n, err)
				}
				return
			}
			cv.vals = append(cv.vals, v)
		})
		return cv
	}, func(cv chunkValues) error {
		parts = append(parts, cv.vals)
		total += len(cv.vals)
		if firstErr == nil {
			firstErr = cv.err
		}
		return nil
	})
	if err == nil {
		err = firstErr
	}
	all := make([]any, 0, total)
	for _, p := range parts {
		all = append(all, p...)
	}
	return all, stats, err
}
