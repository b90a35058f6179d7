package main

import (
	"bytes"
	"io"
	"testing"
)

func TestUseColor(t *testing.T) {
	cases := []struct {
		color    string
		terminal bool
		env      map[string]string
		want     bool
	}{
		{"auto", true, nil, true},
		{"auto", false, nil, false},
		{"auto", true, map[string]string{"NO_COLOR": "1"}, false},
		{"auto", true, map[string]string{"NO_COLOR": ""}, true}, // set but empty: ignored
		{"auto", true, map[string]string{"TERM": "dumb"}, false},
		{"always", false, map[string]string{"NO_COLOR": "1"}, true},
		{"never", true, nil, false},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		g := &globalOptions{Color: tc.color, lookupEnv: func(k string) (string, bool) {
			v, ok := tc.env[k]
			return v, ok
		}}
		g.io = &IOStreams{Out: &out, Terminal: func(io.Writer) bool { return tc.terminal }}
		if err := g.checkColor(); err != nil {
			t.Fatal(err)
		}
		if got := g.useColor(&out); got != tc.want {
			t.Errorf("--color %s, terminal %v, env %v: %v, want %v", tc.color, tc.terminal, tc.env, got, tc.want)
		}
	}
	if err := (&globalOptions{Color: "yes"}).checkColor(); err == nil {
		t.Error("--color yes accepted")
	}
}
