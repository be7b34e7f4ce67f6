package core

import "fmt"

// CLEF is a [Formatter] that writes each entry in the Compact Log Event
// Format of Serilog.Formatting.Compact, which Seq and other tools ingest:
//
//	{"@t":"2026-12-01T07:07:26.0560000Z","@mt":"slow request","@l":"Warning",
//	 "@x":"context deadline exceeded","SourceContext":"http","path":"/api","status":200}
//
// The members and their order follow CompactJsonFormatter
// (src/Serilog.Formatting.Compact/CompactJsonFormatter.cs, 3.0.1), the
// format's rules in that project's README, and what
// Serilog.Formatting.Compact.Reader's LogEventReader reads:
//
//   - @t: the time in UTC, as .NET writes a UTC DateTime with "O":
//     7 fractional digits and "Z". The time is chosen as for [SerilogJSON].
//   - @mt: the message as a template, every '{' and '}' doubled, so that
//     no Go message is read as one with property tokens; @m: the message
//     as it is, written only when it differs from @mt (when the message
//     has braces), for readers that do not render templates.
//   - @l: the level, as for SerilogJSON, omitted for Information: CLEF
//     reads a missing @l as Information.
//   - @x: the error and stack, as SerilogJSON's Exception, when there is one.
//   - Then SourceContext (the logger's name) and every other field at the
//     top level, in order, with its JSON value as the logger wrote it. A
//     field whose name starts with '@' is written with the '@' doubled
//     ("@t" becomes "@@t"), the format's escape, so that it is never read
//     as a built-in; readers strip the extra '@'. A name is written once,
//     as for SerilogJSON: the last field of a name, and a SourceContext
//     field instead of the logger's name.
//
// Fields, errors, allocation and concurrency are as for SerilogJSON.
type CLEF struct {
	// Fields names the fields that are the entry's built-ins. The zero
	// value knows zap's, zerolog's and slog's defaults.
	Fields Fields
}

var _ Formatter = CLEF{}

// Format appends the CLEF event of e to dst.
func (f CLEF) Format(dst []byte, e Entry) ([]byte, error) {
	var ev serilogEvent
	defer ev.release()
	if err := ev.read(&e, &f.Fields); err != nil {
		return dst, fmt.Errorf("clef: %w", err)
	}
	return ev.appendCLEF(dst), nil
}

// clefLevelMembers holds the @l member of each level.
var clefLevelMembers = func() (t [len(serilogLevelNames)]string) {
	for l, name := range serilogLevelNames {
		t[l] = `,"@l":"` + name + `"`
	}
	return t
}()

// appendCLEF appends the event as CLEF writes it.
func (ev *serilogEvent) appendCLEF(dst []byte) []byte {
	dst = append(dst, `{"@t":"`...)
	dst = appendCLEFTime(dst, ev.time)
	dst = append(dst, `","@mt":"`...)
	dst = ev.appendTemplate(dst)
	dst = append(dst, '"')
	if ev.messageHasBraces() {
		dst = append(dst, `,"@m":"`...)
		dst = ev.appendMessage(dst)
		dst = append(dst, '"')
	}
	if ev.level != slInformation {
		dst = append(dst, clefLevelMembers[ev.level]...)
	}
	if ev.hasException() {
		dst = append(dst, `,"@x":"`...)
		dst = ev.appendException(dst)
		dst = append(dst, '"')
	}
	if ev.hasLogger() {
		dst = append(dst, `,"SourceContext":"`...)
		dst = ev.appendLogger(dst)
		dst = append(dst, '"')
	}
	dst = ev.appendProperties(dst, true, true)
	return append(dst, '}')
}

// startsWithAt reports whether the quoted key k, checked by checkString,
// starts with '@', written as it is or escaped as \u0040.
func startsWithAt(k []byte) bool {
	if len(k) > 1 && k[1] == '@' {
		return true
	}
	if len(k) >= 8 && k[1] == '\\' && k[2] == 'u' {
		r, _ := hex4(k, 3)
		return r == '@'
	}
	return false
}
