package core

import (
	"testing"
	"testing/synctest"
)

// TestDroppedByLevel writes a different number of entries at each level to
// a closed sink, which drops and counts them, and checks that each count
// lands in the field of its level and that Get reads it back.
func TestDroppedByLevel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestSink(t, Config{ErrorHandler: func(error) {}}, newFake(1))
		closeSink(t, s)
		levels := []Level{NoLevel, TraceLevel, DebugLevel, InfoLevel, WarnLevel, ErrorLevel, DPanicLevel, PanicLevel, FatalLevel}
		for i, l := range levels {
			for range i + 1 {
				if err := s.Write(Entry{Level: l, JSON: []byte(`{}`)}); err != ErrClosed {
					t.Fatalf("Write after Close = %v, want ErrClosed", err)
				}
			}
		}
		_ = s.Write(Entry{Level: Level(42), JSON: []byte(`{}`)}) // no level's count

		got := s.Stats().DroppedByLevel
		want := LevelCounts{NoLevel: 1, Trace: 2, Debug: 3, Info: 4, Warn: 5, Error: 6, DPanic: 7, Panic: 8, Fatal: 9}
		if got != want {
			t.Errorf("DroppedByLevel = %+v, want %+v", got, want)
		}
		for i, l := range levels {
			if n := got.Get(l); n != uint64(i+1) {
				t.Errorf("DroppedByLevel.Get(%v) = %d, want %d", l, n, i+1)
			}
		}
		if n := got.Get(Level(42)); n != 0 {
			t.Errorf("DroppedByLevel.Get(42) = %d, want 0", n)
		}
		if n, want := got.Total(), s.Stats().Dropped.Total()-1; n != want {
			t.Errorf("DroppedByLevel.Total() = %d, want %d (every drop but the one of no known level)", n, want)
		}
	})
}
