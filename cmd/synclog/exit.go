package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// exitError carries the status a command ends with. A nil err means the
// command already said what it had to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks a mistake in the command line or the configuration.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// withCode makes err end the command with code; a nil err prints nothing.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// silentExit ends the command with code without a message.
func silentExit(code int) error { return &exitError{code: code} }

// run is the whole program: it returns the exit status.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runArgs(ctx, os.Args[1:], &IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

// runArgs runs synclog with args and streams and maps the outcome to an
// exit status: the one place errors become codes.
func runArgs(ctx context.Context, args []string, io *IOStreams) int {
	root := newRootCmd(io)
	root.SetArgs(normalizeJQArgs(args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	isRecord := cmd != nil && cmd.Name() == "record"
	code := exitFailure
	var ee *exitError
	var ue *usageError
	switch {
	case errors.As(err, &ee):
		code = ee.code
		if ee.err == nil {
			return code
		}
		err = ee.err
	case errors.As(err, &ue) || isCobraUsage(err):
		code = exitUsage
	}
	if isRecord && code == exitUsage {
		// A Stop hook's exit 2 keeps Claude from finishing: record never uses it.
		code = exitFailure
	}
	msg := strings.TrimSpace(err.Error())
	if isRecord {
		msg = strings.ReplaceAll(msg, "\n", "; ")
	}
	fmt.Fprintf(io.Err, "synclog: %s\n", msg)
	if code == exitUsage && !isRecord && cmd != nil {
		fmt.Fprintf(io.Err, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// isCobraUsage recognises the errors cobra returns for unknown commands and
// bad arguments.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag", "invalid args"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// IOStreams are the streams a command reads and writes; tests inject buffers.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Terminal, when set, says which of the streams are terminals, in
	// place of asking the operating system (tests).
	Terminal func(w io.Writer) bool
}

// flagErr turns every flag parsing error into a usage error.
func flagErr(_ *cobra.Command, err error) error { return &usageError{err} }
