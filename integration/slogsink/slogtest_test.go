package slogsink_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/slogtest"

	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/slogsink"
)

// TestSlogtest runs the standard library's handler conformance suite,
// testing/slogtest, on what was read back from Kafka: each case logs
// through a Handler into its own topic, and the record a real consumer
// reads from it is the result the case checks.
func TestSlogtest(t *testing.T) {
	c := kafkatest.Start(t)
	var h *slogsink.Handler
	var topic string
	slogtest.Run(t,
		func(t *testing.T) slog.Handler {
			topic = newTopic(t, c, "slogtest", 1)
			h = newHandler(t, slogsink.Config{Sink: quiet(t, c, topic)})
			return h
		},
		func(t *testing.T) map[string]any {
			if err := h.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			recs := c.ReadAll(t, topic)
			if len(recs) != 1 {
				t.Fatalf("got %d records in %s, want 1", len(recs), topic)
			}
			return testutil.Decode(t, recs[0])
		})
}

// TestSlogtestOneHandler runs slogtest.TestHandler: every case through
// one Handler into one topic of one partition, read back in order.
func TestSlogtestOneHandler(t *testing.T) {
	c := kafkatest.Start(t)
	topic := newTopic(t, c, "slogtest-all", 1)
	h := newHandler(t, slogsink.Config{Sink: quiet(t, c, topic)})
	err := slogtest.TestHandler(h, func() []map[string]any {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		if err := h.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		var ms []map[string]any
		for _, r := range c.ReadAll(t, topic) {
			ms = append(ms, testutil.Decode(t, r))
		}
		return ms
	})
	if err != nil {
		t.Error(err)
	}
}
