package core_test

import (
	"context"
	"io"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// BenchmarkWriteLatencyOutage measures what a log call pays while the
// brokers are down: Sink.Write at a steady 10000 calls a second, the queue
// (1000 entries) full after the first tenth of a second, so that almost
// every call drops its entry, and the latency of each call is kept. It
// reports the median, the 99th percentile and the slowest call, in
// nanoseconds, for two sinks in the same run:
//
//   - callbacks=slow: a Fallback that takes a second per write and an
//     ErrorHandler that takes 100ms per call (issue 9's targets: p99 at
//     most 50µs, max at most 1ms: the log call must not wait for either);
//   - callbacks=instant: a Fallback and an ErrorHandler that return at
//     once (io.Discard, a no-op), the baseline: the same work for the sink,
//     without the callbacks' slowness. (Without an ErrorHandler the sink
//     prints to stderr, whose lines would break the benchmark's output.)
//
// Compare them with benchstat over -count 6; the ratios against the
// baseline are what matters on a shared machine.
func BenchmarkWriteLatencyOutage(b *testing.B) {
	for _, bc := range []struct {
		name string
		slow bool
	}{
		{"callbacks=instant", false},
		{"callbacks=slow", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(benchPartitions, "logs"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			addrs := c.Addrs()
			c.Stop() // the outage, from the start

			release := make(chan struct{}) // makes the slow callbacks fast, to close
			cfg := core.Config{Brokers: addrs, QueueLimit: 1000, BatchSizeLimit: 100, Period: 20 * time.Millisecond,
				MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, DialTimeout: time.Second}
			cfg.Fallback, cfg.ErrorHandler = io.Discard, func(error) {}
			if bc.slow {
				cfg.Fallback = slowWriter{d: time.Second, release: release}
				cfg.ErrorHandler = func(error) { sleepOr(100*time.Millisecond, release) }
			}
			s, err := core.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			entries := benchEntries(4096)
			lat := make([]time.Duration, b.N)
			const interval = 100 * time.Microsecond // 10000 calls a second
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				for next := start.Add(time.Duration(i) * interval); time.Now().Before(next); {
					runtime.Gosched() // a steady rate, without a timer's granularity
				}
				t0 := time.Now()
				s.Write(core.Entry{Level: core.InfoLevel, JSON: entries[i&4095]})
				lat[i] = time.Since(t0)
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
			b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
			reportStats(b, s)

			close(release)
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				s.Close(ctx)
			}()
			select {
			case <-closed:
			case <-time.After(30 * time.Second):
				b.Errorf("Close(2s) has not returned after 30s, with the callbacks released")
			}
		})
	}
}

// slowWriter is a Fallback that takes d per write, or returns at once
// once release is closed.
type slowWriter struct {
	d       time.Duration
	release <-chan struct{}
}

func (w slowWriter) Write(p []byte) (int, error) {
	sleepOr(w.d, w.release)
	return len(p), nil
}

// sleepOr waits for d, or until release is closed.
func sleepOr(d time.Duration, release <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-release:
	}
}
