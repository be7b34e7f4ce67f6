package testutil

import "testing"

// WantAllocs fails t if f allocates other than n times per call, on
// average over 1000 calls as testing.AllocsPerRun counts (rounding down,
// so amortised growth of the sink's queue and arena counts as 0). It skips
// t under the race detector, which allocates.
func WantAllocs(t *testing.T, n float64, f func()) {
	t.Helper()
	if RaceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if got := testing.AllocsPerRun(1000, f); got != n {
		t.Errorf("got %v allocs per call, want %v", got, n)
	}
}
