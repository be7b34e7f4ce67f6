package slogsink

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// panicValuer is a LogValuer that panics; slog turns it into an error
// value carrying a stack.
type panicValuer struct{ msg string }

func (p panicValuer) LogValue() slog.Value { panic(p.msg) }

// The fuzz modes: bits of FuzzHandler's mode argument.
const (
	fuzzPanicValuer = 1 << iota // add a LogValuer that panics
	fuzzSelfValuer              // add a LogValuer that returns itself
	fuzzReplaceAttr             // ReplaceAttr that rewrites every attr
	fuzzAddSource
	fuzzGroup     // the values inside a group named key
	fuzzWithAttrs // the values added with WithAttrs too
	fuzzWithGroup // WithGroup(key) first
)

// stackText matches the text slog writes for a panicking LogValuer: a
// message and a stack, which names the encoder's functions and so differs
// between the Handler and slog's JSONHandler.
var stackText = regexp.MustCompile(`"LogValue panicked[^"]*"`)

// FuzzHandler checks, for any attribute values (invalid UTF-8, NaN and
// infinities, LogValuers that panic or never resolve), that the Handler
// writes what slog's JSONHandler writes, that it is valid JSON, and that
// core.Entry.Field reads the message back.
func FuzzHandler(f *testing.F) {
	f.Add("msg", "key", "value", 1.5, int64(42), uint8(0))
	f.Add("invalid \xff utf-8", "k\xfe", "\xc3\x28", math.NaN(), int64(-1), uint8(fuzzPanicValuer))
	f.Add("", "", "", math.Inf(1), int64(math.MinInt64), uint8(fuzzSelfValuer|fuzzGroup))
	f.Add("m", "g", "\u2028\u2029\x00\"\\", math.Inf(-1), int64(0), uint8(fuzzReplaceAttr|fuzzWithAttrs|fuzzWithGroup))
	f.Add("src", "msg", "<&>", -0.0, int64(1<<53+1), uint8(fuzzAddSource|fuzzPanicValuer|fuzzReplaceAttr))
	f.Add("all", "time", "😀", 1e-320, int64(7), uint8(0x7f))
	f.Fuzz(func(t *testing.T, msg, key, s string, fl float64, n int64, mode uint8) {
		opts := Options{AddSource: mode&fuzzAddSource != 0, Level: slog.Level(-100)}
		if mode&fuzzReplaceAttr != 0 {
			opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == key && len(groups) == 0 && a.Value.Kind() == slog.KindString {
					return slog.Attr{} // drop some
				}
				if a.Value.Kind() == slog.KindFloat64 {
					return slog.Any(a.Key+strings.Join(groups, "."), valuer{a.Value}) // unresolved
				}
				return a
			}
		}
		attrs := []slog.Attr{
			slog.String(key, s), slog.String(s, key), slog.Float64("f", fl), slog.Int64("n", n),
			slog.Any("bytes", []byte(s)), slog.Any("v", valuer{slog.StringValue(s)}),
			slog.Any("f32", float32(fl)), slog.Duration("d", time.Duration(n)), slog.Uint64("u", uint64(n)),
		}
		if mode&fuzzPanicValuer != 0 {
			attrs = append(attrs, slog.Any("panics", panicValuer{s}))
		}
		if mode&fuzzSelfValuer != 0 {
			attrs = append(attrs, slog.Any("self", selfValuer{}))
		}
		if mode&fuzzGroup != 0 {
			attrs = []slog.Attr{slog.Group(key, attrsToAny(attrs)...)}
		}

		p, out := newPair(t, opts)
		l := slog.New(p)
		if mode&fuzzWithGroup != 0 {
			l = l.WithGroup(key) // Logger.WithGroup("") does not call the handler
		}
		if mode&fuzzWithAttrs != 0 {
			l = l.With(attrsToAny(attrs)...)
		}
		l.LogAttrs(context.Background(), slog.Level(n%20), msg, attrs...)

		got := stackText.ReplaceAllString(out.got[0], `"LogValue panicked"`)
		want := stackText.ReplaceAllString(out.want[0], `"LogValue panicked"`)
		if got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
		if !json.Valid([]byte(out.got[0])) {
			t.Fatalf("invalid JSON: %s", out.got[0])
		}
		if opts.ReplaceAttr == nil {
			// Unless an attribute is called "msg" too, the message is
			// the one "msg" of the object.
			var m map[string]any
			e := core.Entry{JSON: []byte(out.got[0])}
			if err := json.Unmarshal(e.JSON, &m); err != nil {
				t.Fatal(err)
			}
			if key != "msg" && s != "msg" && m["msg"] != e.Field("msg") {
				t.Errorf("Field(msg) = %q, want %q", e.Field("msg"), m["msg"])
			}
		}
	})
}

func attrsToAny(as []slog.Attr) []any {
	out := make([]any, len(as))
	for i, a := range as {
		out[i] = a
	}
	return out
}
