package core_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/sinktest"
)

// TestHostileCallbacks runs the hostile-callback scenarios on core.Sink
// alone, through the smallest logger there is: one JSON object per call,
// straight into Sink.Write. The adapters run the same scenarios through
// zap and zerolog.
func TestHostileCallbacks(t *testing.T) {
	hostiletest.Run(t, hostiletest.Harness{
		New: func(t *testing.T, cfg core.Config) (sinktest.Logger, *core.Sink) {
			s, err := core.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			hostiletest.CloseOnCleanup(t, jsonLogger{s: s}.Close)
			return jsonLogger{s: s}, s
		},
	})
}

// jsonLogger logs each entry as a JSON object into a core.Sink.
type jsonLogger struct {
	s      *core.Sink
	fields []sinktest.Field
}

func (l jsonLogger) Log(level core.Level, msg string, fields ...sinktest.Field) {
	m := map[string]any{"level": level.String(), "msg": msg}
	for _, f := range append(l.fields, fields...) {
		m[f.Key] = f.Value
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	_ = l.s.Write(core.Entry{Level: level, Message: msg, JSON: b}) // refusals are counted by the sink
}

func (l jsonLogger) With(fields ...sinktest.Field) sinktest.Logger {
	return jsonLogger{s: l.s, fields: append(l.fields[:len(l.fields):len(l.fields)], fields...)}
}

func (l jsonLogger) Sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), l.s.Config().SyncTimeout)
	defer cancel()
	return l.s.Flush(ctx)
}

// Close closes the sink with Config.SyncTimeout as its deadline, as the
// adapters' Close does.
func (l jsonLogger) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), l.s.Config().SyncTimeout)
	defer cancel()
	return l.s.Close(ctx)
}
