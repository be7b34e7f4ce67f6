//go:build !race

package testutil

// RaceEnabled reports whether the race detector is on: it allocates, so
// allocation counts are not checked under it.
const RaceEnabled = false
