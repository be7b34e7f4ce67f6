package core

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkDeliveredAccounting measures what recording delivery latency
// costs the batcher: the bookkeeping of (*batcher).delivered over one
// acknowledged batch of 1000 records, with the latency histogram (a clock
// read per batch; per record a bucket search, a count and a sum; per batch
// the histogram's atomic adds: countDelivered, which delivered calls) and
// without it (the bytes loop and the counters delivered had before). The
// release of the records' memory (finalize) is the same in both cases.
//
//	go test -run '^$' -bench DeliveredAccounting -count 6 ./core/ | tee acct.txt
//	benchstat -col /latency acct.txt
func BenchmarkDeliveredAccounting(b *testing.B) {
	const n = 1000
	now := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]record, n)
	for i := range recs {
		// Values of 100-400 bytes; latencies of 1-100ms, as a busy sink
		// sees, spread over several buckets.
		recs[i].val.n = int32(100 + rng.IntN(300))
		recs[i].time = now - int64(time.Millisecond+time.Duration(rng.Int64N(int64(99*time.Millisecond))))
	}
	var c counters
	topic := &topicCounters{name: "logs"}

	b.Run("latency=on", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			countDelivered(&c, topic, recs, time.Now().UnixNano())
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("latency=off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var bytes uint64
			for i := range recs {
				bytes += uint64(recs[i].val.n)
			}
			topic.delivered.Add(uint64(len(recs)))
			c.delivered.Add(uint64(len(recs)))
			c.batches.Add(1)
			c.bytes.Add(bytes)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
}
