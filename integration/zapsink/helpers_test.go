package zapsink_test

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// newCore is zapsink.New that fails t on error and closes the core when
// the test ends.
func newCore(t testing.TB, cfg zapsink.Config) *zapsink.Core {
	t.Helper()
	kc, err := zapsink.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = kc.Close() })
	return kc
}

// zapLogger is a *zap.Logger as a sinktest.Logger.
type zapLogger struct {
	l     *zap.Logger
	close func() error
}

var _ sinktest.Logger = zapLogger{}

func (z zapLogger) Log(level core.Level, msg string, fields ...sinktest.Field) {
	if ce := z.l.Check(zapLevel(level), msg); ce != nil {
		ce.Write(zapFields(fields)...)
	}
}

func (z zapLogger) With(fields ...sinktest.Field) sinktest.Logger {
	return zapLogger{l: z.l.With(zapFields(fields)...), close: z.close}
}

func (z zapLogger) Sync() error  { return z.l.Sync() }
func (z zapLogger) Close() error { return z.close() }

func zapLevel(l core.Level) zapcore.Level {
	switch l {
	case core.DebugLevel:
		return zapcore.DebugLevel
	case core.InfoLevel:
		return zapcore.InfoLevel
	case core.WarnLevel:
		return zapcore.WarnLevel
	case core.ErrorLevel:
		return zapcore.ErrorLevel
	}
	panic("sinktest logged at " + l.String())
}

func zapFields(fs []sinktest.Field) []zap.Field {
	zfs := make([]zap.Field, len(fs))
	for i, f := range fs {
		switch v := f.Value.(type) {
		case string:
			zfs[i] = zap.String(f.Key, v)
		case int64:
			zfs[i] = zap.Int64(f.Key, v)
		case float64:
			zfs[i] = zap.Float64(f.Key, v)
		case bool:
			zfs[i] = zap.Bool(f.Key, v)
		default:
			zfs[i] = zap.Any(f.Key, v)
		}
	}
	return zfs
}

// zapcoreNewJSON returns a core writing zap's production JSON to ws, at
// Debug and above.
func zapcoreNewJSON(ws zapcore.WriteSyncer) zapcore.Core {
	return zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), ws, zapcore.DebugLevel)
}
