package core_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
)

// Serilog keeps a LogEvent's properties in a dictionary, so JsonFormatter
// (src/Serilog/Formatting/Json/JsonFormatter.cs, the loop over
// logEvent.Properties) and CompactJsonFormatter never write a name twice.
// Consumers rely on it: System.Text.Json's JsonNode throws on the first
// lookup in an object with a duplicate name (dotnet/runtime#70604), and
// other readers keep one of the two silently. The loggers do write
// duplicates: a field given to With and again on the call, in all three.

// dupNameEntries are real loggers' entries with a name twice: once from
// With, once on the call; and a zap logger's name next to a user's
// SourceContext field.
func dupNameEntries(t *testing.T) map[string]core.Entry {
	t.Helper()
	es := map[string]core.Entry{}

	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	zap.String("request_id", "from With").AddTo(enc) // what zap's ioCore.With does
	buf, err := enc.EncodeEntry(zapcore.Entry{Level: zapcore.InfoLevel, Time: logTime, Message: "served"},
		[]zap.Field{zap.String("request_id", "on the call")})
	if err != nil {
		t.Fatal(err)
	}
	es["zap With and call"] = core.Entry{Time: logTime, Level: core.InfoLevel, Message: "served", JSON: bytes.Clone(buf.Bytes())}
	buf.Free()

	es["zap logger name and a SourceContext field"] = zapEntry(t, nil,
		zapcore.Entry{Level: zapcore.InfoLevel, LoggerName: "http", Message: "served"}, zap.String("SourceContext", "mine"))

	var zb bytes.Buffer
	zl := zerolog.New(&zb).With().Str("request_id", "from With").Logger()
	zl.Info().Str("request_id", "on the call").Msg("served")
	es["zerolog With and call"] = core.Entry{Time: logTime, Level: core.InfoLevel, JSON: bytes.TrimSuffix(zb.Bytes(), []byte("\n"))}

	var sb bytes.Buffer
	slog.New(slog.NewJSONHandler(&sb, nil)).With("request_id", "from With").Info("served", "request_id", "on the call")
	es["slog With and call"] = core.Entry{JSON: bytes.TrimSuffix(sb.Bytes(), []byte("\n"))}
	return es
}

func TestSerilogShapesWriteNoNameTwice(t *testing.T) {
	for name, e := range dupNameEntries(t) {
		t.Run(name, func(t *testing.T) {
			for _, f := range []struct {
				name  string
				f     core.Formatter
				props func(out []byte) ([]kv, error) // the members that hold the properties
			}{
				{"serilog", core.SerilogJSON{}, func(out []byte) ([]kv, error) {
					top, err := objectMembers(out)
					if err != nil {
						return nil, err
					}
					for _, m := range top {
						if m.key == "Properties" {
							return objectMembers(m.val)
						}
					}
					return nil, nil
				}},
				{"clef", core.CLEF{}, objectMembers},
			} {
				out, err := f.f.Format(nil, e)
				if err != nil {
					t.Fatalf("%s: Format(%s) = %v", f.name, e.JSON, err)
				}
				ms, err := f.props(out)
				if err != nil {
					t.Fatalf("%s: %s: %v", f.name, out, err)
				}
				seen := map[string]int{}
				for _, m := range ms {
					seen[m.key]++
				}
				for k, n := range seen {
					if n > 1 {
						t.Errorf("%s: Format(%s)\n= %s\ngot %q %d times, want once, as Serilog writes a property", f.name, e.JSON, out, k, n)
					}
				}
			}
		})
	}
}

// TestSerilogShapesLastNameWins: of the members of one name, the last is
// the property, its names compared decoded (escapes included); a
// SourceContext field beats the logger's name.
func TestSerilogShapesLastNameWins(t *testing.T) {
	for _, tt := range []struct {
		name, json, logger string
		serilog, clef      string // the properties, as written
	}{
		{"twice", `{"msg":"m","a":1,"b":2,"a":3}`, "",
			`"b":2,"a":3`, `"b":2,"a":3`},
		{"three times, kept in place", `{"msg":"m","a":1,"a":2,"c":0,"a":3}`, "",
			`"c":0,"a":3`, `"c":0,"a":3`},
		{"escaped", `{"msg":"m","x":1,"x":2,"\u0061":3,"a":4}`, "",
			`"x":2,"a":4`, `"x":2,"a":4`},
		{"escaped last", `{"msg":"m","a":1,"\u0061":2}`, "",
			`"\u0061":2`, `"\u0061":2`},
		{"at names", `{"msg":"m","@x":1,"@x":2}`, "",
			`"@x":2`, `"@@x":2`},
		{"SourceContext field and logger", `{"msg":"m","logger":"http","SourceContext":"mine"}`, "",
			`"SourceContext":"mine"`, `"SourceContext":"mine"`},
		{"SourceContext field and LoggerName", `{"msg":"m","SourceContext":"mine"}`, "http",
			`"SourceContext":"mine"`, `"SourceContext":"mine"`},
		{"no name twice", `{"msg":"m","a":1,"b":2}`, "http",
			`"SourceContext":"http","a":1,"b":2`, `"SourceContext":"http","a":1,"b":2`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := core.Entry{Time: logTime, Level: core.InfoLevel, LoggerName: tt.logger, JSON: []byte(tt.json)}
			out, err := core.SerilogJSON{}.Format(nil, e)
			if err != nil {
				t.Fatal(err)
			}
			if want := `,"Properties":{` + tt.serilog + `}}`; !bytes.HasSuffix(out, []byte(want)) {
				t.Errorf("SerilogJSON: got %s, want it to end %s", out, want)
			}
			if out, err = (core.CLEF{}).Format(nil, e); err != nil {
				t.Fatal(err)
			}
			if want := `"@mt":"m",` + tt.clef + `}`; !bytes.HasSuffix(out, []byte(want)) {
				t.Errorf("CLEF: got %s, want it to end %s", out, want)
			}
		})
	}
}
