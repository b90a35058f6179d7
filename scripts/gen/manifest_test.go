package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"
)

// A shorter -manifest-hex changes the hashes and nothing else.
func TestManifestHex(t *testing.T) {
	run := func(hex int) []byte {
		var buf bytes.Buffer
		cfg := config{Rows: 3000, Days: 14, End: time.Date(2026, 4, 17, 0, 0, 0, 0, time.UTC), Seed: 3, ManifestHex: hex}
		if err := generate(&buf, cfg); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	full, short := run(0), run(20)
	if !bytes.Equal(full, run(64)) {
		t.Fatal("-manifest-hex 64 differs from the default")
	}
	full64 := regexp.MustCompile(`sha256:([0-9a-f]{20})[0-9a-f]{44}`)
	if got := full64.ReplaceAll(full, []byte("sha256:$1")); !bytes.Equal(got, short) {
		t.Fatal("-manifest-hex 20 changed more than the hashes")
	}
	if len(short) >= len(full)*4/5 {
		t.Fatalf("-manifest-hex 20: %d bytes, full hashes %d: expected about a fifth less", len(short), len(full))
	}
	for _, h := range []int{11, 65, -1} {
		if err := (config{Days: 1, ManifestHex: h}).validate(); err == nil {
			t.Errorf("ManifestHex %d: no error", h)
		}
	}
}
