package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// docsDirs are the generated trees under docs/, by the gen-docs flag that
// writes each.
var docsDirs = map[string]string{"man": "--man", "reference": "--markdown"}

// TestDocs runs the docs generator (the gen-docs command of a build with
// -tags gendocs, as scripts/gen-docs does) into a temporary directory and
// checks that docs/man and docs/reference hold exactly what it wrote;
// -update replaces them with it.
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds synclog with -tags gendocs")
	}
	out := t.TempDir()
	args := []string{"run", "-tags", "gendocs", ".", "gen-docs"}
	for dir, flag := range docsDirs {
		args = append(args, flag, filepath.Join(out, dir))
	}
	gen := exec.Command("go", args...)
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}

	// One page per command people can run, in each format.
	var want []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		want = append(want, "man/"+strings.ReplaceAll(c.CommandPath(), " ", "-")+".1",
			"reference/"+strings.ReplaceAll(c.CommandPath(), " ", "_")+".md")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	walk(newRootCmd(&IOStreams{}))
	sort.Strings(want)
	got := readTree(t, out)
	if names := sortedKeys(got); strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("gen-docs wrote\n  %s\nwant one page per command:\n  %s", strings.Join(names, "\n  "), strings.Join(want, "\n  "))
	}
	for name, b := range got {
		// A date in a page would change it every day.
		if bytes.Contains(b, []byte("Auto generated")) {
			t.Errorf("%s: has cobra's dated \"Auto generated\" line", name)
		}
	}

	docs := filepath.Join("..", "..", "docs")
	if *update {
		for dir := range docsDirs {
			must(t, os.RemoveAll(filepath.Join(docs, dir)))
		}
		for name, b := range got {
			path := filepath.Join(docs, filepath.FromSlash(name))
			must(t, os.MkdirAll(filepath.Dir(path), 0o755))
			must(t, os.WriteFile(path, b, 0o644))
		}
		return
	}
	if diffs := diffTrees(got, readTree(t, docs)); len(diffs) > 0 {
		t.Errorf("docs/ is not what the command tree generates; run scripts/gen-docs (or go test ./cmd/synclog -run TestDocs -update):\n  %s",
			strings.Join(diffs, "\n  "))
	}
}

// TestGenDocsStub checks that the binary people run, built without the
// generator, says where the generator is.
func TestGenDocsStub(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runArgs(context.Background(), []string{"gen-docs", "--man", t.TempDir()},
		&IOStreams{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	if code != exitUsage || !strings.Contains(stderr.String(), "scripts/gen-docs") {
		t.Errorf("gen-docs without -tags gendocs: exit %d, stderr %q; want exit 2 naming scripts/gen-docs", code, stderr.String())
	}
}

// readTree reads the files of the generated directories under root, keyed
// by their slash-separated path relative to root. A missing directory is
// empty.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for dir := range docsDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, path)
			files[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return files
}

// diffTrees describes how have differs from want: pages missing, pages
// extra, and the first differing line of each page that differs.
func diffTrees(want, have map[string][]byte) []string {
	var diffs []string
	for _, name := range sortedKeys(want) {
		h, ok := have[name]
		switch {
		case !ok:
			diffs = append(diffs, "docs/"+name+": missing")
		case !bytes.Equal(h, want[name]):
			diffs = append(diffs, "docs/"+name+": "+firstLineDiff(want[name], h))
		}
	}
	for _, name := range sortedKeys(have) {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, "docs/"+name+": no command has this page")
		}
	}
	return diffs
}

// firstLineDiff names the first line where have departs from want.
func firstLineDiff(want, have []byte) string {
	w, h := strings.Split(string(want), "\n"), strings.Split(string(have), "\n")
	for i := 0; i < len(w) || i < len(h); i++ {
		var wl, hl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(h) {
			hl = h[i]
		}
		if wl != hl || i >= len(w) || i >= len(h) {
			return fmt.Sprintf("line %d is %q, generated %q", i+1, hl, wl)
		}
	}
	return "differs"
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
