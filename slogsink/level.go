package slogsink

import (
	"log/slog"

	"github.com/kafkasink/kafkasink/core"
)

// CoreLevel returns the [core.Level] of entries logged at the slog level l,
// which deciders see as [core.Entry].Level and the sink sheds by. The four
// named slog levels map to the core levels of the same name; any other
// level rounds down to the named level below it, and a level below
// [slog.LevelDebug] (such as a custom Trace level, conventionally
// LevelDebug-4) is [core.TraceLevel]:
//
//	l < LevelDebug               TraceLevel
//	LevelDebug <= l < LevelInfo  DebugLevel
//	LevelInfo  <= l < LevelWarn  InfoLevel
//	LevelWarn  <= l < LevelError WarnLevel
//	LevelError <= l              ErrorLevel
//
// So a custom level above Error (LevelError+4 as a "fatal") is ErrorLevel:
// slog has no level that exits or panics. No slog record is
// [core.NoLevel], so "Level >= core.ErrorLevel" means the same for slog,
// zap and zerolog entries.
func CoreLevel(l slog.Level) core.Level {
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
