package kafkaotel_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the tests leave no goroutine behind. (The tests
// against a broker are in the integration module, integration/contrib.)
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
