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
