//go:build !gendocs

package main

import "github.com/spf13/cobra"

// newGenDocsCmd stands in for the docs generator in the binary people run,
// which leaves cobra/doc out (see gendocs.go): a hidden command that says
// where the real one is.
func newGenDocsCmd(*globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "gen-docs",
		Short: "Write the man pages and the markdown command reference",
		Long: `Not in this binary: the man pages and the markdown reference are
written by a build with -tags gendocs; in a clone of the source, run
scripts/gen-docs.

Exit status: 2.`,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErrorf("gen-docs: this synclog was built without the docs generator; run scripts/gen-docs in a clone of the source")
		},
	}
}
