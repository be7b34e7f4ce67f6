package core_test

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
)

var printGolden = flag.Bool("print-golden", false, "print the formatters' output for the golden table, to review and paste")

// goldenCase is an entry from a real logger and what each formatter must
// write for it.
type goldenCase struct {
	name    string
	fields  core.Fields // the formatters' Fields; zero for the defaults
	entry   func(t testing.TB) core.Entry
	serilog string // SerilogJSON's output
	clef    string // CLEF's output
}

// goldenCases are the golden tables: per logger, errors, nested objects,
// unicode and escapes, every level, the time encodings, and properties
// named like built-ins.
var goldenCases = []goldenCase{
	// zap: zapsink gives Time, Level, LoggerName and Message.
	{
		name: "zap/info: fields of every kind, escapes, unicode, a logger, a caller, braces in the message, properties named Level and @t",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.InfoLevel, LoggerName: "http", Caller: zapCaller, Message: "user {id} logged in"},
				zap.String("path", "/api/v1/\"quoted\"\n"), zap.Int("status", 200), zap.Float64("duration_ms", 12.5),
				zap.Bool("cached", true), zap.Strings("tags", []string{"a", "b"}),
				zap.Any("user", map[string]any{"id": 7, "name": "Zoë ✓", "roles": []string{"admin"}}),
				zap.String("Level", "a property"), zap.String("@t", "not a time"), zap.String("emoji", "😀"), zap.String("ctl", "\x01\t"))
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Information","MessageTemplate":"user {{id}} logged in","RenderedMessage":"user {id} logged in","Properties":{"SourceContext":"http","caller":"app/handler.go:42","path":"/api/v1/\"quoted\"\n","status":200,"duration_ms":12.5,"cached":true,"tags":["a","b"],"user":{"id":7,"name":"Zoë ✓","roles":["admin"]},"Level":"a property","@t":"not a time","emoji":"😀","ctl":"\u0001\t"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"user {{id}} logged in","@m":"user {id} logged in","SourceContext":"http","caller":"app/handler.go:42","path":"/api/v1/\"quoted\"\n","status":200,"duration_ms":12.5,"cached":true,"tags":["a","b"],"user":{"id":7,"name":"Zoë ✓","roles":["admin"]},"Level":"a property","@@t":"not a time","emoji":"😀","ctl":"\u0001\t"}`,
	},
	{
		name: "zap/error with an error and zap's stacktrace",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.ErrorLevel, LoggerName: "config", Caller: zapCaller, Message: "load failed",
				Stack: "app.load\n\t/src/app/load.go:31\napp.main\n\t/src/app/main.go:12"}, zap.Error(errBoom), zap.String("file", "/etc/app.yaml"))
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Error","MessageTemplate":"load failed","RenderedMessage":"load failed","Exception":"open \"/etc/app.yaml\": permission denied\napp.load\n\t/src/app/load.go:31\napp.main\n\t/src/app/main.go:12","Properties":{"SourceContext":"config","caller":"app/handler.go:42","file":"/etc/app.yaml"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"load failed","@l":"Error","@x":"open \"/etc/app.yaml\": permission denied\napp.load\n\t/src/app/load.go:31\napp.main\n\t/src/app/main.go:12","SourceContext":"config","caller":"app/handler.go:42","file":"/etc/app.yaml"}`,
	},
	{
		name: "zap/error with errorVerbose, which starts with the message",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.ErrorLevel, Message: "load failed"}, zap.Error(verboseError{"config invalid"}))
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Error","MessageTemplate":"load failed","RenderedMessage":"load failed","Exception":"config invalid\napp.load\n\t/src/app/load.go:31\napp.main\n\t/src/app/main.go:12"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"load failed","@l":"Error","@x":"config invalid\napp.load\n\t/src/app/load.go:31\napp.main\n\t/src/app/main.go:12"}`,
	},
	{
		name: "zap/dpanic is Error",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.DPanicLevel, Message: "inconsistent state"}, zap.Int("shard", 3))
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Error","MessageTemplate":"inconsistent state","RenderedMessage":"inconsistent state","Properties":{"shard":3}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"inconsistent state","@l":"Error","shard":3}`,
	},
	{
		name: "zap/panic is Fatal",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.PanicLevel, Message: "cannot go on"})
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Fatal","MessageTemplate":"cannot go on","RenderedMessage":"cannot go on"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"cannot go on","@l":"Fatal"}`,
	},
	{
		name: "zap/fatal is Fatal",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.FatalLevel, Message: "exiting"})
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Fatal","MessageTemplate":"exiting","RenderedMessage":"exiting"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"exiting","@l":"Fatal"}`,
	},
	{
		name: "zap/debug, no logger name, no fields: no Properties",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, nil, zapcore.Entry{Level: zapcore.DebugLevel, Message: "tick"})
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Debug","MessageTemplate":"tick","RenderedMessage":"tick"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"tick","@l":"Debug"}`,
	},
	{
		name: "zap/warn with the ISO8601 time encoder at +01:00: the offset is kept; a user field named message stays a property",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, func(c *zapcore.EncoderConfig) { c.EncodeTime = zapcore.ISO8601TimeEncoder },
				zapcore.Entry{Level: zapcore.WarnLevel, Time: logTime.In(time.FixedZone("CET", 3600)), Message: "slow"},
				zap.String("message", "zerolog's key, a property here"), zap.Duration("elapsed", 1500*time.Millisecond))
		},
		serilog: `{"Timestamp":"2026-12-01T08:07:26.0561234+01:00","Level":"Warning","MessageTemplate":"slow","RenderedMessage":"slow","Properties":{"message":"zerolog's key, a property here","elapsed":1.5}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"slow","@l":"Warning","message":"zerolog's key, a property here","elapsed":1.5}`,
	},
	{
		name: "zap/without a time key: Entry.Time; a user field named msg after zap's stays a property",
		entry: func(t testing.TB) core.Entry {
			return zapEntry(t, func(c *zapcore.EncoderConfig) { c.TimeKey = "" },
				zapcore.Entry{Level: zapcore.InfoLevel, Message: "served"}, zap.String("msg", "a user's msg"))
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Information","MessageTemplate":"served","RenderedMessage":"served","Properties":{"msg":"a user's msg"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"served","msg":"a user's msg"}`,
	},

	// zerolog: zerologsink gives the Level only.
	{
		name: "zerolog/info: fields of every kind, unicode, a caller, braces in the message, properties named Level and @t",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) {
				zerologger(w, true, true).Info().Str("path", "/api/v1/\"quoted\"\n").Int("status", 200).
					Float64("duration_ms", 12.5).Bool("cached", true).Strs("tags", []string{"a", "b"}).
					Dict("user", zerolog.Dict().Int("id", 7).Str("name", "Zoë ✓")).
					Str("Level", "a property").Str("@t", "not a time").Msg("user {id} logged in — ✓")
			})
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"user {{id}} logged in — ✓","RenderedMessage":"user {id} logged in — ✓","Properties":{"path":"/api/v1/\"quoted\"\n","status":200,"duration_ms":12.5,"cached":true,"tags":["a","b"],"user":{"id":7,"name":"Zoë ✓"},"Level":"a property","@t":"not a time","caller":"/src/app/worker.go:17"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"user {{id}} logged in — ✓","@m":"user {id} logged in — ✓","path":"/api/v1/\"quoted\"\n","status":200,"duration_ms":12.5,"cached":true,"tags":["a","b"],"user":{"id":7,"name":"Zoë ✓"},"Level":"a property","@@t":"not a time","caller":"/src/app/worker.go:17"}`,
	},
	{
		name: "zerolog/info with the acceptance time in Entry.Time: its digits within zerolog's second",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			e := zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).Info().Msg("accepted") })
			e.Time = logTime.Add(300 * time.Microsecond)
			return e
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0564234+00:00","Level":"Information","MessageTemplate":"accepted","RenderedMessage":"accepted"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0564234Z","@mt":"accepted"}`,
	},
	{
		name: "zerolog/error with an error and a pkgerrors stack",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) {
				zerologger(w, true, false).Error().Stack().Err(errBoom).Str("file", "/etc/app.yaml").Msg("load failed")
			})
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Error","MessageTemplate":"load failed","RenderedMessage":"load failed","Exception":"open \"/etc/app.yaml\": permission denied\n[{\"func\":\"run\",\"line\":\"17\",\"source\":\"worker.go\"},{\"func\":\"main\",\"line\":\"9\",\"source\":\"main.go\"}]","Properties":{"file":"/etc/app.yaml"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"load failed","@l":"Error","@x":"open \"/etc/app.yaml\": permission denied\n[{\"func\":\"run\",\"line\":\"17\",\"source\":\"worker.go\"},{\"func\":\"main\",\"line\":\"9\",\"source\":\"main.go\"}]","file":"/etc/app.yaml"}`,
	},
	{
		name: "zerolog/no level (Log) is Information",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).Log().Msg("plain") })
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"plain","RenderedMessage":"plain"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"plain"}`,
	},
	{
		name: "zerolog/trace is Verbose",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).Trace().Msg("step") })
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Verbose","MessageTemplate":"step","RenderedMessage":"step"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"step","@l":"Verbose"}`,
	},
	{
		name: "zerolog/panic is Fatal",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).WithLevel(zerolog.PanicLevel).Msg("cannot go on") })
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Fatal","MessageTemplate":"cannot go on","RenderedMessage":"cannot go on"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"cannot go on","@l":"Fatal"}`,
	},
	{
		name: "zerolog/fatal, time in Unix milliseconds",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			zerolog.TimeFieldFormat = zerolog.TimeFormatUnixMs
			return zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).WithLevel(zerolog.FatalLevel).Msg("exiting") })
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0560000+00:00","Level":"Fatal","MessageTemplate":"exiting","RenderedMessage":"exiting"}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0560000Z","@mt":"exiting","@l":"Fatal"}`,
	},
	{
		name: "zerolog/warn without a timestamp: Entry.Time, the acceptance time",
		entry: func(t testing.TB) core.Entry {
			e := zerologEntry(t, func(w io.Writer) { zerologger(w, false, false).Warn().Int("queue", 9).Msg("backlog") })
			e.Time = logTime
			return e
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Warning","MessageTemplate":"backlog","RenderedMessage":"backlog","Properties":{"queue":9}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"backlog","@l":"Warning","queue":9}`,
	},
	{
		name: "zerolog/a user field named msg is taken for zap's and slog's message key by default",
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).Info().Str("msg", "a user field").Msg("the message") })
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"a user field","RenderedMessage":"a user field","Properties":{"message":"the message"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"a user field","message":"the message"}`,
	},
	{
		name:   "zerolog/a user field named msg, with Fields for zerolog only",
		fields: core.Fields{Message: []string{"message"}},
		entry: func(t testing.TB) core.Entry {
			fixZerolog(t)
			return zerologEntry(t, func(w io.Writer) { zerologger(w, true, false).Info().Str("msg", "a user field").Msg("the message") })
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"the message","RenderedMessage":"the message","Properties":{"msg":"a user field"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"the message","msg":"a user field"}`,
	},

	// slog: slogsink gives Time, Level and Message.
	{
		name: "slog/info with a group, nested groups, a source, braces in the message",
		entry: func(t testing.TB) core.Entry {
			return slogEntry(t, true, "req", slog.LevelInfo, "user {id} logged in", "id", 7,
				slog.Group("client", "ip", "10.0.0.1", "agent", "curl/8 \"x\""), "latency", 1500*time.Millisecond, "at", logTime)
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Information","MessageTemplate":"user {{id}} logged in","RenderedMessage":"user {id} logged in","Properties":{"source":{"function":"app.handle","file":"/src/app/api.go","line":88},"req":{"id":7,"client":{"ip":"10.0.0.1","agent":"curl/8 \"x\""},"latency":1500000000,"at":"2026-12-01T07:07:26.056123456Z"}}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"user {{id}} logged in","@m":"user {id} logged in","source":{"function":"app.handle","file":"/src/app/api.go","line":88},"req":{"id":7,"client":{"ip":"10.0.0.1","agent":"curl/8 \"x\""},"latency":1500000000,"at":"2026-12-01T07:07:26.056123456Z"}}`,
	},
	{
		name: "slog/WARN+2 with an err attribute",
		entry: func(t testing.TB) core.Entry {
			return slogEntry(t, false, "", slog.LevelWarn+2, "retrying", "err", errBoom, "attempt", 3)
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Warning","MessageTemplate":"retrying","RenderedMessage":"retrying","Exception":"open \"/etc/app.yaml\": permission denied","Properties":{"attempt":3}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"retrying","@l":"Warning","@x":"open \"/etc/app.yaml\": permission denied","attempt":3}`,
	},
	{
		name: "slog/DEBUG-4 is Verbose",
		entry: func(t testing.TB) core.Entry {
			return slogEntry(t, false, "", slog.LevelDebug-4, "trace point", "n", 1)
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Verbose","MessageTemplate":"trace point","RenderedMessage":"trace point","Properties":{"n":1}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"trace point","@l":"Verbose","n":1}`,
	},
	{
		name: "slog/ERROR+4 is Error",
		entry: func(t testing.TB) core.Entry {
			return slogEntry(t, false, "", slog.LevelError+4, "bad", "Level", "a property", "@mt", "not a template")
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Error","MessageTemplate":"bad","RenderedMessage":"bad","Properties":{"Level":"a property","@mt":"not a template"}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"bad","@l":"Error","Level":"a property","@@mt":"not a template"}`,
	},
	{
		name: "slog/through a plain writer, no adapter metadata: level, message and time from the fields",
		entry: func(t testing.TB) core.Entry {
			e := slogEntry(t, false, "", slog.LevelWarn, "disk {almost} full", "free", 0.05)
			return core.Entry{JSON: e.JSON}
		},
		serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Warning","MessageTemplate":"disk {{almost}} full","RenderedMessage":"disk {almost} full","Properties":{"free":0.05}}`,
		clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"disk {{almost}} full","@m":"disk {almost} full","@l":"Warning","free":0.05}`,
	},
}

func TestFormattersGolden(t *testing.T) {
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.entry(t)
			if _, _, err := checkFormatters(e, tt.fields); err != nil {
				t.Errorf("breaks the field rules: %v\nentry %+v\n%s", err, e, e.JSON)
			}
			for _, f := range []struct {
				name string
				f    core.Formatter
				want string
			}{
				{"serilog", core.SerilogJSON{Fields: tt.fields}, tt.serilog},
				{"clef", core.CLEF{Fields: tt.fields}, tt.clef},
			} {
				got, err := f.f.Format(nil, e)
				if err != nil {
					t.Fatalf("%s: Format(%s) = %v", f.name, e.JSON, err)
				}
				if *printGolden {
					fmt.Printf("GOLDEN\t%s\t%s\t%s\n", tt.name, f.name, got)
				}
				if string(got) != f.want {
					t.Errorf("%s: Format(%s)\n got %s\nwant %s", f.name, e.JSON, got, f.want)
				}
			}
		})
	}
}

func TestParseFormatter(t *testing.T) {
	for _, tt := range []struct {
		name    string
		want    core.Formatter
		wantErr string
	}{
		{"json", nil, ""},
		{"JSON", nil, ""},
		{"", nil, ""},
		{"serilog", core.SerilogJSON{}, ""},
		{"Serilog", core.SerilogJSON{}, ""},
		{"clef", core.CLEF{}, ""},
		{"CLEF", core.CLEF{}, ""},
		{"compact", nil, `unknown formatter "compact" (want json, serilog or clef)`},
		{"xml", nil, `unknown formatter "xml" (want json, serilog or clef)`},
	} {
		got, err := core.ParseFormatter(tt.name)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseFormatter(%q) error = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFormatter(%q) = %#v, %v; want %#v", tt.name, got, err, tt.want)
		}
	}
}

// TestFormatterFields covers field names other than the loggers'
// defaults, and a built-in turned off.
func TestFormatterFields(t *testing.T) {
	custom := core.Fields{Time: []string{"@timestamp"}, Level: []string{"severity"}, Message: []string{"text"},
		Logger: []string{"name"}, Error: []string{"exception"}, ErrorVerbose: []string{}, Stack: []string{"trace"}}
	for _, tt := range []struct {
		name          string
		fields        core.Fields
		json          string
		serilog, clef string
	}{
		{
			name:    "custom names",
			fields:  custom,
			json:    `{"@timestamp":"2026-12-01T07:07:26.5-03:00","severity":"WARNING","name":"db","text":"slow {q}","exception":"timeout","trace":"db.query","msg":"a property now","level":"info"}`,
			serilog: `{"Timestamp":"2026-12-01T07:07:26.5000000-03:00","Level":"Warning","MessageTemplate":"slow {{q}}","RenderedMessage":"slow {q}","Exception":"timeout\ndb.query","Properties":{"SourceContext":"db","msg":"a property now","level":"info"}}`,
			clef:    `{"@t":"2026-12-01T10:07:26.5000000Z","@mt":"slow {{q}}","@m":"slow {q}","@l":"Warning","@x":"timeout\ndb.query","SourceContext":"db","msg":"a property now","level":"info"}`,
		},
		{
			name:    "levels off: the level field stays a property",
			fields:  core.Fields{Level: []string{}},
			json:    `{"level":"error","ts":1796108846,"msg":"m"}`,
			serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"m","RenderedMessage":"m","Properties":{"level":"error"}}`,
			clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"m","level":"error"}`,
		},
		{
			name:    "fields that do not fit their built-in stay properties",
			json:    `{"level":"notice","ts":"yesterday","time":"2026-12-01T07:07:26Z","msg":42,"message":"the message","logger":{"a":1},"error":null}`,
			serilog: `{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"the message","RenderedMessage":"the message","Properties":{"level":"notice","ts":"yesterday","msg":42,"logger":{"a":1},"error":null}}`,
			clef:    `{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"the message","level":"notice","ts":"yesterday","msg":42,"logger":{"a":1},"error":null}`,
		},
		{
			name:    "escaped keys and braces; an escaped @",
			json:    `{"\u006dsg":"x \u007b y \u007D","\u0040t":1,"@":2,"@@x":3}`,
			serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Information","MessageTemplate":"x \u007b\u007b y \u007D\u007D","RenderedMessage":"x \u007b y \u007D","Properties":{"\u0040t":1,"@":2,"@@x":3}}`,
			clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"x \u007b\u007b y \u007D\u007D","@m":"x \u007b y \u007D","@\u0040t":1,"@@":2,"@@@x":3}`,
		},
		{
			name:    "a non-string error and stack, and an errorVerbose that does not repeat the error",
			json:    `{"msg":"m","error":{"code":7},"errorVerbose":"details","stack":["a","b"]}`,
			serilog: `{"Timestamp":"2026-12-01T07:07:26.0561234+00:00","Level":"Information","MessageTemplate":"m","RenderedMessage":"m","Exception":"{\"code\":7}\ndetails\n[\"a\",\"b\"]"}`,
			clef:    `{"@t":"2026-12-01T07:07:26.0561234Z","@mt":"m","@x":"{\"code\":7}\ndetails\n[\"a\",\"b\"]"}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := core.Entry{Time: logTime, JSON: []byte(tt.json)}
			if strings.Contains(tt.json, `"ts":1796108846`) || strings.Contains(tt.json, `"time":"2026`) || strings.Contains(tt.json, "@timestamp") {
				e.Time = time.Time{} // the field's time alone
			}
			serilog, clef, err := checkFormatters(e, tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			if string(serilog) != tt.serilog {
				t.Errorf("SerilogJSON\n got %s\nwant %s", serilog, tt.serilog)
			}
			if string(clef) != tt.clef {
				t.Errorf("CLEF\n got %s\nwant %s", clef, tt.clef)
			}
		})
	}
}

// TestFormatterErrors checks that an entry that is not a valid JSON
// object is refused with an error naming the field, and dst left as it
// was.
func TestFormatterErrors(t *testing.T) {
	for _, tt := range []struct {
		json, want string
	}{
		{`{"user":{"id":7,}}`, `field "user": invalid JSON at byte 16: want a quoted key, got '}'`},
		{`{"msg":"ok","n":0x10}`, `field "n": invalid JSON at byte 17: want ',' or '}' after the value, got 'x'`},
		{"{\"msg\":\"\xffbad\"}", `field "msg": invalid JSON at byte 8: invalid UTF-8 in a string`},
		{"{\"msg\":\"line\nbreak\"}", `field "msg": invalid JSON at byte 12: control character byte 0xa in a string (want it escaped)`},
		{`{"a":1} {"b":2}`, `invalid JSON at byte 8: data after the object`},
		{`level=info msg=hi`, `entry is not a JSON object`},
		{``, `entry is not a JSON object`},
	} {
		for _, f := range []struct {
			name string
			f    core.Formatter
		}{{"serilog", core.SerilogJSON{}}, {"clef", core.CLEF{}}} {
			dst := []byte("previous record")
			got, err := f.f.Format(dst, core.Entry{JSON: []byte(tt.json)})
			if want := f.name + ": " + tt.want; err == nil || err.Error() != want {
				t.Errorf("%s.Format(%q) error = %v, want %q", f.name, tt.json, err, want)
			}
			if string(got) != "previous record" {
				t.Errorf("%s.Format(%q) = %q, want dst unchanged", f.name, tt.json, got)
			}
		}
	}
}

// TestFormattersConcurrently formats from several goroutines with one
// formatter: the same output as alone (and no race under -race).
func TestFormattersConcurrently(t *testing.T) {
	var entries []core.Entry
	for _, tt := range goldenCases {
		entries = append(entries, tt.entry(t))
	}
	for _, f := range []core.Formatter{core.SerilogJSON{}, core.CLEF{}} {
		want := make([]string, len(entries))
		for i, e := range entries {
			out, err := f.Format(nil, e)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = string(out)
		}
		errs := make(chan error, 4)
		for g := range 4 {
			go func() {
				var buf []byte
				for n := range 200 {
					i := (n + g) % len(entries)
					var err error
					if buf, err = f.Format(buf[:0], entries[i]); err == nil && string(buf) != want[i] {
						err = fmt.Errorf("got %s, want %s", buf, want[i])
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}
