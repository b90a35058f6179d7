package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/synclog/synclog/pkg/cost"
)

// BenchmarkBuild is one summary of a ~40 MB log (the sample 250 times),
// or of the log named by $SYNCLOG_BENCH_LOG (a generated one: go run
// ./scripts/gen -rows 1000000 -manifest-hex 20 -out FILE) at
// $SYNCLOG_BENCH_NOW (default 2026-04-16T23:47:13Z, as bench-summarize).
func BenchmarkBuild(b *testing.B) {
	path, now := os.Getenv("SYNCLOG_BENCH_LOG"), os.Getenv("SYNCLOG_BENCH_NOW")
	rows := int64(-1)
	if path == "" {
		sample, err := os.ReadFile("../../testdata/sample.ndjson")
		if err != nil {
			b.Fatal(err)
		}
		data := bytes.Repeat(sample, 250)
		path = filepath.Join(b.TempDir(), "log.ndjson")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		now, rows = "2026-04-16T20:00:00Z", 100000
	} else if now == "" {
		now = "2026-04-16T23:47:13Z"
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Now: mustTime(b, now), Prices: cost.DefaultPriceModel()}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		s, err := Build(context.Background(), []string{path}, o)
		if err != nil || s.Skipped != 0 || (rows >= 0 && s.Rows != rows) {
			b.Fatal(s, err)
		}
	}
}
