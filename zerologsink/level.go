package zerologsink

import (
	"strings"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
)

// zerologLevels are the levels zerolog names, in the order parseLevel tries
// them.
var zerologLevels = [...]zerolog.Level{
	zerolog.InfoLevel, zerolog.DebugLevel, zerolog.WarnLevel, zerolog.ErrorLevel,
	zerolog.TraceLevel, zerolog.FatalLevel, zerolog.PanicLevel,
}

// coreLevel returns the core.Level of a zerolog level, and false for a
// level zerolog does not name (a custom numeric level, or Disabled).
// zerolog.NoLevel maps to core.NoLevel, which is below every named level:
// entries logged with Log(), or through zerolog's stdlib log bridge, never
// count as errors.
func coreLevel(l zerolog.Level) (core.Level, bool) {
	switch l {
	case zerolog.TraceLevel:
		return core.TraceLevel, true
	case zerolog.DebugLevel:
		return core.DebugLevel, true
	case zerolog.InfoLevel:
		return core.InfoLevel, true
	case zerolog.WarnLevel:
		return core.WarnLevel, true
	case zerolog.ErrorLevel:
		return core.ErrorLevel, true
	case zerolog.FatalLevel:
		return core.FatalLevel, true
	case zerolog.PanicLevel:
		return core.PanicLevel, true
	case zerolog.NoLevel:
		return core.NoLevel, true
	}
	return core.NoLevel, false
}

// levelOf returns the level of the entry p, read from its top-level field
// name: first as zerolog would print it (zerolog.LevelFieldMarshalFunc, so
// customised level names are understood), then as [core.ParseLevel] reads
// it ("warning", "WARN", …). It returns NoLevel if name is "", if p is not a
// JSON object, if the field is absent, is not a plain string, or names no
// level. It does not allocate for values up to 32 bytes.
func levelOf(p []byte, name string) core.Level {
	if name == "" {
		return core.NoLevel
	}
	v, ok := core.Entry{JSON: p}.RawField(name)
	if !ok || len(v) < 2 || v[0] != '"' {
		return core.NoLevel
	}
	v = v[1 : len(v)-1]
	for _, c := range v {
		if c == '\\' {
			return core.NoLevel // escapes in a level name: not zerolog's
		}
	}
	return parseLevel(string(v))
}

// parseLevel returns the level named s. s must not escape, so that the
// conversion in levelOf stays on the stack.
func parseLevel(s string) core.Level {
	marshal := zerolog.LevelFieldMarshalFunc
	for _, zl := range zerologLevels {
		if marshal != nil && strings.EqualFold(s, marshal(zl)) {
			l, _ := coreLevel(zl)
			return l
		}
	}
	l, _ := core.ParseLevel(s)
	return l
}
