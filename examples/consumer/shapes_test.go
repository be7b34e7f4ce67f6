package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// oneEvent is one warning in each shape a topic may hold: what zap,
// zerolog and slog write, what Serilog writes from .NET (JsonFormatter,
// CLEF), and what kafkasink's Serilog formatters write from zap's JSON.
func oneEvent(t *testing.T) map[string]string {
	shapes := map[string]string{
		"zap":     `{"level":"warn","ts":1796108846.056,"logger":"http","msg":"slow request","path":"/api","status":200,"error":"context deadline exceeded"}`,
		"zerolog": `{"level":"warn","logger":"http","path":"/api","status":200,"error":"context deadline exceeded","time":"2026-12-01T07:07:26.056Z","message":"slow request"}`,
		"slog":    `{"time":"2026-12-01T07:07:26.056Z","level":"WARN","msg":"slow request","logger":"http","path":"/api","status":200,"err":"context deadline exceeded"}`,
		"serilog": `{"Timestamp":"2026-12-01T07:07:26.0560000+00:00","Level":"Warning","MessageTemplate":"slow request","RenderedMessage":"slow request","Exception":"context deadline exceeded","Properties":{"SourceContext":"http","path":"/api","status":200}}`,
		"clef":    `{"@t":"2026-12-01T07:07:26.0560000Z","@mt":"slow request","@l":"Warning","@x":"context deadline exceeded","SourceContext":"http","path":"/api","status":200}`,
	}
	for name, f := range map[string]core.Formatter{"go-serilog": core.SerilogJSON{}, "go-clef": core.CLEF{}} {
		v, err := f.Format(nil, core.Entry{JSON: []byte(shapes["zap"])})
		if err != nil {
			t.Fatal(err)
		}
		shapes[name] = string(v)
	}
	return shapes
}

// TestRenderPrintsEveryShapeAlike checks that the same entry, in any of
// the shapes, prints the same with each output but raw.
func TestRenderPrintsEveryShapeAlike(t *testing.T) {
	want := map[string]string{
		"text":    `2026-12-01T07:07:26.056Z WRN [http] slow request path="/api" status=200 exception="context deadline exceeded"`,
		"serilog": `{"Timestamp":"2026-12-01T07:07:26.0560000+00:00","Level":"Warning","MessageTemplate":"slow request","RenderedMessage":"slow request","Exception":"context deadline exceeded","Properties":{"SourceContext":"http","path":"/api","status":200}}`,
		"clef":    `{"@t":"2026-12-01T07:07:26.0560000Z","@mt":"slow request","@l":"Warning","@x":"context deadline exceeded","SourceContext":"http","path":"/api","status":200}`,
	}
	for shape, v := range oneEvent(t) {
		if got := render("raw", []byte(v)); got != v {
			t.Errorf("raw %s: got %s, want it unchanged", shape, got)
		}
		for _, o := range []string{"text", "serilog", "clef"} {
			if got := render(o, []byte(v)); got != want[o] {
				t.Errorf("%s from %s:\n got %s\nwant %s", o, shape, got, want[o])
			}
		}
	}
}

// TestRenderSerilogTemplates reads events from .NET services, whose
// messages are templates with property tokens.
func TestRenderSerilogTemplates(t *testing.T) {
	for _, tt := range []struct {
		name, in, text, clef string
	}{
		{
			name: "JsonFormatter without RenderedMessage, a local offset",
			in:   `{"Timestamp":"2016-06-07T13:44:57.8532799+10:00","Level":"Information","MessageTemplate":"Hello, {@User}, {N:x8} at {Now}","Properties":{"User":{"Name":"nblumhardt","Tags":[1,2,3]},"N":123,"Now":"2016-06-07T13:44:57.8532799+10:00"},"Renderings":{"N":[{"Format":"x8","Rendering":"0000007b"}]}}`,
			text: `2016-06-07T03:44:57.853Z INF Hello, {"Name":"nblumhardt","Tags":[1,2,3]}, 123 at "2016-06-07T13:44:57.8532799+10:00" User={"Name":"nblumhardt","Tags":[1,2,3]} N=123 Now="2016-06-07T13:44:57.8532799+10:00"`,
			clef: `{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Hello, {@User}, {N:x8} at {Now}","@m":"Hello, {\"Name\":\"nblumhardt\",\"Tags\":[1,2,3]}, 123 at \"2016-06-07T13:44:57.8532799+10:00\"","User":{"Name":"nblumhardt","Tags":[1,2,3]},"N":123,"Now":"2016-06-07T13:44:57.8532799+10:00"}`,
		},
		{
			name: "CompactJsonFormatter with renderings and an escaped @",
			in:   `{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Hello, {User}, {N:x8}","@r":["0000007b"],"@l":"Error","User":"nblumhardt","N":123,"@@t":"a property"}`,
			text: `2016-06-07T03:44:57.853Z ERR Hello, "nblumhardt", 0000007b User="nblumhardt" N=123 @t="a property"`,
			clef: `{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Hello, {User}, {N:x8}","@m":"Hello, \"nblumhardt\", 0000007b","@l":"Error","User":"nblumhardt","N":123,"@@t":"a property"}`,
		},
		{
			name: "RenderedCompactJsonFormatter: @m only",
			in:   `{"@t":"2016-06-07T03:44:57.8532799Z","@m":"Hello, \"nblumhardt\" {literally}","@i":"7a8b9c0d","User":"nblumhardt"}`,
			text: `2016-06-07T03:44:57.853Z INF Hello, "nblumhardt" {literally} User="nblumhardt"`,
			clef: `{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Hello, \"nblumhardt\" {{literally}}","@m":"Hello, \"nblumhardt\" {literally}","User":"nblumhardt"}`,
		},
		{
			name: "not JSON",
			in:   `level=info msg=hi`,
			text: `(unreadable: not a JSON object) level=info msg=hi`,
			clef: `(unreadable: not a JSON object) level=info msg=hi`,
		},
	} {
		if got := render("text", []byte(tt.in)); got != tt.text {
			t.Errorf("%s, text:\n got %s\nwant %s", tt.name, got, tt.text)
		}
		got := render("clef", []byte(tt.in))
		if got != tt.clef {
			t.Errorf("%s, clef:\n got %s\nwant %s", tt.name, got, tt.clef)
		}
		if !strings.HasPrefix(got, "(unreadable") && !json.Valid([]byte(got)) {
			t.Errorf("%s: clef output %s is not JSON", tt.name, got)
		}
	}
}

// TestRunOutputText reads a topic that mixes every shape, through the
// whole program, and prints it as text: one uniform line per entry.
func TestRunOutputText(t *testing.T) {
	c := kafkatest.Start(t)
	shapes := oneEvent(t)
	names := []string{"zap", "zerolog", "slog", "serilog", "clef", "go-serilog", "go-clef"}
	s, err := core.New(core.Config{Brokers: c.Addrs(), Topic: "mixed"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := s.Write(core.Entry{JSON: []byte(shapes[name])}); err != nil { // the pass-through: each record as it is
			t.Fatal(err)
		}
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	out := runConsumer(t, t.Context(), map[string]string{"KAFKA_BROKERS": strings.Join(c.Addrs(), ",")},
		"-topic", "mixed", "-output", "text", "-max", fmt.Sprint(len(names)))
	const line = `2026-12-01T07:07:26.056Z WRN [http] slow request path="/api" status=200 exception="context deadline exceeded"`
	if n := strings.Count(out, " "+line+"\n"); n != len(names) {
		t.Errorf("printed %d uniform lines, want %d:\n%s", n, len(names), out)
	}
	if n, _ := consumed(t, out); n != len(names) {
		t.Errorf("consumed %d entries, want %d", n, len(names))
	}
	var nonJSON bytes.Buffer
	for l := range strings.Lines(out) {
		if strings.Contains(l, "{") {
			nonJSON.WriteString(l)
		}
	}
	if nonJSON.Len() > 0 {
		t.Errorf("text output has JSON lines:\n%s", nonJSON.String())
	}
}
