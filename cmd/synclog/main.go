// Command synclog reads, reports on and appends to a sync-event log in ndjson.
package main

import "os"

func main() { os.Exit(run()) }
