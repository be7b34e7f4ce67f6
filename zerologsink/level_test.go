package zerologsink

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
)

func TestCoreLevel(t *testing.T) {
	for _, tt := range []struct {
		in     zerolog.Level
		want   core.Level
		wantOK bool
	}{
		{zerolog.TraceLevel, core.TraceLevel, true},
		{zerolog.DebugLevel, core.DebugLevel, true},
		{zerolog.InfoLevel, core.InfoLevel, true},
		{zerolog.WarnLevel, core.WarnLevel, true},
		{zerolog.ErrorLevel, core.ErrorLevel, true},
		{zerolog.FatalLevel, core.FatalLevel, true},
		{zerolog.PanicLevel, core.PanicLevel, true},
		{zerolog.NoLevel, core.NoLevel, true},
		{zerolog.Disabled, core.NoLevel, false},
		{zerolog.Level(-2), core.NoLevel, false},
		{zerolog.Level(10), core.NoLevel, false},
	} {
		t.Run(tt.in.String(), func(t *testing.T) {
			got, ok := coreLevel(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("coreLevel(%d) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	// NoLevel must never compare as an error, whatever zerolog's numbers.
	if l, _ := coreLevel(zerolog.NoLevel); l >= core.TraceLevel {
		t.Errorf("coreLevel(NoLevel) = %v, want below every named level", l)
	}
}

func TestLevelOf(t *testing.T) {
	for _, tt := range []struct {
		name  string
		json  string
		field string
		want  core.Level
	}{
		{"info", `{"level":"info","message":"m"}`, "level", core.InfoLevel},
		{"every zerolog name", `{"level":"trace"}`, "level", core.TraceLevel},
		{"debug", `{"level":"debug"}`, "level", core.DebugLevel},
		{"warn", `{"level":"warn"}`, "level", core.WarnLevel},
		{"error", `{"level":"error"}`, "level", core.ErrorLevel},
		{"fatal", `{"level":"fatal"}`, "level", core.FatalLevel},
		{"panic", `{"level":"panic"}`, "level", core.PanicLevel},
		{"not first", `{"time":"2024-01-01T00:00:00Z","level":"error"}`, "level", core.ErrorLevel},
		{"upper case", `{"level":"ERROR"}`, "level", core.ErrorLevel},
		{"warning", `{"level":"warning"}`, "level", core.WarnLevel},
		{"zap's dpanic", `{"level":"dpanic"}`, "level", core.DPanicLevel},
		{"trailing newline", "{\"level\":\"warn\"}\n", "level", core.WarnLevel},
		{"spaces", ` { "level" : "info" } `, "level", core.InfoLevel},
		{"custom field", `{"level":"info","severity":"error"}`, "severity", core.ErrorLevel},
		{"no level field", `{"message":"m"}`, "level", core.NoLevel},
		{"empty field name", `{"level":"error"}`, "", core.NoLevel},
		{"unknown name", `{"level":"loud"}`, "level", core.NoLevel},
		{"empty name", `{"level":""}`, "level", core.NoLevel},
		{"number", `{"level":3}`, "level", core.NoLevel},
		{"null", `{"level":null}`, "level", core.NoLevel},
		{"escaped value", `{"level":"\u0065rror"}`, "level", core.NoLevel},
		{"nested only", `{"a":{"level":"error"}}`, "level", core.NoLevel},
		{"in a string", `{"message":"\"level\":\"error\""}`, "level", core.NoLevel},
		{"plain text", `error: disk full`, "level", core.NoLevel},
		{"truncated", `{"level":"err`, "level", core.NoLevel},
		{"array", `["level","error"]`, "level", core.NoLevel},
		{"empty", ``, "level", core.NoLevel},
		{"long value", `{"level":"` + strings.Repeat("x", 100) + `"}`, "level", core.NoLevel},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := levelOf([]byte(tt.json), tt.field); got != tt.want {
				t.Errorf("levelOf(%q, %q) = %v, want %v", tt.json, tt.field, got, tt.want)
			}
		})
	}
}

// TestLevelOfCustomNames checks that levels printed with customised names
// are read back: zerolog's globals are the authority for zerolog's output.
func TestLevelOfCustomNames(t *testing.T) {
	old := zerolog.LevelFieldMarshalFunc
	t.Cleanup(func() { zerolog.LevelFieldMarshalFunc = old })
	zerolog.LevelFieldMarshalFunc = func(l zerolog.Level) string {
		switch l {
		case zerolog.ErrorLevel:
			return "ERR"
		case zerolog.WarnLevel:
			return "WRN"
		}
		return l.String()
	}
	for _, tt := range []struct {
		json string
		want core.Level
	}{
		{`{"level":"ERR"}`, core.ErrorLevel},
		{`{"level":"wrn"}`, core.WarnLevel},
		{`{"level":"info"}`, core.InfoLevel},
		{`{"level":"warning"}`, core.WarnLevel}, // core's names still work
	} {
		if got := levelOf([]byte(tt.json), "level"); got != tt.want {
			t.Errorf("levelOf(%q) = %v, want %v", tt.json, got, tt.want)
		}
	}
}

// FuzzLevelOf checks levelOf against encoding/json on valid JSON: the
// level is the first top-level "level" field, when it is a string without
// escapes; anything else is NoLevel. On any input it must not panic.
func FuzzLevelOf(f *testing.F) {
	for _, s := range []string{
		`{"level":"info"}`,
		`{"a":1,"level":"error"}`,
		`{"a":{"level":"warn"},"level":"debug"}`,
		`{"level":"warn","level":"error"}`,
		` { "level" : "WARNING" } `,
		`{"level":"\u0065rror"}`,
		`{"message":"x\"level\":\"error\""}`,
		`{"a":[1,"]",{"b":"}"}],"level":"fatal"}`,
		`{"lev\u0065l":"panic"}`,
		`{"level":"info"`,
		`not json`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		got := levelOf(p, "level")
		if !json.Valid(p) {
			return
		}
		if want := jsonLevel(p); got != want {
			t.Errorf("levelOf(%q) = %v, want %v", p, got, want)
		}
	})
}

// jsonLevel is levelOf's rule applied with encoding/json.
func jsonLevel(p []byte) core.Level {
	dec := json.NewDecoder(bytes.NewReader(p))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return core.NoLevel
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return core.NoLevel
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return core.NoLevel
		}
		if tok != "level" {
			continue
		}
		var s string
		if bytes.IndexByte(raw, '\\') >= 0 || json.Unmarshal(raw, &s) != nil {
			return core.NoLevel
		}
		l, _ := core.ParseLevel(s)
		return l
	}
	return core.NoLevel
}
