package bench_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/cputime"
	"github.com/kafkasink/kafkasink/zapsink"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// A logger under test: how to build it over a writer (io.Discard, the
// baseline) or over a sink, and one log call with five fields.
type benchLogger struct {
	name    string
	discard func() func(i int)
	sink    func(s *core.Sink) func(i int)
}

var benchLoggers = []benchLogger{
	{
		name: "zap",
		discard: func() func(int) {
			return zapCall(zap.New(zapcore.NewCore(zapEncoder(), zapcore.AddSync(io.Discard), zapcore.InfoLevel)))
		},
		sink: func(s *core.Sink) func(int) {
			return zapCall(zap.New(zapsink.NewCore(s, zapEncoder(), zapcore.InfoLevel)))
		},
	},
	{
		name:    "zerolog",
		discard: func() func(int) { return zerologCall(io.Discard) },
		sink:    func(s *core.Sink) func(int) { return zerologCall(zerologsink.NewWriter(s)) },
	},
}

func zapEncoder() zapcore.Encoder { return zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()) }

func zapCall(l *zap.Logger) func(int) {
	return func(i int) {
		l.Info("request handled",
			zap.String("method", "GET"),
			zap.String("path", "/api/v1/items"),
			zap.Int("status", 200),
			zap.Duration("latency", time.Duration(i)*time.Microsecond),
			zap.Int("request", i),
		)
	}
}

func zerologCall(w io.Writer) func(int) {
	l := zerolog.New(w).With().Timestamp().Logger()
	return func(i int) {
		l.Info().
			Str("method", "GET").
			Str("path", "/api/v1/items").
			Int("status", 200).
			Dur("latency", time.Duration(i)*time.Microsecond).
			Int("request", i).
			Msg("request handled")
	}
}

// benchSink is a sink to the child broker that loses nothing: the Block
// policy without shedding, so a logger that outruns Kafka waits, and every
// entry of a run is delivered. With spool, in durable mode: its SpoolDir in
// the test's temporary directory (on disk), or under
// $KAFKASINK_BENCH_SPOOL_DIR (e.g. /dev/shm, a tmpfs).
func benchSink(b *testing.B, addrs []string, spool bool) (*core.Sink, *atomic.Int64) {
	var errs atomic.Int64
	var dir string
	if spool {
		dir = b.TempDir()
		if parent := os.Getenv("KAFKASINK_BENCH_SPOOL_DIR"); parent != "" {
			d, err := os.MkdirTemp(parent, "kafkasink-bench-")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(d) })
			dir = d
		}
	}
	s, err := core.New(core.Config{
		SpoolDir:       dir,
		Brokers:        addrs,
		BatchSizeLimit: 1000,
		Period:         10 * time.Millisecond,
		QueueLimit:     200000,
		OverflowPolicy: core.Block,
		ShedThreshold:  1,
		BlockTimeout:   time.Minute,
		ErrorHandler:   func(error) { errs.Add(1) },
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s, &errs
}

// goroutineCounts are the numbers of logging goroutines each benchmark
// runs: one, two, and four per P.
func goroutineCounts() []int { return []int{1, 2, 4 * runtime.GOMAXPROCS(0)} }

// BenchmarkDeliveryCPU measures the CPU the logging process spends per
// entry, for zap and zerolog, logging from 1, 2 and 4×GOMAXPROCS
// goroutines, to io.Discard (to=discard, the baseline: the logger's own
// encoding) and through kafkasink to a broker in a child process
// (to=kafkasink: the timer runs until every entry is acknowledged, so the
// figure holds the log calls, the batcher, the encoding of record batches,
// kafka-go and the garbage collector, but not the broker). cpu-ns/op is
// the process's CPU time per entry; its difference between to=kafkasink and
// to=discard is the delivery CPU per entry. log-cpu-ns/op is the logging
// goroutines' own CPU (each locked to its thread). to=kafkasink-spool is
// to=kafkasink in durable mode (SpoolDir set): its log-cpu-ns/op against
// to=kafkasink's is what the spool costs the caller. Compare with
// benchstat -col /to.
func BenchmarkDeliveryCPU(b *testing.B) {
	addrs := childBroker(b)
	for _, lg := range benchLoggers {
		for _, g := range goroutineCounts() {
			b.Run(fmt.Sprintf("logger=%s/goroutines=%d/to=discard", lg.name, g), func(b *testing.B) {
				runLoggers(b, g, lg.discard(), nil)
			})
			for _, to := range []string{"kafkasink", "kafkasink-spool"} {
				b.Run(fmt.Sprintf("logger=%s/goroutines=%d/to=%s", lg.name, g, to), func(b *testing.B) {
					deliverBench(b, addrs, lg, g, to == "kafkasink-spool")
				})
			}
		}
	}
}

// deliverBench is one to=kafkasink run of BenchmarkDeliveryCPU.
func deliverBench(b *testing.B, addrs []string, lg benchLogger, g int, spool bool) {
	s, errs := benchSink(b, addrs, spool)
	log := lg.sink(s)
	log(-1) // warm-up: metadata and connections
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	before := s.Stats()
	runLoggers(b, g, log, s)
	st := s.Stats()
	if got := st.Delivered - before.Delivered; got != uint64(b.N) || st.Dropped.Total() != 0 || errs.Load() != 0 {
		b.Fatalf("got %d delivered, %d dropped, %d sink errors; want %d, 0, 0", got, st.Dropped.Total(), errs.Load(), b.N)
	}
	if spool && st.Spool.Appended < uint64(b.N) {
		b.Fatalf("%d entries written to the spool, want all %d", st.Spool.Appended, b.N)
	}
	b.ReportMetric(float64(st.Delivered-before.Delivered)/float64(max(st.Batches-before.Batches, 1)), "entries/batch")
}

// runLoggers calls log b.N times from g goroutines, then flushes s (if not
// nil), with the timer and the CPU clocks running.
func runLoggers(b *testing.B, g int, log func(int), s *core.Sink) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	var logCPU atomic.Int64
	b.ResetTimer()
	start := cputime.Process()
	for w := range g {
		n := b.N / g
		if w < b.N%g {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := cputime.Thread()
			defer func() { logCPU.Add(stop()) }()
			for i := range n {
				log(i)
			}
		}()
	}
	wg.Wait()
	if s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Flush(ctx); err != nil {
			b.Fatalf("Flush: %v", err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(logCPU.Load())/float64(b.N), "log-cpu-ns/op")
}
