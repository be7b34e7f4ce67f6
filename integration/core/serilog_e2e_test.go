package core_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// This file checks, against a real broker, that a sink with the Serilog
// formatters writes records that consumers written for Serilog's shapes
// read: one modeled on a .NET consumer of Serilog.Sinks.Kafka's default
// records (JsonFormatter with renderMessage), one on
// Serilog.Formatting.Compact.Reader's LogEventReader for CLEF. Both are
// strict: what they do not know, they refuse.

// serilogEvent is what the consumers read from a record.
type serilogEvent struct {
	Timestamp       time.Time
	Level           string
	MessageTemplate string
	RenderedMessage string
	Exception       string
	Properties      map[string]json.RawMessage
}

// logEventLevels are Serilog's LogEventLevel names.
var logEventLevels = []string{"Verbose", "Debug", "Information", "Warning", "Error", "Fatal"}

// dotNetRoundTrip is .NET's "O" format for a DateTimeOffset.
const dotNetRoundTrip = "2006-01-02T15:04:05.0000000-07:00"

// readSerilogRecord reads a record as a consumer of Serilog.Sinks.Kafka's
// default records does: into a class with Timestamp (DateTimeOffset),
// Level (LogEventLevel), MessageTemplate, RenderedMessage, Exception and
// Properties, refusing unknown members; the template is parsed with
// Serilog's rules.
func readSerilogRecord(v []byte) (serilogEvent, error) {
	var rec struct {
		Timestamp       string
		Level           string
		MessageTemplate string
		RenderedMessage string
		TraceID         string `json:"TraceId"`
		SpanID          string `json:"SpanId"`
		Exception       *string
		Properties      map[string]json.RawMessage
		Renderings      map[string]json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return serilogEvent{}, fmt.Errorf("not a Serilog JsonFormatter event: %v", err)
	}
	ts, err := time.Parse(dotNetRoundTrip, rec.Timestamp)
	if err != nil {
		return serilogEvent{}, fmt.Errorf("Timestamp: %v", err)
	}
	if !slices.Contains(logEventLevels, rec.Level) {
		return serilogEvent{}, fmt.Errorf("Level %q is not a LogEventLevel", rec.Level)
	}
	text, err := parseTemplate(rec.MessageTemplate)
	if err != nil {
		return serilogEvent{}, err
	}
	if text != rec.RenderedMessage {
		return serilogEvent{}, fmt.Errorf("MessageTemplate %q renders as %q, RenderedMessage is %q", rec.MessageTemplate, text, rec.RenderedMessage)
	}
	ev := serilogEvent{Timestamp: ts, Level: rec.Level, MessageTemplate: rec.MessageTemplate, RenderedMessage: rec.RenderedMessage, Properties: rec.Properties}
	if rec.Exception != nil {
		ev.Exception = *rec.Exception
	}
	return ev, nil
}

// readCLEFRecord reads a record as LogEventReader.ReadFromString does:
// @t required; @mt, or else @m escaped as a template; @l a LogEventLevel
// (any case), Information if absent; @x the exception; every other member
// a property, "@@name" standing for "@name". A member named with a single
// '@' that is not one of the format's is refused.
func readCLEFRecord(v []byte) (serilogEvent, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return serilogEvent{}, fmt.Errorf("the document could not be deserialized: %v", err)
	}
	str := func(name string) (string, bool, error) {
		raw, ok := obj[name]
		if !ok || string(raw) == "null" {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("the value of `%s` is not in a supported format", name)
		}
		return s, true, nil
	}
	ev := serilogEvent{Level: "Information", Properties: map[string]json.RawMessage{}}
	t, ok, err := str("@t")
	if err != nil || !ok {
		return ev, fmt.Errorf("no @t: %v", err)
	}
	if ev.Timestamp, err = time.Parse(time.RFC3339Nano, t); err != nil {
		return ev, fmt.Errorf("@t: %v", err)
	}
	mt, ok, err := str("@mt")
	if err != nil {
		return ev, err
	}
	if !ok {
		m, _, err := str("@m")
		if err != nil {
			return ev, err
		}
		mt = strings.NewReplacer("{", "{{", "}", "}}").Replace(m)
	}
	ev.MessageTemplate = mt
	if ev.RenderedMessage, err = parseTemplate(mt); err != nil {
		return ev, err
	}
	if m, ok, _ := str("@m"); ok && m != ev.RenderedMessage {
		return ev, fmt.Errorf("@m %q is not @mt %q rendered (%q)", m, mt, ev.RenderedMessage)
	}
	if l, ok, err := str("@l"); err != nil {
		return ev, err
	} else if ok {
		i := slices.IndexFunc(logEventLevels, func(n string) bool { return strings.EqualFold(n, l) })
		if i < 0 {
			return ev, fmt.Errorf("the `@l` value %q is not a valid LogEventLevel", l)
		}
		ev.Level = logEventLevels[i]
	}
	if ev.Exception, _, err = str("@x"); err != nil {
		return ev, err
	}
	for name, raw := range obj {
		switch {
		case slices.Contains([]string{"@t", "@mt", "@m", "@l", "@x", "@r", "@i", "@tr", "@sp"}, name):
		case strings.HasPrefix(name, "@@"):
			ev.Properties[name[1:]] = raw
		case strings.HasPrefix(name, "@"):
			return ev, fmt.Errorf("unrecognized reified property %q", name)
		default:
			ev.Properties[name] = raw
		}
	}
	return ev, nil
}

// parseTemplate parses a message template as Serilog's
// MessageTemplateParser does and renders it without properties. A
// property token is an error here: a Go message has none.
func parseTemplate(tpl string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if (c == '{' || c == '}') && i+1 < len(tpl) && tpl[i+1] == c {
			b.WriteByte(c)
			i++
			continue
		}
		if c == '{' {
			return "", fmt.Errorf("template %q has a property token at %d", tpl, i)
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// writerFunc is an io.Writer over a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestSerilogShapesEndToEnd logs from zap (zapsink), zerolog
// (zerologsink) and slog (its JSON handler writing into the sink) into one
// sink per shape, reads the topic back from the broker, and checks that
// the Serilog consumers read every entry once, saying what was logged.
func TestSerilogShapesEndToEnd(t *testing.T) {
	c := kafkatest.Start(t)
	const n = 60 // entries per logger
	for _, tt := range []struct {
		name  string
		f     core.Formatter
		topic string
		read  func([]byte) (serilogEvent, error)
	}{
		{"serilog", core.SerilogJSON{}, "logs-serilog", readSerilogRecord},
		{"clef", core.CLEF{}, "logs-clef", readCLEFRecord},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, core.Config{Brokers: c.Addrs(), Topic: tt.topic, Formatter: tt.f, BatchSizeLimit: 50, Period: 20 * time.Millisecond})
			zl := zap.New(zapsink.NewCore(s, zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.DebugLevel)).Named("billing")
			zr := zerolog.New(zerologsink.NewWriter(s)).With().Timestamp().Str("logger", "payments").Logger()
			sl := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
				return len(p), s.Write(core.Entry{JSON: p}) // a plain writer: no metadata, the fields say it all
			}), &slog.HandlerOptions{Level: slog.LevelDebug}))
			errBoom := errors.New(`charge "c-1" declined`)
			for i := range n {
				switch i % 3 {
				case 0:
					zl.Info("charged {card}", zap.Int("seq", i), zap.String("src", "zap"), zap.Any("amount", map[string]any{"eur": 12.5}))
				case 1:
					zl.Warn("retrying", zap.Int("seq", i), zap.String("src", "zap"), zap.String("Level", "not the level"))
				case 2:
					zl.Error("failed", zap.Int("seq", i), zap.String("src", "zap"), zap.Error(errBoom))
				}
				switch i % 3 {
				case 0:
					zr.Info().Int("seq", i).Str("src", "zerolog").Str("@t", "not the time").Msg("charged {card}")
				case 1:
					zr.Debug().Int("seq", i).Str("src", "zerolog").Msg("ledger ✓")
				case 2:
					zr.Error().Int("seq", i).Str("src", "zerolog").Err(errBoom).Msg("failed")
				}
				switch i % 3 {
				case 0:
					sl.Info("charged {card}", "seq", i, "src", "slog", slog.Group("req", "id", i))
				case 1:
					sl.Log(t.Context(), slog.LevelWarn+2, "retrying", "seq", i, "src", "slog")
				case 2:
					sl.Error("failed", "seq", i, "src", "slog", "err", errBoom)
				}
			}
			flush(t, s, 20*time.Second)
			records := c.ReadN(t, tt.topic, 3*n, 20*time.Second)
			if len(records) != 3*n {
				t.Fatalf("read %d records, want %d", len(records), 3*n)
			}
			seen := map[string]bool{}
			for _, r := range records {
				ev, err := tt.read(r.Value)
				if err != nil {
					t.Fatalf("record %s: %v", r.Value, err)
				}
				if ev.Timestamp.IsZero() || time.Since(ev.Timestamp) > time.Minute || time.Since(ev.Timestamp) < -time.Second {
					t.Errorf("record %s: Timestamp %v, want about now", r.Value, ev.Timestamp)
				}
				var logger string
				var seq int
				if err := json.Unmarshal(ev.Properties["src"], &logger); err != nil {
					t.Fatalf("record %s: no src property: %v", r.Value, err)
				}
				if err := json.Unmarshal(ev.Properties["seq"], &seq); err != nil {
					t.Fatalf("record %s: no seq property: %v", r.Value, err)
				}
				id := fmt.Sprintf("%s/%d", logger, seq)
				if seen[id] {
					t.Errorf("%s read twice", id)
				}
				seen[id] = true
				wantLevel := map[string][3]string{
					"zap":     {"Information", "Warning", "Error"},
					"zerolog": {"Information", "Debug", "Error"},
					"slog":    {"Information", "Warning", "Error"},
				}[logger][seq%3]
				wantMsg := map[string][3]string{
					"zap":     {"charged {card}", "retrying", "failed"},
					"zerolog": {"charged {card}", "ledger ✓", "failed"},
					"slog":    {"charged {card}", "retrying", "failed"},
				}[logger][seq%3]
				if ev.Level != wantLevel || ev.RenderedMessage != wantMsg {
					t.Errorf("%s: level %s, message %q; want %s, %q", id, ev.Level, ev.RenderedMessage, wantLevel, wantMsg)
				}
				if wantErr := seq%3 == 2; wantErr != (ev.Exception != "") || wantErr && !strings.HasPrefix(ev.Exception, errBoom.Error()) {
					t.Errorf("%s: Exception %q", id, ev.Exception)
				}
				// zap's logger name, and zerolog's "logger" field, are
				// SourceContext; slog has none.
				if sc, want := string(ev.Properties["SourceContext"]), map[string]string{"zap": `"billing"`, "zerolog": `"payments"`}[logger]; sc != want {
					t.Errorf("%s: SourceContext %s, want %s", id, sc, want)
				}
				switch {
				case logger == "zap" && seq%3 == 1:
					if string(ev.Properties["Level"]) != `"not the level"` {
						t.Errorf("%s: property Level %s", id, ev.Properties["Level"])
					}
				case logger == "zerolog" && seq%3 == 0:
					if string(ev.Properties["@t"]) != `"not the time"` {
						t.Errorf("%s: property @t %s", id, ev.Properties["@t"])
					}
				case logger == "slog" && seq%3 == 0:
					if string(ev.Properties["req"]) != fmt.Sprintf(`{"id":%d}`, seq) {
						t.Errorf("%s: property req %s", id, ev.Properties["req"])
					}
				}
			}
			if len(seen) != 3*n {
				t.Errorf("read %d distinct entries, want %d", len(seen), 3*n)
			}
			if st := s.Stats(); st.Delivered != 3*n || st.Dropped.Total() != 0 {
				t.Errorf("stats %+v, want %d delivered, none dropped", st, 3*n)
			}
		})
	}
}
