package core

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkWriteParallel measures what a log call pays for Sink.Write
// alone, from GOMAXPROCS×p goroutines at once, with a transport that
// answers at once and a queue that holds the whole run (nothing is dropped
// or blocked). ns/op should stay flat as p grows: Writes must not contend.
// The integration module's benchmarks measure the same against a broker.
func BenchmarkWriteParallel(b *testing.B) {
	for _, p := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			f := newFake(4)
			f.quiet = true
			s := newTestSink(b, Config{BatchSizeLimit: 1000, Period: time.Millisecond, QueueLimit: 1 << 20,
				QueueByteLimit: 256 << 20, ShedThreshold: 1, OverflowPolicy: Block, BlockTimeout: time.Minute}, f)
			defer s.Close(context.Background())
			e := Entry{Level: InfoLevel, Time: time.Now(), LoggerName: "http", Message: "request handled",
				JSON: []byte(`{"level":"info","ts":1732550400.123456,"logger":"http","msg":"request handled","method":"GET","path":"/api/v1/items/42","status":200,"duration_ms":1.234,"request_id":"9e3779b97f4a7c15"}` + "\n")}
			b.ReportAllocs()
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s.Write(e)
				}
			})
			b.StopTimer()
			s.Flush(context.Background())
		})
	}
}

// BenchmarkAdmit measures Write alone: the batcher never runs (an hour's
// period, no eager first entry, batches larger than the run), so ns/op is
// the admission path and nothing else.
func BenchmarkAdmit(b *testing.B) {
	for _, p := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			f := newFake(4)
			f.quiet = true
			limit := max(b.N+10, 1000)
			s := newTestSink(b, Config{BatchSizeLimit: limit - 1, Period: time.Hour, DelayFirstEntry: true, QueueLimit: limit,
				QueueByteLimit: max(limit*512, 64<<20), ShedThreshold: 1, ErrorHandler: func(error) {}}, f)
			defer func() {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				s.Close(ctx)
			}()
			e := Entry{Level: InfoLevel, Time: time.Now(), LoggerName: "http", Message: "request handled",
				JSON: []byte(`{"level":"info","ts":1732550400.123456,"logger":"http","msg":"request handled","method":"GET","path":"/api/v1/items/42","status":200,"duration_ms":1.234,"request_id":"9e3779b97f4a7c15"}` + "\n")}
			b.ReportAllocs()
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s.Write(e)
				}
			})
		})
	}
}
