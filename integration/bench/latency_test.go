package bench_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkLogLatency measures the log call's own latency, p50 and p99,
// at a steady 20 000 entries a second from one goroutine, for zap and
// zerolog, to io.Discard (the baseline) and through kafkasink to a broker
// in a child process. b.N entries are logged, one every 50µs; each call is
// timed alone. Compare the p50-ns and p99-ns metrics with benchstat -col /to.
func BenchmarkLogLatency(b *testing.B) {
	addrs := childBroker(b)
	const every = 50 * time.Microsecond // 20 000 entries/s
	for _, lg := range benchLoggers {
		for _, to := range []string{"discard", "kafkasink"} {
			b.Run(fmt.Sprintf("logger=%s/to=%s", lg.name, to), func(b *testing.B) {
				log := lg.discard()
				if to == "kafkasink" {
					s, _ := benchSink(b, addrs, false)
					log = lg.sink(s)
					log(-1)
					if err := s.Flush(context.Background()); err != nil {
						b.Fatal(err)
					}
					defer func() {
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						defer cancel()
						if err := s.Flush(ctx); err != nil {
							b.Errorf("Flush: %v", err)
						}
					}()
				}
				lat := make([]time.Duration, b.N)
				b.ResetTimer()
				start := time.Now()
				for i := range b.N {
					if d := time.Until(start.Add(time.Duration(i) * every)); d > 0 {
						time.Sleep(d)
					}
					t0 := time.Now()
					log(i)
					lat[i] = time.Since(t0)
				}
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			})
		}
	}
}
