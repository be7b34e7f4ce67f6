package core

import (
	"context"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestDurableDamageToDeliveredEntriesLosesNothing: damage in a segment
// whose journal says its records were delivered loses nothing, and must
// not be counted as lost. The first sink delivers entries 0…99, then Kafka
// goes down and it leaves 100…199 in the spool (in the same segment, so
// the segment stays with the first hundred acknowledged); a byte of
// delivered entry 50 is flipped. The next sink must replay the 100 left,
// deliver them all, and count nothing as Corrupt: "a damaged record is
// skipped … counts the entries lost", and no entry was lost. It counted
// the delivered entry as lost to damage (Dropped.Corrupt 1, Replayed 101):
// recovery counts the ids missing around damage without the journal.
func TestDurableDamageToDeliveredEntriesLosesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f := newFake(1)
		var down atomic.Bool
		f.fail = func(fakeCall) (map[int]error, error) {
			if down.Load() {
				return nil, syscall.ECONNREFUSED
			}
			return nil, nil
		}
		cfg := Config{SpoolDir: dir, BatchSizeLimit: 10, Period: 10 * time.Millisecond, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 100)
		if err := s.Flush(context.Background()); err != nil {
			t.Fatalf("Flush = %v", err)
		}
		down.Store(true)
		write(t, s, 100, 200)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
		if st := s.Stats(); st.Delivered != 100 || st.QueueDepth != 100 {
			t.Fatalf("first sink: delivered %d, left %d; want 100 and 100", st.Delivered, st.QueueDepth)
		}

		flipByteOf(t, dir, value(50))

		f2 := newFake(1)
		s2 := newTestSink(t, cfg, f2)
		closeSink(t, s2)
		if got, want := f2.delivered(), values(100, 200); !slices.Equal(got, want) {
			t.Errorf("the next sink delivered %d entries, want the 100 left, in order", len(got))
		}
		st := s2.Stats()
		if st.Dropped.Corrupt != 0 || st.Replayed != 100 || st.Delivered != 100 {
			t.Errorf("Dropped.Corrupt %d, Replayed %d, Delivered %d; want 0, 100, 100 (entry 50 was delivered by the first sink)", st.Dropped.Corrupt, st.Replayed, st.Delivered)
		}
		checkIdentity(t, st)
	})
}
