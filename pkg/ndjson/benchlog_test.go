package ndjson

import (
	"bufio"
	"os"
	"testing"
)

// BenchmarkParseLog parses, lean as summarize does, the first 4000 rows of
// the log named by $SYNCLOG_BENCH_LOG (a generated one: go run ./scripts/gen
// -rows 1000000 -manifest-hex 20 -out FILE), or of testdata/sample.ndjson,
// and reports the time a row.
func BenchmarkParseLog(b *testing.B) {
	path := os.Getenv("SYNCLOG_BENCH_LOG")
	if path == "" {
		path = "../../testdata/sample.ndjson"
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	var size int64
	sc := bufio.NewScanner(f)
	for len(lines) < 4000 && sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
		size += int64(len(sc.Bytes())) + 1
	}
	p := NewParser()
	p.Lean = true
	var e Event
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if err := p.Parse(l, &e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(lines)), "ns/row")
}
