package slogsink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/slogsink"
	"github.com/kafkasink/kafkasink/zapsink"
)

type (
	valuer  struct{ v slog.Value }
	ctxKey  struct{}
	secret  string
	marshal struct{ A, B int }
)

func (v valuer) LogValue() slog.Value { return v.v }
func (secret) LogValue() slog.Value   { return slog.StringValue("REDACTED") }

// TestValuesMatchSlog logs the same records through slog.NewMultiHandler
// to slog's JSONHandler and to a Handler, and checks that each Kafka
// record's value, read back, is the JSONHandler's line, byte for byte,
// without its newline.
func TestValuesMatchSlog(t *testing.T) {
	c := kafkatest.Start(t)
	for _, tt := range []struct {
		name string
		opts slogsink.Options
	}{
		{"defaults", slogsink.Options{}},
		{"debug, source", slogsink.Options{Level: slog.LevelDebug, AddSource: true}},
		{"ReplaceAttr", slogsink.Options{Level: slog.LevelDebug, AddSource: true, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case a.Key == slog.TimeKey && len(groups) == 0:
				return slog.Int64("ts", a.Value.Time().UnixMilli())
			case a.Key == slog.SourceKey:
				return slog.Attr{}
			case a.Key == "password":
				return slog.String("password", "***")
			case len(groups) > 0 && groups[0] == "req":
				return slog.String(a.Key, strings.Join(groups, ".")+":"+a.Value.String())
			}
			return a
		}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			topic := newTopic(t, c, "values", 1) // one partition: records in order
			h := newHandler(t, slogsink.Config{Sink: quiet(t, c, topic), Options: tt.opts})
			var want bytes.Buffer
			jh := slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: tt.opts.Level, AddSource: tt.opts.AddSource, ReplaceAttr: tt.opts.ReplaceAttr})
			l := slog.New(slog.NewMultiHandler(jh, h))

			l.Debug("debug", "n", 1)
			l.Info("kinds", "s", "text", "i", -7, "u", uint64(1<<63), "f", 0.1, "b", false, "d", 3*time.Second,
				"t", time.Date(2026, 12, 1, 8, 0, 0, 5, time.FixedZone("", 3600)), "err", errors.New("boom"),
				"any", marshal{1, 2}, "nan", 0.0/zero(), "bytes", []byte{0, 1, 2})
			l.Warn("escapes \"\\\n\t\x00 \xff <&> \u2028 😀", "k\"ey", "v\x01", "password", "hunter2")
			req := l.With("service", "api").WithGroup("req").With("id", 42)
			req.Error("failed", slog.Group("http", "status", 503, slog.Group("empty")), "secret", secret("x"))
			req.Info("no record attrs")
			l.Info("valuers", "v", valuer{slog.GroupValue(slog.Int("a", 1))}, slog.Group("", "inline", true))

			flush(t, h)
			lines := strings.Split(strings.TrimSuffix(want.String(), "\n"), "\n")
			recs := c.ReadAll(t, topic)
			if len(recs) != len(lines) {
				t.Fatalf("got %d records, want %d (JSONHandler's lines)", len(recs), len(lines))
			}
			for i, r := range recs {
				if string(r.Value) != lines[i] {
					t.Errorf("record %d:\n got %s\nwant %s", i, r.Value, lines[i])
				}
			}
		})
	}
}

func zero() float64 { return 0 }

// TestContextKeyAndHeaders checks that FromContext's key and headers reach
// the Kafka record, outside its value, after Config.Headers and before
// HeaderDecider's; that a KeyDecider overrides the key; and that they are
// copied before Handle returns, so FromContext may reuse its memory.
func TestContextKeyAndHeaders(t *testing.T) {
	c := kafkatest.Start(t)
	traceID := func(ctx context.Context) string { s, _ := ctx.Value(ctxKey{}).(string); return s }

	for _, withKeyDecider := range []bool{false, true} {
		t.Run(fmt.Sprintf("KeyDecider=%v", withKeyDecider), func(t *testing.T) {
			topic := newTopic(t, c, "context", 1)
			cfg := quiet(t, c, topic)
			cfg.Headers = []core.Header{{Key: "service", Value: []byte("api")}}
			cfg.HeaderDecider = func(e core.Entry) []core.Header {
				return []core.Header{{Key: "level", Value: []byte(e.Level.String())}}
			}
			if withKeyDecider {
				cfg.KeyDecider = func(e core.Entry) []byte { return []byte("decided") }
			}
			// One buffer, reused for every record's key and header: the
			// sink must copy them before Handle returns.
			buf := make([]byte, 0, 64)
			h := newHandler(t, slogsink.Config{Sink: cfg, Options: slogsink.Options{
				FromContext: func(ctx context.Context) ([]byte, []core.Header) {
					id := traceID(ctx)
					if id == "" {
						return nil, nil
					}
					buf = append(buf[:0], id...)
					return buf, []core.Header{{Key: "trace-id", Value: buf}, {Key: "null", Value: nil}}
				},
			}})
			l := slog.New(h)
			const n = 20
			for i := range n {
				ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, fmt.Sprintf("trace-%02d", i)))
				l.InfoContext(ctx, "traced", "i", i)
				cancel() // the request is over before the entry is sent
			}
			l.Info("no context")
			flush(t, h)

			recs := c.ReadAll(t, topic)
			if len(recs) != n+1 {
				t.Fatalf("got %d records, want %d", len(recs), n+1)
			}
			for i, r := range recs[:n] {
				id := fmt.Sprintf("trace-%02d", i)
				wantKey := id
				if withKeyDecider {
					wantKey = "decided"
				}
				if string(r.Key) != wantKey {
					t.Errorf("record %d: got key %q, want %q", i, r.Key, wantKey)
				}
				got := headersString(r.Headers)
				want := "service=api trace-id=" + id + " null=<nil> level=info"
				if got != want {
					t.Errorf("record %d: got headers %s, want %s", i, got, want)
				}
				if bytes.Contains(r.Value, []byte(id)) {
					t.Errorf("record %d: the value %s holds the trace id: FromContext's result belongs outside the JSON", i, r.Value)
				}
			}
			last := recs[n]
			switch {
			case withKeyDecider && string(last.Key) != "decided":
				t.Errorf("record without context: got key %q, want the KeyDecider's", last.Key)
			case !withKeyDecider && last.Key != nil:
				t.Errorf("record without context: got key %q, want none", last.Key)
			}
			if got, want := headersString(last.Headers), "service=api level=info"; got != want {
				t.Errorf("record without context: got headers %s, want %s", got, want)
			}
		})
	}
}

func headersString(hs []kafkatest.Header) string {
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h.Key + "=")
		if h.Value == nil {
			b.WriteString("<nil>")
		} else {
			b.Write(h.Value)
		}
	}
	return b.String()
}

// TestDecidersSeeEntry checks what deciders see of a slog record: the
// level mapped by CoreLevel, the message, the time (which becomes the
// record's timestamp; a zero time stays zero and the record gets the time
// it was produced), and the attributes through Entry.Field.
func TestDecidersSeeEntry(t *testing.T) {
	c := kafkatest.Start(t)
	topic := newTopic(t, c, "deciders", 1)
	errTopic := newTopic(t, c, "deciders-errors", 1)
	type view struct {
		level   core.Level
		msg     string
		time    time.Time
		service string
	}
	var (
		mu   sync.Mutex
		seen []view
	)
	cfg := quiet(t, c, topic)
	cfg.TopicDecider = func(e core.Entry) string {
		mu.Lock()
		seen = append(seen, view{e.Level, e.Message, e.Time, e.Field("service")})
		mu.Unlock()
		if e.Level >= core.ErrorLevel {
			return errTopic
		}
		return ""
	}
	h := newHandler(t, slogsink.Config{Sink: cfg, Options: slogsink.Options{Level: slog.Level(-100)}})
	at := time.Date(2026, 12, 1, 8, 30, 0, 123_000_000, time.UTC)
	for _, lvl := range []slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo + 1, slog.LevelWarn, slog.LevelError, slog.LevelError + 4} {
		r := slog.NewRecord(at, lvl, "at "+lvl.String(), 0)
		if err := h.WithAttrs([]slog.Attr{slog.String("service", "api")}).Handle(context.Background(), r); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	before := time.Now()
	if err := h.Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelInfo, "no time", 0)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	flush(t, h)

	want := []view{
		{core.TraceLevel, "at DEBUG-4", at, "api"},
		{core.DebugLevel, "at DEBUG", at, "api"},
		{core.InfoLevel, "at INFO+1", at, "api"},
		{core.WarnLevel, "at WARN", at, "api"},
		{core.ErrorLevel, "at ERROR", at, "api"},
		{core.ErrorLevel, "at ERROR+4", at, "api"},
		{core.InfoLevel, "no time", time.Time{}, ""},
	}
	mu.Lock()
	if len(seen) != len(want) {
		t.Fatalf("TopicDecider saw %d entries, want %d", len(seen), len(want))
	}
	for i := range want {
		if !seen[i].time.Equal(want[i].time) || seen[i].level != want[i].level || seen[i].msg != want[i].msg || seen[i].service != want[i].service {
			t.Errorf("entry %d: TopicDecider saw %+v, want %+v", i, seen[i], want[i])
		}
	}
	mu.Unlock()

	main, errs := c.ReadAll(t, topic), c.ReadAll(t, errTopic)
	if len(main) != 5 || len(errs) != 2 {
		t.Fatalf("got %d records in %s and %d in %s, want 5 and 2", len(main), topic, len(errs), errTopic)
	}
	for _, r := range append(main[:4:4], errs...) {
		if !r.Time.Equal(at) {
			t.Errorf("record %s: got timestamp %v, want the record's time %v", r.Value, r.Time, at)
		}
	}
	if r := main[4]; r.Time.Before(before.Truncate(time.Millisecond)) || testutil.Decode(t, r)["time"] != nil {
		t.Errorf("record without a time: got timestamp %v and time field %v, want a timestamp from the send (after %v) and no time field", r.Time, testutil.Decode(t, r)["time"], before)
	}
}

// TestNewOwnsSink checks over Kafka that Close on a Handler from New
// delivers what is queued and closes the sink.
func TestNewOwnsSink(t *testing.T) {
	c := kafkatest.Start(t)
	topic := newTopic(t, c, "owned", 3)
	h, err := slogsink.New(slogsink.Config{Sink: quiet(t, c, topic)})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(h).With("logger", "owned")
	for i := range 10 {
		l.Info("before close", "i", i)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	if got := len(c.ReadAll(t, topic)); got != 10 {
		t.Errorf("after Close: got %d records, want 10", got)
	}
	l.Info("after close")
	st := h.Sink().Stats()
	if st.Dropped.Closed != 1 || st.Delivered != 10 {
		t.Errorf("got %d delivered and %d dropped as closed, want 10 and 1: the sink must be closed", st.Delivered, st.Dropped.Closed)
	}
}

// TestNewHandlerBorrowsSink shares one sink between a slog Handler and a
// zap core: the Handler's Close delivers and leaves the sink open, so zap
// keeps logging into it until its owner closes it.
func TestNewHandlerBorrowsSink(t *testing.T) {
	c := kafkatest.Start(t)
	topic := newTopic(t, c, "borrowed", 3)
	s, err := core.New(quiet(t, c, topic))
	if err != nil {
		t.Fatal(err)
	}
	h := slogsink.NewHandler(s, nil)
	zl := zap.New(zapsink.NewCore(s, zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.InfoLevel))

	slog.New(h).Info("from slog")
	zl.Info("from zap")
	if err := h.Close(); err != nil {
		t.Fatalf("Handler.Close: got %v, want nil", err)
	}
	if got := len(c.ReadAll(t, topic)); got != 2 {
		t.Errorf("after Handler.Close: got %d records, want 2 (it flushes the shared sink)", got)
	}
	zl.Info("zap after the slog handler's Close")
	slog.New(h).Info("slog after its Close")
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("the owner's Close: got %v, want nil", err)
	}
	recs := c.ReadAll(t, topic)
	if len(recs) != 4 {
		t.Fatalf("after the owner's Close: got %d records, want 4", len(recs))
	}
	var msgs []string
	for _, r := range recs {
		m := testutil.Decode(t, r)
		msgs = append(msgs, fmt.Sprint(m["msg"]))
	}
	slices.Sort(msgs)
	if got := strings.Join(msgs, "|"); got != "from slog|from zap|slog after its Close|zap after the slog handler's Close" {
		t.Errorf("got messages %s", got)
	}
	if st := s.Stats(); st.Dropped.Total() != 0 {
		t.Errorf("got %d drops, want none", st.Dropped.Total())
	}
}

// TestSetDefault checks that with slog.SetDefault the log package's output
// reaches Kafka too, next to a console handler.
func TestSetDefault(t *testing.T) {
	c := kafkatest.Start(t)
	topic := newTopic(t, c, "default", 1)
	h := newHandler(t, slogsink.Config{Sink: quiet(t, c, topic)})

	oldDefault, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	defer func() {
		slog.SetDefault(oldDefault)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	}()
	var console bytes.Buffer
	slog.SetDefault(slog.New(slog.NewMultiHandler(slog.NewTextHandler(&console, nil), h)))
	log.Printf("printf %d", 42)
	slog.Warn("slog default", "k", "v")
	flush(t, h)

	recs := c.ReadAll(t, topic)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	for i, want := range [][2]string{{"INFO", "printf 42"}, {"WARN", "slog default"}} {
		m := testutil.Decode(t, recs[i])
		if m["level"] != want[0] || m["msg"] != want[1] {
			t.Errorf("record %d: got level %v msg %v, want %s %q", i, m["level"], m["msg"], want[0], want[1])
		}
	}
	if !strings.Contains(console.String(), "msg=\"printf 42\"") {
		t.Errorf("the console handler got %q, want the printf line too", console.String())
	}
}

// TestConcurrentHandlers logs from many goroutines through handlers
// derived from one, and checks every record arrived once with its own
// attributes (run it with -race).
func TestConcurrentHandlers(t *testing.T) {
	c := kafkatest.Start(t)
	topic := newTopic(t, c, "concurrent", 3)
	cfg := quiet(t, c, topic)
	cfg.BatchSizeLimit = 100
	cfg.DelayFirstEntry = false
	h := newHandler(t, slogsink.Config{Sink: cfg})
	base := slog.New(h).With("service", "api")
	const goroutines, each = 8, 250
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			l := base.WithGroup("g").With("worker", g)
			for i := range each {
				l.Info("work", "i", i)
			}
		})
	}
	wg.Wait()
	flush(t, h)
	recs := c.ReadAll(t, topic)
	seen := make(map[string]int)
	for _, r := range recs {
		m := testutil.Decode(t, r)
		g, _ := m["g"].(map[string]any)
		if m["service"] != "api" || g == nil {
			t.Fatalf("record %s: want service api and group g", r.Value)
		}
		seen[fmt.Sprint(g["worker"], "/", g["i"])]++
	}
	if len(recs) != goroutines*each || len(seen) != goroutines*each {
		t.Errorf("got %d records, %d distinct, want %d of each", len(recs), len(seen), goroutines*each)
	}
}
