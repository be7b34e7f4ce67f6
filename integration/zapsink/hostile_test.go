package zapsink_test

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// TestHostileCallbacks runs the hostile-callback scenarios through a zap
// logger whose core is a Core from New: its ErrorHandler logs into that
// very logger, calls Stats, blocks, is slow or panics, and so does its
// Fallback.
func TestHostileCallbacks(t *testing.T) {
	hostiletest.Run(t, hostiletest.Harness{
		New: func(t *testing.T, cfg core.Config) (sinktest.Logger, *core.Sink) {
			kc, err := zapsink.New(zapsink.Config{Sink: cfg, Level: zapcore.InfoLevel})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			hostiletest.CloseOnCleanup(t, kc.Close)
			return zapLogger{l: zap.New(kc), close: kc.Close}, kc.Sink()
		},
	})
}
