package core

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestCloseGivesTheFallbackItsTime: Close returns by its context's
// deadline, and hands what was dropped to the Fallback meanwhile. Close
// gives the reporter at most closeGrace (100ms) after delivery ends,
// whatever time its context leaves: with 10s left, a Fallback that takes
// 1ms a write and 1000 entries to write is abandoned after ~100 of them,
// the rest counted as FallbackDropped, and Close reports an AbandonedError
// ("Close's context ended …") though its context is far from ending.
func TestCloseGivesTheFallbackItsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var written atomic.Int64
		cfg := Config{
			BatchSizeLimit: 10, Period: time.Hour, MaxEntryBytes: 100, ErrorHandler: func(error) {},
			Fallback: writerFunc(func(p []byte) (int, error) {
				time.Sleep(time.Millisecond) // a file with a sync, a pipe
				written.Add(1)
				return len(p), nil
			}),
		}
		s := newTestSink(t, cfg, newFake(1))
		big := bytes.Repeat([]byte("x"), 200)
		for range 1000 {
			s.Write(Entry{Level: InfoLevel, JSON: big}) // too large: to the Fallback
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := s.Close(ctx)
		took := time.Since(start)
		<-s.rep.done // the reporter, left behind or not, has stopped
		st := s.Stats()
		if written.Load() != 1000 || err != nil {
			t.Errorf("Close (10s) returned after %v with %v; the Fallback got %d of 1000 entries (FallbackDropped %d), with %v of Close's time left",
				took, err, written.Load(), st.FallbackDropped, 10*time.Second-took)
		}
	})
}
