package slogsink

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// BenchmarkHandle is what a log call costs the caller and nothing else: a
// record with 5 attributes through slog.Logger into
//
//   - to=discard: slog.NewJSONHandler(io.Discard, nil), the baseline;
//   - to=queue: a Handler on a sink that queues every entry and sends none
//     (no broker; its queue holds the whole run), so that no delivery work
//     competes with the loggers.
//
// Both from GOMAXPROCS goroutines. integration/slogsink's
// BenchmarkSlogHandler measures the same against a live broker. Compare
// with benchstat -col /to.
func BenchmarkHandle(b *testing.B) {
	for _, to := range []string{"discard", "queue"} {
		b.Run("to="+to, func(b *testing.B) {
			var h slog.Handler = slog.NewJSONHandler(io.Discard, nil)
			var sink *core.Sink
			if to == "queue" {
				var err error
				sink, err = core.New(core.Config{
					Brokers:         []string{"127.0.0.1:1"},
					Period:          time.Hour,
					BatchSizeLimit:  b.N/2 + 1,
					DelayFirstEntry: true,
					QueueLimit:      b.N + 2,
					QueueByteLimit:  max(b.N*512, 64<<20),
					ShedThreshold:   1,
					ErrorHandler:    func(error) {},
				})
				if err != nil {
					b.Fatal(err)
				}
				defer func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
					defer cancel()
					_ = sink.Close(ctx) // drops the run's entries: nothing listens
				}()
				h = NewHandler(sink, nil)
			}
			l := slog.New(h)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					l.LogAttrs(ctx, slog.LevelInfo, "request handled",
						slog.String("method", "GET"),
						slog.String("path", "/api/v1/items"),
						slog.Int("status", 200),
						slog.Duration("latency", time.Duration(i)*time.Microsecond),
						slog.Int("request", i),
					)
				}
			})
			b.StopTimer()
			if sink != nil {
				if st := sink.Stats(); st.Accepted != uint64(b.N) {
					b.Fatalf("the sink accepted %d entries, want %d", st.Accepted, b.N)
				}
			}
		})
	}
}
