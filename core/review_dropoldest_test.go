package core

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// kiloEntry is entry i with about 1000 bytes of JSON.
func kiloEntry(i int) Entry {
	return Entry{Level: ErrorLevel, JSON: fmt.Appendf(nil, `{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", 980))}
}

// TestDropOldestKeepsNewestWhenBytesBind: under DropOldest the newest
// entries are kept and the oldest dropped, whichever limit binds. When
// QueueByteLimit binds (entries of ~1 KB, the default limits bind on bytes
// from ~670 bytes an entry) during an outage, the batcher already holds the
// backlog (it takes everything for a failing destination), and only
// QueueLimit makes it evict (queue.excess); Write's own eviction
// (queue.evictFor) drops only entries still queued, which share their
// chunks with the batcher's or sit in the chunk being filled, so no memory
// frees. The result is DropNewest: the oldest entries are kept, every new
// one dropped, plus the few queued ones evictFor threw away for nothing.
func TestDropOldestKeepsNewestWhenBytesBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, release := newFakeWithoutMetadata(1)
		cfg := Config{
			BatchSizeLimit: 10, Period: time.Second, DelayFirstEntry: true,
			QueueLimit: 100000, QueueByteLimit: 64 << 10, MaxEntryBytes: 2000, MaxBatchBytes: 100000,
			OverflowPolicy: DropOldest, ShedThreshold: 1, ErrorHandler: func(error) {},
		}
		s := newTestSink(t, cfg, f)
		const n = 300 // ~300 KB through a 64 KiB queue
		refused, firstRefused := 0, -1
		for i := range n {
			if err := s.Write(kiloEntry(i)); err != nil {
				if refused++; firstRefused < 0 {
					firstRefused = i
				}
			}
			synctest.Wait() // a logger slower than the batcher
		}
		if refused > 0 {
			t.Errorf("Write refused %d of %d entries (the first: %d) with ErrQueueFull, want none: DropOldest accepts the new entry", refused, n, firstRefused)
		}
		st := s.Stats()
		t.Logf("before release: depth %d, bytes %d, dropped %+v", st.QueueDepth, st.QueueBytes, st.Dropped)
		release()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.Close(ctx) // reports the drops
		got := f.delivered()
		if len(got) == 0 {
			t.Fatalf("nothing delivered")
		}
		last := string(kiloEntry(n - 1).JSON)
		first := string(kiloEntry(0).JSON)
		if got[len(got)-1] != last {
			t.Errorf("the newest entry (%d) was not delivered; delivered %d entries, the last %.12s…: DropOldest kept the oldest", n-1, len(got), got[len(got)-1])
		}
		if got[0] == first {
			t.Errorf("the oldest entry (0) was delivered, though %d entries were dropped to make room", s.Stats().Dropped.QueueFull)
		}
	})
}
