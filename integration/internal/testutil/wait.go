package testutil

import (
	"testing"
	"time"
)

// WaitFor polls cond every 5ms until it holds, or fails t after timeout
// with what describe says.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %v: %s", timeout, describe())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
