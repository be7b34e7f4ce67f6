package core

import (
	"context"
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
	f := newFake(1)
	s := newTestSink(t, Config{BatchSizeLimit: 100, Period: time.Millisecond, QueueLimit: 1 << 20, ShedThreshold: 1}, f)
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
}
