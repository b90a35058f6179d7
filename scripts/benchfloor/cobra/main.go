// Command cobra links cobra alone and does nothing: the start-up floor of
// any cobra CLI (scripts/bench-record times it beside synclog record).
package main

import (
	"os"

	_ "github.com/spf13/cobra"
)

func main() { os.Exit(0) }
