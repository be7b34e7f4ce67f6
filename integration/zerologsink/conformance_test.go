package zerologsink_test

import (
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
			w, err := zerologsink.Open(cfg)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return &suiteLogger{w: w, l: zerolog.New(w).With().Timestamp().Logger()}
		},
		LevelKey:   zerolog.LevelFieldName,
		MessageKey: zerolog.MessageFieldName,
		TimeKey:    zerolog.TimestampFieldName,
	})
}

// suiteLogger is a zerolog Logger on a Writer, as sinktest.Logger.
type suiteLogger struct {
	w *zerologsink.Writer
	l zerolog.Logger
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
	return &suiteLogger{w: s.w, l: c.Logger()}
}

func (s *suiteLogger) Sync() error { return s.w.Sink().Sync() }

func (s *suiteLogger) Close() error { return s.w.Close() }
