package main

import "io"

// checkColor validates --color.
func (g *globalOptions) checkColor() error {
	switch g.Color {
	case "auto", "always", "never":
		return nil
	}
	return usageErrorf("--color %q: want auto, always or never", g.Color)
}

// useColor reports whether output to w gets ANSI colors: --color always
// says yes and never says no; auto says yes when w is a terminal and
// $NO_COLOR is unset or empty (no-color.org) and $TERM is not "dumb".
func (g *globalOptions) useColor(w io.Writer) bool {
	switch g.Color {
	case "always":
		return true
	case "never":
		return false
	}
	if v, ok := g.lookupEnv("NO_COLOR"); ok && v != "" {
		return false
	}
	if v, _ := g.lookupEnv("TERM"); v == "dumb" {
		return false
	}
	return g.isTerminal(w)
}

// isTerminal reports whether w is a terminal; tests replace the check
// through IOStreams.Terminal.
func (g *globalOptions) isTerminal(w io.Writer) bool {
	if g.io != nil && g.io.Terminal != nil {
		return g.io.Terminal(w)
	}
	return isTerminal(w)
}
