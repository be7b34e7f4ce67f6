package slogsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// pair is a slog.Handler that hands every record to a Handler and to
// slog's JSONHandler, and keeps what each made of it: the Handler's JSON
// (from encode, the bytes Handle gives the sink) and the JSONHandler's
// line without its newline. WithAttrs and WithGroup apply to both.
type pair struct {
	ours   *Handler
	theirs slog.Handler
	out    *outputs
}

type outputs struct {
	theirs bytes.Buffer // the JSONHandler's writer
	got    []string
	want   []string
}

func newPair(t *testing.T, opts Options) (*pair, *outputs) {
	t.Helper()
	out := &outputs{}
	ours := NewHandler(testSink(t), &opts)
	theirs := slog.NewJSONHandler(&out.theirs, &slog.HandlerOptions{
		AddSource:   opts.AddSource,
		Level:       opts.Level,
		ReplaceAttr: opts.ReplaceAttr,
	})
	return &pair{ours: ours, theirs: theirs, out: out}, out
}

func (p *pair) Enabled(ctx context.Context, l slog.Level) bool {
	return p.ours.Enabled(ctx, l)
}

func (p *pair) Handle(ctx context.Context, r slog.Record) error {
	buf := getBuffer()
	p.ours.encode(buf, r)
	p.out.got = append(p.out.got, string(*buf))
	putBuffer(buf)
	if err := p.theirs.Handle(ctx, r); err != nil {
		return err
	}
	p.out.want = append(p.out.want, strings.TrimSuffix(p.out.theirs.String(), "\n"))
	p.out.theirs.Reset()
	return nil
}

func (p *pair) WithAttrs(as []slog.Attr) slog.Handler {
	// Each handler owns the slice it is given: give each a copy.
	return &pair{
		ours:   p.ours.WithAttrs(append([]slog.Attr(nil), as...)).(*Handler),
		theirs: p.theirs.WithAttrs(append([]slog.Attr(nil), as...)),
		out:    p.out,
	}
}

func (p *pair) WithGroup(name string) slog.Handler {
	return &pair{ours: p.ours.WithGroup(name).(*Handler), theirs: p.theirs.WithGroup(name), out: p.out}
}

// testSink returns a sink that never sends anything (its broker does not
// exist, and only Flush or Close would send), closed when the test ends.
func testSink(t testing.TB) *core.Sink {
	t.Helper()
	s, err := core.New(core.Config{
		Brokers:         []string{"127.0.0.1:1"},
		Period:          time.Hour,
		BatchSizeLimit:  1 << 19,
		DelayFirstEntry: true,
		QueueLimit:      1 << 20,
		QueueByteLimit:  1 << 30,
		ShedThreshold:   1,
		ErrorHandler:    func(error) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		_ = s.Close(ctx) // drops what the test queued: nothing listens
	})
	return s
}

// Values of every kind, and the awkward ones.
type (
	point       struct{ X, Y int }
	jsonErr     struct{}
	jsonPanic   struct{}
	errPanic    struct{}
	nilErr      struct{ msg string }
	marshalText struct{}
	valuer      struct{ v slog.Value }
	selfValuer  struct{}
	bothMarshal struct{}
)

func (jsonErr) MarshalJSON() ([]byte, error)           { return nil, errors.New("no JSON today") }
func (jsonPanic) MarshalJSON() ([]byte, error)         { panic("MarshalJSON panicked") }
func (errPanic) Error() string                         { panic("Error panicked") }
func (e *nilErr) Error() string                        { return e.msg }
func (marshalText) MarshalText() ([]byte, error)       { return []byte("as text"), nil }
func (v valuer) LogValue() slog.Value                  { return v.v }
func (s selfValuer) LogValue() slog.Value              { return slog.AnyValue(s) }
func (bothMarshal) Error() string                      { return "error text" }
func (bothMarshal) MarshalJSON() ([]byte, error)       { return []byte(`{"json":true}`), nil }
func (p point) String() string                         { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }
func (p *point) MarshalText() ([]byte, error)          { return []byte(p.String()), nil }
func replaceNothing(_ []string, a slog.Attr) slog.Attr { return a }

var awkwardStrings = []string{
	"",
	"plain",
	`quote " backslash \ slash /`,
	"new\nline\ttab\rreturn",
	"\x00\x01\x1f\x7f",
	"<html> & 'single'",
	"line sep \u2028 para sep \u2029",
	"invalid \xff\xfe utf-8 \xc3",
	"emoji 😀 and é",
	"\ufffd literal replacement char",
}

func TestJSONMatchesSlog(t *testing.T) {
	ts := time.Date(2026, 12, 1, 8, 30, 15, 123456789, time.UTC)
	zone := time.FixedZone("X", -(3*3600 + 30*60))
	for _, tt := range []struct {
		name string
		opts Options
		f    func(l *slog.Logger)
	}{
		{"message only", Options{}, func(l *slog.Logger) { l.Info("hello") }},
		{"levels", Options{Level: slog.Level(-10)}, func(l *slog.Logger) {
			for _, lvl := range []slog.Level{-10, -8, -5, slog.LevelDebug, -1, slog.LevelInfo, 2, slog.LevelWarn, 6, slog.LevelError, 12, 100} {
				l.Log(context.Background(), lvl, "at "+lvl.String())
			}
		}},
		{"every kind", Options{}, func(l *slog.Logger) {
			l.Info("kinds",
				slog.String("s", "text"), slog.Int("i", -42), slog.Int64("i64", math.MinInt64),
				slog.Uint64("u64", math.MaxUint64), slog.Float64("f", 2.5), slog.Bool("b", true),
				slog.Time("t", ts), slog.Time("tz", ts.In(zone)), slog.Duration("d", 1500*time.Millisecond),
				slog.Any("nil", nil), slog.Any("struct", point{1, 2}), slog.Any("ptr", &point{3, 4}),
				slog.Any("map", map[string]int{"b": 2, "a": 1}), slog.Any("slice", []any{1, "two", 3.0, nil}),
				slog.Any("bytes", []byte("raw")), slog.Any("raw", json.RawMessage(`{"x":[1,2]}`)),
				slog.Any("err", errors.New("boom")), slog.Any("both", bothMarshal{}),
				slog.Any("text", marshalText{}), slog.Any("level", slog.LevelWarn),
				slog.Any("timeany", ts), slog.Any("uint8", uint8(7)), slog.Any("f32", float32(0.1)),
			)
		}},
		{"floats", Options{}, func(l *slog.Logger) {
			l.Info("floats",
				slog.Float64("zero", 0), slog.Float64("negzero", math.Copysign(0, -1)),
				slog.Float64("big", 1e21), slog.Float64("bigger", 1.5e300), slog.Float64("small", 1e-7),
				slog.Float64("tiny", 5e-324), slog.Float64("third", 1.0/3),
				slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(1)), slog.Float64("neginf", math.Inf(-1)),
			)
		}},
		{"escaping", Options{}, func(l *slog.Logger) {
			for _, s := range awkwardStrings {
				l.Info(s, s, s, "k", s)
			}
		}},
		{"args not attrs", Options{}, func(l *slog.Logger) {
			args := []any{"a", 1, "b", "two", 3, "dangling"} // !BADKEY twice; a slice, so vet lets it be
			l.Info("args", args...)
		}},
		{"empty attrs and groups", Options{}, func(l *slog.Logger) {
			l.Info("empty", "a", "b", "", nil, slog.Attr{}, slog.Group("g"), slog.Group("", slog.Attr{}), "c", "d")
			l.Info("only empty", slog.Attr{}, slog.Group("g"))
		}},
		{"groups", Options{}, func(l *slog.Logger) {
			l.Info("groups",
				slog.Group("g", slog.Int("a", 1), slog.Group("h", slog.Int("b", 2)), slog.Group("empty")),
				slog.Group("", slog.Int("inline", 3)),
				slog.Int("after", 4),
			)
		}},
		{"with attrs", Options{}, func(l *slog.Logger) {
			w := l.With("service", "api", slog.Int("pid", 7))
			w.Info("one", "k", "v")
			w.Info("two")
			w.With("more", true).Warn("three", "x", 1)
			l.Info("parent untouched")
		}},
		{"with group", Options{}, func(l *slog.Logger) {
			g := l.WithGroup("req")
			g.Info("no attrs: no group")
			g.Info("attrs", "id", 1)
			g.With("method", "GET").Info("with then record", "status", 200)
			g.With("method", "GET").Info("with, no record attrs")
			g.WithGroup("inner").Info("two groups", "a", 1)
			g.WithGroup("inner").Info("two groups, no attrs")
			g.WithGroup("inner").With("x", 1).WithGroup("deeper").Info("mixed", "y", 2)
			g.With(slog.Group("empty")).Info("empty group in With")
			l.With("top", 1).WithGroup("g").With("in", 2).WithGroup("h").Info("m")
		}},
		{"with-no-alias", Options{}, func(l *slog.Logger) {
			base := l.With("a", 1).With("b", 2).With("c", 3)
			x := base.With("x", 1)
			y := base.With("y", 2)
			x.Info("x")
			y.Info("y")
			gx := base.WithGroup("g").With("gx", 1)
			gy := base.WithGroup("g").With("gy", 2)
			gx.Info("gx")
			gy.Info("gy")
		}},
		{"log valuers", Options{}, func(l *slog.Logger) {
			l.Info("valuers",
				slog.Any("v", valuer{slog.IntValue(5)}),
				slog.Any("chain", valuer{slog.AnyValue(valuer{slog.StringValue("deep")})}),
				slog.Any("group", valuer{slog.GroupValue(slog.Int("a", 1), slog.Any("b", valuer{slog.BoolValue(true)}))}),
				slog.Any("empty group", valuer{slog.GroupValue()}),
				slog.Any("self", selfValuer{}),
			)
			l.With("withvaluer", valuer{slog.StringValue("pre")}).Info("in With")
		}},
		{"failing values", Options{}, func(l *slog.Logger) {
			var nilPtr *nilErr
			l.Info("failing",
				slog.Any("jsonerr", jsonErr{}), slog.Any("jsonpanic", jsonPanic{}),
				slog.Any("errpanic", errPanic{}), slog.Any("nilerr", nilPtr),
				slog.Any("chan", make(chan int)), slog.Any("func", func() {}),
				slog.Any("cmplx", complex(1, 2)),
			)
		}},
		{"times", Options{}, func(l *slog.Logger) {
			l.Info("times", slog.Time("zero", time.Time{}), slog.Time("epoch", time.Unix(0, 0).UTC()),
				slog.Time("local", ts.Local()), slog.Time("year0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)),
				slog.Time("y9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)))
		}},
		{"add source", Options{AddSource: true}, func(l *slog.Logger) {
			l.Info("with source", "k", "v")
			l.WithGroup("g").Info("source is not in the group", "k", "v")
		}},
		{"replace: drop time", Options{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}}, func(l *slog.Logger) { l.Info("no time", "time", "kept: not built-in") }},
		{"replace: rename and retype built-ins", Options{AddSource: true, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case len(groups) > 0:
				return a
			case a.Key == slog.TimeKey:
				return slog.Int64("ts", a.Value.Time().Unix())
			case a.Key == slog.LevelKey:
				return slog.String("severity", strings.ToLower(a.Value.Any().(slog.Level).String()))
			case a.Key == slog.MessageKey:
				return slog.String("message", a.Value.String())
			case a.Key == slog.SourceKey:
				src := a.Value.Any().(*slog.Source)
				return slog.String("caller", fmt.Sprintf("%s:%d", src.File[strings.LastIndexByte(src.File, '/')+1:], src.Line))
			}
			return a
		}}, func(l *slog.Logger) { l.Warn("renamed", "k", "v") }},
		{"replace: identity", Options{AddSource: true, ReplaceAttr: replaceNothing}, func(l *slog.Logger) {
			l.Info("identity", "k", "v", slog.Group("g", "a", 1), slog.Any("v", valuer{slog.IntValue(1)}))
			l.WithGroup("w").With("x", 1).Info("m", "y", 2)
		}},
		{"replace: sees groups", Options{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindTime {
				return a
			}
			return slog.String(a.Key, strings.Join(groups, ">")+"|"+a.Value.String())
		}}, func(l *slog.Logger) {
			l.Info("top", "a", 1, slog.Group("g", "b", 2, slog.Group("h", "c", 3)))
			w := l.WithGroup("w1").With("d", 4).WithGroup("w2")
			w.Info("in groups", "e", 5, slog.Group("g", "f", 6))
			w.With("pre", 7).Info("pre in groups")
		}},
		{"replace: drop every attr of a group", Options{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return slog.Attr{}
			}
			return a
		}}, func(l *slog.Logger) {
			l.Info("groups vanish", slog.Group("g", "a", 1), "b", 2)
			l.WithGroup("w").Info("record group vanishes", "a", 1)
			l.WithGroup("w").With("a", 1).Info("with group vanishes")
		}},
		{"replace: returns groups and valuers", Options{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "g":
				return slog.Group("g", slog.Int("from", 1), slog.Int("replace", 2))
			case "v":
				return slog.Any("v", valuer{slog.StringValue("resolved after ReplaceAttr")})
			case "e":
				return slog.Any("", nil)
			}
			return a
		}}, func(l *slog.Logger) { l.Info("m", "g", "x", "v", 1, "e", 3, "k", "kept") }},
		{"level var", Options{Level: func() *slog.LevelVar { v := new(slog.LevelVar); v.Set(slog.LevelWarn); return v }()}, func(l *slog.Logger) {
			l.Info("dropped")
			l.Warn("kept")
		}},
		{"log bridge", Options{}, func(l *slog.Logger) {
			slog.NewLogLogger(l.Handler(), slog.LevelWarn).Printf("printf %d\n", 42)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, out := newPair(t, tt.opts)
			tt.f(slog.New(p))
			if len(out.got) != len(out.want) {
				t.Fatalf("got %d records, want %d", len(out.got), len(out.want))
			}
			if len(out.want) == 0 {
				t.Fatal("the case logged nothing")
			}
			for i := range out.want {
				if out.got[i] != out.want[i] {
					t.Errorf("record %d:\n got %s\nwant %s", i, out.got[i], out.want[i])
				}
				if !json.Valid([]byte(out.got[i])) {
					t.Errorf("record %d is not valid JSON: %s", i, out.got[i])
				}
			}
		})
	}
}

// TestJSONMatchesSlogRecords covers records a Logger never makes: zero
// time, no PC, attrs added to the record directly.
func TestJSONMatchesSlogRecords(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	withAttrs := func(r slog.Record, as ...slog.Attr) slog.Record { r.AddAttrs(as...); return r }
	for _, tt := range []struct {
		name string
		opts Options
		r    slog.Record
	}{
		{"zero time", Options{}, withAttrs(slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0), slog.Int("a", 1))},
		{"zero time, ReplaceAttr", Options{ReplaceAttr: replaceNothing}, slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)},
		{"no PC, AddSource", Options{AddSource: true}, slog.NewRecord(ts, slog.LevelInfo, "m", 0)},
		{"no PC, AddSource, ReplaceAttr", Options{AddSource: true, ReplaceAttr: replaceNothing}, slog.NewRecord(ts, slog.LevelInfo, "m", 0)},
		{"monotonic clock", Options{}, slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)},
		{"many attrs", Options{}, withAttrs(slog.NewRecord(ts, slog.LevelInfo, "m", 0),
			slog.Int("a1", 1), slog.Int("a2", 2), slog.Int("a3", 3), slog.Int("a4", 4), slog.Int("a5", 5),
			slog.Int("a6", 6), slog.Int("a7", 7), slog.Int("a8", 8))},
		{"empty message", Options{}, slog.NewRecord(ts, slog.LevelInfo, "", 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, out := newPair(t, tt.opts)
			if err := p.Handle(context.Background(), tt.r); err != nil {
				t.Fatal(err)
			}
			if out.got[0] != out.want[0] {
				t.Errorf("\n got %s\nwant %s", out.got[0], out.want[0])
			}
		})
	}
}

// TestJSONTimeOutOfRange checks the one deliberate difference: slog writes
// invalid JSON for a year outside [0,9999]; the Handler writes one string.
func TestJSONTimeOutOfRange(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		h := NewHandler(testSink(t), nil)
		r := slog.NewRecord(tm, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.Time("t", tm))
		buf := getBuffer()
		h.encode(buf, r)
		got := string(*buf)
		putBuffer(buf)
		if !json.Valid([]byte(got)) {
			t.Errorf("got invalid JSON %s", got)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatal(err)
		}
		want := "!ERROR:time.Time year outside of range [0,9999]: " + tm.Format(time.RFC3339Nano)
		for _, k := range []string{"time", "t"} {
			if m[k] != want {
				t.Errorf("%s: got %q, want %q", k, m[k], want)
			}
		}
	}
}

// TestReplaceAttrCalls checks that ReplaceAttr is called with the same
// attributes and groups, in the same order, as by slog's JSONHandler.
func TestReplaceAttrCalls(t *testing.T) {
	type call struct {
		groups string
		attr   string
	}
	recorder := func(calls *[]call) func([]string, slog.Attr) slog.Attr {
		return func(groups []string, a slog.Attr) slog.Attr {
			*calls = append(*calls, call{strings.Join(groups, "."), a.String()})
			if a.Key == "drop" {
				return slog.Attr{}
			}
			return a
		}
	}
	var got, want []call
	ours := NewHandler(testSink(t), &Options{AddSource: true, ReplaceAttr: recorder(&got)})
	theirs := slog.NewJSONHandler(new(bytes.Buffer), &slog.HandlerOptions{AddSource: true, ReplaceAttr: recorder(&want)})
	for _, h := range []slog.Handler{ours, theirs} {
		l := slog.New(h)
		l.Info("m", "a", 1, slog.Group("g", "b", 2, "drop", 3, slog.Group("h", "c", 4)))
		w := l.With("w", 1).WithGroup("G").With("x", valuer{slog.IntValue(2)}).WithGroup("H")
		w.Warn("n", "y", 3)
		w.Warn("no attrs")
		l.WithGroup("only").Info("record group", "z", 5)
	}
	// The record times differ between the two loops; the calls must agree
	// otherwise.
	normalize := func(cs []call) []call {
		out := make([]call, len(cs))
		for i, c := range cs {
			if strings.HasPrefix(c.attr, "time=") {
				c.attr = c.attr[:strings.IndexByte(c.attr, '=')]
			}
			out[i] = c
		}
		return out
	}
	g, w := normalize(got), normalize(want)
	if len(w) == 0 {
		t.Fatal("slog made no ReplaceAttr calls")
	}
	if len(g) != len(w) {
		t.Fatalf("got %d calls %v, want %d %v", len(g), g, len(w), w)
	}
	for i := range w {
		if g[i] != w[i] {
			t.Errorf("call %d: got %+v, want %+v", i, g[i], w[i])
		}
	}
}
