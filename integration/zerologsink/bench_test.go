package zerologsink_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/cputime"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// BenchmarkZerolog logs an entry with five fields (and a timestamp)
// through zerolog from every P at once, to io.Discard, the baseline, and
// to Kafka through a Writer, in the same run. Compare them with
// benchstat -col /to.
//
// The Kafka cluster is in-process, one broker that acknowledges and
// discards what it receives, so the client is what is measured; it shares
// the machine's cores with the logging goroutines, as the sink's own
// goroutines do. The timer runs until Flush has seen everything
// acknowledged.
//
//   - to=kafka uses the Block overflow policy without shedding, so nothing
//     is dropped (drops/op is 0) and ns/op is the sustained rate at which
//     entries reach Kafka.
//   - to=kafka-drop-newest uses the default policies: logging never waits,
//     and when it outruns Kafka the sink sheds and drops entries (drops/op
//     says how many per entry logged), so ns/op is what the logging call
//     costs then.
//
// Besides ns/op, which other processes on the machine disturb, cpu-ns/op
// is the CPU time the process used per entry while the timer ran: every
// goroutine, the in-process broker's too in the Kafka cases; and
// log-cpu-ns/op is the CPU time of the logging goroutines alone (each
// locked to its thread): what the log calls cost, while the sink's
// goroutines deliver on other cores if there are any (Linux only).
func BenchmarkZerolog(b *testing.B) {
	b.Run("to=discard", func(b *testing.B) {
		cpu := logParallel(b, io.Discard)
		b.StopTimer()
		cpu.report(b)
	})
	for _, tt := range []struct {
		name   string
		policy core.OverflowPolicy
		shed   float64
	}{
		{"to=kafka", core.Block, 1}, // 1: no shedding either
		{"to=kafka-drop-newest", core.DropNewest, 0},
	} {
		b.Run(tt.name, func(b *testing.B) {
			c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.BlackholeProduce())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var sinkErrs atomic.Int64
			w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
				Brokers:        c.Addrs(),
				BatchSizeLimit: 1000,
				Period:         10 * time.Millisecond,
				OverflowPolicy: tt.policy,
				ShedThreshold:  tt.shed,
				BlockTimeout:   time.Minute,
				ErrorHandler:   func(error) { sinkErrs.Add(1) },
			}})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()

			cpu := logParallel(b, w)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := w.Flush(ctx); err != nil {
				b.Fatalf("Flush: %v", err)
			}
			b.StopTimer()
			cpu.report(b)

			st := w.Sink().Stats()
			if st.Delivered+st.Dropped.Total() != uint64(b.N) {
				b.Fatalf("Stats: got %d delivered and %d dropped, want %d in all", st.Delivered, st.Dropped.Total(), b.N)
			}
			if tt.policy == core.Block && (st.Dropped.Total() != 0 || sinkErrs.Load() != 0) {
				b.Fatalf("got %d drops and %d sink errors, want none", st.Dropped.Total(), sinkErrs.Load())
			}
			b.ReportMetric(float64(st.Dropped.Total())/float64(b.N), "drops/op")
			b.ReportMetric(float64(st.Delivered)/float64(max(st.Batches, 1)), "entries/batch")
		})
	}
}

// logParallel logs b.N entries to w from b.RunParallel's goroutines. It
// returns the process's CPU time when the timer started, and reports the
// logging goroutines' CPU time as log-cpu-ns/op.
func logParallel(b *testing.B, w io.Writer) cpuStart {
	log := zerolog.New(w).With().Timestamp().Str("service", "checkout").Logger()
	var logCPU atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuStart(cputime.Process())
	defer func() { b.ReportMetric(float64(logCPU.Load())/float64(b.N), "log-cpu-ns/op") }()
	b.RunParallel(func(pb *testing.PB) {
		stop := cputime.Thread()
		defer func() { logCPU.Add(stop()) }()
		i := 0
		for pb.Next() {
			i++
			log.Info().
				Str("user", "u-1234").
				Int("attempt", i).
				Dur("took", 1234*time.Microsecond).
				Bool("cached", i%2 == 0).
				Float64("amount", 12.5).
				Msg("order placed")
		}
	})
	return start
}

// cpuStart is the process's CPU time, in nanoseconds, at a start.
type cpuStart int64

// report reports the CPU time since start per op, as cpu-ns/op.
func (start cpuStart) report(b *testing.B) {
	b.ReportMetric(float64(cputime.Process()-int64(start))/float64(b.N), "cpu-ns/op")
}
