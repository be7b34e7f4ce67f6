package otel_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the tests leave no goroutine behind: the sink, the
// HTTP server and client, the read-back consumer and the cluster stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// kfake (test infrastructure, not the sink): a control hook's
		// goroutine (SleepControl) can stay blocked on the cluster's
		// mutex after the cluster is closed.
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*Cluster).runControl.func1"),
	)
}
