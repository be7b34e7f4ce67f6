package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that a run leaves no goroutine behind: the sink, its
// loggers and the embedded cluster are all shut down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
