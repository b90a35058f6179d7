package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synclog/synclog/pkg/ndjson"
)

// readmeBlock is one fenced code block of README.md.
type readmeBlock struct {
	lang, body, skip string
	line             int
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	lines := strings.Split(string(b), "\n")
	prev := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") && len(l) > 3 {
			blk := readmeBlock{lang: strings.TrimPrefix(l, "```"), line: i + 1}
			if strings.HasPrefix(prev, "<!-- readme-test: skip") {
				blk.skip = prev
			}
			var body []string
			for i++; i < len(lines) && lines[i] != "```"; i++ {
				body = append(body, lines[i])
			}
			blk.body = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, blk)
		}
		if strings.TrimSpace(l) != "" {
			prev = l
		}
	}
	return blocks
}

// TestReadmeExamples runs every sh block of README.md (a block marked
// "readme-test: skip" says why it is run elsewhere) and checks every json
// block: the event row parses as a valid row, the Stop hook entry is valid
// JSON whose command is synclog record with --hook and a timeout.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the README's commands")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "synclog"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sample, err := os.ReadFile("../../testdata/sample.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := filepath.Abs("../..")
	ran := 0
	for _, blk := range readmeBlocks(t) {
		switch blk.lang {
		case "sh":
			if blk.skip != "" {
				if !strings.Contains(blk.skip, ";") {
					t.Errorf("README.md:%d: a skipped block must say why", blk.line)
				}
				continue
			}
			if strings.HasPrefix(blk.body, "go install ") {
				// The module path resolves only once the project is published;
				// check the package path it names exists here instead.
				if _, err := os.Stat(filepath.Join(repo, "cmd/synclog/main.go")); err != nil {
					t.Errorf("README.md:%d: %v", blk.line, err)
				}
				continue
			}
			dir := t.TempDir()
			if strings.HasPrefix(blk.body, "go run ") {
				dir = repo // the newcomer's command runs in the clone
			} else {
				must(t, os.MkdirAll(filepath.Join(dir, "testdata"), 0o755))
				must(t, os.WriteFile(filepath.Join(dir, "testdata", "sample.ndjson"), sample, 0o644))
			}
			cmd := exec.Command("sh", "-e", "-c", blk.body)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"HOME="+t.TempDir(), "SYNCLOG_MACHINE=readme")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("README.md:%d: %v\n%s\nstderr:\n%s", blk.line, err, blk.body, stderr.String())
				continue
			}
			ran++
			if strings.Contains(blk.body, "synclog record") && !strings.Contains(blk.body, "--log") {
				// record's examples append to the default log.
				b, err := os.ReadFile(filepath.Join(dir, DefaultLog))
				if err != nil || bytes.Count(b, []byte{'\n'}) == 0 {
					t.Errorf("README.md:%d: record wrote no row (%v)", blk.line, err)
				}
			}
			if strings.Contains(blk.body, "query") && stdout.Len() == 0 && !strings.Contains(blk.body, "/dev/null") {
				t.Errorf("README.md:%d: query printed nothing", blk.line)
			}
		case "json":
			var v any
			if err := json.Unmarshal([]byte(blk.body), &v); err != nil {
				t.Errorf("README.md:%d: invalid JSON: %v", blk.line, err)
				continue
			}
			if strings.HasPrefix(blk.body, `{"ts"`) {
				var e ndjson.Event
				if err := ndjson.ParseEvent([]byte(strings.TrimSpace(blk.body)), &e); err != nil {
					t.Errorf("README.md:%d: the example row is not valid: %v", blk.line, err)
				}
				continue
			}
			hook := v.(map[string]any)["hooks"].(map[string]any)["Stop"].([]any)[0].(map[string]any)["hooks"].([]any)[0].(map[string]any)
			command, _ := hook["command"].(string)
			if !strings.HasPrefix(command, "synclog record ") || !strings.Contains(command, "--hook") || hook["timeout"] == nil {
				t.Errorf("README.md:%d: the Stop hook must run synclog record --hook with a timeout: %v", blk.line, hook)
			}
		}
	}
	if ran < 5 {
		t.Errorf("ran %d sh blocks; the README has more", ran)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
