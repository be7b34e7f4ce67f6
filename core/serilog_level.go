package core

// serilogLevel is one of Serilog's LogEventLevel values.
type serilogLevel uint8

const (
	slVerbose serilogLevel = iota
	slDebug
	slInformation
	slWarning
	slError
	slFatal
)

// serilogLevelNames are the names Serilog writes: LogEventLevel's.
var serilogLevelNames = [...]string{
	slVerbose:     "Verbose",
	slDebug:       "Debug",
	slInformation: "Information",
	slWarning:     "Warning",
	slError:       "Error",
	slFatal:       "Fatal",
}

func (l serilogLevel) String() string { return serilogLevelNames[l] }

// serilogLevelOf maps a [Level] onto Serilog's levels. Serilog has no
// DPanic nor Panic: zap's DPanic ("should never happen"; it panics only in
// development) is an Error; Panic, which unwinds the goroutine and ends
// the process unless recovered, is Fatal, as are zerolog's Panic and
// Fatal. An entry without a level is Information, as CLEF reads an event
// without "@l".
func serilogLevelOf(l Level) serilogLevel {
	switch l {
	case TraceLevel:
		return slVerbose
	case DebugLevel:
		return slDebug
	case WarnLevel:
		return slWarning
	case ErrorLevel, DPanicLevel:
		return slError
	case PanicLevel, FatalLevel:
		return slFatal
	}
	return slInformation
}

// parseSerilogLevel reads a level field's text (the content of a JSON
// string without escapes): zap's and zerolog's names in any case ("info",
// "INFO", "dpanic", "trace", …), Serilog's ("Information", "Verbose", …),
// and slog's, with its offsets: "WARN+2", "DEBUG-4". slog levels map as
// slogsink maps them: below DEBUG is Verbose, from DEBUG, INFO and WARN up
// to the next named level is that level, and ERROR and above is Error.
func parseSerilogLevel(s []byte) (serilogLevel, bool) {
	// zap's and zerolog's default names first, as they are.
	switch string(s) {
	case "info":
		return slInformation, true
	case "debug":
		return slDebug, true
	case "warn":
		return slWarning, true
	case "error":
		return slError, true
	}
	name, rest := s, []byte(nil)
	for i, c := range s {
		if c == '+' || c == '-' {
			name, rest = s[:i], s[i:]
			break
		}
	}
	var l serilogLevel
	slog, isSlog := 0, false // the slog level of name, if slog has it
	switch {
	case foldEquals(name, "trace"), foldEquals(name, "verbose"):
		l = slVerbose
	case foldEquals(name, "debug"):
		l, slog, isSlog = slDebug, -4, true
	case foldEquals(name, "info"), foldEquals(name, "information"):
		l, slog, isSlog = slInformation, 0, true
	case foldEquals(name, "warn"):
		l, slog, isSlog = slWarning, 4, true
	case foldEquals(name, "warning"):
		l = slWarning
	case foldEquals(name, "error"):
		l, slog, isSlog = slError, 8, true
	case foldEquals(name, "dpanic"):
		l = slError
	case foldEquals(name, "panic"), foldEquals(name, "fatal"):
		l = slFatal
	default:
		return 0, false
	}
	if rest == nil {
		return l, true
	}
	// slog's "NAME+n" or "NAME-n", only after slog's four names.
	if !isSlog || len(rest) < 2 || len(rest) > 4 {
		return 0, false
	}
	n, ok := digitsAt(rest, 1, len(rest)-1)
	if !ok {
		return 0, false
	}
	if rest[0] == '-' {
		n = -n
	}
	switch v := slog + n; {
	case v < -4:
		return slVerbose, true
	case v < 0:
		return slDebug, true
	case v < 4:
		return slInformation, true
	case v < 8:
		return slWarning, true
	}
	return slError, true
}

// foldEquals reports whether s equals the lower-case ASCII word w,
// ignoring ASCII case.
func foldEquals(s []byte, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}
