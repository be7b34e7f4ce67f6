package zapsink_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// harness returns the suite's Harness for zap's production JSON encoding,
// with loggers built by newLogger.
func harness(newLogger func(t *testing.T, cfg core.Config) sinktest.Logger) sinktest.Harness {
	return sinktest.Harness{New: newLogger, LevelKey: "level", MessageKey: "msg", TimeKey: "ts"}
}

// TestConformance runs the suite against a logger whose only core is a
// Core from New.
func TestConformance(t *testing.T) {
	sinktest.Run(t, harness(func(t *testing.T, cfg core.Config) sinktest.Logger {
		kc := newCore(t, zapsink.Config{Sink: cfg, Level: zapcore.DebugLevel})
		return zapLogger{l: zap.New(kc), close: kc.Close}
	}))
}

// TestConformanceTee runs the suite against a Core from NewCore, teed
// with a console core. The Core borrows the sink, so the logger's Close is
// what its owner does: close the Core (a flush), then the sink.
func TestConformanceTee(t *testing.T) {
	sinktest.Run(t, harness(func(t *testing.T, cfg core.Config) sinktest.Logger {
		s, err := core.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		kc := zapsink.NewCore(s, enc, zapcore.DebugLevel)
		closeAll := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), s.Config().SyncTimeout)
			defer cancel()
			return errors.Join(kc.Close(), s.Close(ctx))
		}
		t.Cleanup(func() { _ = closeAll() })
		console := zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.DebugLevel)
		return zapLogger{l: zap.New(zapcore.NewTee(console, kc)), close: closeAll}
	}))
}

// TestConformanceURLSink runs the suite against the kafka:// URL sink,
// opened with zap.Open so that the test can close it.
func TestConformanceURLSink(t *testing.T) {
	if err := zapsink.RegisterURLSink(); err != nil {
		t.Fatal(err)
	}
	sinktest.Run(t, harness(func(t *testing.T, cfg core.Config) sinktest.Logger {
		if cfg.TopicDecider != nil || cfg.KeyDecider != nil {
			t.Skip("a kafka:// URL carries no TopicDecider or KeyDecider")
		}
		q := url.Values{}
		q.Set("batchSizeLimit", strconv.Itoa(cfg.BatchSizeLimit))
		q.Set("period", cfg.Period.String())
		q.Set("eagerlyEmitFirstEvent", strconv.FormatBool(!cfg.DelayFirstEntry))
		raw := "kafka://" + strings.Join(cfg.Brokers, ",") + "/" + cfg.Topic + "?" + q.Encode()
		ws, closeSink, err := zap.Open(raw)
		if err != nil {
			t.Fatal(err)
		}
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		l := zap.New(zapcore.NewCore(enc, ws, zapcore.DebugLevel))
		return zapLogger{l: l, close: func() error { closeSink(); return nil }}
	}))
}
