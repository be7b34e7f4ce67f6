package zapsink_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// kfake (test infrastructure, not the sink): a control hook's
		// goroutine (SleepControl, for a stuck broker in the hostile-callback
		// scenarios) can stay blocked on the cluster's mutex after the
		// cluster is closed.
		goleak.IgnoreAnyFunction("github.com/twmb/franz-go/pkg/kfake.(*Cluster).runControl.func1"),
	)
}
