package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that a run leaves no goroutine behind: the sink is
// closed whether or not MSK took the entries.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
