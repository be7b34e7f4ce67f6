package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestRun runs the example against its in-process broker.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker")
	}
	defer goleak.VerifyNone(t)
	t.Setenv("KAFKA_BROKERS", "")
	if err := run(); err != nil {
		t.Fatalf("run: got %v, want nil", err)
	}
}
