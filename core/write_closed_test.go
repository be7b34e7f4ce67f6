package core

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestWriteAfterCloseIsClosedWhateverTheEntry: once Close has been
// called, Write "only counts the entry (Dropped.Closed) and returns
// ErrClosed: it reports nothing and calls nothing" (Sink.Write), so that
// an ErrorHandler or a Fallback that logs into the sink cannot feed on
// itself during Close. That must hold for every entry: one below ShedLevel
// while the queue is over the shedding point (the likely case during an
// outage, when Close has entries left to deliver), and one over
// MaxEntryBytes.
func TestWriteAfterCloseIsClosedWhateverTheEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fb fallback
		f, _ := newFakeWithoutMetadata(1) // nothing is delivered: the queue stays full
		s := newTestSink(t, Config{QueueLimit: 100, BatchSizeLimit: 10, MaxEntryBytes: 64,
			Fallback: &fb, ErrorHandler: func(error) {}}, f)
		for i := range 80 { // the shedding point: 0.8 of QueueLimit
			e := entry(i)
			e.Level = ErrorLevel
			if err := s.Write(e); err != nil {
				t.Fatalf("Write(%d) = %v", i, err)
			}
		}
		synctest.Wait()
		if err := s.Write(entry(1000)); err != ErrQueueFull {
			t.Fatalf("info Write over the shedding point before Close = %v, want ErrQueueFull (shed)", err)
		}
		before := s.Stats()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		closed := make(chan error, 1)
		go func() { closed <- s.Close(ctx) }()
		synctest.Wait() // Close has been called and waits for delivery

		info := entry(2000)
		huge := Entry{Level: ErrorLevel, JSON: []byte(`{"i":3000,"pad":"` + strings.Repeat("x", 100) + `"}`)}
		for _, c := range []struct {
			name string
			e    Entry
		}{{"info entry over the shedding point", info}, {"entry over MaxEntryBytes", huge}} {
			if err := s.Write(c.e); err != ErrClosed {
				t.Errorf("Write of an %s during Close = %v, want ErrClosed", c.name, err)
			}
		}
		cancel()
		<-closed
		synctest.Wait()

		st := s.Stats()
		if got := st.Dropped.Closed; got != 80+2 {
			t.Errorf("Dropped.Closed = %d, want 82 (the 80 held and the 2 written during Close)", got)
		}
		if got := st.Dropped.Shed - before.Dropped.Shed; got != 0 {
			t.Errorf("Dropped.Shed grew by %d during Close, want 0", got)
		}
		if st.Dropped.TooLarge != 0 {
			t.Errorf("Dropped.TooLarge = %d, want 0", st.Dropped.TooLarge)
		}
		for _, l := range fb.lines() {
			if l == value(2000) || strings.HasPrefix(l, `{"i":3000,`) {
				t.Errorf("Fallback received %s, written after Close was called", l)
			}
		}
	})
}
