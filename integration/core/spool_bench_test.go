package core_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// benchSpoolDir returns a new directory for a benchmark's spool: in
// $KAFKASINK_BENCH_SPOOL_DIR if set (e.g. /dev/shm, a tmpfs), else in the
// test's temporary directory (on disk, where that is).
func benchSpoolDir(b *testing.B) string {
	parent := os.Getenv("KAFKASINK_BENCH_SPOOL_DIR")
	if parent == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "kafkasink-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// BenchmarkSpoolReplay measures how fast a sink delivers what an earlier
// process left in its spool: each op fills a spool of
// $KAFKASINK_BENCH_REPLAY_MIB MiB of entries (64 if unset; the issue's
// figure is 1024) with no broker to send to, the timer stopped, then
// opens a new sink on it with the broker up and waits until every entry is
// acknowledged. Run it with -benchtime=1x; entries/s is the figure. The
// spool's files are in the page cache, as they are when a process
// restarts; with KAFKASINK_BENCH_REPLAY_COLD=1 (Linux) they are evicted
// first, so that the replay reads the disk, as after a reboot.
func BenchmarkSpoolReplay(b *testing.B) {
	mib := 64
	if s := os.Getenv("KAFKASINK_BENCH_REPLAY_MIB"); s != "" {
		var err error
		if mib, err = strconv.Atoi(s); err != nil {
			b.Fatalf("KAFKASINK_BENCH_REPLAY_MIB: %v", err)
		}
	}
	c := startBenchCluster(b)
	entries := benchEntries(4096)
	n := mib << 20 / len(entries[0])
	spoolLimit := int64(mib)<<20*3/2 + 64<<20 // the entries, their frames and journals
	var total int
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := benchSpoolDir(b)
		// Fill: a broker address where nobody listens.
		fill, err := core.New(core.Config{Brokers: []string{"127.0.0.1:1"}, SpoolDir: dir, SpoolByteLimit: spoolLimit,
			BatchSizeLimit: 1000, OverflowPolicy: core.Block, BlockTimeout: time.Minute, ShedThreshold: 1,
			MaxBackoff: time.Second, ErrorHandler: func(error) {}})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := fill.Write(core.Entry{Level: core.InfoLevel, JSON: entries[i&4095]}); err != nil {
				b.Fatalf("Write = %v", err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err = fill.Close(ctx)
		cancel()
		if st := fill.Stats(); !errors.Is(err, core.ErrLeftInSpool) || st.QueueDepth != n || st.Spool.Skipped != 0 {
			b.Fatalf("filling the spool: Close = %v, %d left, %d skipped; want ErrLeftInSpool, %d, 0", err, st.QueueDepth, st.Spool.Skipped, n)
		}
		onDisk := fill.Stats().Spool.Bytes
		cold := os.Getenv("KAFKASINK_BENCH_REPLAY_COLD") == "1"
		if cold && !evictPages(dir) {
			b.Fatal("cannot evict the spool's pages from the page cache here")
		}

		b.StartTimer()
		start := time.Now()
		s, err := core.New(core.Config{Brokers: c.Addrs(), SpoolDir: dir, SpoolByteLimit: spoolLimit, BatchSizeLimit: 1000, MaxInFlight: 4})
		if err != nil {
			b.Fatal(err)
		}
		fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Minute)
		if err := s.Flush(fctx); err != nil {
			b.Fatal(err)
		}
		fcancel()
		elapsed += time.Since(start)
		total += n
		b.StopTimer()
		st := s.Stats()
		if st.Replayed != uint64(n) || st.Delivered != uint64(n) {
			b.Fatalf("replayed %d, delivered %d; want %d", st.Replayed, st.Delivered, n)
		}
		b.Logf("replayed %d entries (%d MiB on disk, cold cache %v) in %v", n, onDisk>>20, cold, time.Since(start).Round(time.Millisecond))
		s.Close(context.Background())
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(total), "ns/entry")
}
