package core

import (
	"fmt"
	"strings"
)

// Level is the severity of an [Entry], independent of the logger that
// produced it. The zero value is [NoLevel], so an entry whose logger gave no
// level never compares as an error: only the named levels are ordered, and
// NoLevel sorts below all of them.
type Level int8

// The levels, in increasing order of severity. They cover zap's and
// zerolog's levels; adapters map their logger's levels onto these.
const (
	NoLevel     Level = iota // the entry carries no level (zerolog's NoLevel, stdlib log bridges)
	TraceLevel               // zerolog's Trace
	DebugLevel               // Debug
	InfoLevel                // Info
	WarnLevel                // Warn
	ErrorLevel               // Error
	DPanicLevel              // zap's DPanic
	PanicLevel               // Panic
	FatalLevel               // Fatal

	numLevels = iota
)

var levelNames = [...]string{
	NoLevel:     "",
	TraceLevel:  "trace",
	DebugLevel:  "debug",
	InfoLevel:   "info",
	WarnLevel:   "warn",
	ErrorLevel:  "error",
	DPanicLevel: "dpanic",
	PanicLevel:  "panic",
	FatalLevel:  "fatal",
}

// String returns the lower-case name of the level as zap and zerolog print
// it ("info", "error", …), or "" for NoLevel and unknown values.
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return ""
	}
	return levelNames[l]
}

// ParseLevel returns the level named by s, as zap or zerolog print it
// ("debug", "INFO", "warning", …), ignoring case. For anything else,
// "" included (NoLevel has no name), it returns NoLevel and an error that
// quotes s. It does not allocate when s names a level.
func ParseLevel(s string) (Level, error) {
	for l, name := range levelNames {
		if name != "" && strings.EqualFold(s, name) {
			return Level(l), nil
		}
	}
	if strings.EqualFold(s, "warning") {
		return WarnLevel, nil
	}
	// A copy, so that s does not escape: callers on the logging path
	// convert bytes to s on the stack.
	return NoLevel, fmt.Errorf("unknown level %q (want trace, debug, info, warn, error, dpanic, panic or fatal)", strings.Clone(s))
}
