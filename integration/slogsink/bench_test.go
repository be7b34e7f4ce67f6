package slogsink_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/cputime"
	"github.com/kafkasink/kafkasink/slogsink"
)

// BenchmarkSlogHandler logs a record with 5 attributes through a
// slog.Logger, in the same run, into:
//
//   - to=discard: slog.NewJSONHandler(io.Discard, nil), the baseline;
//   - to=kafka: a Handler on a sink delivering to a broker in a child
//     process (one broker, acknowledging and discarding). The timer stops
//     when the last log call returns: ns/op is the caller's cost, while the
//     sink delivers beside it; everything is then flushed, untimed, and
//     must have been delivered;
//   - to=kafka-delivered: the same, with the final Flush inside the timer:
//     ns/op is the sustained rate at which entries reach Kafka.
//
// goroutines=1 logs from one goroutine, goroutines=P from GOMAXPROCS
// goroutines (b.RunParallel).
//
// Besides ns/op, allocs/op and B/op, each reports log-cpu-ns/op, the CPU
// time of the logging goroutines alone (each locked to its thread, so the
// sink's goroutines are not in it); proc-cpu-ns/op, this process's CPU time
// until everything is delivered (loggers, sink, kafka-go, garbage
// collector); and for the Kafka cases broker-cpu-ns/op, the broker
// process's over the same span, which the broker in a child process keeps
// out of the other figures (Linux only). drops/op must be 0: the queue
// holds the whole run.
//
// Compare with benchstat -col /to.
func BenchmarkSlogHandler(b *testing.B) {
	broker := startBroker(b)
	for _, g := range []struct {
		name     string
		parallel bool
	}{{"goroutines=1", false}, {"goroutines=P", true}} {
		b.Run(g.name, func(b *testing.B) {
			b.Run("to=discard", func(b *testing.B) {
				l := slog.New(slog.NewJSONHandler(io.Discard, nil))
				m := startMeasure(0)
				logLoop(b, l, g.parallel, m)
				b.StopTimer()
				m.report(b)
			})
			for _, delivered := range []bool{false, true} {
				name := "to=kafka"
				if delivered {
					name = "to=kafka-delivered"
				}
				b.Run(name, func(b *testing.B) { benchKafka(b, broker, g.parallel, delivered) })
			}
		})
	}
}

func benchKafka(b *testing.B, broker *brokerProcess, parallel, delivered bool) {
	var sinkErrs atomic.Int64
	h, err := slogsink.New(slogsink.Config{Sink: core.Config{
		Brokers:        broker.addrs,
		BatchSizeLimit: 1000,
		Period:         10 * time.Millisecond,
		QueueLimit:     max(b.N+1, 2000),
		QueueByteLimit: max(b.N*512, 64<<20),
		ShedThreshold:  1,
		ErrorHandler:   func(error) { sinkErrs.Add(1) },
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	l := slog.New(h)
	l.Info("warm-up") // metadata and connections
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	before := h.Sink().Stats()
	runtime.GC()
	b.ResetTimer()
	m := startMeasure(broker.pid())

	logLoop(b, l, parallel, m)
	if !delivered {
		b.StopTimer()
	}
	if err := h.Flush(ctx); err != nil {
		b.Fatalf("Flush: %v", err)
	}
	b.StopTimer()
	m.report(b)

	after := h.Sink().Stats()
	drops := after.Dropped.Total() - before.Dropped.Total()
	b.ReportMetric(float64(drops)/float64(b.N), "drops/op")
	if got := after.Delivered - before.Delivered; got != uint64(b.N) || sinkErrs.Load() != 0 {
		b.Fatalf("got %d entries delivered and %d sink errors, want %d and none", got, sinkErrs.Load(), b.N)
	}
}

// measure is the CPU time used since a start.
type measure struct {
	proc      int64 // this process's CPU time at the start
	brokerPID int   // 0: none
	broker    int64 // the broker process's at the start
	logCPU    atomic.Int64
}

func startMeasure(brokerPID int) *measure {
	m := &measure{proc: cputime.Process(), brokerPID: brokerPID}
	if brokerPID != 0 {
		m.broker = cputime.OfPID(brokerPID)
	}
	return m
}

// report reports the CPU times since the start, per op; those that cannot
// be read (outside Linux) are left out.
func (m *measure) report(b *testing.B) {
	n := float64(b.N)
	if m.proc == 0 || runtime.GOOS != "linux" { // the thread's and the broker's clocks read 0 elsewhere
		return
	}
	b.ReportMetric(float64(m.logCPU.Load())/n, "log-cpu-ns/op")
	b.ReportMetric(float64(cputime.Process()-m.proc)/n, "proc-cpu-ns/op")
	if m.brokerPID != 0 {
		b.ReportMetric(float64(cputime.OfPID(m.brokerPID)-m.broker)/n, "broker-cpu-ns/op")
	}
}

// logLoop logs b.N records with 5 attributes through l, from one goroutine
// or from b.RunParallel's, adding their threads' CPU time to m.logCPU.
// The values vary, so that entries differ.
func logLoop(b *testing.B, l *slog.Logger, parallel bool, m *measure) {
	ctx := context.Background()
	logN := func(next func() bool) {
		stop := cputime.Thread()
		defer func() { m.logCPU.Add(stop()) }()
		i := 0
		for next() {
			i++
			l.LogAttrs(ctx, slog.LevelInfo, "request handled",
				slog.String("method", "GET"),
				slog.String("path", "/api/v1/items"),
				slog.Int("status", 200),
				slog.Duration("latency", time.Duration(i)*time.Microsecond),
				slog.Int("request", i),
			)
		}
	}
	b.ReportAllocs()
	if parallel {
		b.RunParallel(func(pb *testing.PB) { logN(pb.Next) })
		return
	}
	n := 0
	logN(func() bool { n++; return n <= b.N })
}
