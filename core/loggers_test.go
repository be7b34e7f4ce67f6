package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
)

// This file makes entries from real zap, zerolog and slog output, with
// the Entry metadata their adapters give (zapsink: time, level, logger
// name and message; zerologsink: the level; slogsink: time, level and
// message), for the formatters' golden tests. Times and callers are fixed
// so that the output is deterministic.

// logTime is the time of every test entry: 2026-12-01T07:07:26.0561234567Z.
var logTime = time.Date(2026, 12, 1, 7, 7, 26, 56123456, time.UTC)

// zapLevels maps zap's levels as zapsink does.
var zapLevels = map[zapcore.Level]core.Level{
	zapcore.DebugLevel: core.DebugLevel, zapcore.InfoLevel: core.InfoLevel, zapcore.WarnLevel: core.WarnLevel,
	zapcore.ErrorLevel: core.ErrorLevel, zapcore.DPanicLevel: core.DPanicLevel, zapcore.PanicLevel: core.PanicLevel,
	zapcore.FatalLevel: core.FatalLevel,
}

// zapEntry encodes ent and fields with zap's production JSON encoder
// (changed by edit, if not nil), as zapsink's Core does, and returns the
// entry zapsink hands to the sink.
func zapEntry(t testing.TB, edit func(*zapcore.EncoderConfig), ent zapcore.Entry, fields ...zap.Field) core.Entry {
	t.Helper()
	cfg := zap.NewProductionEncoderConfig()
	if edit != nil {
		edit(&cfg)
	}
	if ent.Time.IsZero() {
		ent.Time = logTime
	}
	buf, err := zapcore.NewJSONEncoder(cfg).EncodeEntry(ent, fields)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	return core.Entry{Time: ent.Time, Level: zapLevels[ent.Level], LoggerName: ent.LoggerName, Message: ent.Message,
		JSON: bytes.Clone(buf.Bytes())}
}

// zapCaller is a fixed caller for zap entries.
var zapCaller = zapcore.EntryCaller{Defined: true, File: "/src/app/handler.go", Line: 42, Function: "app.(*Server).handle"}

// levelWriter records what zerolog writes, and its level, as zerologsink's
// WriteLevel sees them.
type levelWriter struct {
	level zerolog.Level
	buf   bytes.Buffer
}

func (w *levelWriter) Write(p []byte) (int, error) { return w.WriteLevel(zerolog.NoLevel, p) }

func (w *levelWriter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	w.level = l
	w.buf.Reset()
	return w.buf.Write(p)
}

// zerologLevels maps zerolog's levels as zerologsink does.
var zerologLevels = map[zerolog.Level]core.Level{
	zerolog.TraceLevel: core.TraceLevel, zerolog.DebugLevel: core.DebugLevel, zerolog.InfoLevel: core.InfoLevel,
	zerolog.WarnLevel: core.WarnLevel, zerolog.ErrorLevel: core.ErrorLevel, zerolog.FatalLevel: core.FatalLevel,
	zerolog.PanicLevel: core.PanicLevel, zerolog.NoLevel: core.NoLevel,
}

// zerologEntry logs with a zerolog logger that log builds on the writer
// it is given, and returns the entry zerologsink hands to the sink. Its
// Time is zero, as zerologsink leaves it.
func zerologEntry(t testing.TB, log func(w io.Writer)) core.Entry {
	t.Helper()
	w := &levelWriter{}
	log(w)
	if w.buf.Len() == 0 {
		t.Fatal("zerolog wrote nothing")
	}
	return core.Entry{Level: zerologLevels[w.level], JSON: bytes.Clone(w.buf.Bytes())}
}

// zerologger returns a zerolog logger writing to w, with a timestamp
// and a caller if asked.
func zerologger(w io.Writer, timestamp, caller bool) *zerolog.Logger {
	c := zerolog.New(w).With()
	if timestamp {
		c = c.Timestamp()
	}
	if caller {
		c = c.Caller()
	}
	l := c.Logger()
	return &l
}

// fixZerolog sets zerolog's globals for deterministic output for the
// test's duration: its time, caller and error stack.
func fixZerolog(t testing.TB) {
	ts, caller, stack, format := zerolog.TimestampFunc, zerolog.CallerMarshalFunc, zerolog.ErrorStackMarshaler, zerolog.TimeFieldFormat
	t.Cleanup(func() {
		zerolog.TimestampFunc, zerolog.CallerMarshalFunc, zerolog.ErrorStackMarshaler, zerolog.TimeFieldFormat = ts, caller, stack, format
	})
	zerolog.TimestampFunc = func() time.Time { return logTime }
	zerolog.CallerMarshalFunc = func(uintptr, string, int) string { return "/src/app/worker.go:17" }
	// The shape of github.com/rs/zerolog/pkgerrors' MarshalStack.
	zerolog.ErrorStackMarshaler = func(error) any {
		return []map[string]string{{"func": "run", "line": "17", "source": "worker.go"}, {"func": "main", "line": "9", "source": "main.go"}}
	}
}

// slogLevel maps slog's levels as slogsink does.
func slogLevel(l slog.Level) core.Level {
	switch {
	case l < slog.LevelDebug:
		return core.TraceLevel
	case l < slog.LevelInfo:
		return core.DebugLevel
	case l < slog.LevelWarn:
		return core.InfoLevel
	case l < slog.LevelError:
		return core.WarnLevel
	}
	return core.ErrorLevel
}

// slogEntry handles a record with slog's JSONHandler, with the source
// added (and fixed) if source, and returns the entry slogsink hands to the
// sink.
func slogEntry(t testing.TB, source bool, group string, level slog.Level, msg string, attrs ...any) core.Entry {
	t.Helper()
	var buf bytes.Buffer
	h := slog.Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		AddSource: source,
		Level:     slog.LevelDebug - 4,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.SourceKey && len(groups) == 0 {
				return slog.Any(slog.SourceKey, &slog.Source{Function: "app.handle", File: "/src/app/api.go", Line: 88})
			}
			return a
		},
	}))
	if group != "" {
		h = h.WithGroup(group)
	}
	var pc uintptr // 0: no source
	if source {
		pc, _, _, _ = runtime.Caller(0) // replaced by ReplaceAttr
	}
	r := slog.NewRecord(logTime, level, msg, pc)
	r.Add(attrs...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return core.Entry{Time: logTime, Level: slogLevel(level), Message: msg, JSON: bytes.Clone(buf.Bytes())}
}

// verboseError formats itself with a stack trace under "%+v", as
// github.com/pkg/errors' errors do: zap then writes errorVerbose.
type verboseError struct{ msg string }

func (e verboseError) Error() string { return e.msg }

func (e verboseError) Format(s fmt.State, verb rune) {
	if verb == 'v' && s.Flag('+') {
		fmt.Fprintf(s, "%s\napp.load\n\t/src/app/load.go:31\napp.main\n\t/src/app/main.go:12", e.msg)
		return
	}
	io.WriteString(s, e.msg)
}

var errBoom = errors.New(`open "/etc/app.yaml": permission denied`)
