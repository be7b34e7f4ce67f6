package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that a run leaves no goroutine behind: the HTTP server,
// the sink and the embedded cluster are all shut down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
