package testutil

import (
	"sync"
	"testing"
)

// ErrorLog returns a Config.ErrorHandler that collects errors and logs
// them when the test ends: the sink may call it from its goroutines, after
// the test's own goroutine has returned.
func ErrorLog(t testing.TB) func(error) {
	var (
		mu   sync.Mutex
		errs []error
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, err := range errs {
			t.Logf("sink error: %v", err)
		}
	})
	return func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
}
