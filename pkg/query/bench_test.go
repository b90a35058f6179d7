package query

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchRows is about how many rows the benchmark log holds.
const benchRows = 50_000

// benchLog writes the sample log again and again into a temporary file of
// about benchRows rows and returns its path and size.
func benchLog(b *testing.B) (string, int64) {
	b.Helper()
	sample, err := os.ReadFile(sampleLog)
	if err != nil {
		b.Fatal(err)
	}
	n := bytes.Count(sample, []byte{'\n'})
	data := bytes.Repeat(sample, (benchRows+n-1)/n)
	path := filepath.Join(b.TempDir(), "bench.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, int64(len(data))
}

// benchQuery times o over the benchmark log, planned and with the planner
// off, side by side.
func benchQuery(b *testing.B, o Options) {
	path, size := benchLog(b)
	for _, mode := range []struct {
		name   string
		noPlan bool
	}{{"planned", false}, {"full", true}} {
		b.Run(mode.name, func(b *testing.B) {
			o := o
			o.noPlan = mode.noPlan
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(context.Background(), []string{path}, o, io.Discard, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuerySelect is `synclog query 'select(.status=="error") | .repo'`.
func BenchmarkQuerySelect(b *testing.B) {
	benchQuery(b, Options{Program: `select(.status=="error") | .repo`, Indent: 2})
}

// BenchmarkQueryGroupBySlurp is the group_by over the slurped log of
// scripts/bench-query.
func BenchmarkQueryGroupBySlurp(b *testing.B) {
	benchQuery(b, Options{
		Program: `group_by(.repo) | map({repo: .[0].repo, runs: length, errors: map(select(.status=="error")) | length})`,
		Slurp:   true, Compact: true,
	})
}
