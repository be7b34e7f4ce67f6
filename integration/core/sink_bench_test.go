package core_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// benchPartitions is the partition count of the benchmark topic.
const benchPartitions = 4

// benchEntries returns n distinct ~200-byte log lines: ids, timestamps and
// durations vary, so that nothing compresses or caches unrealistically.
func benchEntries(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"level":"info","ts":%d.%06d,"logger":"http","msg":"request served","method":"GET",`+
			`"path":"/api/v1/orders/%d","status":200,"duration_ms":%d.%03d,"request_id":"%016x","user":"u-%d"}`+"\n",
			1732550400+i/1000, i%1000000, 100000+i*7, i%97, i%1000, uint64(i)*0x9e3779b97f4a7c15, i%5000)
	}
	return out
}

// startBenchCluster starts one kfake broker that acknowledges and discards
// produced records, so that the client, not broker storage, is measured.
func startBenchCluster(b *testing.B) *kafkatest.Cluster {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(benchPartitions, "logs"),
		kfake.BlackholeProduce(), kfake.DataDir(""))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

func reportStats(b *testing.B, s *core.Sink) {
	st := s.Stats()
	b.ReportMetric(float64(st.Dropped.Total())/float64(b.N), "dropped/op")
	b.ReportMetric(float64(st.Retries)/float64(b.N), "retries/op")
	b.ReportMetric(float64(st.Delivered)/float64(max(st.Batches, 1)), "entries/batch")
	b.ReportMetric(float64(st.Spool.ReadBack)/float64(b.N), "readback/op")
	if st.LastError != nil {
		b.Logf("last error: %v", st.LastError)
	}
}

// BenchmarkWrite measures what a logging call pays for Sink.Write with a
// live broker behind the sink: the copy into the queue, nothing else.
func BenchmarkWrite(b *testing.B) {
	c := startBenchCluster(b)
	entries := benchEntries(4096)
	// The queue holds every entry of the run, so that no drop cheapens it.
	s, err := core.New(core.Config{Brokers: c.Addrs(), BatchSizeLimit: 1000, QueueLimit: max(b.N+1, 2000), QueueByteLimit: max(b.N*256, 64<<20), ShedThreshold: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Write(core.Entry{Level: core.InfoLevel, JSON: entries[i&4095]})
			i++
		}
	})
	b.StopTimer()
	if err := s.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	reportStats(b, s)
}

// BenchmarkEndToEnd measures entries acknowledged per second by a
// one-broker cluster, for the sink and two kafka-go baselines fed the same
// pre-encoded entries: its Writer in Async mode, and its low-level
// Client.Produce with ready-made batches of 1000 records and 4 requests in
// flight (kafka-go's floor). Each op is one entry; the clock stops when the
// last one is acknowledged.
func BenchmarkEndToEnd(b *testing.B) {
	entries := benchEntries(4096)
	values := make([][]byte, len(entries))
	for i, e := range entries {
		values[i] = e[:len(e)-1] // what the sink sends: no newline
	}

	// The sink, with the pass-through (the logger's JSON as the record
	// value) and with each Serilog formatter: the formatters' cost is the
	// difference in CPU per entry; and in durable mode (sink-spool: every
	// entry written to a spool, acknowledged there once delivered; on
	// disk, in a temporary directory, or under $KAFKASINK_BENCH_SPOOL_DIR,
	// e.g. /dev/shm for tmpfs).
	for _, f := range []struct {
		name  string
		f     core.Formatter
		spool bool
	}{{"sink", nil, false}, {"sink-serilog", core.SerilogJSON{}, false}, {"sink-clef", core.CLEF{}, false}, {"sink-spool", nil, true}} {
		b.Run(f.name, func(b *testing.B) {
			c := startBenchCluster(b)
			var dir string
			if f.spool {
				dir = benchSpoolDir(b)
			}
			// Block makes the writer wait for room instead of dropping: the
			// queue stays at its default bound, its memory is reused, and what
			// is measured is the rate the sink sustains.
			s, err := core.New(core.Config{Brokers: c.Addrs(), BatchSizeLimit: 1000, MaxInFlight: 4,
				OverflowPolicy: core.Block, BlockTimeout: time.Minute, ShedThreshold: 1, Formatter: f.f, SpoolDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			warm(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuClock()
			for i := 0; i < b.N; i++ {
				s.Write(core.Entry{Level: core.InfoLevel, JSON: entries[i&4095]})
			}
			if err := s.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportCPU(b, cpu)
			report(b)
			reportStats(b, s)
			s.Close(context.Background())
		})
	}

	b.Run("kafka-go-writer-async", func(b *testing.B) {
		c := startBenchCluster(b)
		tr := &kafka.Transport{}
		defer tr.CloseIdleConnections()
		var mu sync.Mutex
		var failed int
		w := &kafka.Writer{Addr: kafka.TCP(c.Addrs()...), Topic: "logs", Transport: tr, Async: true,
			BatchSize: 1000, BatchTimeout: 10 * time.Millisecond, BatchBytes: 1 << 20, RequiredAcks: kafka.RequireAll,
			Balancer: &kafka.RoundRobin{},
			Completion: func(msgs []kafka.Message, err error) {
				if err != nil {
					mu.Lock()
					failed += len(msgs)
					mu.Unlock()
				}
			}}
		ctx := context.Background()
		w.WriteMessages(ctx, kafka.Message{Value: values[0]}) // connect, fetch metadata
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuClock()
		for i := 0; i < b.N; i++ {
			w.WriteMessages(ctx, kafka.Message{Value: values[i&4095]})
		}
		w.Close() // waits for every batch to be acknowledged
		b.StopTimer()
		reportCPU(b, cpu)
		report(b)
		b.ReportMetric(float64(failed)/float64(b.N), "dropped/op")
	})

	b.Run("kafka-go-client-produce", func(b *testing.B) {
		c := startBenchCluster(b)
		tr := &kafka.Transport{}
		defer tr.CloseIdleConnections()
		cl := &kafka.Client{Addr: kafka.TCP(c.Addrs()...), Transport: tr, Timeout: 10 * time.Second}
		ctx := context.Background()
		produce := func(p int, recs []kafka.Record) error {
			res, err := cl.Produce(ctx, &kafka.ProduceRequest{Topic: "logs", Partition: p, RequiredAcks: kafka.RequireAll,
				Records: kafka.NewRecordReader(recs...)})
			if err == nil {
				err = res.Error
			}
			return err
		}
		if err := produce(0, []kafka.Record{{Value: kafka.NewBytes(values[0])}}); err != nil {
			b.Fatal(err)
		}
		// Ready-made batches: the records exist before the clock starts.
		const batch = 1000
		var batches [][]kafka.Record
		for i := 0; i < b.N; i += batch {
			recs := make([]kafka.Record, 0, batch)
			for j := i; j < min(i+batch, b.N); j++ {
				recs = append(recs, kafka.Record{Value: kafka.NewBytes(values[j&4095])})
			}
			batches = append(batches, recs)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuClock()
		work := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if err := produce(i%benchPartitions, batches[i]); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for i := range batches {
			work <- i
		}
		close(work)
		wg.Wait()
		b.StopTimer()
		reportCPU(b, cpu)
		report(b)
	})
}

// warm sends a first batch so that connections and metadata are ready.
func warm(b *testing.B, s *core.Sink) {
	s.Write(core.Entry{JSON: []byte(`{"warm":1}`)})
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}

func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// cpuClock reports the CPU time (user and system) the process has used.
// Per op, it is a figure that a busy shared machine disturbs less than
// wall time; the in-process broker's share is in it for every contender.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since start, per op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuClock()-start)/float64(b.N), "cpu-ns/op")
}
