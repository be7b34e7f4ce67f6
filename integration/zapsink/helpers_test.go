package zapsink_test

import (
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// quiet returns a sink configuration for c that sends nothing until Sync,
// Close or a flush: an hour's period, no eager first entry, big batches.
// Background errors go to the test log.
func quiet(t testing.TB, c *kafkatest.Cluster) core.Config {
	return core.Config{
		Brokers:         c.Addrs(),
		Period:          time.Hour,
		BatchSizeLimit:  10000, // under ShedThreshold × QueueLimit (80000), as New requires
		DelayFirstEntry: true,
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

// unreachable returns an address where nothing listens.
func unreachable(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
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

// messages returns the "msg" field of each record.
func messages(t testing.TB, recs []kafkatest.Record) []string {
	t.Helper()
	msgs := make([]string, len(recs))
	for i, r := range recs {
		msgs[i], _ = decode(t, r)["msg"].(string)
	}
	return msgs
}

// wantAllocs fails t if f allocates other than n times per call on
// average. It skips under the race detector, which allocates.
func wantAllocs(t *testing.T, n float64, f func()) {
	t.Helper()
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if got := testing.AllocsPerRun(1000, f); got != n {
		t.Errorf("got %v allocs per call, want %v", got, n)
	}
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
