package slogsink

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// allocs returns the average allocations of f, skipping t under the race
// detector, which allocates.
func allocs(t *testing.T, f func()) float64 {
	t.Helper()
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	return testing.AllocsPerRun(1000, f)
}

// TestHandleAllocs checks that a record costs no more allocations through
// a Handler, all the way into the sink's queue, than through slog's
// JSONHandler to io.Discard, and none at all for the common kinds.
func TestHandleAllocs(t *testing.T) {
	ctx := context.Background()
	err := errors.New("declined")
	key := []byte("key")
	headers := []core.Header{{Key: "traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")}}
	fromCtx := func(context.Context) ([]byte, []core.Header) { return key, headers }
	for _, tt := range []struct {
		name string
		opts Options
		want float64 // allocations per record, at most; -1: whatever slog's handler needs
		f    func(l *slog.Logger, i int)
	}{
		{"LogAttrs, 5 attrs", Options{}, 0, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelInfo, "request handled",
				slog.String("method", "GET"), slog.String("path", "/api/v1/items"),
				slog.Int("status", 200), slog.Duration("latency", time.Duration(i)), slog.Int("request", i))
		}},
		{"Info, key-value pairs", Options{}, -1, func(l *slog.Logger, i int) {
			l.Info("request handled", "method", "GET", "status", 200, "request", i)
		}},
		{"time, bool, float, group", Options{}, -1, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelWarn, "m", slog.Time("at", time.Unix(int64(i), 0)), slog.Bool("ok", i%2 == 0),
				slog.Group("g", slog.Int("a", i)), slog.Float64("f", 0.5))
		}},
		{"error value", Options{}, -1, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelError, "payment failed", slog.Any("err", err))
		}},
		{"With and WithGroup", Options{}, 0, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelInfo, "m", slog.Int("i", i))
		}},
		{"FromContext", Options{FromContext: fromCtx}, 0, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelInfo, "m", slog.Int("i", i))
		}},
		{"time, bool", Options{}, 0, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelWarn, "m", slog.Time("at", time.Unix(int64(i), 0)), slog.Bool("ok", i%2 == 0))
		}},
		{"ReplaceAttr", Options{ReplaceAttr: replaceNothing}, -1, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelInfo, "m", slog.Int("i", i))
		}},
		{"AddSource", Options{AddSource: true}, -1, func(l *slog.Logger, i int) {
			l.LogAttrs(ctx, slog.LevelInfo, "m", slog.Int("i", i))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sink := testSink(t)
			ours := slog.New(NewHandler(sink, &tt.opts))
			theirs := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{AddSource: tt.opts.AddSource, ReplaceAttr: tt.opts.ReplaceAttr}))
			if tt.name == "With and WithGroup" {
				ours = ours.With("service", "api").WithGroup("req")
				theirs = theirs.With("service", "api").WithGroup("req")
			}
			i := 0
			got := allocs(t, func() { i++; tt.f(ours, i) })
			want := allocs(t, func() { i++; tt.f(theirs, i) })
			// The sink took every record: a refusal costs less than
			// queueing, so a count of refused records would prove nothing.
			if st := sink.Stats(); st.Accepted < 1000 || st.Dropped.Total() != 0 {
				t.Fatalf("the sink accepted %d records and dropped %d, want every one of the 1000+ accepted", st.Accepted, st.Dropped.Total())
			}
			if got > want {
				t.Errorf("got %v allocs per record, want at most JSONHandler's %v", got, want)
			}
			if tt.want >= 0 && got > tt.want {
				t.Errorf("got %v allocs per record, want %v", got, tt.want)
			}
		})
	}
}
