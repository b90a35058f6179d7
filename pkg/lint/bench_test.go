package lint

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkLintLog lints the log named by $SYNCLOG_BENCH_LOG (a generated
// one: go run ./scripts/gen -rows 1000000 -manifest-hex 20 -out FILE), or the
// sample.
func BenchmarkLintLog(b *testing.B) {
	path := os.Getenv("SYNCLOG_BENCH_LOG")
	if path == "" {
		path = "../../testdata/sample.ndjson"
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	opts := DefaultOptions(time.Date(2026, 4, 17, 0, 0, 0, 0, time.UTC))
	opts.MaxPerRule = DefaultMaxPerRule
	b.SetBytes(fi.Size())
	for b.Loop() {
		if _, err := Run(context.Background(), Input{Logs: []Source{{Path: path}}}, opts); err != nil {
			b.Fatal(err)
		}
	}
}
