package main

import (
	"log"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestRun runs the example against its in-process broker and checks what
// it says landed in each topic, and what the console got.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker")
	}
	defer goleak.VerifyNone(t)
	t.Setenv("KAFKA_BROKERS", "")
	oldDefault, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	defer func() { // run makes its logger the default
		slog.SetDefault(oldDefault)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	}()

	var out, console strings.Builder
	if err := run(&out, &console); err != nil {
		t.Fatalf("run: got %v, want nil", err)
	}
	const traceparent2 = "00-4bf92f3577b34da6a3ce929d0e0e4702-00f067aa0ba90202-01" // request 2's span
	for _, want := range []string{
		"delivered 7 entries", "dropped 0",
		"app-logs: 6", "app-logs-errors: 1",
		`"msg":"legacy code path: 2 retries"`, // log.Printf, through slog.SetDefault
		"key=4bf92f3577b34da6a3ce929d0e0e4702 traceparent=" + traceparent2 + ` {"time":`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	errorsTopic := out.String()[strings.Index(out.String(), "app-logs-errors:"):]
	if !strings.Contains(errorsTopic, traceparent2) || !strings.Contains(errorsTopic, `"msg":"payment failed"`) {
		t.Errorf("app-logs-errors does not hold the failed payment with its trace:\n%s", errorsTopic)
	}
	for _, want := range []string{`msg="order placed"`, `msg="legacy code path: 2 retries"`, "level=ERROR"} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("the console lacks %q:\n%s", want, console.String())
		}
	}
}
