package zerologsink_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// TestConformance runs the adapters' shared conformance suite.
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		New: func(t *testing.T, cfg core.Config) sinktest.Logger {
			w, err := zerologsink.New(zerologsink.Config{Sink: cfg})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			return &suiteLogger{w: w, l: zerolog.New(w).With().Timestamp().Logger()}
		},
		LevelKey:   zerolog.LevelFieldName,
		MessageKey: zerolog.MessageFieldName,
		TimeKey:    zerolog.TimestampFieldName,
	})
}

// TestConformanceNewWriter runs the suite against a Writer from NewWriter.
// The Writer borrows the sink, so the logger's Close is what its owner
// does: close the Writer (a flush), then the sink.
func TestConformanceNewWriter(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		New: func(t *testing.T, cfg core.Config) sinktest.Logger {
			s, err := core.New(cfg)
			if err != nil {
				t.Fatalf("core.New: %v", err)
			}
			w := zerologsink.NewWriter(s)
			closeAll := func() error {
				ctx, cancel := context.WithTimeout(context.Background(), s.Config().SyncTimeout)
				defer cancel()
				return errors.Join(w.Close(), s.Close(ctx))
			}
			t.Cleanup(func() { _ = closeAll() })
			return &suiteLogger{w: w, l: zerolog.New(w).With().Timestamp().Logger(), close: closeAll}
		},
		LevelKey:   zerolog.LevelFieldName,
		MessageKey: zerolog.MessageFieldName,
		TimeKey:    zerolog.TimestampFieldName,
	})
}

// suiteLogger is a zerolog Logger on a Writer, as sinktest.Logger.
type suiteLogger struct {
	w     *zerologsink.Writer
	l     zerolog.Logger
	close func() error // if nil, w.Close
}

var suiteLevels = map[core.Level]zerolog.Level{
	core.DebugLevel: zerolog.DebugLevel,
	core.InfoLevel:  zerolog.InfoLevel,
	core.WarnLevel:  zerolog.WarnLevel,
	core.ErrorLevel: zerolog.ErrorLevel,
}

func (s *suiteLogger) Log(level core.Level, msg string, fields ...sinktest.Field) {
	zl, ok := suiteLevels[level]
	if !ok {
		panic(fmt.Sprintf("sinktest logged at %v", level))
	}
	e := s.l.WithLevel(zl)
	for _, f := range fields {
		switch v := f.Value.(type) {
		case string:
			e = e.Str(f.Key, v)
		case int64:
			e = e.Int64(f.Key, v)
		case float64:
			e = e.Float64(f.Key, v)
		case bool:
			e = e.Bool(f.Key, v)
		default:
			panic(fmt.Sprintf("sinktest field %q of type %T", f.Key, f.Value))
		}
	}
	e.Msg(msg)
}

func (s *suiteLogger) With(fields ...sinktest.Field) sinktest.Logger {
	c := s.l.With()
	for _, f := range fields {
		switch v := f.Value.(type) {
		case string:
			c = c.Str(f.Key, v)
		case int64:
			c = c.Int64(f.Key, v)
		case float64:
			c = c.Float64(f.Key, v)
		case bool:
			c = c.Bool(f.Key, v)
		default:
			panic(fmt.Sprintf("sinktest field %q of type %T", f.Key, f.Value))
		}
	}
	return &suiteLogger{w: s.w, l: c.Logger(), close: s.close}
}

// Sync is what zerolog has in place of a Sync: Writer.Flush, bounded by
// the sink's SyncTimeout as Close is.
func (s *suiteLogger) Sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.w.Sink().Config().SyncTimeout)
	defer cancel()
	return s.w.Flush(ctx)
}

func (s *suiteLogger) Close() error {
	if s.close != nil {
		return s.close()
	}
	return s.w.Close()
}
