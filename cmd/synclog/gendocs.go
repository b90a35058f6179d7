//go:build gendocs

// The docs generator is built only with -tags gendocs (scripts/gen-docs,
// the release's before hook, TestDocs): cobra/doc pulls in a markdown
// renderer whose package initialisation would otherwise run on every
// 'synclog record'.

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

// docsDate is the date the man pages in docs/man carry, so that
// regenerating them gives the same bytes; a release passes its commit date.
const docsDate = "2026-01-01"

// genDocsOptions holds gen-docs' flags.
type genDocsOptions struct {
	ManDir      string
	MarkdownDir string
	Date        string
}

// AddFlags registers the flags on fs.
func (o *genDocsOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ManDir, "man", "", "directory to write the man pages to (section 1)")
	fs.StringVar(&o.MarkdownDir, "markdown", "", "directory to write the markdown command reference to")
	fs.StringVar(&o.Date, "date", docsDate, "date in the man pages' header: YYYY-MM-DD or RFC 3339")
}

func newGenDocsCmd(g *globalOptions) *cobra.Command {
	opts := &genDocsOptions{}
	cmd := &cobra.Command{
		Use:   "gen-docs",
		Short: "Write the man pages and the markdown command reference",
		Long: `Write a man page and a markdown page for every command, built from the
command tree of this binary. Only a binary built with -tags gendocs has it.

Exit status: 0 success; 1 a page could not be written; 2 a usage error.`,
		Hidden: true,
		Args:   cobra.NoArgs,
		// The pages describe defaults, not this user's environment or
		// config file: skip the root's resolution of both.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenDocs(opts, g.io.Err)
		},
	}
	opts.AddFlags(cmd.Flags())
	commandLineOnly(cmd.Flags())
	return cmd
}

// runGenDocs writes the pages opts asks for, from a fresh command tree: one
// that no flag parsing or configuration file has touched.
func runGenDocs(opts *genDocsOptions, stderr io.Writer) error {
	if opts.ManDir == "" && opts.MarkdownDir == "" {
		return usageErrorf("gen-docs: give --man DIR, --markdown DIR or both")
	}
	date, err := parseDocsDate(opts.Date)
	if err != nil {
		return err
	}
	// A tree for each format: the man pages need the flags' usage text
	// escaped as well, the markdown reference shows it verbatim.
	tree := func(escapeUsage bool) *cobra.Command {
		root := newRootCmd(&IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: stderr})
		// The version flag is added only when the root executes; the pages
		// should list it.
		root.InitDefaultVersionFlag()
		var walk func(c *cobra.Command)
		walk = func(c *cobra.Command) {
			// No "Auto generated on <today>" lines: the pages must not
			// change from one day to the next.
			c.DisableAutoGenTag = true
			c.Short = escapeMarkdown(c.Short)
			c.Long = plainToMarkdown(c.Long)
			if escapeUsage {
				c.LocalFlags().VisitAll(func(f *pflag.Flag) { f.Usage = escapeMarkdown(f.Usage) })
			}
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
		walk(root)
		return root
	}

	if opts.ManDir != "" {
		root := tree(true)
		if err := os.MkdirAll(opts.ManDir, 0o755); err != nil {
			return err
		}
		err := doc.GenManTreeFromOpts(root, doc.GenManTreeOptions{
			Path:             opts.ManDir,
			CommandSeparator: "-",
			Header: &doc.GenManHeader{
				Section: "1",
				Date:    &date,
				Source:  "synclog",
				Manual:  "synclog manual",
			},
		})
		if err != nil {
			return fmt.Errorf("man pages: %w", err)
		}
	}
	if opts.MarkdownDir != "" {
		root := tree(false)
		if err := os.MkdirAll(opts.MarkdownDir, 0o755); err != nil {
			return err
		}
		prepend := func(string) string {
			return "<!-- Generated from synclog's command tree by scripts/gen-docs: edit the command's help, not this file. -->\n\n"
		}
		link := func(name string) string { return name }
		if err := doc.GenMarkdownTreeCustom(root, opts.MarkdownDir, prepend, link); err != nil {
			return fmt.Errorf("markdown reference: %w", err)
		}
	}
	return nil
}

// parseDocsDate reads --date: a day, or an RFC 3339 time such as a
// release's commit date.
func parseDocsDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageErrorf("--date %q: want YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// plainToMarkdown turns a help text written for a terminal into markdown
// that renders the same: runs of indented lines (commands, tables) become
// code blocks, and the rest is escaped so that "<root>" or "SYNCLOG_*"
// stays text.
func plainToMarkdown(s string) string {
	var b strings.Builder
	inCode, prev := false, ""
	for _, line := range strings.Split(s, "\n") {
		indented := strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")
		switch {
		case indented && !inCode:
			if prev != "" {
				b.WriteString("\n")
			}
			b.WriteString("```\n")
			inCode = true
		case !indented && inCode:
			b.WriteString("```\n")
			if line != "" {
				b.WriteString("\n")
			}
			inCode = false
		}
		prev = line
		if inCode {
			b.WriteString(line)
		} else {
			b.WriteString(escapeMarkdown(line))
		}
		b.WriteString("\n")
	}
	if inCode {
		b.WriteString("```\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// escapeMarkdown escapes the characters that markdown would read as
// emphasis, code, links, HTML or a heading. An underscore inside a word
// (first_failure) is left alone: neither renderer reads it as emphasis.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte("\\`*[]<>", c) >= 0,
			c == '_' && !(i > 0 && isWordByte(s[i-1]) && i+1 < len(s) && isWordByte(s[i+1])),
			c == '#' && strings.TrimSpace(s[:i]) == "":
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
