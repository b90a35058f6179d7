package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/synclog/synclog/pkg/ndjson"
)

func gen(t *testing.T, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	cfg := config{Rows: 2000, Days: 14, End: time.Date(2026, 4, 17, 0, 0, 0, 0, time.UTC), Seed: seed}
	if err := generate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGenerate(t *testing.T) {
	out := gen(t, 7)
	if again := gen(t, 7); !bytes.Equal(out, again) {
		t.Fatal("same seed produced different output")
	}
	if other := gen(t, 8); bytes.Equal(out, other) {
		t.Fatal("different seeds produced identical output")
	}

	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	if len(lines) != 2000 {
		t.Fatalf("got %d lines, want 2000", len(lines))
	}
	chain := map[string]string{} // repo+scope -> manifest_after of last successful push
	for i, line := range lines {
		var row map[string]any
		if err := json.Unmarshal(line, &row); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		for _, k := range ndjson.RequiredKeys {
			if _, ok := row[k]; !ok {
				t.Fatalf("line %d: missing key %q: %s", i+1, k, line)
			}
		}
		if row["op"] != ndjson.OpPush || row["status"] == ndjson.StatusError {
			continue
		}
		key := row["repo"].(string) + "\x00" + row["scope"].(string)
		before, after := row["manifest_before"].(string), row["manifest_after"].(string)
		if prev, ok := chain[key]; ok && prev != before {
			t.Fatalf("line %d: manifest_before %s, want previous push's manifest_after %s", i+1, before, prev)
		}
		chain[key] = after
	}
}
