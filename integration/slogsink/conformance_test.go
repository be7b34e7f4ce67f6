package slogsink_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/slogsink"
)

// harness describes slog's JSON to the suite.
func harness(newLogger func(t *testing.T, cfg core.Config) sinktest.Logger) sinktest.Harness {
	return sinktest.Harness{New: newLogger, LevelKey: slog.LevelKey, MessageKey: slog.MessageKey, TimeKey: slog.TimeKey}
}

// TestConformance runs the adapters' suite against a slog.Logger on a
// Handler from New, which owns its sink.
func TestConformance(t *testing.T) {
	sinktest.Run(t, harness(func(t *testing.T, cfg core.Config) sinktest.Logger {
		h, err := slogsink.New(slogsink.Config{Sink: cfg, Options: slogsink.Options{Level: slog.LevelDebug}})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return slogLogger{l: slog.New(h), h: h, close: h.Close}
	}))
}

// TestConformanceMulti runs the suite against a Handler from NewHandler,
// on a sink the test owns, behind slog.NewMultiHandler with a text
// handler: Close flushes through the Handler, then closes the sink.
func TestConformanceMulti(t *testing.T) {
	sinktest.Run(t, harness(func(t *testing.T, cfg core.Config) sinktest.Logger {
		s, err := core.New(cfg)
		if err != nil {
			t.Fatalf("core.New: %v", err)
		}
		h := slogsink.NewHandler(s, &slogsink.Options{Level: slog.LevelDebug})
		console := slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})
		closeAll := func() error {
			if err := h.Close(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
			defer cancel()
			return s.Close(ctx)
		}
		return slogLogger{l: slog.New(slog.NewMultiHandler(console, h)), h: h, close: closeAll}
	}))
}

// slogLogger is a *slog.Logger as a sinktest.Logger.
type slogLogger struct {
	l     *slog.Logger
	h     *slogsink.Handler
	close func() error
}

var _ sinktest.Logger = slogLogger{}

func (s slogLogger) Log(level core.Level, msg string, fields ...sinktest.Field) {
	s.l.LogAttrs(context.Background(), slogLevel(level), msg, attrs(fields)...)
}

func (s slogLogger) With(fields ...sinktest.Field) sinktest.Logger {
	return slogLogger{l: s.l.With(anys(attrs(fields))...), h: s.h, close: s.close}
}

// Sync flushes the sink, with the sink's SyncTimeout, as a borrowing
// Handler's Close does.
func (s slogLogger) Sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Sink().Config().SyncTimeout)
	defer cancel()
	return s.h.Flush(ctx)
}

func (s slogLogger) Close() error { return s.close() }

func slogLevel(l core.Level) slog.Level {
	switch l {
	case core.DebugLevel:
		return slog.LevelDebug
	case core.InfoLevel:
		return slog.LevelInfo
	case core.WarnLevel:
		return slog.LevelWarn
	case core.ErrorLevel:
		return slog.LevelError
	}
	panic("sinktest logged at " + l.String())
}

func attrs(fs []sinktest.Field) []slog.Attr {
	as := make([]slog.Attr, len(fs))
	for i, f := range fs {
		switch v := f.Value.(type) {
		case string:
			as[i] = slog.String(f.Key, v)
		case int64:
			as[i] = slog.Int64(f.Key, v)
		case float64:
			as[i] = slog.Float64(f.Key, v)
		case bool:
			as[i] = slog.Bool(f.Key, v)
		default:
			panic(fmt.Sprintf("sinktest field %q of type %T", f.Key, f.Value))
		}
	}
	return as
}

func anys(as []slog.Attr) []any {
	out := make([]any, len(as))
	for i, a := range as {
		out[i] = a
	}
	return out
}
