package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/synclog/synclog/pkg/cost"
)

// BenchmarkBuild is one summary of a ~40 MB log (the sample 250 times).
func BenchmarkBuild(b *testing.B) {
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(sample, 250)
	path := filepath.Join(b.TempDir(), "log.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	now := mustTime(b, "2026-04-16T20:00:00Z")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := Build(context.Background(), []string{path}, Options{Now: now, Prices: cost.DefaultPriceModel()})
		if err != nil || s.Rows != 100000 {
			b.Fatal(s, err)
		}
	}
}
