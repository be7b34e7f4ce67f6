package slogsink_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/slogsink"
)

// readTimeout bounds every wait for records in these tests.
const readTimeout = 10 * time.Second

// topicSeq makes topic names unique within a test binary.
var topicSeq atomic.Int64

// newTopic creates a topic with the given partitions on c, named after
// prefix, and returns its name.
func newTopic(t testing.TB, c *kafkatest.Cluster, prefix string, partitions int) string {
	t.Helper()
	topic := prefix + "-" + strconv.FormatInt(topicSeq.Add(1), 10)
	c.CreateTopic(t, topic, partitions)
	return topic
}

// quiet returns a sink configuration for c and topic that sends nothing
// until Flush or Close: an hour's period, no eager first entry, big
// batches. Background errors go to the test log when the test ends.
func quiet(t testing.TB, c *kafkatest.Cluster, topic string) core.Config {
	return core.Config{
		Brokers:         c.Addrs(),
		Topic:           topic,
		Period:          time.Hour,
		BatchSizeLimit:  10000,
		DelayFirstEntry: true,
		MinBackoff:      10 * time.Millisecond,
		MaxBackoff:      100 * time.Millisecond,
		ErrorHandler:    errorLog(t),
	}
}

// errorLog returns an ErrorHandler that collects errors and logs them
// when the test ends, since the sink may call it from its goroutines.
func errorLog(t testing.TB) func(error) {
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

// newHandler is slogsink.New that fails t on error and closes the
// handler when the test ends.
func newHandler(t testing.TB, cfg slogsink.Config) *slogsink.Handler {
	t.Helper()
	h, err := slogsink.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// flush flushes h, failing t if anything was not delivered.
func flush(t testing.TB, h *slogsink.Handler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// decode parses a record's value as a JSON object.
func decode(t testing.TB, r kafkatest.Record) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Value, &m); err != nil {
		t.Fatalf("record %v: %v", r, err)
	}
	return m
}
