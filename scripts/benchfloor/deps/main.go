// Command deps links the libraries synclog must use and does nothing: its
// start-up time is the floor under any command of a binary built on them
// (scripts/bench-record times it beside synclog record).
package main

import (
	"os"

	_ "github.com/gofrs/flock"
	_ "github.com/itchyny/gojq"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
)

func main() { os.Exit(0) }
