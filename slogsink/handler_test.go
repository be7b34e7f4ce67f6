package slogsink

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

func TestCoreLevel(t *testing.T) {
	for _, tt := range []struct {
		in   slog.Level
		want core.Level
	}{
		{slog.LevelDebug - 100, core.TraceLevel},
		{slog.LevelDebug - 4, core.TraceLevel}, // the usual custom Trace
		{slog.LevelDebug - 1, core.TraceLevel},
		{slog.LevelDebug, core.DebugLevel},
		{slog.LevelDebug + 3, core.DebugLevel},
		{slog.LevelInfo, core.InfoLevel},
		{slog.LevelInfo + 2, core.InfoLevel},
		{slog.LevelWarn, core.WarnLevel},
		{slog.LevelWarn + 3, core.WarnLevel},
		{slog.LevelError, core.ErrorLevel},
		{slog.LevelError + 4, core.ErrorLevel},
		{127, core.ErrorLevel},
	} {
		if got := CoreLevel(tt.in); got != tt.want {
			t.Errorf("CoreLevel(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEnabled(t *testing.T) {
	lv := new(slog.LevelVar)
	for _, tt := range []struct {
		name  string
		level slog.Leveler
		set   slog.Level // for lv
		in    slog.Level
		want  bool
	}{
		{"nil is Info: Debug", nil, 0, slog.LevelDebug, false},
		{"nil is Info: Info", nil, 0, slog.LevelInfo, true},
		{"nil is Info: Info-1", nil, 0, slog.LevelInfo - 1, false},
		{"Level: below", slog.LevelWarn, 0, slog.LevelInfo, false},
		{"Level: at", slog.LevelWarn, 0, slog.LevelWarn, true},
		{"Level: custom above", slog.LevelWarn, 0, slog.LevelWarn + 1, true},
		{"LevelVar at Error", lv, slog.LevelError, slog.LevelWarn, false},
		{"LevelVar lowered to Debug", lv, slog.LevelDebug, slog.LevelDebug, true},
		{"LevelVar raised to Warn", lv, slog.LevelWarn, slog.LevelInfo, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lv.Set(tt.set)
			h := NewHandler(testSink(t), &Options{Level: tt.level})
			if got := h.Enabled(context.Background(), tt.in); got != tt.want {
				t.Errorf("Enabled(%v) = %v, want %v", tt.in, got, tt.want)
			}
			// Derived handlers read the same Leveler.
			if got := h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g").Enabled(context.Background(), tt.in); got != tt.want {
				t.Errorf("derived: Enabled(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestWithGroupEmptyName(t *testing.T) {
	h := NewHandler(testSink(t), nil)
	if got := h.WithGroup(""); got != slog.Handler(h) {
		t.Errorf(`WithGroup("") = %p, want the receiver %p`, got, h)
	}
	if got := h.WithAttrs(nil); got != slog.Handler(h) {
		t.Errorf("WithAttrs(nil) = %p, want the receiver %p", got, h)
	}
	if got := h.WithAttrs([]slog.Attr{slog.Group("empty")}); got != slog.Handler(h) {
		t.Errorf("WithAttrs(empty groups only) = %p, want the receiver %p", got, h)
	}
}

func TestNewHandlerNilSink(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("NewHandler(nil, nil) did not panic")
		}
	}()
	NewHandler(nil, nil)
}

func TestNewInvalidConfig(t *testing.T) {
	_, err := New(Config{Sink: core.Config{Brokers: []string{"no-port"}}})
	var ce *core.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("New with a bad broker: got %v, want a *core.ConfigError", err)
	}
}

// unreachable is a sink configuration whose entries can never be
// delivered, and which sends nothing until Flush or Close: the tests below
// see what Close and Flush do with entries still queued.
func unreachable(syncTimeout time.Duration) core.Config {
	return core.Config{
		Brokers:         []string{"127.0.0.1:1"},
		Period:          time.Hour,
		DelayFirstEntry: true,
		SyncTimeout:     syncTimeout,
		ErrorHandler:    func(error) {},
	}
}

func logOne(t *testing.T, h slog.Handler) error {
	t.Helper()
	return h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0))
}

// TestNewOwnsSink checks that Close on a Handler from New, or on one
// derived from it, closes the sink, within SyncTimeout.
func TestNewOwnsSink(t *testing.T) {
	for _, derive := range []bool{false, true} {
		h, err := New(Config{Sink: unreachable(20 * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		var closer interface{ Close() error } = h
		if derive {
			closer = h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g").(*Handler)
		}
		if err := logOne(t, h); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		// The entry cannot be delivered: Close gives up at SyncTimeout.
		err = closer.Close()
		var ue *core.UndeliveredError
		if !errors.As(err, &ue) || ue.Count != 1 || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("derived=%v: Close: got %v, want an UndeliveredError of 1 entry at the deadline", derive, err)
		}
		if err := h.Sink().Flush(context.Background()); !errors.Is(err, core.ErrClosed) {
			t.Errorf("derived=%v: Flush after Close: got %v, want ErrClosed: Close must close an owned sink", derive, err)
		}
		if err := logOne(t, h); !errors.Is(err, core.ErrClosed) {
			t.Errorf("derived=%v: Handle after Close: got %v, want ErrClosed", derive, err)
		}
		if got := h.Sink().Stats().Dropped.Closed; got != 2 {
			t.Errorf("derived=%v: got %d entries dropped as Closed, want 2 (one at Close, one after)", derive, got)
		}
		if err2 := h.Close(); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("derived=%v: second Close: got %v, want what the first returned (%v)", derive, err2, err)
		}
	}
}

// TestNewHandlerBorrowsSink checks that Close on a Handler from NewHandler
// flushes, within SyncTimeout, and leaves the sink open.
func TestNewHandlerBorrowsSink(t *testing.T) {
	s, err := core.New(unreachable(20 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(s, nil)
	if err := h.Close(); err != nil {
		t.Errorf("Close with nothing queued: got %v, want nil", err)
	}
	if err := logOne(t, h); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	err = h.Close()
	var ue *core.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: got %v, want an UndeliveredError of 1 pending entry at the deadline", err)
	}
	st := s.Stats()
	if st.QueueDepth != 1 || st.Dropped.Total() != 0 {
		t.Errorf("after Close: got %d queued, %d dropped; want the entry still queued, nothing dropped", st.QueueDepth, st.Dropped.Total())
	}
	if err := logOne(t, h.WithGroup("g")); err != nil {
		t.Errorf("Handle after Close: got %v, want nil: the sink is still open", err)
	}
	// The owner closes the sink.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); !errors.As(err, &ue) || ue.Count != 2 {
		t.Errorf("the owner's Close: got %v, want an UndeliveredError of 2", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("Close after the owner closed the sink: got %v, want nil", err)
	}
	if err := h.Flush(context.Background()); !errors.Is(err, core.ErrClosed) {
		t.Errorf("Flush after the owner closed the sink: got %v, want ErrClosed", err)
	}
}

func TestHandleReturnsRefusal(t *testing.T) {
	cfg := unreachable(time.Millisecond)
	cfg.MaxEntryBytes = 100
	h, err := New(Config{Sink: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.String("big", string(make([]byte, 200))))
	if err := h.Handle(context.Background(), r); !errors.Is(err, core.ErrTooLarge) {
		t.Errorf("Handle of a 200-byte entry with MaxEntryBytes 100: got %v, want ErrTooLarge", err)
	}
	if got := h.Sink().Stats().Dropped.TooLarge; got != 1 {
		t.Errorf("got %d dropped as too large, want 1", got)
	}
}

type ctxKey struct{}

// TestFromContextGetsHandlesContext checks that FromContext runs before
// Handle returns, with Handle's context, or Background for a nil one.
func TestFromContextGetsHandlesContext(t *testing.T) {
	var got []any
	h := NewHandler(testSink(t), &Options{FromContext: func(ctx context.Context) ([]byte, []core.Header) {
		got = append(got, ctx.Value(ctxKey{}))
		return []byte("k"), []core.Header{{Key: "h", Value: []byte("v")}}
	}})
	l := slog.New(h)
	l.InfoContext(context.WithValue(context.Background(), ctxKey{}, "req-1"), "m")
	l.Info("no context")
	_ = h.Handle(nil, slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)) // a caller of Handle may pass nil
	if len(got) != 3 || got[0] != "req-1" || got[1] != nil || got[2] != nil {
		t.Errorf("FromContext saw %v, want [req-1 <nil> <nil>]", got)
	}
}
