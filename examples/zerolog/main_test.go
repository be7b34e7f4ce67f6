package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestRun runs the example against its in-process broker and checks what
// it says landed in each topic.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker")
	}
	defer goleak.VerifyNone(t)
	t.Setenv("KAFKA_BROKERS", "")
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("run: got %v, want nil", err)
	}
	for _, want := range []string{
		"delivered 6 entries", "dropped 0",
		"logs-debug: 1", "logs-info: 3", "logs-warn: 1", "logs-error: 1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
