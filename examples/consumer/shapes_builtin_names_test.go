package main

import "testing"

// TestRenderLoggerFieldsNamedLikeBuiltIns reads the logger's own JSON
// (formatter=json) carrying user fields named like the built-ins of the
// Serilog shapes, "@t" (the property issue 13's golden tables carry) or
// "Timestamp" and "Level": it is still a logger's record, not CLEF or
// Serilog JSON, and prints as one.
func TestRenderLoggerFieldsNamedLikeBuiltIns(t *testing.T) {
	for _, tt := range []struct {
		name, in, text string
	}{
		{
			name: "zap, a field @t that is no time",
			in:   `{"level":"info","ts":1796108846.056,"msg":"user logged in","@t":"not a time"}`,
			text: `2026-12-01T07:07:26.056Z INF user logged in @t="not a time"`,
		},
		{
			name: "zap, a field @t that is a time",
			in:   `{"level":"info","ts":1796108846.056,"msg":"user logged in","@t":"2020-01-01T00:00:00Z"}`,
			text: `2026-12-01T07:07:26.056Z INF user logged in @t="2020-01-01T00:00:00Z"`,
		},
		{
			name: "zerolog, fields Timestamp and Level",
			in:   `{"level":"warn","Timestamp":"2020-01-01T00:00:00Z","Level":"a property","time":"2026-12-01T07:07:26.056Z","message":"disk full"}`,
			text: `2026-12-01T07:07:26.056Z WRN disk full Timestamp="2020-01-01T00:00:00Z" Level="a property"`,
		},
	} {
		if got := render("text", []byte(tt.in)); got != tt.text {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.text)
		}
	}
}
