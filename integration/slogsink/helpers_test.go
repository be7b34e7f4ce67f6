package slogsink_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
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

// quiet returns testutil.Quiet's sink configuration for c and topic, with
// short backoffs: it sends nothing until Flush or Close.
func quiet(t testing.TB, c *kafkatest.Cluster, topic string) core.Config {
	cfg := testutil.Quiet(t, c)
	cfg.Topic = topic
	cfg.MinBackoff = 10 * time.Millisecond
	cfg.MaxBackoff = 100 * time.Millisecond
	return cfg
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
