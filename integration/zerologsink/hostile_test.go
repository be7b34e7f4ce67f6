package zerologsink_test

import (
	"testing"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// TestHostileCallbacks runs the hostile-callback scenarios through a
// zerolog logger on a Writer from Open: its ErrorHandler logs into that
// very logger, calls Stats, blocks, is slow or panics, and so does its
// Fallback.
func TestHostileCallbacks(t *testing.T) {
	hostiletest.Run(t, hostiletest.Harness{
		New: func(t *testing.T, cfg core.Config) (sinktest.Logger, *core.Sink) {
			w, err := zerologsink.New(zerologsink.Config{Sink: cfg})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			hostiletest.CloseOnCleanup(t, w.Close)
			return &suiteLogger{w: w, l: zerolog.New(w).With().Timestamp().Logger()}, w.Sink()
		},
	})
}
