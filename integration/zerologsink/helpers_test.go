package zerologsink_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// readTimeout bounds every wait for records in these tests.
const readTimeout = 10 * time.Second

// startCluster starts a one-broker cluster for t (skipped under -short).
func startCluster(t *testing.T) *kafkatest.Cluster {
	t.Helper()
	return kafkatest.Start(t, kfake.NumBrokers(1))
}

// config returns a sink configuration for c that only delivers on Flush and
// Close, so that tests see what those do, and reports the sink's errors
// through t.
func config(t *testing.T, c *kafkatest.Cluster) core.Config {
	return core.Config{
		Brokers:         c.Addrs(),
		Period:          time.Hour,
		BatchSizeLimit:  10000,
		DelayFirstEntry: true,
		MinBackoff:      10 * time.Millisecond,
		MaxBackoff:      100 * time.Millisecond,
		ErrorHandler:    testutil.ErrorLog(t), // logs when t ends: the sink calls it from its own goroutine
	}
}

// newWriter returns a Writer that owns a sink built from cfg, closed when
// t ends.
func newWriter(t *testing.T, cfg core.Config) *zerologsink.Writer {
	t.Helper()
	w, err := zerologsink.New(zerologsink.Config{Sink: cfg})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// flush flushes w, failing t if anything was not delivered.
func flush(t *testing.T, w *zerologsink.Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("Flush: got %v, want nil", err)
	}
}

// equalStrings fails t unless got equals want, element by element.
func equalStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d\ngot:  %q\nwant: %q", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: value %d: got %q, want %q", what, i, got[i], want[i])
		}
	}
}

// captureZerologErrors makes zerolog report write errors to the returned
// function instead of stderr, for the rest of t. zerolog's ErrorHandler is
// a global: tests that use this must not run in parallel.
func captureZerologErrors(t *testing.T) func() []error {
	var (
		mu   sync.Mutex
		errs []error
	)
	old := zerolog.ErrorHandler
	zerolog.ErrorHandler = func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	t.Cleanup(func() { zerolog.ErrorHandler = old })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}
