package core_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
)

// This file checks a formatter's output against the rules of issue 13,
// independently of the formatters' code: it reads input and output with
// encoding/json, levels with zap's, zerolog's and slog's own parsers, and
// times with the time package. Every input field must come out, either as
// a property with the same JSON value, or as the built-in it stands for,
// saying the same; and nothing may come out that was not in.

// kv is a member of a JSON object, in order.
type kv struct {
	key string
	val json.RawMessage // compacted
}

// objectMembers returns the members of the JSON object b, in order,
// duplicates included.
func objectMembers(b []byte) ([]kv, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object: %v %v", tok, err)
	}
	var out []kv
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			return nil, err
		}
		out = append(out, kv{tok.(string), c.Bytes()})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the object")
	}
	return out, nil
}

// The built-in field names of the issue, per role, as Fields' zero value
// must know them.
var (
	timeNames    = []string{"ts", "time"}
	levelNames   = []string{"level"}
	messageNames = []string{"msg", "message"}
	loggerNames  = []string{"logger"}
	errorNames   = []string{"error", "err", "errorVerbose", "stacktrace", "stack"}
)

// orDefault returns l, or def if l is nil.
func orDefault(l, def []string) []string {
	if l == nil {
		return def
	}
	return l
}

// event is a formatter's output, read back in Serilog's terms.
type event struct {
	timestamp     time.Time
	level         string
	template      string
	message       string
	exception     *string
	sourceContext *string
	sourceRaw     json.RawMessage // the SourceContext member's value
	properties    []kv            // SourceContext excluded
}

var (
	serilogTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d$`)
	clefTimeRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)
	serilogLevels = []string{"Verbose", "Debug", "Information", "Warning", "Error", "Fatal"}
)

// readSerilog reads SerilogJSON's output, checking its shape.
func readSerilog(out []byte) (event, error) {
	var ev event
	ms, err := objectMembers(out)
	if err != nil {
		return ev, fmt.Errorf("output is not a JSON object: %v", err)
	}
	order := []string{"Timestamp", "Level", "MessageTemplate", "RenderedMessage", "Exception", "Properties"}
	next := 0
	for _, m := range ms {
		i := slices.Index(order[next:], m.key)
		if i < 0 {
			return ev, fmt.Errorf("member %q unknown or out of order", m.key)
		}
		next += i + 1
		var s string
		if m.key != "Properties" {
			if err := json.Unmarshal(m.val, &s); err != nil {
				return ev, fmt.Errorf("%s is not a string: %s", m.key, m.val)
			}
		}
		switch m.key {
		case "Timestamp":
			if !serilogTimeRE.MatchString(s) {
				return ev, fmt.Errorf("Timestamp %q is not .NET's \"O\" format", s)
			}
			if ev.timestamp, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return ev, err
			}
		case "Level":
			ev.level = s
		case "MessageTemplate":
			ev.template = s
		case "RenderedMessage":
			ev.message = s
		case "Exception":
			ev.exception = &s
		case "Properties":
			props, err := objectMembers(m.val)
			if err != nil || len(props) == 0 {
				return ev, fmt.Errorf("Properties %s is not a non-empty object", m.val)
			}
			if err := namesOnce(props); err != nil {
				return ev, fmt.Errorf("Properties: %v", err)
			}
			for _, p := range props {
				if p.key == "SourceContext" && ev.sourceContext == nil {
					var sc string
					if err := json.Unmarshal(p.val, &sc); err == nil {
						ev.sourceContext, ev.sourceRaw = &sc, p.val
						continue
					}
				}
				ev.properties = append(ev.properties, p)
			}
		}
	}
	if next < 4 {
		return ev, fmt.Errorf("Timestamp, Level, MessageTemplate or RenderedMessage missing")
	}
	if !slices.Contains(serilogLevels, ev.level) {
		return ev, fmt.Errorf("Level %q is not one of Serilog's", ev.level)
	}
	text, tokens := renderTemplate(ev.template)
	if tokens || text != ev.message {
		return ev, fmt.Errorf("MessageTemplate %q renders as %q (property tokens: %v), RenderedMessage is %q", ev.template, text, tokens, ev.message)
	}
	return ev, nil
}

// readCLEF reads CLEF's output, checking its shape.
func readCLEF(out []byte) (event, error) {
	var ev event
	ms, err := objectMembers(out)
	if err != nil {
		return ev, fmt.Errorf("output is not a JSON object: %v", err)
	}
	if err := namesOnce(ms); err != nil {
		return ev, err
	}
	order := []string{"@t", "@mt", "@m", "@l", "@x"}
	next := 0
	var m *string
	hasT := false
	ev.level = "Information"
	for _, mem := range ms {
		if !strings.HasPrefix(mem.key, "@") || strings.HasPrefix(mem.key, "@@") {
			key := mem.key
			if strings.HasPrefix(key, "@@") {
				key = key[1:]
			}
			if key == "SourceContext" && ev.sourceContext == nil {
				var sc string
				if err := json.Unmarshal(mem.val, &sc); err == nil {
					ev.sourceContext, ev.sourceRaw = &sc, mem.val
					continue
				}
			}
			ev.properties = append(ev.properties, kv{key, mem.val})
			next = len(order)
			continue
		}
		i := slices.Index(order[next:], mem.key)
		if i < 0 {
			return ev, fmt.Errorf("member %q unknown, unescaped or out of order", mem.key)
		}
		next += i + 1
		var s string
		if err := json.Unmarshal(mem.val, &s); err != nil {
			return ev, fmt.Errorf("%s is not a string: %s", mem.key, mem.val)
		}
		switch mem.key {
		case "@t":
			if !clefTimeRE.MatchString(s) {
				return ev, fmt.Errorf("@t %q is not UTC in .NET's \"O\" format", s)
			}
			if ev.timestamp, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return ev, err
			}
			hasT = true
		case "@mt":
			ev.template = s
		case "@m":
			m = &s
		case "@l":
			if s == "Information" {
				return ev, fmt.Errorf("@l is Information, which CLEF omits")
			}
			ev.level = s
		case "@x":
			ev.exception = &s
		}
	}
	if !hasT { // a time of year 1 is zero, and there
		return ev, fmt.Errorf("@t missing")
	}
	if !slices.Contains(serilogLevels, ev.level) {
		return ev, fmt.Errorf("@l %q is not one of Serilog's", ev.level)
	}
	text, tokens := renderTemplate(ev.template)
	if tokens {
		return ev, fmt.Errorf("@mt %q has property tokens", ev.template)
	}
	ev.message = text
	switch {
	case m == nil && text != ev.template:
		return ev, fmt.Errorf("@mt %q renders differently (%q), but there is no @m", ev.template, text)
	case m != nil && (*m != text || *m == ev.template):
		return ev, fmt.Errorf("@m %q, @mt %q renders as %q: @m must be the rendering and differ", *m, ev.template, text)
	}
	return ev, nil
}

// namesOnce fails if a name is twice among ms: Serilog writes each
// property once, and readers such as System.Text.Json's JsonNode refuse
// an object with a name twice.
func namesOnce(ms []kv) error {
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.key] {
			return fmt.Errorf("%q twice", m.key)
		}
		seen[m.key] = true
	}
	return nil
}

// renderTemplate renders a Serilog message template without properties,
// as Serilog's MessageTemplateParser reads text: "{{" is '{', "}}" is '}',
// and a single '{' starts a property token (reported; then the rest is
// not rendered).
func renderTemplate(tpl string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		switch c := tpl[i]; {
		case c == '{' && i+1 < len(tpl) && tpl[i+1] == '{', c == '}' && i+1 < len(tpl) && tpl[i+1] == '}':
			b.WriteByte(c)
			i++
		case c == '{':
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

// levelOfText returns the Serilog level a level field's text stands for,
// read with zap's, zerolog's and slog's parsers, or with Serilog's names.
func levelOfText(s string) (string, bool) {
	if i := slices.IndexFunc(serilogLevels, func(l string) bool { return strings.EqualFold(l, s) }); i >= 0 {
		return serilogLevels[i], true
	}
	var zl zapcore.Level
	if zl.UnmarshalText([]byte(s)) == nil || zl.UnmarshalText([]byte(strings.ToLower(s))) == nil {
		return map[zapcore.Level]string{zapcore.DebugLevel: "Debug", zapcore.InfoLevel: "Information", zapcore.WarnLevel: "Warning",
			zapcore.ErrorLevel: "Error", zapcore.DPanicLevel: "Error", zapcore.PanicLevel: "Fatal", zapcore.FatalLevel: "Fatal"}[zl], true
	}
	if l, err := zerolog.ParseLevel(strings.ToLower(s)); err == nil && l == zerolog.TraceLevel {
		return "Verbose", true
	}
	var sl slog.Level
	if strings.ContainsAny(s, "+-") && sl.UnmarshalText([]byte(s)) == nil {
		return serilogLevelOfSlog(sl), true
	}
	return "", false
}

func serilogLevelOfSlog(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "Verbose"
	case l < slog.LevelInfo:
		return "Debug"
	case l < slog.LevelWarn:
		return "Information"
	case l < slog.LevelError:
		return "Warning"
	}
	return "Error"
}

// levelOfEntry returns the Serilog level of an adapter's core.Level.
func levelOfEntry(l core.Level) string {
	return map[core.Level]string{core.TraceLevel: "Verbose", core.DebugLevel: "Debug", core.InfoLevel: "Information",
		core.WarnLevel: "Warning", core.ErrorLevel: "Error", core.DPanicLevel: "Error", core.PanicLevel: "Fatal",
		core.FatalLevel: "Fatal"}[l]
}

// timeOfField reads a time field with the time package: RFC 3339 or ISO
// 8601 text, or Unix seconds, milliseconds, microseconds or nanoseconds
// told apart by size. It returns how far off the formatter's exact
// reading may be from this one: nothing for text, and a float64's
// rounding for numbers.
func timeOfField(v json.RawMessage) (time.Time, time.Duration, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if len(s) > 10 && (s[10] == 't' || s[10] == ' ') {
			s = s[:10] + "T" + s[11:]
		}
		s = strings.Replace(s, "z", "Z", 1)
		for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999Z07"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, 0, true
			}
		}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.Local); err == nil {
			return t, 0, true
		}
		return time.Time{}, 0, false
	}
	if bytes.ContainsAny(v, "eE") {
		return time.Time{}, 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return time.Time{}, 0, false
	}
	switch a := math.Abs(f); {
	case a < 1e11:
	case a < 1e14:
		f /= 1e3
	case a < 1e17:
		f /= 1e6
	default:
		f /= 1e9
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), time.Duration(math.Abs(f)*1e-6) + time.Microsecond, true
}

// checkEvent checks that ev, read from a formatter's output for e, says
// what e says and carries every one of its fields, read with the field
// names fs.
func checkEvent(ev event, e core.Entry, fs core.Fields) error {
	in, err := objectMembers(e.JSON)
	if err != nil {
		return fmt.Errorf("input: %v", err)
	}
	if e.Message != "" && ev.message != string([]rune(e.Message)) {
		return fmt.Errorf("message %q, Entry.Message %q", ev.message, e.Message)
	}
	if e.Level != core.NoLevel && ev.level != levelOfEntry(e.Level) {
		return fmt.Errorf("level %s, Entry.Level %v", ev.level, e.Level)
	}
	props := slices.Clone(ev.properties)
	// A field named SourceContext is a property that shadows the logger's
	// name, as an event's own property does in Serilog.
	userSource := slices.ContainsFunc(in, func(m kv) bool {
		return m.key == "SourceContext" && !slices.Contains(orDefault(fs.Logger, loggerNames), m.key)
	})
	if userSource && ev.sourceContext != nil {
		props = append(props, kv{"SourceContext", ev.sourceRaw})
		ev.sourceContext = nil
	}
	if !userSource && e.LoggerName != "" && (ev.sourceContext == nil || *ev.sourceContext != string([]rune(e.LoggerName))) {
		return fmt.Errorf("SourceContext %v, Entry.LoggerName %q", ev.sourceContext, e.LoggerName)
	}
	var taken struct{ time, level, message, logger bool }
	timeFromField := false
	for k, m := range in {
		// A name written twice is one property, its last: an earlier
		// member of the name is either that property's twin (same value:
		// the last one accounts for it), or shadowed (or a built-in).
		var later, twin bool
		for _, n := range in[k+1:] {
			if n.key == m.key {
				later, twin = true, twin || bytes.Equal(n.val, m.val)
			}
		}
		i := slices.IndexFunc(props, func(p kv) bool { return p.key == m.key && bytes.Equal(p.val, m.val) })
		switch {
		case i >= 0 && later && twin:
			continue
		case i >= 0:
			props = slices.Delete(props, i, i+1)
			continue
		case later:
			continue
		}
		// Not a property: it must be a built-in, and say the same.
		var s string
		isString := json.Unmarshal(m.val, &s) == nil
		switch {
		case slices.Contains(orDefault(fs.Time, timeNames), m.key) && !taken.time:
			t, tol, ok := timeOfField(m.val)
			if !ok {
				return fmt.Errorf("time field %s=%s is neither a property nor a time", m.key, m.val)
			}
			// The Timestamp is the field's time, or Entry.Time within the
			// field's precision (at most a second), truncated to 100 ns.
			if d := ev.timestamp.Sub(t); d < -tol-2*time.Microsecond || d > time.Second+tol+2*time.Microsecond {
				return fmt.Errorf("time field %s=%s is %v, Timestamp %v", m.key, m.val, t, ev.timestamp)
			}
			taken.time, timeFromField = true, true
		case slices.Contains(orDefault(fs.Level, levelNames), m.key) && !taken.level:
			l, ok := levelOfText(s)
			if !isString || !ok || l != ev.level {
				return fmt.Errorf("level field %s=%s is neither a property nor the level %s", m.key, m.val, ev.level)
			}
			taken.level = true
		case slices.Contains(orDefault(fs.Message, messageNames), m.key) && !taken.message:
			if !isString || s != ev.message {
				return fmt.Errorf("message field %s=%s is neither a property nor the message %q", m.key, m.val, ev.message)
			}
			taken.message = true
		case slices.Contains(orDefault(fs.Logger, loggerNames), m.key) && !taken.logger:
			if userSource { // shadowed by the SourceContext field
				taken.logger = true
				continue
			}
			if !isString || ev.sourceContext == nil || s != *ev.sourceContext {
				return fmt.Errorf("logger field %s=%s is neither a property nor the SourceContext %v", m.key, m.val, ev.sourceContext)
			}
			taken.logger = true
		case slices.Contains(slices.Concat(orDefault(fs.Error, errorNames[:2]), orDefault(fs.ErrorVerbose, errorNames[2:3]), orDefault(fs.Stack, errorNames[3:])), m.key):
			text := string(m.val)
			if isString {
				text = s
			}
			if ev.exception == nil || !strings.Contains(*ev.exception, text) {
				return fmt.Errorf("error field %s=%s is neither a property nor in the Exception %v", m.key, m.val, ev.exception)
			}
		default:
			return fmt.Errorf("field %s=%s is lost", m.key, m.val)
		}
	}
	if len(props) > 0 {
		return fmt.Errorf("properties %v are not in the entry", props)
	}
	if ev.sourceContext != nil && e.LoggerName == "" && !taken.logger {
		return fmt.Errorf("SourceContext %q comes from nowhere", *ev.sourceContext)
	}
	if !timeFromField && e.Time.IsZero() {
		if d := time.Since(ev.timestamp); d < 0 || d > time.Minute {
			return fmt.Errorf("no time at all: Timestamp %v, want the time of formatting", ev.timestamp)
		}
	}
	if !timeFromField && !e.Time.IsZero() && !ev.timestamp.Equal(e.Time.Truncate(100*time.Nanosecond)) {
		// Truncate rounds down from the zero time, as ticks do for times after year 1.
		return fmt.Errorf("no time field: Timestamp %v, want Entry.Time %v", ev.timestamp, e.Time)
	}
	return nil
}

// checkFormatters formats e with both formatters and checks each output
// against the rules. It returns the outputs.
func checkFormatters(e core.Entry, fs core.Fields) (serilog, clef []byte, err error) {
	serilog, err = core.SerilogJSON{Fields: fs}.Format(nil, e)
	if err != nil {
		return nil, nil, fmt.Errorf("SerilogJSON: %w", err)
	}
	ev, err := readSerilog(serilog)
	if err == nil {
		err = checkEvent(ev, e, fs)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("SerilogJSON wrote %s: %w", serilog, err)
	}
	clef, err = core.CLEF{Fields: fs}.Format(nil, e)
	if err != nil {
		return nil, nil, fmt.Errorf("CLEF: %w", err)
	}
	cev, err := readCLEF(clef)
	if err == nil {
		err = checkEvent(cev, e, fs)
	}
	sameTime := cev.timestamp.Equal(ev.timestamp) ||
		e.Time.IsZero() && cev.timestamp.Sub(ev.timestamp).Abs() < time.Second // both the time of formatting, perhaps
	if err == nil && (!sameTime || cev.level != ev.level || cev.message != ev.message) {
		err = fmt.Errorf("says other things than SerilogJSON's %s", serilog)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("CLEF wrote %s: %w", clef, err)
	}
	return serilog, clef, nil
}

// TestCheckerCatches shows that the checker fails outputs that break the
// rules, so that the golden and fuzz tests it runs in can fail.
func TestCheckerCatches(t *testing.T) {
	e := core.Entry{Level: core.WarnLevel, LoggerName: "http", Message: "a {b}",
		JSON: []byte(`{"level":"warn","ts":1796108846.0561235,"logger":"http","msg":"a {b}","n":1,"@t":2,"error":"boom"}`)}
	good := `{"Timestamp":"2026-12-01T07:07:26.0561235+00:00","Level":"Warning","MessageTemplate":"a {{b}}","RenderedMessage":"a {b}","Exception":"boom","Properties":{"SourceContext":"http","n":1,"@t":2}}`
	if ev, err := readSerilog([]byte(good)); err != nil || checkEvent(ev, e, core.Fields{}) != nil {
		t.Fatalf("the checker fails a good output: %v, %v", err, checkEvent(ev, e, core.Fields{}))
	}
	for _, bad := range []string{
		strings.Replace(good, `,"n":1`, ``, 1),               // a field lost
		strings.Replace(good, `"n":1`, `"n":2`, 1),           // a value changed
		strings.Replace(good, `,"@t":2`, `,"@t":2,"x":3`, 1), // a field invented
		strings.Replace(good, `"Warning"`, `"Error"`, 1),     // the wrong level
		strings.Replace(good, `"Warning"`, `"Warn"`, 1),      // no Serilog level
		strings.Replace(good, `a {{b}}`, `a {b}`, 1),         // a property token in the template
		strings.Replace(good, `"RenderedMessage":"a {b}"`, `"RenderedMessage":"a b"`, 1),
		strings.Replace(good, `0561235+00:00`, `056+00:00`, 1),           // not 7 digits
		strings.Replace(good, `07:07:26.0561235`, `07:07:28.0561235`, 1), // not the field's time
		strings.Replace(good, `"Exception":"boom",`, ``, 1),              // the error lost
		strings.Replace(good, `"SourceContext":"http",`, ``, 1),          // the logger lost
		strings.Replace(good, `"Level":"Warning","MessageTemplate"`, `"MessageTemplate":"x","Level":"Warning","MessageTemplate"`, 1),
	} {
		ev, err := readSerilog([]byte(bad))
		if err == nil {
			err = checkEvent(ev, e, core.Fields{})
		}
		if err == nil {
			t.Errorf("the checker passes %s", bad)
		}
	}
	goodCLEF := `{"@t":"2026-12-01T07:07:26.0561235Z","@mt":"a {{b}}","@m":"a {b}","@l":"Warning","@x":"boom","SourceContext":"http","n":1,"@@t":2}`
	if ev, err := readCLEF([]byte(goodCLEF)); err != nil || checkEvent(ev, e, core.Fields{}) != nil {
		t.Fatalf("the checker fails a good CLEF output: %v, %v", err, checkEvent(ev, e, core.Fields{}))
	}
	for _, bad := range []string{
		strings.Replace(goodCLEF, `"@@t"`, `"@t"`, 1),     // an unescaped '@'
		strings.Replace(goodCLEF, `,"@m":"a {b}"`, ``, 1), // no @m, though it differs
		strings.Replace(goodCLEF, `"@l":"Warning"`, `"@l":"Information"`, 1),
		strings.Replace(goodCLEF, `0561235Z`, `0561235+00:00`, 1), // not UTC
		strings.Replace(goodCLEF, `,"n":1`, ``, 1),
	} {
		ev, err := readCLEF([]byte(bad))
		if err == nil {
			err = checkEvent(ev, e, core.Fields{})
		}
		if err == nil {
			t.Errorf("the checker passes %s", bad)
		}
	}
}
