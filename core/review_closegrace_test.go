package core

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestCloseGivesTheFallbackItsTime: Close hands what was dropped to the
// Fallback until (shortly before) its deadline, not only for a fixed grace
// after delivery ends: with 10s left, a Fallback that takes 1ms a write
// gets all 1000 entries, and Close returns nil.
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
