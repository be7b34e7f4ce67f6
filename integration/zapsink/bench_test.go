package zapsink_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/cputime"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// BenchmarkZapCore logs an entry with 5 fields through zap from GOMAXPROCS
// goroutines, with the same encoder, into:
//
//   - sink=discard: zap's JSON core writing to io.Discard, the baseline;
//   - sink=kafka: zapsink with a live in-process broker; the run ends with a
//     Sync inside the timer, so it pays for delivering every entry, the
//     broker's CPU included, as in a steady state where Kafka keeps up;
//   - sink=kafka-call: the same, but the timer stops before the final
//     Sync: what the logging goroutines pay while delivery runs beside
//     them, as core's BenchmarkWrite measures.
//
// Besides ns/op (wall time), each reports cpu-ns/op: the CPU time of the
// whole process (loggers, sink, kafka-go, the broker, the garbage
// collector) per entry, which other processes on the machine disturb less.
// Compare them with benchstat -col /sink. The kafka figures are meaningful only if the drops/op metric is 0: a
// sink that drops everything would look fast. So the sink's queue can hold
// the whole run, sheds nothing, and every entry must be delivered.
func BenchmarkZapCore(b *testing.B) {
	b.Run("sink=discard", func(b *testing.B) {
		logger := zap.New(zapcore.NewCore(benchEncoder(), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
		cpu := cputime.Process()
		benchLog(b, logger)
		b.StopTimer()
		reportCPU(b, cpu)
	})
	b.Run("sink=kafka", func(b *testing.B) { benchKafka(b, true) })
	b.Run("sink=kafka-call", func(b *testing.B) { benchKafka(b, false) })
}

func benchEncoder() zapcore.Encoder {
	return zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
}

// reportCPU reports the process's CPU time since start, per op.
func reportCPU(b *testing.B, start int64) {
	if d := cputime.Process() - start; d > 0 && start > 0 {
		b.ReportMetric(float64(d)/float64(b.N), "cpu-ns/op")
	}
}

// benchLog is the measured loop: varied values, so that entries differ.
func benchLog(b *testing.B, logger *zap.Logger) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			logger.Info("request handled",
				zap.String("method", "GET"),
				zap.String("path", "/api/v1/items"),
				zap.Int("status", 200),
				zap.Duration("latency", time.Duration(i)*time.Microsecond),
				zap.Int("request", i),
			)
		}
	})
}

func benchKafka(b *testing.B, syncInTimer bool) {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.BlackholeProduce(), kfake.DataDir(""))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s, err := core.New(core.Config{
		Brokers:        c.Addrs(),
		BatchSizeLimit: 1000,
		Period:         100 * time.Millisecond,
		QueueLimit:     max(b.N+1, 2000),
		QueueByteLimit: max(b.N*512, 64<<20),
		ShedThreshold:  1,
		ErrorHandler:   func(err error) { b.Error(err) },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background()) // NewCore borrows s: closing the Core would not
	kc := zapsink.NewCore(s, benchEncoder(), zapcore.InfoLevel)
	logger := zap.New(kc)
	logger.Info("warm-up") // metadata and connections
	if err := logger.Sync(); err != nil {
		b.Fatal(err)
	}
	before := s.Stats()
	b.ResetTimer()
	cpu := cputime.Process()

	benchLog(b, logger)
	if !syncInTimer {
		b.StopTimer()
		reportCPU(b, cpu)
	}
	if err := logger.Sync(); err != nil {
		b.Fatal(err)
	}
	if syncInTimer {
		b.StopTimer()
		reportCPU(b, cpu)
	}

	after := s.Stats()
	b.ReportMetric(float64(after.Dropped.Total()-before.Dropped.Total())/float64(b.N), "drops/op")
	if got := after.Delivered - before.Delivered; got != uint64(b.N) {
		b.Errorf("got %d entries delivered, want %d", got, b.N)
	}
}
