package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Stamped by the release build through -ldflags "-X main.version=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

func versionString() string {
	v, c, d := version, commit, date
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	if c == "" {
		c = "none"
	}
	if d == "" {
		d = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Long: `Print the version, commit and build date of this binary.

Exit status: 0.`,
		Example: "  synclog version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(g.io.Out, "synclog %s\n", versionString())
			return err
		},
	}
}

func newCompletionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell.

  bash:  source <(synclog completion bash)
  zsh:   synclog completion zsh > "${fpath[1]}/_synclog"
  fish:  synclog completion fish > ~/.config/fish/completions/synclog.fish

Exit status: 0 success; 2 an unknown shell.`,
		Example:               "  synclog completion bash > /etc/bash_completion.d/synclog",
		Args:                  cobra.ExactArgs(1),
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(g.io.Out, true)
			case "zsh":
				return root.GenZshCompletion(g.io.Out)
			case "fish":
				return root.GenFishCompletion(g.io.Out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(g.io.Out)
			}
			return usageErrorf("unknown shell %q (want bash, zsh, fish or powershell)", args[0])
		},
	}
}
