package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// The shapes a log record on the topic may have, and how the consumer
// reads each into one event model:
//
//   - CLEF (Serilog.Formatting.Compact; kafkasink's core.CLEF): members
//     "@t" and "@mt" or "@m", which CompactJsonFormatter and
//     RenderedCompactJsonFormatter always write;
//   - Serilog JSON (Serilog's JsonFormatter, Serilog.Sinks.Kafka's default;
//     kafkasink's core.SerilogJSON): "Timestamp", "Level" and
//     "MessageTemplate", which JsonFormatter always writes;
//   - anything else is a logger's own JSON (zap, zerolog, slog), which
//     core.SerilogJSON turns into Serilog JSON first: it knows all three.

// event is a log record read from any shape.
type event struct {
	time      time.Time
	level     string // Serilog's names: Verbose … Fatal
	template  string // the message template
	message   string // the rendered message
	exception string
	props     []prop // in order; SourceContext included
}

// prop is a property: a name and its JSON value.
type prop struct {
	name  string
	value json.RawMessage
}

// outputs are the -output values.
var outputs = []string{"raw", "text", "serilog", "clef"}

// render returns the line printed for a record value v with output o:
// raw prints v unchanged; the others read v in any shape and print it as
// a line of text, Serilog JSON or CLEF. A record that cannot be read is
// printed raw, after a note.
func render(o string, v []byte) string {
	if o == "raw" || o == "" {
		return string(v)
	}
	ev, err := readEvent(v)
	if err != nil {
		return fmt.Sprintf("(unreadable: %v) %s", err, v)
	}
	switch o {
	case "serilog":
		return string(ev.serilog())
	case "clef":
		return string(ev.clef())
	}
	return ev.text()
}

// readEvent reads a record value in any of the shapes.
func readEvent(v []byte) (event, error) {
	ms, err := members(v)
	if err != nil {
		return event{}, err
	}
	has := func(name string) bool { return slices.ContainsFunc(ms, func(p prop) bool { return p.name == name }) }
	switch {
	// Not "@t" alone, nor "Timestamp" and "Level": a logger's record may
	// carry user fields of those names.
	case has("@t") && (has("@mt") || has("@m")):
		return readCLEF(ms)
	case has("Timestamp") && has("Level") && has("MessageTemplate"):
		return readSerilog(ms)
	}
	// A logger's JSON: let kafkasink's formatter read it.
	s, err := core.SerilogJSON{}.Format(nil, core.Entry{JSON: v})
	if err != nil {
		return event{}, err
	}
	if ms, err = members(s); err != nil {
		return event{}, err
	}
	return readSerilog(ms)
}

// members returns the members of the JSON object v in order.
func members(v []byte) ([]prop, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []prop
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, prop{tok.(string), raw})
	}
	return out, nil
}

// readSerilog reads the members of Serilog's JsonFormatter.
func readSerilog(ms []prop) (event, error) {
	ev := event{level: "Information"}
	rendered := false
	for _, m := range ms {
		var err error
		switch m.name {
		case "Timestamp":
			ev.time, err = parseTime(m.value)
		case "Level":
			err = json.Unmarshal(m.value, &ev.level)
		case "MessageTemplate":
			err = json.Unmarshal(m.value, &ev.template)
		case "RenderedMessage":
			err = json.Unmarshal(m.value, &ev.message)
			rendered = true
		case "Exception":
			err = json.Unmarshal(m.value, &ev.exception)
		case "TraceId", "SpanId":
			ev.props = append(ev.props, m)
		case "Properties":
			var ps []prop
			if ps, err = members(m.value); err == nil {
				ev.props = append(ev.props, ps...)
			}
		}
		if err != nil {
			return ev, fmt.Errorf("%s: %v", m.name, err)
		}
	}
	if !rendered {
		ev.message = renderTemplate(ev.template, ev.props, nil)
	}
	return ev, nil
}

// readCLEF reads a CLEF event, as Serilog.Formatting.Compact.Reader does.
func readCLEF(ms []prop) (event, error) {
	ev := event{level: "Information"}
	var m *string
	var renderings []string
	for _, p := range ms {
		var err error
		switch p.name {
		case "@t":
			ev.time, err = parseTime(p.value)
		case "@mt":
			err = json.Unmarshal(p.value, &ev.template)
		case "@m":
			m = new(string)
			err = json.Unmarshal(p.value, m)
		case "@l":
			err = json.Unmarshal(p.value, &ev.level)
		case "@x":
			err = json.Unmarshal(p.value, &ev.exception)
		case "@tr":
			ev.props = append(ev.props, prop{"TraceId", p.value})
		case "@sp":
			ev.props = append(ev.props, prop{"SpanId", p.value})
		case "@r":
			err = json.Unmarshal(p.value, &renderings)
		case "@i":
		default:
			name := p.name
			if strings.HasPrefix(name, "@@") {
				name = name[1:]
			}
			ev.props = append(ev.props, prop{name, p.value})
		}
		if err != nil {
			return ev, fmt.Errorf("%s: %v", p.name, err)
		}
	}
	switch {
	case m != nil:
		ev.message = *m
		if ev.template == "" {
			ev.template = strings.NewReplacer("{", "{{", "}", "}}").Replace(*m)
		}
	default:
		ev.message = renderTemplate(ev.template, ev.props, renderings)
	}
	return ev, nil
}

func parseTime(v json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, s)
}

// renderTemplate renders a Serilog message template with the event's
// properties, simply: "{{" and "}}" are braces, and a token {Name},
// {@Name}, {$Name} or {Name,width} is the property's value, a string in
// quotes as Serilog renders it, anything else as its JSON; a token with a
// format, {Name:x8}, is the next of CLEF's renderings (@r) if there is
// one. A token without its property stays as it is.
func renderTemplate(tpl string, props []prop, renderings []string) string {
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if (c == '{' || c == '}') && i+1 < len(tpl) && tpl[i+1] == c {
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(tpl[i:], '}')
		if c != '{' || end < 0 {
			b.WriteByte(c)
			continue
		}
		token := tpl[i : i+end+1]
		i += end
		name := strings.TrimLeft(token[1:len(token)-1], "@$")
		if j := strings.IndexByte(name, ':'); j >= 0 {
			name = name[:j]
			if len(renderings) > 0 {
				b.WriteString(renderings[0])
				renderings = renderings[1:]
				continue
			}
		}
		if j := strings.IndexByte(name, ','); j >= 0 {
			name = name[:j]
		}
		k := slices.IndexFunc(props, func(p prop) bool { return p.name == name })
		if k < 0 {
			b.WriteString(token)
			continue
		}
		b.Write(props[k].value)
	}
	return b.String()
}

// levelAbbrev is how the text output names the levels, as Serilog's
// console sink does.
var levelAbbrev = map[string]string{"Verbose": "VRB", "Debug": "DBG", "Information": "INF", "Warning": "WRN", "Error": "ERR", "Fatal": "FTL"}

// text returns ev as one line: time (UTC), level, [SourceContext],
// message, the other properties as name=value, and the exception, quoted.
func (ev event) text() string {
	var b strings.Builder
	b.WriteString(ev.time.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteByte(' ')
	if a, ok := levelAbbrev[ev.level]; ok {
		b.WriteString(a)
	} else {
		b.WriteString(ev.level)
	}
	for _, p := range ev.props {
		var sc string
		if p.name == "SourceContext" && json.Unmarshal(p.value, &sc) == nil {
			fmt.Fprintf(&b, " [%s]", sc)
			break
		}
	}
	b.WriteByte(' ')
	b.WriteString(ev.message)
	for _, p := range ev.props {
		if p.name != "SourceContext" {
			var c bytes.Buffer
			json.Compact(&c, p.value)
			fmt.Fprintf(&b, " %s=%s", p.name, c.Bytes())
		}
	}
	if ev.exception != "" {
		fmt.Fprintf(&b, " exception=%q", ev.exception)
	}
	return b.String()
}

// serilog returns ev as Serilog's JsonFormatter(renderMessage: true)
// writes an event.
func (ev event) serilog() []byte {
	b := []byte(`{"Timestamp":`)
	b = appendJSON(b, ev.time.Format("2006-01-02T15:04:05.0000000-07:00"))
	b = append(b, `,"Level":`...)
	b = appendJSON(b, ev.level)
	b = append(b, `,"MessageTemplate":`...)
	b = appendJSON(b, ev.template)
	b = append(b, `,"RenderedMessage":`...)
	b = appendJSON(b, ev.message)
	if ev.exception != "" {
		b = append(b, `,"Exception":`...)
		b = appendJSON(b, ev.exception)
	}
	if len(ev.props) > 0 {
		b = append(b, `,"Properties":{`...)
		for i, p := range ev.props {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, p.name)
			b = append(b, ':')
			b = append(b, p.value...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// clef returns ev as Serilog's CompactJsonFormatter writes an event, with
// @m as well when it is not the template's text.
func (ev event) clef() []byte {
	b := []byte(`{"@t":`)
	b = appendJSON(b, ev.time.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	b = append(b, `,"@mt":`...)
	b = appendJSON(b, ev.template)
	if ev.message != ev.template {
		b = append(b, `,"@m":`...)
		b = appendJSON(b, ev.message)
	}
	if ev.level != "Information" {
		b = append(b, `,"@l":`...)
		b = appendJSON(b, ev.level)
	}
	if ev.exception != "" {
		b = append(b, `,"@x":`...)
		b = appendJSON(b, ev.exception)
	}
	for _, p := range ev.props {
		name := p.name
		if strings.HasPrefix(name, "@") {
			name = "@" + name
		}
		b = append(b, ',')
		b = appendJSON(b, name)
		b = append(b, ':')
		b = append(b, p.value...)
	}
	return append(b, '}')
}

// appendJSON appends s as a JSON string, '<', '>' and '&' as they are.
func appendJSON(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
