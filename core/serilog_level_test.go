package core

import "testing"

func TestSerilogLevelOf(t *testing.T) {
	for _, tt := range []struct {
		in   Level
		want string
	}{
		{NoLevel, "Information"},
		{TraceLevel, "Verbose"},
		{DebugLevel, "Debug"},
		{InfoLevel, "Information"},
		{WarnLevel, "Warning"},
		{ErrorLevel, "Error"},
		{DPanicLevel, "Error"},
		{PanicLevel, "Fatal"},
		{FatalLevel, "Fatal"},
		{Level(42), "Information"},
	} {
		if got := serilogLevelOf(tt.in).String(); got != tt.want {
			t.Errorf("serilogLevelOf(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseSerilogLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" if not a level
	}{
		// zap (lower and capital level encoders)
		{"debug", "Debug"}, {"info", "Information"}, {"warn", "Warning"}, {"error", "Error"},
		{"dpanic", "Error"}, {"panic", "Fatal"}, {"fatal", "Fatal"},
		{"DEBUG", "Debug"}, {"INFO", "Information"}, {"WARN", "Warning"}, {"ERROR", "Error"},
		{"DPANIC", "Error"}, {"PANIC", "Fatal"}, {"FATAL", "Fatal"},
		// zerolog
		{"trace", "Verbose"},
		// Serilog's own
		{"Verbose", "Verbose"}, {"Debug", "Debug"}, {"Information", "Information"},
		{"Warning", "Warning"}, {"Error", "Error"}, {"Fatal", "Fatal"},
		// slog, with offsets from its named levels
		{"DEBUG-4", "Verbose"}, {"DEBUG-1", "Verbose"}, {"DEBUG+3", "Debug"}, {"DEBUG+4", "Information"},
		{"INFO-4", "Debug"}, {"INFO-5", "Verbose"}, {"INFO+3", "Information"},
		{"WARN-1", "Information"}, {"WARN+2", "Warning"}, {"WARN+4", "Error"},
		{"ERROR-1", "Warning"}, {"ERROR+4", "Error"}, {"ERROR+100", "Error"}, {"INFO+0", "Information"},

		{"", ""}, {"notice", ""}, {"infos", ""}, {"in", ""}, {"WARN+", ""}, {"WARN+x", ""}, {"WARN+1000", ""},
		{"FATAL+1", ""}, {"dpanic-1", ""}, {"trace-1", ""}, {"warning+2", ""}, {"+2", ""}, {"4", ""},
	} {
		l, ok := parseSerilogLevel([]byte(tt.in))
		got := ""
		if ok {
			got = l.String()
		}
		if got != tt.want {
			t.Errorf("parseSerilogLevel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
