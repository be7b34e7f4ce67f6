package core

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// wantAllocs fails t if f allocates more than n times per run on average.
func wantAllocs(t *testing.T, n float64, f func()) {
	t.Helper()
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	if got := testing.AllocsPerRun(1000, f); got > n {
		t.Errorf("allocs per run = %v, want at most %v", got, n)
	}
}

func TestWriteDoesNotAllocate(t *testing.T) {
	for _, policy := range []OverflowPolicy{DropNewest, Block} {
		t.Run(policy.String(), func(t *testing.T) { testWriteDoesNotAllocate(t, policy) })
	}
}

func testWriteDoesNotAllocate(t *testing.T, policy OverflowPolicy) {
	f := newFake(1)
	f.quiet = true
	s := newTestSink(t, Config{BatchSizeLimit: 100, Period: time.Millisecond, QueueLimit: 1 << 20, ShedThreshold: 1, OverflowPolicy: policy}, f)
	defer s.Close(context.Background())
	e := Entry{Level: InfoLevel, Time: time.Now(), LoggerName: "http", Message: "served",
		JSON: []byte(`{"level":"info","msg":"served","path":"/api/v1/items/42","status":200}` + "\n")}
	for i := 0; i < 10000; i++ { // warm the pools
		s.Write(e)
	}
	s.Flush(context.Background())
	// Chunks and queue segments are pooled; one of each per many entries
	// may still be allocated when a pool was emptied by the GC.
	wantAllocs(t, 0.05, func() { s.Write(e) })
	// Delivery, in the background, must not allocate per entry either
	// (the Block policy once did, waking writers that were not waiting).
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for i := 0; i < 20000; i++ {
		s.Write(e)
	}
	s.Flush(context.Background())
	runtime.ReadMemStats(&ms1)
	if per := float64(ms1.Mallocs-ms0.Mallocs) / 20000; per > 0.2 {
		t.Errorf("writing and delivering allocates %.2f times per entry, want well under 1", per)
	}
}

// gatedWriter is a Fallback whose first Write says it started, then waits
// for open.
type gatedWriter struct {
	once    sync.Once
	started chan struct{}
	open    chan struct{}
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.started)
		<-w.open
	})
	return len(p), nil
}

// TestRefusedWritesDoNotAllocate pins the cost of entries Write refuses
// with a Fallback set, reporter included: the entries' copies go into the
// reporter's two buffers, reused, not into new ones.
func TestRefusedWritesDoNotAllocate(t *testing.T) {
	f := newFake(1)
	f.block = make(chan struct{})
	defer close(f.block)
	fb := &gatedWriter{started: make(chan struct{}), open: make(chan struct{})}
	s := newTestSink(t, Config{BatchSizeLimit: 1, QueueLimit: 2, ShedThreshold: 1, WriteTimeout: time.Hour,
		ErrorHandler: func(error) {}, Fallback: fb}, f)
	defer func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s.Close(ctx)
	}()
	e := Entry{Level: InfoLevel, JSON: []byte(`{"level":"info","msg":"refused","path":"/api/v1/items/42"}`)}
	// Fill the queue, then warm the reporter: its second buffer is made
	// the first time entries come while it writes the first, so hold it in
	// its first Write meanwhile, or the loaded machine that kept the
	// reporter from running during the warm-up makes it in the measurement.
	for range 3 {
		s.Write(e)
	}
	<-fb.started
	for range 10000 {
		s.Write(e)
	}
	close(fb.open)
	for range 10000 {
		s.Write(e)
	}
	wantAllocs(t, 0.05, func() {
		if err := s.Write(e); err != ErrQueueFull {
			t.Fatalf("Write = %v, want ErrQueueFull", err)
		}
	})
	if raceEnabled {
		return
	}
	// Bytes too: one buffer of the reporter's megabytes, now and then, is
	// few allocations and much memory.
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	const n = 20000
	for range n {
		s.Write(e)
	}
	runtime.ReadMemStats(&ms1)
	if per := float64(ms1.TotalAlloc-ms0.TotalAlloc) / n; per > 64 {
		t.Errorf("refusing an entry allocates %.0f bytes, want next to none", per)
	}
}
