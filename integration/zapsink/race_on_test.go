//go:build race

package zapsink_test

// raceEnabled reports whether the race detector is on: it makes
// allocation counts meaningless.
const raceEnabled = true
