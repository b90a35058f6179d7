// Command gen writes a deterministic, realistic synclog sync-event log
// (ndjson, one row per line, rendered with ndjson.Event.AppendJSON) for
// tests, demos and benchmarks.
//
// Usage:
//
//	go run ./scripts/gen -rows N -days D -end 2026-04-17T00:00:00Z -seed S [-manifest-hex H] [-out FILE]
//
// Flags:
//
//	-rows N   number of rows to write (default 1000)
//	-days D   window length in days; every row's ts falls in
//	          [end - D days, end) (default 14)
//	-end T    end of the window, RFC 3339 (default 2026-04-17T00:00:00Z)
//	-seed S   PRNG seed (uint64); the same flags always produce
//	          byte-identical output (default 1)
//	-manifest-hex H
//	          hex digits of each manifest hash after "sha256:", 12 to 64
//	          (default 64, the full SHA-256). Writers that store a truncated
//	          content hash (as git's short ids do) make shorter rows: with
//	          -manifest-hex 20 a row averages about 320 bytes instead of about
//	          408, the row size the performance figures are stated for
//	          (scripts/bench-summarize uses it). Nothing else changes: the
//	          same seed gives the same rows, only with shorter hashes.
//	-out F    output file; "" or "-" means stdout (default stdout)
//
// What the output models: 6 repos with their scopes, 8 machines (6 laptops
// and dev boxes driven mostly by the stop-hook, 2 CI runners driven by cron,
// cli and background), 12 tenants (about a third of rows carry no tenant_id),
// ~65% pushes, ~4% failures (clustered in retry bursts on one repo+machine
// that end with a successful retry, plus isolated and a few long-tail
// multi-part error chains), a daily/weekly rhythm in UTC, ~0.5% of rows
// appended slightly out of order, and a per (repo, scope) manifest chain:
// each successful push's manifest_before is the previous successful push's
// manifest_after. Two machines run an older writer that omits status on
// success and files_total.
//
// The shipped sample is testdata/sample.ndjson:
//
//	go run ./scripts/gen -rows 400 -days 14 -end 2026-04-17T00:00:00Z -seed 1 -out testdata/sample.ndjson
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	var (
		rows = flag.Int("rows", 1000, "number of rows to write")
		days = flag.Int("days", 14, "window length in days, ending at -end")
		end  = flag.String("end", "2026-04-17T00:00:00Z", "end of the window (RFC 3339, exclusive)")
		seed = flag.Uint64("seed", 1, "PRNG seed; same flags give byte-identical output")
		out  = flag.String("out", "", `output file ("" or "-" for stdout)`)
		mhex = flag.Int("manifest-hex", 64, "hex digits of each manifest hash after \"sha256:\" (12 to 64; 20 gives ~320-byte rows)")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		fatalf("unexpected arguments: %v", flag.Args())
	}
	endT, err := time.Parse(time.RFC3339, *end)
	if err != nil {
		fatalf("-end: %v", err)
	}
	cfg := config{Rows: *rows, Days: *days, End: endT, Seed: *seed, ManifestHex: *mhex}
	if err := cfg.validate(); err != nil {
		fatalf("%v", err)
	}

	var dst io.Writer = os.Stdout
	var f *os.File
	if *out != "" && *out != "-" {
		f, err = os.Create(*out)
		if err != nil {
			fatalf("%v", err)
		}
		dst = f
	}
	w := bufio.NewWriterSize(dst, 4<<20)
	if err := generate(w, cfg); err != nil {
		fatalf("write: %v", err)
	}
	if err := w.Flush(); err != nil {
		fatalf("write: %v", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			fatalf("%v", err)
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gen: "+format+"\n", args...)
	os.Exit(1)
}
