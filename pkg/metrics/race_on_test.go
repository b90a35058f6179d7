//go:build race

package metrics

// raceEnabled is set when the tests run under the race detector, which
// makes parsing about ten times slower.
const raceEnabled = true
