package core

import "fmt"

// SerilogJSON is a [Formatter] that writes each entry as Serilog's
// JsonFormatter(renderMessage: true) writes a LogEvent, the record
// Serilog.Sinks.Kafka sends by default, so that one consumer reads the
// records of .NET and Go services alike:
//
//	{"Timestamp":"2026-12-01T07:07:26.0560000+00:00","Level":"Warning",
//	 "MessageTemplate":"slow request","RenderedMessage":"slow request",
//	 "Exception":"context deadline exceeded",
//	 "Properties":{"SourceContext":"http","path":"/api","status":200}}
//
// The members and their order follow Serilog's
// src/Serilog/Formatting/Json/JsonFormatter.cs (Serilog 4.3; the TraceId,
// SpanId and Renderings members it may also write have no counterpart in
// a Go entry):
//
//   - Timestamp: the entry's time as .NET's DateTimeOffset "O" format
//     writes it: 7 fractional digits (100 ns ticks, truncated) and the
//     offset. The time is the logger's time field, keeping the offset the
//     logger wrote; refined to [Entry.Time] when that is the same moment
//     to the field's precision (zap's exact time behind its float
//     seconds); a time with no offset of its own (a Unix time) is written
//     in UTC. Where the logger wrote no time (or none that parses),
//     Entry.Time, or if that is zero too, the time Format runs.
//   - Level: Verbose, Debug, Information, Warning, Error or Fatal:
//     [Entry.Level] if the adapter set it, else the level field. zap's
//     DPanic is Error, zap's and zerolog's Panic is Fatal; no level is
//     Information. slog's "WARN+2" is Warning, "DEBUG-4" Verbose.
//   - MessageTemplate: the message with every '{' and '}' doubled, as
//     Serilog escapes literal braces, so no Go message is misread as a
//     template with property tokens; RenderedMessage: the message as it
//     is. The message is [Entry.Message] if the adapter set it, else the
//     message field.
//   - Exception, present when the entry carries an error or a stack:
//     the error, or its verbose form (zap's errorVerbose), then the stack
//     trace (zap's stacktrace, zerolog's stack), one per line.
//   - Properties, present unless empty: SourceContext, the logger's name
//     as Serilog names it ([Entry.LoggerName] or zap's logger field),
//     then every other field of the entry in its order, with its JSON
//     value as the logger wrote it (objects, arrays, numbers and escapes
//     kept). Callers (zap's caller, slog's source) are properties too:
//     Serilog has no built-in for them. A name is written once, as
//     Serilog keeps properties by name: of the fields of one name (a
//     field given to With and again on the call), the last is the
//     property, in its place; a field named SourceContext is the
//     SourceContext, instead of the logger's name.
//
// Which fields are built-ins is set by Fields; its zero value reads zap's,
// zerolog's and slog's default JSON, so one SerilogJSON serves a sink
// that all three loggers write to. A field whose value does not fit its
// built-in (a "level" that is no level name, a "time" that is no time)
// stays a property.
//
// Serilog ends each event with a newline, which Serilog.Sinks.Kafka keeps
// in the record; SerilogJSON writes none, as the pass-through does not
// (Kafka records are framed), and JSON readers ignore it either way.
//
// Format reads the entry's JSON once, without encoding/json and without
// allocating in the steady state. It fails, so that the sink drops the
// entry alone and counts it, if the JSON is not a single valid JSON object
// (RFC 8259, UTF-8): a value it cannot copy safely. The error names the
// field. A SerilogJSON is safe for concurrent use.
type SerilogJSON struct {
	// Fields names the fields that are the entry's built-ins. The zero
	// value knows zap's, zerolog's and slog's defaults.
	Fields Fields
}

var _ Formatter = SerilogJSON{}

// Format appends the Serilog JSON of e to dst.
func (f SerilogJSON) Format(dst []byte, e Entry) ([]byte, error) {
	var ev serilogEvent
	defer ev.release()
	if err := ev.read(&e, &f.Fields); err != nil {
		return dst, fmt.Errorf("serilog: %w", err)
	}
	return ev.appendSerilogJSON(dst), nil
}

// serilogLevelMembers holds, for each level, the text from the end of
// the Timestamp to the start of the MessageTemplate's content.
var serilogLevelMembers = func() (t [len(serilogLevelNames)]string) {
	for l, name := range serilogLevelNames {
		t[l] = `","Level":"` + name + `","MessageTemplate":"`
	}
	return t
}()

// appendSerilogJSON appends the event as SerilogJSON writes it.
func (ev *serilogEvent) appendSerilogJSON(dst []byte) []byte {
	dst = append(dst, `{"Timestamp":"`...)
	dst = appendSerilogTime(dst, ev.time)
	dst = append(dst, serilogLevelMembers[ev.level]...)
	dst = ev.appendTemplate(dst)
	dst = append(dst, `","RenderedMessage":"`...)
	dst = ev.appendMessage(dst)
	dst = append(dst, '"')
	if ev.hasException() {
		dst = append(dst, `,"Exception":"`...)
		dst = ev.appendException(dst)
		dst = append(dst, '"')
	}
	if ev.hasLogger() || ev.numProperties() > 0 {
		dst = append(dst, `,"Properties":{`...)
		sep := false
		if ev.hasLogger() {
			dst = append(dst, `"SourceContext":"`...)
			dst = ev.appendLogger(dst)
			dst = append(dst, '"')
			sep = true
		}
		dst = ev.appendProperties(dst, sep, false)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}
